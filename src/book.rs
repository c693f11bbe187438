//! The `book` command: many posts (a mirror, or saved JSON) as one EPUB, with their images.

use crate::fetch::{Downloader, FetchOptions};
use crate::model::{Document, ImageSlot, for_each_image_mut};
use crate::read::input::{self, Item};
use crate::write::epub::{self, BookMeta, Part, WritingMode};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Order {
    Date,
    Title,
    Id,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Group {
    Category,
}

#[derive(Clone)]
pub struct BookOptions {
    pub inputs: Vec<PathBuf>,
    pub out: PathBuf,
    pub title: Option<String>,
    pub lang: Option<String>,
    pub pages: bool,
    pub order: Order,
    pub group: Option<Group>,
    pub cover: Option<PathBuf>,
    pub writing_mode: WritingMode,
    pub images: bool,
    pub fetch: FetchOptions,
    /// Statuses to include (`any` for all); default `publish`.
    pub statuses: Vec<String>,
    /// Include posts that were password-protected on the site.
    pub protected: bool,
}

/// What the book came to, for the summary.
pub struct BookOutcome {
    pub chapters: usize,
    pub images: usize,
    pub missing_images: Vec<(String, String)>,
    pub skipped: Vec<String>,
    pub excluded: Vec<String>,
    pub notes: Vec<String>,
}

pub fn run(opts: &BookOptions) -> Result<BookOutcome, String> {
    if let Some(c) = &opts.cover
        && !c.is_file()
    {
        return Err(format!("--cover {}: no such file", c.display()));
    }
    // Inputs: mirrors give their items, their site's name, and their media.
    let mut files = Vec::new();
    let mut local: HashMap<String, PathBuf> = HashMap::new();
    let mut site: Option<crate::mirror::SiteInfo> = None;
    for p in &opts.inputs {
        if p.is_dir() && crate::mirror::is_mirror(p) {
            let state = crate::mirror::State::load(p)?.unwrap_or_default();
            files.extend(crate::mirror::convertible_items(p, &state));
            local.extend(state.local_files(p));
            site.get_or_insert(state.site.clone());
        } else {
            files.push(p.clone());
        }
    }
    let mut docs: Vec<Document> = Vec::new();
    let mut skipped = Vec::new();
    // Left out on purpose (status, password): said with -v, not a failure.
    let mut excluded = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for src in input::expand(&files, Some(&opts.out)) {
        let path = match src {
            Ok(p) => p,
            Err(e) => return Err(e.to_string()),
        };
        input::read_source(&path, &mut |item: Item| {
            let v = match item.value {
                Ok(v) => v,
                Err(e) => {
                    skipped.push(e.to_string());
                    return true;
                }
            };
            match crate::read_post(&v) {
                Ok((doc, _)) => {
                    let status = doc.meta.status.clone().unwrap_or_else(|| "publish".into());
                    if !opts.statuses.iter().any(|s| s == "any" || *s == status) {
                        excluded.push(format!(
                            "{}: {} is {status} (add --status {status} to include it)",
                            item.source, doc.meta.title
                        ));
                        return true;
                    }
                    if doc.meta.protected && !opts.protected {
                        excluded.push(format!(
                            "{}: {} is password-protected (add --protected to include it)",
                            item.source, doc.meta.title
                        ));
                        return true;
                    }
                    let is_page = doc.meta.kind == "page";
                    let key = (doc.meta.kind.clone(), doc.meta.id);
                    if (opts.pages || !is_page) && (doc.meta.id.is_none() || seen.insert(key)) {
                        docs.push(doc);
                    }
                }
                Err(e) => skipped.push(format!("{}: {e}", item.source)),
            }
            true
        });
    }
    if docs.is_empty() {
        return Err(
            "no posts to make a book of (pages are left out unless --pages is given)".into(),
        );
    }
    sort(&mut docs, opts.order);

    // Images: the mirror's files first; the rest downloaded into a scratch folder.
    // Beside the book (a killed run's leftovers there are removed first), never in /tmp.
    let beside = if opts.out.as_os_str() == "-" {
        Path::new("book").to_path_buf()
    } else {
        crate::output::remove_stale_temps_beside(&opts.out);
        opts.out.clone()
    };
    let scratch = crate::output::temp_path(&beside);
    let mut notes = Vec::new();
    let result = (|| {
        let mut wanted: Vec<(Option<String>, Vec<String>)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for d in docs.iter_mut() {
            let urls: Vec<String> = crate::media::collect(d)
                .into_iter()
                .filter(|u| !local.contains_key(u) && seen.insert(u.clone()))
                .collect();
            if !urls.is_empty() {
                wanted.push((d.meta.link.clone(), urls));
            }
        }
        if opts.images && !wanted.is_empty() {
            if let Some(parent) = scratch.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("{}: {e}", parent.display()))?;
            }
            // Made new: a link planted under its name is refused, not followed.
            std::fs::create_dir(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
            let dl = Downloader::new(opts.fetch.clone())?;
            // What a post's images may reach depends on its own site: one batch per reach.
            let mut batches: Vec<(crate::fetch::address::Reach, Vec<String>)> = Vec::new();
            for (link, urls) in wanted {
                let reach = dl.reach_of(link.as_deref());
                match batches.iter_mut().find(|(r, _)| *r == reach) {
                    Some((_, b)) => b.extend(urls),
                    None => batches.push((reach, urls)),
                }
            }
            for (reach, urls) in &batches {
                for (u, r) in urls.iter().zip(dl.fetch_all(urls, &scratch, *reach)) {
                    if let Ok(saved) = r {
                        local.insert(u.clone(), saved.path);
                    }
                }
            }
        }
        for d in docs.iter_mut() {
            let base = d.meta.link.clone();
            for_each_image_mut(d, &mut |slot| match slot {
                ImageSlot::Image(img) => {
                    let abs = crate::media::resolve(img.best_url(), base.as_deref());
                    img.local = abs
                        .and_then(|u| local.get(&u))
                        .map(|p| p.to_string_lossy().into_owned());
                }
                ImageSlot::Link(_, _) => {}
            });
        }
        let parts = parts(&docs, opts.group);
        let cover = opts.cover.clone().or_else(|| {
            // The newest post's featured image.
            let newest = docs
                .iter()
                .filter(|d| d.meta.featured_image.is_some())
                .max_by(|a, b| a.meta.date.cmp(&b.meta.date))?;
            newest
                .meta
                .featured_image
                .as_ref()?
                .local
                .as_ref()
                .map(PathBuf::from)
        });
        let mut creators: Vec<String> = Vec::new();
        for d in &docs {
            for a in &d.meta.authors {
                if !creators.contains(a) {
                    creators.push(a.clone());
                }
            }
        }
        let site_name = site
            .as_ref()
            .map(|s| s.name.clone())
            .filter(|n| !n.is_empty());
        let title = match opts.title.clone().or_else(|| site_name.clone()) {
            Some(t) => t,
            None => {
                // Saved JSON does not say what the site is called: its host will do, said aloud.
                let host = docs[0]
                    .meta
                    .link
                    .as_deref()
                    .and_then(|l| l.split("://").nth(1)?.split('/').next().map(str::to_string))
                    .filter(|h| !h.is_empty())
                    .unwrap_or_else(|| "Untitled".into());
                notes.push(format!(
                    "no --title and no site name in the input: the book is called {host:?}"
                ));
                host
            }
        };
        let meta = BookMeta {
            title,
            lang: opts.lang.clone().unwrap_or_else(|| epub::guess_lang(&docs)),
            id_seed: site
                .as_ref()
                .map(|s| s.url.clone())
                .or_else(|| docs[0].meta.link.as_deref().map(origin))
                .unwrap_or_else(|| opts.title.clone().unwrap_or_default()),
            creators,
            publisher: site_name,
            description: site
                .as_ref()
                .map(|s| s.description.clone())
                .filter(|d| !d.is_empty()),
            writing_mode: opts.writing_mode,
        };
        let locate = |target: &str| -> Option<PathBuf> {
            let p = Path::new(target);
            (!target.contains("://") && p.is_file()).then(|| p.to_path_buf())
        };
        write_book(&opts.out, &docs, &parts, &meta, cover, &locate)
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    let report = result?;
    Ok(BookOutcome {
        chapters: report.chapters,
        images: report.images,
        missing_images: report.missing_images,
        skipped,
        excluded,
        notes,
    })
}

fn write_book(
    out: &Path,
    docs: &[Document],
    parts: &[Part],
    meta: &BookMeta,
    cover: Option<PathBuf>,
    locate: epub::Locate<'_>,
) -> Result<epub::BookReport, String> {
    if out.as_os_str() == "-" {
        let mut buf = std::io::Cursor::new(Vec::new());
        let r =
            epub::write(&mut buf, docs, parts, meta, cover, locate).map_err(|e| e.to_string())?;
        use std::io::Write;
        std::io::stdout()
            .write_all(buf.get_ref())
            .map_err(|e| e.to_string())?;
        return Ok(r);
    }
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    // Written beside its final name and renamed: an interrupted run leaves no half book.
    let tmp = crate::output::temp_path(out);
    let result = crate::output::create_new(&tmp)
        .map_err(|e| format!("{}: {e}", out.display()))
        .and_then(|f| {
            let r = epub::write(std::io::BufWriter::new(f), docs, parts, meta, cover, locate)
                .map_err(|e| e.to_string())?;
            std::fs::rename(&tmp, out).map_err(|e| format!("{}: {e}", out.display()))?;
            Ok(r)
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn origin(link: &str) -> String {
    let (scheme, rest) = link.split_once("://").unwrap_or(("https", link));
    format!("{scheme}://{}/", rest.split('/').next().unwrap_or(""))
}

fn sort(docs: &mut [Document], order: Order) {
    match order {
        // RFC 3339 with offsets does not sort as text across offsets: compare in UTC.
        Order::Date => docs.sort_by_cached_key(|d| {
            (
                d.meta.date.as_deref().and_then(crate::write::epub::to_utc),
                d.meta.id,
            )
        }),
        Order::Title => docs.sort_by(|a, b| {
            a.meta
                .title
                .cmp(&b.meta.title)
                .then(a.meta.id.cmp(&b.meta.id))
        }),
        Order::Id => docs.sort_by_key(|d| d.meta.id),
    }
}

/// Chapters as one part, or grouped under each post's first category (in order of first use).
fn parts(docs: &[Document], group: Option<Group>) -> Vec<Part> {
    match group {
        None => vec![Part {
            title: None,
            chapters: (0..docs.len()).collect(),
        }],
        Some(Group::Category) => {
            let mut parts: Vec<Part> = Vec::new();
            for (i, d) in docs.iter().enumerate() {
                let name = d
                    .meta
                    .categories
                    .first()
                    .cloned()
                    .or_else(|| {
                        d.meta
                            .category_ids
                            .first()
                            .map(|id| format!("Category {id}"))
                    })
                    .unwrap_or_else(|| "Uncategorized".into());
                match parts
                    .iter_mut()
                    .find(|p| p.title.as_deref() == Some(name.as_str()))
                {
                    Some(p) => p.chapters.push(i),
                    None => parts.push(Part {
                        title: Some(name),
                        chapters: vec![i],
                    }),
                }
            }
            // The book reads part by part; chapters keep their order inside each.
            parts
        }
    }
}
