//! EPUB 3 writer: the OCF container written directly with the `zip` crate, byte-identical for
//! the same input (fixed timestamps, sorted entries, `mimetype` first and stored), everything
//! inside the book (no remote resources), navigation document and NCX, optional vertical writing.

use crate::fetch::{ImageKind, sniff};
use crate::model::Document;
use crate::write::xhtml::{self, Resolve, escape};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Seek, Write};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WritingMode {
    HorizontalTb,
    VerticalRl,
}

/// What the book says about itself.
#[derive(Debug, Clone)]
pub struct BookMeta {
    pub title: String,
    pub lang: String,
    /// Hashed into the book's UUID: the same seed (a site URL) gives the same identifier.
    pub id_seed: String,
    pub creators: Vec<String>,
    pub publisher: Option<String>,
    pub description: Option<String>,
    pub writing_mode: WritingMode,
}

/// A part of the book: its chapters (indices into the documents), under an optional heading.
pub struct Part {
    pub title: Option<String>,
    pub chapters: Vec<usize>,
}

/// What went into the book and what could not.
#[derive(Debug, Default)]
pub struct BookReport {
    pub chapters: usize,
    pub images: usize,
    /// (image target, why it is not in the book)
    pub missing_images: Vec<(String, String)>,
}

/// Where an image target (a local path or a URL) can be read from, if anywhere.
pub type Locate<'a> = &'a dyn Fn(&str) -> Option<PathBuf>;

struct Res {
    name: String,
    path: PathBuf,
    media_type: &'static str,
}

fn media_type(k: ImageKind) -> Option<(&'static str, &'static str)> {
    // EPUB 3.2's core media types among images; anything else would need a fallback.
    match k {
        ImageKind::Jpeg => Some(("image/jpeg", "jpg")),
        ImageKind::Png => Some(("image/png", "png")),
        ImageKind::Gif => Some(("image/gif", "gif")),
        _ => None,
    }
}

fn sniff_file(path: &std::path::Path) -> Option<ImageKind> {
    let mut head = [0u8; 1024];
    let mut f = std::fs::File::open(path).ok()?;
    let n = f.read(&mut head).ok()?;
    sniff(&head[..n])
}

/// The language of the posts when nobody said: kana means Japanese, hangul Korean, other CJK
/// ideographs Chinese; otherwise English. `--lang` overrides it.
pub fn guess_lang(docs: &[Document]) -> String {
    let (mut kana, mut hangul, mut han) = (0usize, 0usize, 0usize);
    for d in docs.iter().take(50) {
        let text = format!("{} {}", d.meta.title, d.meta.excerpt);
        for c in text.chars() {
            match c as u32 {
                0x3040..=0x30FF => kana += 1,
                0xAC00..=0xD7AF => hangul += 1,
                0x4E00..=0x9FFF => han += 1,
                _ => {}
            }
        }
    }
    if kana > 0 {
        "ja".into()
    } else if hangul > 0 {
        "ko".into()
    } else if han > 0 {
        "zh".into()
    } else {
        "en".into()
    }
}

/// A stable UUID (RFC 9562 version 8) from a seed.
pub fn uuid_from(seed: &str) -> String {
    let h = Sha256::digest(seed.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x: Vec<String> = b.iter().map(|v| format!("{v:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        x[..4].concat(),
        x[4..6].concat(),
        x[6..8].concat(),
        x[8..10].concat(),
        x[10..].concat()
    )
}

/// `YYYY-MM-DDThh:mm:ssZ` from an RFC 3339 date with offset (the form `dcterms:modified` wants).
pub fn to_utc(d: &str) -> Option<String> {
    let base = d.get(..19)?;
    let offset = &d[19..];
    let secs = |s: &str| -> Option<i64> {
        let (h, m) = s.split_once(':')?;
        Some(h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60)
    };
    let off = match offset {
        "" | "Z" | "+00:00" => 0,
        o if o.starts_with('+') => secs(&o[1..])?,
        o if o.starts_with('-') => -secs(&o[1..])?,
        _ => return None,
    };
    let n = |r: std::ops::Range<usize>| base.get(r)?.parse::<i64>().ok();
    let (y, mo, da, h, mi, s) = (
        n(0..4)?,
        n(5..7)?,
        n(8..10)?,
        n(11..13)?,
        n(14..16)?,
        n(17..19)?,
    );
    let t = crate::dates::days_from_civil(y, mo, da) * 86400 + h * 3600 + mi * 60 + s - off;
    let (days, rem) = (t.div_euclid(86400), t.rem_euclid(86400));
    let (y, m, d) = crate::dates::civil_from_days(days);
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    ))
}

const CSS: &str = "body { margin: 0 1em; line-height: 1.7; }
h1 { font-size: 1.5em; margin: 1em 0 0.5em; }
h2 { font-size: 1.25em; margin: 1.2em 0 0.4em; }
h3, h4, h5, h6 { font-size: 1.05em; margin: 1em 0 0.3em; }
p.byline { color: #555; font-size: 0.9em; }
figure { margin: 1em 0; text-align: center; }
img { max-width: 100%; height: auto; }
figcaption, p.caption { font-size: 0.9em; color: #444; }
blockquote { margin: 1em 1.5em; }
p.attribution { text-align: right; }
pre { white-space: pre-wrap; font-size: 0.85em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #999; padding: 0.2em 0.5em; }
section.footnotes { font-size: 0.9em; border-top: 1px solid #999; margin-top: 2em; }
.title-page { text-align: center; margin-top: 30%; }
";

const VERTICAL_CSS: &str = "html { writing-mode: vertical-rl; -epub-writing-mode: vertical-rl; -webkit-writing-mode: vertical-rl; }
img { max-height: 100%; max-width: none; }
";

fn page(lang: &str, title: &str, css_href: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\" xml:lang=\"{l}\" lang=\"{l}\">\n<head>\n<meta charset=\"UTF-8\"/>\n<title>{t}</title>\n<link rel=\"stylesheet\" type=\"text/css\" href=\"{css_href}\"/>\n</head>\n<body>\n{body}</body>\n</html>\n",
        l = escape(lang),
        t = escape(title),
    )
}

/// Writes a book of `docs` (in the order `parts` gives) to `out`.
pub fn write<W: Write + Seek>(
    out: W,
    docs: &[Document],
    parts: &[Part],
    meta: &BookMeta,
    cover: Option<PathBuf>,
    locate: Locate<'_>,
) -> std::io::Result<BookReport> {
    let mut report = BookReport::default();
    let uuid = uuid_from(&meta.id_seed);
    // A book has a title, even when its posts have none.
    let mut meta = meta.clone();
    if meta.title.trim().is_empty() {
        meta.title = "Untitled".into();
    }
    let meta = &meta;
    // Chapter files in reading order, and the post links that lead to them.
    let order: Vec<usize> = parts
        .iter()
        .flat_map(|p| p.chapters.iter().copied())
        .collect();
    let mut chapter_of_link: HashMap<String, String> = HashMap::new();
    for (n, &i) in order.iter().enumerate() {
        if let Some(l) = &docs[i].meta.link {
            chapter_of_link.insert(norm_link(l), format!("c{:04}.xhtml", n + 1));
        }
    }
    let resources: RefCell<Vec<Res>> = RefCell::new(Vec::new());
    let known: RefCell<HashMap<String, Option<String>>> = RefCell::new(HashMap::new());
    let why_missing: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
    let image = |target: &str| -> Option<String> {
        if let Some(k) = known.borrow().get(target) {
            return k.as_ref().map(|n| format!("../images/{n}"));
        }
        let found = match locate(target) {
            None => {
                why_missing
                    .borrow_mut()
                    .insert(target.into(), "not downloaded".into());
                None
            }
            Some(path) => match sniff_file(&path).and_then(media_type) {
                Some((mt, ext)) => {
                    let mut res = resources.borrow_mut();
                    let name = format!("i{:04}.{ext}", res.len() + 1);
                    res.push(Res {
                        name: name.clone(),
                        path,
                        media_type: mt,
                    });
                    Some(name)
                }
                None => {
                    why_missing
                        .borrow_mut()
                        .insert(target.into(), "a format EPUB readers do not all support (only JPEG, PNG and GIF are kept)".into());
                    None
                }
            },
        };
        known.borrow_mut().insert(target.to_string(), found.clone());
        found.map(|n| format!("../images/{n}"))
    };
    let mut chapters: Vec<(String, Vec<xhtml::Heading>)> = Vec::new();
    let mut chapter_files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (n, &i) in order.iter().enumerate() {
        let doc = &docs[i];
        let base = doc.meta.link.clone();
        let link = |url: &str| -> Option<String> {
            let abs = crate::media::resolve(url, base.as_deref()).or_else(|| {
                (url.starts_with("mailto:") || url.starts_with("tel:")).then(|| url.to_string())
            })?;
            // A link to another post in the book goes to its chapter (not to an anchor in it:
            // chapters get their own heading ids, so the site's anchors would point nowhere).
            if let Some(c) = chapter_of_link.get(&norm_link(&abs)) {
                return Some(c.clone());
            }
            Some(abs)
        };
        let r = Resolve {
            image: &image,
            link: &link,
        };
        let ch = xhtml::chapter(doc, 1, &r);
        // Images the media pass never got locally were not even looked for.
        for t in &ch.missing_images {
            why_missing
                .borrow_mut()
                .entry(t.clone())
                .or_insert_with(|| "not downloaded".into());
        }
        let title = if doc.meta.title.is_empty() {
            format!("{} {}", doc.meta.kind, doc.meta.id.unwrap_or(0))
        } else {
            doc.meta.title.clone()
        };
        let body = format!("<section epub:type=\"chapter\">\n{}</section>\n", ch.body);
        let name = format!("c{:04}.xhtml", n + 1);
        // The page goes straight into the container's files; only its headings are kept here.
        chapter_files.insert(
            format!("OEBPS/chapters/{name}"),
            page(&meta.lang, &title, "../style.css", &body).into_bytes(),
        );
        let mut h = vec![(0u8, String::new(), title)];
        h.extend(ch.headings);
        chapters.push((name, h));
    }
    report.chapters = chapters.len();
    for (target, why) in why_missing.into_inner() {
        report.missing_images.push((target, why));
    }
    report.missing_images.sort();
    let mut resources = resources.into_inner();
    // The cover: an image file of its own, with a page that shows it.
    let mut cover_name = None;
    if let Some(path) = cover {
        match sniff_file(&path).and_then(media_type) {
            Some((mt, ext)) => {
                let name = format!("cover.{ext}");
                resources.push(Res {
                    name: name.clone(),
                    path,
                    media_type: mt,
                });
                cover_name = Some(name);
            }
            None => {
                return Err(std::io::Error::other(format!(
                    "the cover {} is not a JPEG, PNG or GIF image",
                    path.display()
                )));
            }
        }
    }
    report.images = resources.len();

    let modified = docs
        .iter()
        .filter_map(|d| {
            d.meta
                .modified
                .as_deref()
                .or(d.meta.date.as_deref())
                .and_then(to_utc)
        })
        .max()
        .unwrap_or_else(|| "2000-01-01T00:00:00Z".into());
    let date = docs
        .iter()
        .filter_map(|d| d.meta.date.as_deref().and_then(to_utc))
        .max();

    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    files.insert(
        "META-INF/container.xml".into(),
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<container version=\"1.0\" xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\">\n<rootfiles>\n<rootfile full-path=\"OEBPS/content.opf\" media-type=\"application/oebps-package+xml\"/>\n</rootfiles>\n</container>\n".to_vec(),
    );
    let vertical = meta.writing_mode == WritingMode::VerticalRl;
    let mut css = CSS.to_string();
    if vertical {
        css.push_str(VERTICAL_CSS);
    }
    files.insert("OEBPS/style.css".into(), css.into_bytes());
    // Title page.
    let mut tp = format!(
        "<section epub:type=\"titlepage\" class=\"title-page\">\n<h1>{}</h1>\n",
        escape(&meta.title)
    );
    if let Some(d) = &meta.description {
        tp.push_str(&format!("<p>{}</p>\n", escape(d)));
    }
    if let Some(p) = &meta.publisher {
        tp.push_str(&format!("<p>{}</p>\n", escape(p)));
    }
    tp.push_str("</section>\n");
    files.insert(
        "OEBPS/title.xhtml".into(),
        page(&meta.lang, &meta.title, "style.css", &tp).into_bytes(),
    );
    if let Some(c) = &cover_name {
        let body = format!(
            "<section epub:type=\"cover\"><img src=\"images/{c}\" alt=\"{}\"/></section>\n",
            escape(&meta.title)
        );
        files.insert(
            "OEBPS/cover.xhtml".into(),
            page(&meta.lang, &meta.title, "style.css", &body).into_bytes(),
        );
    }
    files.append(&mut chapter_files);
    // Navigation: parts (when grouped), chapters, and each chapter's h2/h3.
    let chapter_nav = |idx: usize| -> String {
        let (name, heads) = &chapters[idx];
        let a = |id: &str, text: &str| {
            let text = if text.is_empty() {
                "…".to_string()
            } else {
                escape(text)
            };
            format!("<a href=\"chapters/{name}#{id}\">{text}</a>")
        };
        // h2s, each with its h3s; an h3 before any h2 stands on its own.
        let mut entries: Vec<NavEntry<'_>> = Vec::new();
        for (level, id, text) in heads.iter().skip(1) {
            match entries.last_mut() {
                Some(last) if *level == 3 => last.2.push((id, text)),
                _ => entries.push((id, text, Vec::new())),
            }
        }
        let mut s = format!(
            "<li><a href=\"chapters/{name}\">{}</a>",
            escape(&heads[0].2)
        );
        if !entries.is_empty() {
            s.push_str("<ol>");
            for (id, text, subs) in entries {
                s.push_str(&format!("<li>{}", a(id, text)));
                if !subs.is_empty() {
                    s.push_str("<ol>");
                    for (id, text) in subs {
                        s.push_str(&format!("<li>{}</li>", a(id, text)));
                    }
                    s.push_str("</ol>");
                }
                s.push_str("</li>");
            }
            s.push_str("</ol>");
        }
        s.push_str("</li>\n");
        s
    };
    let mut nav = String::from("<nav epub:type=\"toc\" id=\"toc\">\n<h1>Contents</h1>\n<ol>\n");
    let mut idx = 0;
    for part in parts {
        match &part.title {
            Some(t) if !part.chapters.is_empty() => {
                nav.push_str(&format!("<li><span>{}</span>\n<ol>\n", escape(t)));
                for _ in &part.chapters {
                    nav.push_str(&chapter_nav(idx));
                    idx += 1;
                }
                nav.push_str("</ol>\n</li>\n");
            }
            _ => {
                for _ in &part.chapters {
                    nav.push_str(&chapter_nav(idx));
                    idx += 1;
                }
            }
        }
    }
    if chapters.is_empty() {
        nav.push_str("<li><a href=\"title.xhtml\">");
        nav.push_str(&escape(&meta.title));
        nav.push_str("</a></li>\n");
    }
    nav.push_str("</ol>\n</nav>\n");
    files.insert(
        "OEBPS/nav.xhtml".into(),
        page(&meta.lang, &meta.title, "style.css", &nav).into_bytes(),
    );
    // NCX for EPUB 2 reading systems.
    let mut ncx = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ncx xmlns=\"http://www.daisy.org/z3986/2005/ncx/\" version=\"2005-1\" xml:lang=\"{}\">\n<head>\n<meta name=\"dtb:uid\" content=\"urn:uuid:{uuid}\"/>\n<meta name=\"dtb:depth\" content=\"1\"/>\n<meta name=\"dtb:totalPageCount\" content=\"0\"/>\n<meta name=\"dtb:maxPageNumber\" content=\"0\"/>\n</head>\n<docTitle><text>{}</text></docTitle>\n<navMap>\n",
        escape(&meta.lang),
        escape(&meta.title)
    );
    let mut play = 1;
    ncx.push_str(&format!("<navPoint id=\"np-title\" playOrder=\"{play}\"><navLabel><text>{}</text></navLabel><content src=\"title.xhtml\"/></navPoint>\n", escape(&meta.title)));
    for (name, heads) in &chapters {
        play += 1;
        ncx.push_str(&format!(
            "<navPoint id=\"np-{play}\" playOrder=\"{play}\"><navLabel><text>{}</text></navLabel><content src=\"chapters/{name}\"/></navPoint>\n",
            escape(&heads[0].2)
        ));
    }
    ncx.push_str("</navMap>\n</ncx>\n");
    files.insert("OEBPS/toc.ncx".into(), ncx.into_bytes());

    // The package document.
    let mut opf = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<package xmlns=\"http://www.idpf.org/2007/opf\" version=\"3.0\" unique-identifier=\"uid\" xml:lang=\"{l}\">\n<metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<dc:identifier id=\"uid\">urn:uuid:{uuid}</dc:identifier>\n<dc:title>{t}</dc:title>\n<dc:language>{l}</dc:language>\n",
        l = escape(&meta.lang),
        t = escape(&meta.title)
    );
    for c in &meta.creators {
        opf.push_str(&format!("<dc:creator>{}</dc:creator>\n", escape(c)));
    }
    if let Some(p) = &meta.publisher {
        opf.push_str(&format!("<dc:publisher>{}</dc:publisher>\n", escape(p)));
    }
    if let Some(d) = &meta.description {
        opf.push_str(&format!("<dc:description>{}</dc:description>\n", escape(d)));
    }
    if let Some(d) = &date {
        opf.push_str(&format!("<dc:date>{d}</dc:date>\n"));
    }
    let mut sources: Vec<&str> = order
        .iter()
        .filter_map(|&i| docs[i].meta.link.as_deref())
        .collect();
    sources.dedup();
    for s in sources {
        opf.push_str(&format!("<dc:source>{}</dc:source>\n", escape(s)));
    }
    opf.push_str(&format!(
        "<meta property=\"dcterms:modified\">{modified}</meta>\n"
    ));
    if let Some(c) = &cover_name {
        opf.push_str(&format!(
            "<meta name=\"cover\" content=\"{}\"/>\n",
            item_id(c)
        ));
    }
    opf.push_str("</metadata>\n<manifest>\n");
    opf.push_str("<item id=\"nav\" href=\"nav.xhtml\" media-type=\"application/xhtml+xml\" properties=\"nav\"/>\n");
    opf.push_str("<item id=\"ncx\" href=\"toc.ncx\" media-type=\"application/x-dtbncx+xml\"/>\n");
    opf.push_str("<item id=\"css\" href=\"style.css\" media-type=\"text/css\"/>\n");
    opf.push_str(
        "<item id=\"title\" href=\"title.xhtml\" media-type=\"application/xhtml+xml\"/>\n",
    );
    if cover_name.is_some() {
        opf.push_str(
            "<item id=\"coverpage\" href=\"cover.xhtml\" media-type=\"application/xhtml+xml\"/>\n",
        );
    }
    for (name, _) in &chapters {
        opf.push_str(&format!(
            "<item id=\"{}\" href=\"chapters/{name}\" media-type=\"application/xhtml+xml\"/>\n",
            item_id(name)
        ));
    }
    for r in &resources {
        let props = if Some(&r.name) == cover_name.as_ref() {
            " properties=\"cover-image\""
        } else {
            ""
        };
        opf.push_str(&format!(
            "<item id=\"{}\" href=\"images/{}\" media-type=\"{}\"{props}/>\n",
            item_id(&r.name),
            r.name,
            r.media_type
        ));
    }
    opf.push_str("</manifest>\n");
    let ppd = if vertical {
        " page-progression-direction=\"rtl\""
    } else {
        ""
    };
    opf.push_str(&format!("<spine toc=\"ncx\"{ppd}>\n"));
    if cover_name.is_some() {
        opf.push_str("<itemref idref=\"coverpage\"/>\n");
    }
    opf.push_str("<itemref idref=\"title\"/>\n<itemref idref=\"nav\"/>\n");
    for (name, _) in &chapters {
        opf.push_str(&format!("<itemref idref=\"{}\"/>\n", item_id(name)));
    }
    opf.push_str("</spine>\n</package>\n");
    files.insert("OEBPS/content.opf".into(), opf.into_bytes());

    // The container: `mimetype` first and stored, then every entry sorted, at a fixed time.
    let mut entries: BTreeMap<String, Entry> = files
        .into_iter()
        .map(|(k, v)| (k, Entry::Bytes(v)))
        .collect();
    for r in resources {
        entries.insert(format!("OEBPS/images/{}", r.name), Entry::File(r.path));
    }
    let mut zip = zip::ZipWriter::new(out);
    let stored = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let deflated = stored
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(6));
    zip.start_file("mimetype", stored)
        .map_err(std::io::Error::other)?;
    zip.write_all(b"application/epub+zip")?;
    for (name, entry) in entries {
        match entry {
            Entry::Bytes(b) => {
                zip.start_file(name, deflated)
                    .map_err(std::io::Error::other)?;
                zip.write_all(&b)?;
            }
            Entry::File(p) => {
                // Images are compressed already; stored, and streamed from disk.
                zip.start_file(name, stored)
                    .map_err(std::io::Error::other)?;
                let mut f = std::fs::File::open(&p)?;
                std::io::copy(&mut f, &mut zip)?;
            }
        }
    }
    zip.finish().map_err(std::io::Error::other)?;
    Ok(report)
}

/// An h2 in the navigation: id, text, and its h3s (id, text).
type NavEntry<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>);

enum Entry {
    Bytes(Vec<u8>),
    File(PathBuf),
}

/// A manifest id from a file name: XML names cannot start with a digit or hold dots.
fn item_id(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("r-{s}")
}

/// A post link compared loosely: no scheme, no trailing slash, no fragment.
fn norm_link(l: &str) -> String {
    let l = l.split('#').next().unwrap_or(l);
    let l = l.split("://").nth(1).unwrap_or(l);
    l.trim_end_matches('/').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_conversion_subtracts_the_offset() {
        assert_eq!(
            to_utc("2026-05-28T08:21:27+09:00").unwrap(),
            "2026-05-27T23:21:27Z"
        );
        assert_eq!(
            to_utc("2024-12-31T23:30:00-01:00").unwrap(),
            "2025-01-01T00:30:00Z"
        );
    }

    #[test]
    fn uuids_are_stable_and_well_formed() {
        let a = uuid_from("https://ex.org/");
        assert_eq!(a, uuid_from("https://ex.org/"));
        assert_ne!(a, uuid_from("https://ex.org/x"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8");
    }
}
