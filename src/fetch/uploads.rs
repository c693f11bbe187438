//! The mirror's media: the `/wp/v2/media` entries of the attachments its items use, and the
//! original upload of every image they show, each under a file name of its own.

use super::api::{Api, Root};
use super::crawl::{CrawlError, CrawlOptions, CrawlReport, bar, save, sha256_hex};
use super::listing::{split, with};
use crate::mirror::{self, MediaState, State};
use crate::output::write_atomic;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

/// Attachments the items use: their media entries, then the original upload of each (what
/// every thumbnail and `-scaled` copy maps back to), and any other image they show. Items are
/// read back from the mirror one at a time, so memory does not grow with the site.
pub async fn fetch_media(
    api: &Arc<Api>,
    root: &Root,
    opts: &CrawlOptions,
    state: &mut State,
    report: &mut CrawlReport,
    keys: &[String],
    ctx: &[(&'static str, String)],
) -> Result<(), CrawlError> {
    let mirror = &opts.mirror;
    let mut ids = BTreeSet::new();
    // Per item, the image URLs it shows (before they are mapped to their originals).
    let mut per_item: Vec<(&String, Vec<String>)> = Vec::new();
    for key in keys {
        let Some(v) = state
            .items
            .get(key)
            .and_then(|i| crate::output::read_regular(&mirror.join(&i.file)))
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        else {
            continue;
        };
        if let Some(f) = v
            .get("featured_media")
            .and_then(Value::as_u64)
            .filter(|f| *f > 0)
        {
            ids.insert(f);
        }
        let html = v
            .pointer("/content/rendered")
            .and_then(Value::as_str)
            .unwrap_or("");
        for part in html.split("wp-image-").skip(1) {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(id) = digits.parse::<u64>() {
                ids.insert(id);
            }
        }
        let mut diag = crate::diag::Diag::default();
        let urls = match crate::read::wp_json::read_post(&v, &mut diag) {
            Ok(mut doc) => crate::media::collect(&mut doc),
            Err(_) => Vec::new(),
        };
        per_item.push((key, urls));
    }
    let ids: Vec<u64> = ids.into_iter().collect();
    // Media entries in batches of 100, side by side.
    let mut set = tokio::task::JoinSet::new();
    for chunk in ids.chunks(100) {
        let include = chunk
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let url = root.url(
            "wp/v2/media",
            &with(ctx, &[("include", include.as_str()), ("per_page", "100")]),
        );
        let api = api.clone();
        set.spawn(async move {
            let r = api.get(&url, false).await.and_then(|r| split(&r));
            (include, r)
        });
    }
    let mut batches = Vec::new();
    while let Some(j) = set.join_next().await {
        if let Ok(b) = j {
            batches.push(b);
        }
    }
    batches.sort_by(|a, b| a.0.cmp(&b.0));
    for (include, result) in batches {
        match result {
            Ok(entries) => {
                for raw in entries {
                    let Ok(m) = serde_json::from_str::<Value>(raw.get()) else {
                        continue;
                    };
                    let Some(id) = m.get("id").and_then(Value::as_u64) else {
                        continue;
                    };
                    save(
                        mirror,
                        &format!("{}/{id}.json", mirror::MEDIA_ITEMS),
                        raw.get().as_bytes(),
                    )?;
                    record_sizes(&m, &mut state.originals);
                }
            }
            Err(e) => report
                .media_failures
                .push(format!("media entries {include}: {e}")),
        }
    }
    // Every image the items show, mapped to what should be downloaded for it.
    for (_, urls) in per_item.iter_mut() {
        for u in urls.iter_mut() {
            if let Some(o) = state.originals.get(u.as_str()) {
                *u = o.clone();
            }
        }
    }
    let wanted: BTreeSet<&String> = per_item.iter().flat_map(|(_, u)| u).collect();
    let files = plan_files(state, &wanted);
    let bar = bar(opts.progress, "media");
    bar.set_length(wanted.len() as u64);
    let mut set = tokio::task::JoinSet::new();
    for url in wanted {
        let prev = state.media.get(url).cloned();
        let file = files[url.as_str()].clone();
        let (api, mirror, url) = (api.clone(), mirror.clone(), url.clone());
        let max = opts.max_image;
        set.spawn(async move {
            let r = download_one(&api, &mirror, &url, &file, prev.as_ref(), max).await;
            (url, r)
        });
    }
    while let Some(j) = set.join_next().await {
        bar.inc(1);
        let Ok((url, r)) = j else { continue };
        match r {
            Ok(Got::New(m)) => {
                report.media_downloaded += 1;
                state.media.insert(url, m);
            }
            Ok(Got::NotModified) => report.media_not_modified += 1,
            Ok(Got::Kept) => report.media_kept += 1,
            Err(e) => report.media_failures.push(format!("{url}: {e}")),
        }
    }
    bar.finish_and_clear();
    // An item's media are complete when every file it shows is in the mirror.
    for (key, urls) in per_item {
        let done = urls.iter().all(|u| {
            state
                .media
                .get(u)
                .is_some_and(|m| mirror.join(&m.file).is_file())
        });
        if let Some(item) = state.items.get_mut(key) {
            if done && !item.media_done && !report.changed.contains(key) {
                report.media_completed.push(key.clone());
            }
            item.media_done = done;
        }
    }
    Ok(())
}

/// The mirror file of every wanted URL: the one it has, else a new name no other URL has,
/// ignoring case (the mirror may be copied to a file system that folds it). Planned in URL
/// order before any download, so the same mirror gets the same names on every run.
fn plan_files<'a>(state: &State, wanted: &BTreeSet<&'a String>) -> HashMap<&'a str, String> {
    let host = site_host(state);
    let mut taken: HashMap<String, &str> = state
        .media
        .iter()
        .map(|(u, m)| (m.file.to_lowercase(), u.as_str()))
        .collect();
    let mut out = HashMap::new();
    for url in wanted {
        if let Some(m) = state.media.get(url.as_str()) {
            out.insert(url.as_str(), m.file.clone());
            continue;
        }
        let first = mirror::media_path(url, &host);
        let mut file = first.clone();
        let mut n = 2;
        while taken.get(&file.to_lowercase()).is_some_and(|u| u != url) {
            file = numbered(&first, n);
            n += 1;
        }
        taken.insert(file.to_lowercase(), url.as_str());
        out.insert(url.as_str(), file);
    }
    out
}

/// `media/a/b.png` → `media/a/b-2.png`.
fn numbered(path: &str, n: usize) -> String {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let name = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}-{n}.{ext}"),
        _ => format!("{name}-{n}"),
    };
    if dir.is_empty() {
        name
    } else {
        format!("{dir}/{name}")
    }
}

/// A recorded file that is no longer in the mirror (deleted by hand, a disk mishap) is fetched
/// again, whether or not its post changed: the mirror stays complete.
pub async fn restore_missing_media(
    api: &Arc<Api>,
    opts: &CrawlOptions,
    state: &mut State,
    report: &mut CrawlReport,
) {
    let missing: Vec<(String, String)> = state
        .media
        .iter()
        .filter(|(_, m)| !opts.mirror.join(&m.file).is_file())
        .map(|(u, m)| (u.clone(), m.file.clone()))
        .collect();
    for (url, file) in missing {
        state.media.remove(&url);
        match download_one(api, &opts.mirror, &url, &file, None, opts.max_image).await {
            Ok(Got::New(m)) => {
                report.media_downloaded += 1;
                state.media.insert(url, m);
            }
            Ok(_) => {}
            Err(e) => report.media_failures.push(format!("{url}: {e}")),
        }
    }
}

/// The host of the site being mirrored (its uploads keep their own layout in `media/`).
fn site_host(state: &State) -> String {
    let home = if state.site.home.is_empty() {
        &state.site.url
    } else {
        &state.site.home
    };
    home.split("://")
        .nth(1)
        .unwrap_or(home)
        .split('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Maps every size of an attachment (and its `-scaled` copy) to its original upload.
fn record_sizes(m: &Value, originals: &mut BTreeMap<String, String>) {
    let Some(src) = m.get("source_url").and_then(Value::as_str) else {
        return;
    };
    let details = m.get("media_details");
    let original = match details
        .and_then(|d| d.get("original_image"))
        .and_then(Value::as_str)
    {
        Some(name) if !name.contains('/') => match src.rfind('/') {
            Some(i) => format!("{}/{name}", &src[..i]),
            None => src.to_string(),
        },
        _ => src.to_string(),
    };
    originals.insert(src.to_string(), original.clone());
    if let Some(sizes) = details
        .and_then(|d| d.get("sizes"))
        .and_then(Value::as_object)
    {
        for s in sizes.values() {
            if let Some(u) = s.get("source_url").and_then(Value::as_str) {
                originals.insert(u.to_string(), original.clone());
            }
        }
    }
}

enum Got {
    New(MediaState),
    NotModified,
    /// Already in the mirror and unchanged by this run: not requested at all.
    Kept,
}

async fn download_one(
    api: &Api,
    mirror: &Path,
    url: &str,
    file: &str,
    prev: Option<&MediaState>,
    max: u64,
) -> Result<Got, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    // A file an interrupted run wrote (complete: writes are atomic) but did not record.
    if prev.is_none()
        && let Some(bytes) = crate::output::read_regular(&mirror.join(file))
        && crate::fetch::sniff(&bytes).is_some()
    {
        return Ok(Got::New(MediaState {
            file: file.to_string(),
            sha256: sha256_hex(&bytes),
            etag: None,
            last_modified: None,
        }));
    }
    let have = prev.filter(|p| mirror.join(&p.file).is_file());
    // An unchanged image of a changed post: ask with the validators we kept.
    let (etag, lm) = match have {
        Some(p) if p.etag.is_some() || p.last_modified.is_some() => {
            (p.etag.as_deref(), p.last_modified.as_deref())
        }
        Some(_) => return Ok(Got::Kept),
        None => (None, None),
    };
    let resp = match api
        .download(&parsed, etag, lm, max)
        .await
        .map_err(|e| e.reason())?
    {
        None => return Ok(Got::NotModified),
        Some(r) => r,
    };
    if crate::fetch::sniff(&resp.body).is_none() {
        return Err("not an image (the bytes are not a known image format)".into());
    }
    let path = mirror.join(file);
    if let Some(parent) = path.parent() {
        crate::output::make_dirs(mirror, parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    write_atomic(&path, &resp.body).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Got::New(MediaState {
        file: file.to_string(),
        sha256: sha256_hex(&resp.body),
        etag: resp.header("etag"),
        last_modified: resp.header("last-modified"),
    }))
}
