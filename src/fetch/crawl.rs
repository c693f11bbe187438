//! `unpress fetch`: crawl a site's REST API into a lossless mirror, incrementally and politely.

use super::api::{Api, ApiOptions, Root, discover};
use super::listing::{Pager, item_id, params_without, with};
use crate::mirror::{self, ItemState, State, TypeState};
use crate::output::{safe_component, write_atomic};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
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
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CrawlError::Setup(format!("cannot start the network runtime: {e}")))?;
    let site = super::api::site_url(&opts.site).map_err(CrawlError::Setup)?;
    let mut api_opts = opts.api.clone();
    // The site's own kind of network (a site on 127.0.0.1, or on the office LAN) may be
    // reached; other private addresses never.
    if let Some(host) = site.host() {
        api_opts.client.reach = rt.block_on(super::address::Reach::of_host(&host));
    }
    let api = Api::new(api_opts).map_err(CrawlError::Setup)?;
    let mut report = CrawlReport {
        authenticated: api.authenticated(),
        ..CrawlReport::default()
    };
    rt.block_on(crawl(&api, opts, &mut state, &mut report))?;
    report.requests = api.requests();
    report.items_total = state.items.len();
    state.save(mirror).map_err(|source| CrawlError::Mirror {
        path: mirror.join(mirror::STATE_FILE).display().to_string(),
        source,
    })?;
    Ok((state, report))
}

/// Writes a file of the mirror, never through a symbolic link.
pub(super) fn save(mirror: &Path, rel: &str, bytes: &[u8]) -> Result<(), CrawlError> {
    let path = mirror.join(rel);
    if let Some(parent) = path.parent() {
        crate::output::make_dirs(mirror, parent).map_err(|source| CrawlError::Mirror {
            path: parent.display().to_string(),
            source,
        })?;
    }
    write_atomic(&path, bytes).map_err(|source| CrawlError::Mirror {
        path: path.display().to_string(),
        source,
    })
}

pub(super) fn sha256_hex(b: &[u8]) -> String {
    let d = Sha256::digest(b);
    d.iter().map(|x| format!("{x:02x}")).collect()
}

pub(super) fn bar(enabled: bool, what: &str) -> indicatif::ProgressBar {
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
        let params = with(&ctx, &[("orderby", "id"), ("order", "asc")]);
        match Pager::start(api, &root, route, &params, api_jobs(opts)).await {
            Ok(mut pages) => {
                while let Some(items) = pages.next().await {
                    for raw in items {
                        if let Some(id) = item_id(&raw) {
                            save(mirror, &format!("{dir}/{id}.json"), raw.get().as_bytes())?;
                        }
                    }
                }
                report.failures.append(&mut pages.failures);
                report.notes.extend(pages.note.take());
            }
            Err(e) if matches!(e.status(), Some(401 | 403 | 404)) => {
                report.notes.push(format!(
                    "{route} is not available ({e}); names come from _embedded instead"
                ));
            }
            Err(e) => report.failures.push(format!("{route}: {e}")),
        }
    }

    // Items, type by type, each page written to the mirror as it arrives.
    let bar = bar(opts.progress, "items");
    let mut changed: Vec<String> = Vec::new();
    for t in &types {
        list_type(api, &root, opts, t, &ctx, state, report, &bar, &mut changed).await?;
        // Saved per type: an interrupted run keeps what it finished.
        state.save(mirror).map_err(|source| CrawlError::Mirror {
            path: mirror.join(mirror::STATE_FILE).display().to_string(),
            source,
        })?;
    }
    bar.finish_and_clear();

    if opts.images {
        // Items whose media an earlier run did not finish (interrupted, or --no-images) too.
        let mut keys = changed;
        let listed: BTreeSet<String> = keys.iter().cloned().collect();
        for (key, item) in &state.items {
            if !item.media_done && !item.protected && !listed.contains(key) {
                keys.push(key.clone());
            }
        }
        if !keys.is_empty() {
            super::uploads::fetch_media(api, &root, opts, state, report, &keys, &ctx).await?;
        }
        super::uploads::restore_missing_media(api, opts, state, report).await;
    }
    Ok(())
}

/// Lists one post type into the mirror: everything on a first run, what changed since the last
/// one after; finds deletions when the counts say something disappeared.
#[allow(clippy::too_many_arguments)]
async fn list_type(
    api: &Arc<Api>,
    root: &Root,
    opts: &CrawlOptions,
    t: &PostType,
    ctx: &[(&'static str, String)],
    state: &mut State,
    report: &mut CrawlReport,
    bar: &indicatif::ProgressBar,
    changed: &mut Vec<String>,
) -> Result<(), CrawlError> {
    let mirror = &opts.mirror;
    let route = format!("{}/{}", t.namespace, t.rest_base);
    let mut params = with(ctx, &[("_embed", "1")]);
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
    let since = prev.as_ref().and_then(|p| p.synced_gmt.clone());
    tr.incremental = since.is_some();
    // Newest first when only changes are wanted (the listing stops at the first older item,
    // and pages are not fetched ahead: an unchanged site costs one request); by id otherwise.
    let order: &[(&'static str, &str)] = if since.is_some() {
        &[("orderby", "modified"), ("order", "desc")]
    } else {
        &[("orderby", "id"), ("order", "asc")]
    };
    let ahead = if since.is_some() { 0 } else { api_jobs(opts) };
    let mut pages = match Pager::start(api, root, &route, &with(&params, order), ahead).await {
        Ok(p) => p,
        Err(e) => {
            report.failures.push(format!("{route}: {e}"));
            return Ok(());
        }
    };
    let mut newest = since.clone();
    let mut listed_ids = BTreeSet::new();
    let mut new_items = 0u64;
    'pages: while let Some(items) = pages.next().await {
        for raw in items {
            bar.inc_length(1);
            bar.inc(1);
            if let Some(since) = &since
                && modified_of(&raw).as_str() < since.as_str()
            {
                // Same second counts as changed; the content hash then says whether it did.
                break 'pages;
            }
            tr.listed += 1;
            if let Some(id) = item_id(&raw) {
                listed_ids.insert(id);
                if !known.contains(&id) {
                    new_items += 1;
                }
            }
            let item = keep_item(api, root, opts, t, &route, &params, raw, state, report).await?;
            if let Some((key, modified, is_changed)) = item {
                if newest.as_deref().is_none_or(|n| modified.as_str() > n) {
                    newest = Some(modified);
                }
                if is_changed {
                    changed.push(key);
                }
            }
        }
    }
    report.failures.append(&mut pages.failures);
    report.notes.extend(pages.note.take());
    let total = pages.total;
    tr.total = total;
    // The whole id list: from the listing itself on a first run; on a later run only when the
    // count says something disappeared.
    let complete_ids = if since.is_none() {
        pages.complete().then_some(listed_ids)
    } else if total.is_some_and(|tot| tot != known.len() as u64 + new_items) {
        let id_params = with(
            &params_without(&params, "_embed"),
            &[("_fields", "id"), ("orderby", "id"), ("order", "asc")],
        );
        match Pager::start(api, root, &route, &id_params, api_jobs(opts)).await {
            Ok(mut ids) => {
                let mut all = BTreeSet::new();
                while let Some(items) = ids.next().await {
                    all.extend(items.iter().filter_map(|r| item_id(r)));
                }
                if ids.complete() {
                    Some(all)
                } else {
                    report.failures.append(&mut ids.failures);
                    None
                }
            }
            Err(e) => {
                report
                    .failures
                    .push(format!("{route}: cannot list ids to find deletions: {e}"));
                None
            }
        }
    } else {
        None
    };
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
    Ok(())
}

fn modified_of(raw: &RawValue) -> String {
    #[derive(serde::Deserialize)]
    struct Modified {
        modified_gmt: Option<String>,
        modified: Option<String>,
    }
    serde_json::from_str::<Modified>(raw.get())
        .ok()
        .and_then(|m| m.modified_gmt.or(m.modified))
        .unwrap_or_default()
}

/// Writes one listed item into the mirror (unlocking it first with `--post-password` if it
/// is protected): its key, modified time, and whether it changed since the last run.
#[allow(clippy::too_many_arguments)]
async fn keep_item(
    api: &Arc<Api>,
    root: &Root,
    opts: &CrawlOptions,
    t: &PostType,
    route: &str,
    params: &[(&'static str, String)],
    raw: Box<RawValue>,
    state: &mut State,
    report: &mut CrawlReport,
) -> Result<Option<(String, String, bool)>, CrawlError> {
    let mirror = &opts.mirror;
    let mut raw_text = String::from(raw.get());
    drop(raw);
    let Ok(mut v) = serde_json::from_str::<Value>(&raw_text) else {
        report
            .failures
            .push(format!("{route}: an item is not valid JSON"));
        return Ok(None);
    };
    let Some(id) = v.get("id").and_then(Value::as_u64) else {
        report.failures.push(format!("{route}: an item has no id"));
        return Ok(None);
    };
    let key = format!("{}/{id}", t.rest_base);
    let mut protected = is_protected(&v);
    if protected && let Some(pw) = &opts.post_password {
        let url = root.url(
            &format!("{route}/{id}"),
            &with(
                &params_without(params, "status"),
                &[("password", pw.as_str())],
            ),
        );
        match api.get(&url, false).await {
            Ok(r) => match r.json() {
                Ok(unlocked) if !is_protected(&unlocked) => {
                    raw_text = String::from_utf8_lossy(&r.body).into_owned();
                    v = unlocked;
                    protected = false;
                }
                _ => report
                    .failures
                    .push(format!("{key}: the post password was not accepted")),
            },
            // The password travels in the URL: the error never shows it (nor the URL).
            Err(e) if matches!(e.status(), Some(401 | 403)) => report
                .failures
                .push(format!("{key}: the post password was not accepted")),
            Err(e) => report.failures.push(format!(
                "{key}: cannot unlock with --post-password: {}",
                e.reason()
            )),
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
    drop(v);
    let sha = sha256_hex(raw_text.as_bytes());
    let file = format!(
        "{}/{}/{id}.json",
        mirror::ITEMS,
        safe_component(&t.rest_base)
    );
    let same =
        state.items.get(&key).is_some_and(|i| i.sha256 == sha) && mirror.join(&file).is_file();
    if same {
        report.unchanged += 1;
        return Ok(Some((key, modified, false)));
    }
    save(mirror, &file, raw_text.as_bytes())?;
    let output = state.items.get(&key).and_then(|i| i.output.clone());
    state.items.insert(
        key.clone(),
        ItemState {
            id,
            rest_base: t.rest_base.clone(),
            modified_gmt: modified.clone(),
            sha256: sha,
            file,
            protected,
            output,
            media_done: false,
        },
    );
    report.changed.push(key.clone());
    // Protected items are kept raw, not converted: their media are not wanted.
    Ok(Some((key, modified, !protected)))
}

/// Pages of a listing fetched ahead while one is written: as many as requests may be in flight.
fn api_jobs(opts: &CrawlOptions) -> u64 {
    opts.api.client.jobs.max(1) as u64
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
            crate::output::make_dirs(mirror, parent).map_err(|source| CrawlError::Mirror {
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
            if crate::output::make_dirs(mirror, &aside).is_err() {
                continue;
            }
            if let Some(file) = from.file_name() {
                let _ = std::fs::rename(&from, aside.join(file));
            }
        }
    }
    report.deleted.push(key.to_string());
    Ok(())
}
