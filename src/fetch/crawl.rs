//! `unpress fetch`: crawl a site's REST API into a lossless mirror, incrementally and politely.

use super::api::{Api, ApiError, ApiOptions, Resp, Root, discover};
use crate::mirror::{self, ItemState, MediaState, State, TypeState};
use crate::output::{safe_component, write_atomic};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Post types that are WordPress's own machinery, not content.
const INTERNAL_TYPES: &[&str] = &[
    "attachment",
    "nav_menu_item",
    "wp_block",
    "wp_template",
    "wp_template_part",
    "wp_navigation",
    "wp_global_styles",
    "wp_font_family",
    "wp_font_face",
];

pub struct CrawlOptions {
    pub site: String,
    pub mirror: PathBuf,
    /// Only these post types (slug or REST base).
    pub types: Option<Vec<String>>,
    /// `status=` with authentication (default `any`).
    pub status: Option<String>,
    pub post_password: Option<String>,
    pub images: bool,
    pub max_image: u64,
    pub api: ApiOptions,
    pub progress: bool,
}

/// What one crawl did, for `fetch-report.json` and the summary.
#[derive(Debug, Default, Serialize)]
pub struct CrawlReport {
    pub site: String,
    pub api_root: String,
    pub authenticated: bool,
    pub types: Vec<TypeReport>,
    pub skipped_types: Vec<String>,
    pub notes: Vec<String>,
    pub changed: Vec<String>,
    pub unchanged: usize,
    pub deleted: Vec<String>,
    pub protected: Vec<String>,
    pub failures: Vec<String>,
    pub media_downloaded: usize,
    pub media_not_modified: usize,
    pub media_kept: usize,
    pub media_failures: Vec<String>,
    /// Unchanged items whose media this run completed (their output needs converting again).
    pub media_completed: Vec<String>,
    /// Items the mirror holds after this run.
    pub items_total: usize,
    pub requests: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct TypeReport {
    pub slug: String,
    pub rest_base: String,
    /// `X-WP-Total` as the server said it.
    pub total: Option<u64>,
    /// Items listed in this run (all of them on a first run, the changed ones after).
    pub listed: usize,
    pub incremental: bool,
}

/// A crawl that could not start (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    #[error("{0}")]
    Setup(String),
    #[error("cannot write to the mirror {path}: {source}")]
    Mirror {
        path: String,
        source: std::io::Error,
    },
}

struct PostType {
    slug: String,
    rest_base: String,
    namespace: String,
}

/// Runs the crawl to completion; the state is saved as each type finishes, so an interrupted
/// run resumes where it was.
pub fn run(opts: &CrawlOptions) -> Result<(State, CrawlReport), CrawlError> {
    let mirror = &opts.mirror;
    // The mirror folder is made when there is something to put in it: a site that is not
    // WordPress, or a refused password, leaves nothing behind.
    if mirror.is_file() {
        return Err(CrawlError::Setup(format!(
            "{} is a file, not a folder",
            mirror.display()
        )));
    }
    let mut state = State::load(mirror)
        .map_err(CrawlError::Setup)?
        .unwrap_or_default();
    state.format = 1;
    let api = Api::new(opts.api.clone()).map_err(CrawlError::Setup)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CrawlError::Setup(format!("cannot start the network runtime: {e}")))?;
    let mut report = CrawlReport {
        authenticated: api.authenticated(),
        ..CrawlReport::default()
    };
    rt.block_on(crawl(&api, opts, &mut state, &mut report))?;
    report.requests = api.requests.load(std::sync::atomic::Ordering::Relaxed);
    report.items_total = state.items.len();
    state.save(mirror).map_err(|source| CrawlError::Mirror {
        path: mirror.join(mirror::STATE_FILE).display().to_string(),
        source,
    })?;
    Ok((state, report))
}

fn save(mirror: &Path, rel: &str, bytes: &[u8]) -> Result<(), CrawlError> {
    let path = mirror.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| CrawlError::Mirror {
            path: parent.display().to_string(),
            source,
        })?;
    }
    write_atomic(&path, bytes).map_err(|source| CrawlError::Mirror {
        path: path.display().to_string(),
        source,
    })
}

fn sha256_hex(b: &[u8]) -> String {
    let d = Sha256::digest(b);
    d.iter().map(|x| format!("{x:02x}")).collect()
}

fn bar(enabled: bool, what: &str) -> indicatif::ProgressBar {
    if !enabled {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(0);
    if let Ok(s) = indicatif::ProgressStyle::with_template(&format!(
        "{what:>8} {{bar:30}} {{pos}}/{{len}} {{msg}}"
    )) {
        b.set_style(s);
    }
    b
}

async fn crawl(
    api: &Arc<Api>,
    opts: &CrawlOptions,
    state: &mut State,
    report: &mut CrawlReport,
) -> Result<(), CrawlError> {
    let mirror = &opts.mirror;
    let (root, index) = discover(api, &opts.site).await.map_err(|e| {
        if opts.site.contains("://") {
            CrawlError::Setup(e)
        } else {
            CrawlError::Setup(format!(
                "{e}\n(https:// was assumed; for a site served over plain HTTP, write http://{})",
                opts.site
            ))
        }
    })?;
    let edit_ctx: Vec<(&str, String)> = vec![("context", "edit".into())];
    // Credentials that WordPress does not accept are not an error to it: the request goes on
    // anonymously. Ask who we are, so that a wrong password is said plainly, not found missing later.
    if api.authenticated() {
        match api.get(&root.url("wp/v2/users/me", &edit_ctx), false).await {
            Ok(_) => {}
            Err(e) if matches!(e.status(), Some(401 | 403)) => {
                return Err(CrawlError::Setup(format!(
                    "the user or its Application Password was refused ({e}); check --user and UNPRESS_APP_PASSWORD, and that Application Passwords are enabled"
                )));
            }
            Err(e) => report
                .notes
                .push(format!("could not check the login ({e})")),
        }
    }
    save(mirror, "site.json", &index.body)?;
    let iv = index.json().unwrap_or(Value::Null);
    let s = |k: &str| iv.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    state.site = mirror::SiteInfo {
        url: opts.site.clone(),
        api_root: root.as_str(),
        name: s("name"),
        description: s("description"),
        home: s("home"),
        gmt_offset: iv
            .get("gmt_offset")
            .and_then(|v| v.as_f64().or_else(|| v.as_str()?.parse().ok())),
        timezone_string: s("timezone_string"),
    };
    report.site = opts.site.clone();
    report.api_root = root.as_str();
    let ctx: Vec<(&str, String)> = if api.authenticated() {
        vec![("context", "edit".into())]
    } else {
        Vec::new()
    };

    // Post types.
    let types_resp = api
        .get(&root.url("wp/v2/types", &ctx), false)
        .await
        .map_err(|e| CrawlError::Setup(format!("cannot list post types: {e}")))?;
    save(mirror, "types.json", &types_resp.body)?;
    let tv = types_resp
        .json()
        .map_err(|e| CrawlError::Setup(e.to_string()))?;
    let mut types = Vec::new();
    if let Some(obj) = tv.as_object() {
        for (slug, t) in obj {
            let base = t
                .get("rest_base")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if INTERNAL_TYPES.contains(&slug.as_str()) || base.is_empty() {
                report.skipped_types.push(slug.clone());
                continue;
            }
            if let Some(only) = &opts.types
                && !only.iter().any(|o| o == slug || *o == base)
            {
                continue;
            }
            let namespace = t
                .get("rest_namespace")
                .and_then(Value::as_str)
                .unwrap_or("wp/v2")
                .to_string();
            types.push(PostType {
                slug: slug.clone(),
                rest_base: base,
                namespace,
            });
        }
    }
    // Terms and users: security plugins often block users; that is noted, not fatal.
    for (route, dir) in [
        ("wp/v2/categories", "terms/categories"),
        ("wp/v2/tags", "terms/tags"),
        ("wp/v2/users", mirror::USERS),
    ] {
        match list_all(
            api,
            &root,
            route,
            &with(&ctx, &[("orderby", "id"), ("order", "asc")]),
            report,
        )
        .await
        {
            Ok(listing) => {
                for raw in listing.items {
                    if let Some(id) = item_id(&raw) {
                        save(mirror, &format!("{dir}/{id}.json"), raw.get().as_bytes())?;
                    }
                }
            }
            Err(e) if matches!(e.status(), Some(401 | 403 | 404)) => {
                report.notes.push(format!(
                    "{route} is not available ({e}); names come from _embedded instead"
                ));
            }
            Err(e) => report.failures.push(format!("{route}: {e}")),
        }
    }

    // Items, type by type.
    let bar = bar(opts.progress, "items");
    let mut changed_values: Vec<(String, Value)> = Vec::new();
    for t in &types {
        let route = format!("{}/{}", t.namespace, t.rest_base);
        let mut params = with(&ctx, &[("_embed", "1")]);
        if api.authenticated() {
            params.push((
                "status",
                opts.status.clone().unwrap_or_else(|| "any".into()),
            ));
        } else if let Some(st) = &opts.status {
            params.push(("status", st.clone()));
        }
        let prev = state.types.get(&t.rest_base).cloned();
        let mut tr = TypeReport {
            slug: t.slug.clone(),
            rest_base: t.rest_base.clone(),
            ..TypeReport::default()
        };
        let known: BTreeSet<u64> = state
            .items
            .values()
            .filter(|i| i.rest_base == t.rest_base)
            .map(|i| i.id)
            .collect();
        let (listed, total, complete_ids) = match prev.as_ref().and_then(|p| p.synced_gmt.clone()) {
            Some(since) => {
                tr.incremental = true;
                match list_changed(api, &root, &route, &params, &since).await {
                    Ok((items, total)) => {
                        let new = items
                            .iter()
                            .filter_map(|r| item_id(r))
                            .filter(|id| !known.contains(id))
                            .count() as u64;
                        // Only when the count says something disappeared is the whole id list
                        // fetched: an unchanged site costs one request per type.
                        let ids = if total.is_some_and(|tot| tot != known.len() as u64 + new) {
                            let id_params = with(
                                &params_without(&params, "_embed"),
                                &[("_fields", "id"), ("orderby", "id"), ("order", "asc")],
                            );
                            match list_all(api, &root, &route, &id_params, report).await {
                                Ok(l) => Some(
                                    l.items
                                        .iter()
                                        .filter_map(|r| item_id(r))
                                        .collect::<BTreeSet<u64>>(),
                                ),
                                Err(e) => {
                                    report.failures.push(format!(
                                        "{route}: cannot list ids to find deletions: {e}"
                                    ));
                                    None
                                }
                            }
                        } else {
                            None
                        };
                        (items, total, ids)
                    }
                    Err(e) => {
                        report.failures.push(format!("{route}: {e}"));
                        continue;
                    }
                }
            }
            None => {
                let p = with(&params, &[("orderby", "id"), ("order", "asc")]);
                match list_all(api, &root, &route, &p, report).await {
                    Ok(l) => {
                        let ids = l
                            .items
                            .iter()
                            .filter_map(|r| item_id(r))
                            .collect::<BTreeSet<u64>>();
                        let complete = l.complete.then_some(ids);
                        (l.items, l.total, complete)
                    }
                    Err(e) => {
                        report.failures.push(format!("{route}: {e}"));
                        continue;
                    }
                }
            }
        };
        tr.total = total;
        tr.listed = listed.len();
        bar.inc_length(listed.len() as u64);
        let mut newest = prev.as_ref().and_then(|p| p.synced_gmt.clone());
        for raw in listed {
            bar.inc(1);
            let mut raw_text = raw.get().to_string();
            let Ok(mut v) = serde_json::from_str::<Value>(&raw_text) else {
                report
                    .failures
                    .push(format!("{route}: an item is not valid JSON"));
                continue;
            };
            let Some(id) = v.get("id").and_then(Value::as_u64) else {
                report.failures.push(format!("{route}: an item has no id"));
                continue;
            };
            let key = format!("{}/{id}", t.rest_base);
            let mut protected = is_protected(&v);
            if protected && let Some(pw) = &opts.post_password {
                let url = root.url(
                    &format!("{route}/{id}"),
                    &with(
                        &params_without(&params, "status"),
                        &[("password", pw.as_str())],
                    ),
                );
                match api.get(&url, false).await {
                    Ok(r) => {
                        if let Ok(unlocked) = r.json()
                            && !is_protected(&unlocked)
                        {
                            raw_text = String::from_utf8_lossy(&r.body).into_owned();
                            v = unlocked;
                            protected = false;
                        }
                    }
                    Err(e) => report
                        .failures
                        .push(format!("{key}: cannot unlock with --post-password: {e}")),
                }
            }
            if protected {
                report.protected.push(key.clone());
            }
            let modified = v
                .get("modified_gmt")
                .or_else(|| v.get("modified"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if newest.as_deref().is_none_or(|n| modified.as_str() > n) {
                newest = Some(modified.clone());
            }
            let sha = sha256_hex(raw_text.as_bytes());
            let file = format!(
                "{}/{}/{id}.json",
                mirror::ITEMS,
                safe_component(&t.rest_base)
            );
            let same = state.items.get(&key).is_some_and(|i| i.sha256 == sha)
                && mirror.join(&file).is_file();
            if same {
                report.unchanged += 1;
                continue;
            }
            save(mirror, &file, raw_text.as_bytes())?;
            let output = state.items.get(&key).and_then(|i| i.output.clone());
            state.items.insert(
                key.clone(),
                ItemState {
                    id,
                    rest_base: t.rest_base.clone(),
                    modified_gmt: modified,
                    sha256: sha,
                    file,
                    protected,
                    output,
                    media_done: false,
                },
            );
            report.changed.push(key.clone());
            if !protected {
                changed_values.push((key, v));
            }
        }
        if let Some(ids) = complete_ids {
            for id in known.difference(&ids) {
                move_aside(mirror, state, &format!("{}/{id}", t.rest_base), report)?;
            }
        }
        state.types.insert(
            t.rest_base.clone(),
            TypeState {
                slug: t.slug.clone(),
                synced_gmt: newest,
                total: total.unwrap_or(0),
            },
        );
        report.types.push(tr);
        // Saved per type: an interrupted run keeps what it finished.
        state.save(mirror).map_err(|source| CrawlError::Mirror {
            path: mirror.join(mirror::STATE_FILE).display().to_string(),
            source,
        })?;
    }
    bar.finish_and_clear();

    if opts.images {
        // Items whose media an earlier run did not finish (interrupted, or --no-images) too.
        let mut media_values = changed_values;
        for (key, item) in &state.items {
            if item.media_done || item.protected || media_values.iter().any(|(k, _)| k == key) {
                continue;
            }
            if let Ok(v) = std::fs::read(mirror.join(&item.file))
                .map_err(|_| ())
                .and_then(|b| serde_json::from_slice::<Value>(&b).map_err(|_| ()))
            {
                media_values.push((key.clone(), v));
            }
        }
        if !media_values.is_empty() {
            fetch_media(api, &root, opts, state, report, &media_values, &ctx).await?;
        }
    }
    if opts.images {
        restore_missing_media(api, opts, state, report).await;
    }
    Ok(())
}

/// A recorded file that is no longer in the mirror (deleted by hand, a disk mishap) is fetched
/// again, whether or not its post changed: the mirror stays complete.
async fn restore_missing_media(
    api: &Arc<Api>,
    opts: &CrawlOptions,
    state: &mut State,
    report: &mut CrawlReport,
) {
    let missing: Vec<String> = state
        .media
        .iter()
        .filter(|(_, m)| !opts.mirror.join(&m.file).is_file())
        .map(|(u, _)| u.clone())
        .collect();
    for url in missing {
        state.media.remove(&url);
        match download_one(
            api,
            &opts.mirror,
            &url,
            None,
            opts.max_image,
            &site_host(state),
        )
        .await
        {
            Ok(Got::New(m)) => {
                report.media_downloaded += 1;
                state.media.insert(url, m);
            }
            Ok(_) => {}
            Err(e) => report.media_failures.push(format!("{url}: {e}")),
        }
    }
}

fn with(
    base: &[(&'static str, String)],
    more: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    let mut v = base.to_vec();
    v.extend(more.iter().map(|(k, val)| (*k, val.to_string())));
    v
}

fn params_without(p: &[(&'static str, String)], key: &str) -> Vec<(&'static str, String)> {
    p.iter().filter(|(k, _)| *k != key).cloned().collect()
}

fn item_id(raw: &RawValue) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: u64,
    }
    serde_json::from_str::<Id>(raw.get()).ok().map(|i| i.id)
}

fn is_protected(v: &Value) -> bool {
    let c = v.get("content");
    c.and_then(|c| c.get("protected"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
        && c.and_then(|c| c.get("rendered"))
            .and_then(Value::as_str)
            .is_none_or(|r| r.trim().is_empty())
}

/// Moves a deleted item's JSON under `deleted/`, and records it.
fn move_aside(
    mirror: &Path,
    state: &mut State,
    key: &str,
    report: &mut CrawlReport,
) -> Result<(), CrawlError> {
    let Some(item) = state.items.remove(key) else {
        return Ok(());
    };
    let from = mirror.join(&item.file);
    let to = mirror
        .join(mirror::DELETED)
        .join(item.file.trim_start_matches(&format!("{}/", mirror::ITEMS)));
    if from.is_file() {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|source| CrawlError::Mirror {
                path: parent.display().to_string(),
                source,
            })?;
        }
        std::fs::rename(&from, &to).map_err(|source| CrawlError::Mirror {
            path: to.display().to_string(),
            source,
        })?;
    }
    // Its converted output goes aside too: `site/NAME/` (bundle) or `site/NAME.*` (flat).
    if let Some(name) = &item.output {
        let site = mirror.join(mirror::SITE);
        let aside = mirror.join(mirror::DELETED).join(mirror::SITE);
        let mut moving: Vec<PathBuf> = vec![site.join(name)];
        moving.extend(
            ["md", "txt", "json"]
                .iter()
                .map(|e| site.join(format!("{name}.{e}"))),
        );
        for from in moving.into_iter().filter(|p| p.exists()) {
            let _ = std::fs::create_dir_all(&aside);
            if let Some(file) = from.file_name() {
                let _ = std::fs::rename(&from, aside.join(file));
            }
        }
    }
    report.deleted.push(key.to_string());
    Ok(())
}

struct Listing {
    items: Vec<Box<RawValue>>,
    total: Option<u64>,
    /// Every page was read: the id set is the site's whole list.
    complete: bool,
}

/// Lists a collection completely: pages by `X-WP-TotalPages` (not by a short page: WordPress
/// filters unreadable items after the query), `rest_post_invalid_page_number` as the end, ids
/// deduplicated. A page that fails with 5xx is fetched again in smaller pages, down to single
/// items, so one broken post costs one post.
async fn list_all(
    api: &Arc<Api>,
    root: &Root,
    route: &str,
    params: &[(&'static str, String)],
    report: &mut CrawlReport,
) -> Result<Listing, ApiError> {
    let first = page(api, root, route, params, 100, 1).await?;
    let total = first.header_u64("x-wp-total");
    let pages = first.header_u64("x-wp-totalpages");
    let mut items = split(&first)?;
    let mut complete = true;
    match pages {
        Some(n) => {
            let mut set = tokio::task::JoinSet::new();
            // A server's page count is not trusted beyond what its item count allows.
            let cap = total.map_or(100_000, |t| t.div_ceil(100) + 1).min(100_000);
            for p in 2..=n.min(cap) {
                let (api, root, route, params) = (
                    api.clone(),
                    root.clone(),
                    route.to_string(),
                    params.to_vec(),
                );
                set.spawn(
                    async move { (p, fetch_range(&api, &root, &route, &params, 100, p).await) },
                );
            }
            let mut by_page: BTreeMap<u64, Vec<Box<RawValue>>> = BTreeMap::new();
            while let Some(j) = set.join_next().await {
                let Ok((p, (got, failed))) = j else { continue };
                if !failed.is_empty() {
                    complete = false;
                    report
                        .failures
                        .extend(failed.into_iter().map(|f| format!("{route}: {f}")));
                }
                by_page.insert(p, got);
            }
            items.extend(by_page.into_values().flatten());
        }
        None => {
            // No pagination headers (a proxy stripped them): read on until an empty page.
            let mut p = 2;
            while !items.is_empty() && p < 100_000 {
                let (got, failed) = fetch_range(api, root, route, params, 100, p).await;
                if !failed.is_empty() {
                    complete = false;
                    report
                        .failures
                        .extend(failed.into_iter().map(|f| format!("{route}: {f}")));
                }
                if got.is_empty() {
                    break;
                }
                items.extend(got);
                p += 1;
            }
        }
    }
    let mut seen = BTreeSet::new();
    items.retain(|r| item_id(r).is_none_or(|id| seen.insert(id)));
    Ok(Listing {
        items,
        total,
        complete,
    })
}

async fn page(
    api: &Api,
    root: &Root,
    route: &str,
    params: &[(&'static str, String)],
    per_page: u64,
    page: u64,
) -> Result<Resp, ApiError> {
    let q = with(
        params,
        &[
            ("per_page", &per_page.to_string()),
            ("page", &page.to_string()),
        ],
    );
    api.get(&root.url(route, &q), false).await
}

fn split(r: &Resp) -> Result<Vec<Box<RawValue>>, ApiError> {
    serde_json::from_slice::<Vec<Box<RawValue>>>(&r.body).map_err(|e| ApiError::Json {
        url: r.url.clone(),
        msg: format!("expected an array of items: {e}"),
    })
}

/// Items fetched for a range of a listing, and what could not be.
type RangeFuture<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = (Vec<Box<RawValue>>, Vec<String>)> + Send + 'a>,
>;

/// One page, or, when it fails with a server error, the same items in smaller pages.
fn fetch_range<'a>(
    api: &'a Arc<Api>,
    root: &'a Root,
    route: &'a str,
    params: &'a [(&'static str, String)],
    per_page: u64,
    p: u64,
) -> RangeFuture<'a> {
    Box::pin(async move {
        match page(api, root, route, params, per_page, p)
            .await
            .and_then(|r| split(&r))
        {
            Ok(items) => (items, Vec::new()),
            Err(e) if e.code() == Some("rest_post_invalid_page_number") => (Vec::new(), Vec::new()),
            Err(e) if e.status().is_some_and(|s| s >= 500) && per_page > 1 => {
                let smaller = if per_page > 10 { 10 } else { 1 };
                let k = per_page / smaller;
                let mut items = Vec::new();
                let mut failed = Vec::new();
                for i in 0..k {
                    let (got, f) =
                        fetch_range(api, root, route, params, smaller, (p - 1) * k + i + 1).await;
                    items.extend(got);
                    failed.extend(f);
                }
                (items, failed)
            }
            Err(e) if per_page == 1 => (
                Vec::new(),
                vec![format!("item {p} of the listing could not be fetched: {e}")],
            ),
            Err(e) => (
                Vec::new(),
                vec![format!("page {p} could not be fetched: {e}")],
            ),
        }
    })
}

/// Items modified since the last sync, newest first: one request when nothing changed.
async fn list_changed(
    api: &Arc<Api>,
    root: &Root,
    route: &str,
    params: &[(&'static str, String)],
    since: &str,
) -> Result<(Vec<Box<RawValue>>, Option<u64>), ApiError> {
    let p = with(params, &[("orderby", "modified"), ("order", "desc")]);
    let mut out = Vec::new();
    let mut total = None;
    for n in 1..100_000u64 {
        let r = match page(api, root, route, &p, 100, n).await {
            Ok(r) => r,
            Err(e) if e.code() == Some("rest_post_invalid_page_number") => break,
            Err(e) => return Err(e),
        };
        if n == 1 {
            total = r.header_u64("x-wp-total");
        }
        let items = split(&r)?;
        let count = items.len();
        let mut older = false;
        for raw in items {
            let m = serde_json::from_str::<Value>(raw.get())
                .ok()
                .and_then(|v| {
                    v.get("modified_gmt")
                        .or_else(|| v.get("modified"))?
                        .as_str()
                        .map(str::to_string)
                })
                .unwrap_or_default();
            // Same second counts as changed; the content hash then says whether it did.
            if m.as_str() >= since {
                out.push(raw);
            } else {
                older = true;
            }
        }
        let pages = r.header_u64("x-wp-totalpages").unwrap_or(1);
        if older || count == 0 || n >= pages {
            break;
        }
    }
    Ok((out, total))
}

/// Attachments the changed items use: their media entries, then the original upload of each
/// (what every thumbnail and `-scaled` copy maps back to), and any other image they show.
async fn fetch_media(
    api: &Arc<Api>,
    root: &Root,
    opts: &CrawlOptions,
    state: &mut State,
    report: &mut CrawlReport,
    items: &[(String, Value)],
    ctx: &[(&'static str, String)],
) -> Result<(), CrawlError> {
    let mirror = &opts.mirror;
    let mut ids = BTreeSet::new();
    for (_, v) in items {
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
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    let mut per_item: Vec<(&String, Vec<String>)> = Vec::new();
    for (key, v) in items {
        let mut diag = crate::diag::Diag::default();
        let mut urls = Vec::new();
        if let Ok(mut doc) = crate::read::wp_json::read_post(v, &mut diag) {
            for u in crate::media::collect(&mut doc) {
                let target = state.originals.get(&u).cloned().unwrap_or(u);
                wanted.insert(target.clone());
                urls.push(target);
            }
        }
        per_item.push((key, urls));
    }
    let bar = bar(opts.progress, "media");
    bar.set_length(wanted.len() as u64);
    let mut set = tokio::task::JoinSet::new();
    let own_host = site_host(state);
    for url in wanted {
        let prev = state.media.get(&url).cloned();
        let api = api.clone();
        let mirror = mirror.clone();
        let max = opts.max_image;
        let host = own_host.clone();
        set.spawn(async move {
            let r = download_one(&api, &mirror, &url, prev.as_ref(), max, &host).await;
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
    prev: Option<&MediaState>,
    max: u64,
    own_host: &str,
) -> Result<Got, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    let file = mirror::media_path(url, own_host);
    // A file an interrupted run wrote (complete: writes are atomic) but did not record.
    if prev.is_none()
        && let Ok(bytes) = std::fs::read(mirror.join(&file))
        && crate::fetch::sniff(&bytes).is_some()
    {
        return Ok(Got::New(MediaState {
            file,
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
        .map_err(|e| e.to_string())?
    {
        None => return Ok(Got::NotModified),
        Some(r) => r,
    };
    if crate::fetch::sniff(&resp.body).is_none() {
        return Err("not an image (the bytes are not a known image format)".into());
    }
    let path = mirror.join(&file);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    write_atomic(&path, &resp.body).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let h = |k: &str| {
        resp.headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    Ok(Got::New(MediaState {
        file,
        sha256: sha256_hex(&resp.body),
        etag: h("etag"),
        last_modified: h("last-modified"),
    }))
}
