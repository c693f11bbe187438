//! The `fetch` command's whole job: crawl into the mirror, convert what changed into
//! `mirror/site/` with the mirror's own media, and write `fetch-report.json`.

use crate::convert::{self, ConvertOptions, Sink};
use crate::fetch::crawl::{self, CrawlOptions, CrawlReport};
use crate::mirror;
use serde::Serialize;

/// What `fetch` did, for the summary and the exit status.
pub struct SyncOutcome {
    pub crawl: CrawlReport,
    pub convert: Option<crate::report::Summary>,
    pub report_path: std::path::PathBuf,
}

impl SyncOutcome {
    pub fn failed(&self) -> bool {
        !self.crawl.failures.is_empty()
            || !self.crawl.media_failures.is_empty()
            || self
                .convert
                .is_some_and(|s| s.failed > 0 || s.images_failed > 0)
    }
}

#[derive(Serialize)]
struct FetchReport<'a> {
    unpress: &'static str,
    crawl: &'a CrawlReport,
    convert: Option<crate::report::Summary>,
}

pub fn run(
    crawl_opts: &CrawlOptions,
    convert_opts: Option<ConvertOptions>,
) -> Result<SyncOutcome, String> {
    let (mut state, report) = crawl::run(crawl_opts).map_err(|e| e.to_string())?;
    let mirror = &crawl_opts.mirror;
    let site = mirror.join(mirror::SITE);
    // What changed is converted again, and what was never converted (an earlier --no-convert);
    // earlier outputs keep their names.
    let changed_keys: std::collections::BTreeSet<&String> = report
        .changed
        .iter()
        .chain(&report.media_completed)
        .collect();
    let changed: Vec<std::path::PathBuf> = state
        .items
        .iter()
        .filter(|(k, i)| !i.protected && (changed_keys.contains(k) || i.output.is_none()))
        .map(|(_, i)| mirror.join(&i.file))
        .collect();
    let mut convert_summary: Option<crate::report::Summary> = None;
    if let Some(mut convert_opts) = convert_opts.filter(|_| !changed.is_empty()) {
        let kinds = mirror::type_slugs(mirror);
        convert_opts.inputs = changed;
        convert_opts.sink = Sink::Folder(site.clone());
        convert_opts.fetch.local = std::sync::Arc::new(state.local_files(mirror));
        // The site is made from the mirror alone: an image the mirror lacks keeps its URL.
        convert_opts.fetch.offline = true;
        convert_opts.record_names = true;
        convert_opts.assigned = state
            .items
            .values()
            .filter_map(|i| Some(((kinds.get(&i.rest_base)?.clone(), i.id), i.output.clone()?)))
            .collect();
        let report_path = site.join("unpress-report.json");
        let earlier = std::fs::read(&report_path)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
        let outcome = convert::run(convert_opts).map_err(|e| e.to_string())?;
        // This run converted only what changed: fold its report into the earlier one, so the
        // site's report still covers every post (and no longer the deleted ones).
        if let Some(earlier) = earlier {
            merge_reports(&report_path, earlier, &report.deleted, &kinds)?;
        }
        let by_kind: std::collections::HashMap<&str, &str> = kinds
            .iter()
            .map(|(base, slug)| (slug.as_str(), base.as_str()))
            .collect();
        for (kind, id, name) in &outcome.names {
            if let Some(base) = by_kind.get(kind.as_str())
                && let Some(item) = state.items.get_mut(&format!("{base}/{id}"))
            {
                item.output = Some(name.clone());
            }
        }
        state
            .save(mirror)
            .map_err(|e| format!("cannot save the mirror state: {e}"))?;
        convert_summary = Some(outcome.summary);
    }
    let report_path = mirror.join("fetch-report.json");
    let doc = FetchReport {
        unpress: env!("CARGO_PKG_VERSION"),
        crawl: &report,
        convert: convert_summary,
    };
    let mut bytes = serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?;
    bytes.push(b'\n');
    crate::output::write_atomic(&report_path, &bytes)
        .map_err(|e| format!("{}: {e}", report_path.display()))?;
    Ok(SyncOutcome {
        crawl: report,
        convert: convert_summary,
        report_path,
    })
}

/// The site report after an incremental run: earlier entries, replaced by this run's for the
/// posts it converted again, without the posts that were deleted; the summary counted afresh.
fn merge_reports(
    path: &std::path::Path,
    earlier: serde_json::Value,
    deleted: &[String],
    kinds: &std::collections::HashMap<String, String>,
) -> Result<(), String> {
    use crate::report::PostReport;
    let err = |e: String| format!("{}: {e}", path.display());
    let mut now: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).map_err(|e| err(e.to_string()))?)
            .map_err(|e| err(e.to_string()))?;
    let posts_of = |v: &serde_json::Value| -> Vec<PostReport> {
        serde_json::from_value(v["posts"].clone()).unwrap_or_default()
    };
    let key = |p: &PostReport| (p.kind.clone().unwrap_or_default(), p.id);
    let gone: std::collections::HashSet<(String, Option<u64>)> = deleted
        .iter()
        .filter_map(|k| {
            let (base, id) = k.split_once('/')?;
            Some((kinds.get(base)?.clone(), id.parse().ok()))
        })
        .collect();
    let fresh = posts_of(&now);
    let fresh_keys: std::collections::HashSet<_> = fresh.iter().map(key).collect();
    let mut posts: Vec<PostReport> = posts_of(&earlier)
        .into_iter()
        .filter(|p| !fresh_keys.contains(&key(p)) && !gone.contains(&key(p)))
        .collect();
    posts.extend(fresh);
    let mut summary = crate::report::Summary::default();
    for p in &posts {
        summary.add(p);
    }
    now["posts"] = serde_json::to_value(&posts).map_err(|e| err(e.to_string()))?;
    now["summary"] = serde_json::to_value(summary).map_err(|e| err(e.to_string()))?;
    let mut bytes = serde_json::to_vec_pretty(&now).map_err(|e| err(e.to_string()))?;
    bytes.push(b'\n');
    crate::output::write_atomic(path, &bytes).map_err(|e| err(e.to_string()))
}
