//! `unpress fetch` against a WordPress-shaped server on 127.0.0.1 that injects faults: 429 with
//! Retry-After, 500/503, resets, truncated bodies, a hanging response, malformed JSON, missing
//! pagination headers and a redirect loop. Transient faults leave a mirror identical to a clean
//! run's; permanent ones are reported exactly while everything else completes. Also: incremental
//! re-runs, deletions, discovery fallbacks and secrets.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The fake site's content, changeable between runs.
#[derive(Clone)]
struct Site {
    posts: BTreeMap<u64, (String, String)>, // id → (modified_gmt, extra text)
    pages: u64,
}

impl Site {
    fn new(n: u64) -> Self {
        Site {
            posts: (1..=n)
                .map(|i| {
                    (
                        i,
                        (
                            format!("2024-01-01T00:{:02}:{:02}", i / 60 % 60, i % 60),
                            String::new(),
                        ),
                    )
                })
                .collect(),
            pages: 3,
        }
    }
}

/// Which faults to inject: (path substring, on which hits, what).
#[derive(Clone, Default)]
struct Faults {
    rules: Vec<(String, Vec<usize>, FaultKind)>,
}

#[derive(Clone, Copy, Debug)]
enum FaultKind {
    Status(u16),
    TooMany,
    Reset,
    Truncate,
    Hang,
    BadJson,
    NoPagination,
    RedirectLoop,
    /// Answer normally, 40 ms late.
    Slow,
}

impl Faults {
    fn on(mut self, path: &str, hits: &[usize], k: FaultKind) -> Self {
        self.rules.push((path.to_string(), hits.to_vec(), k));
        self
    }
    /// `hits` empty means every time.
    fn find(&self, path: &str, n: usize) -> Option<FaultKind> {
        self.rules
            .iter()
            .find(|(p, hits, _)| {
                path.contains(p.as_str()) && (hits.is_empty() || hits.contains(&n))
            })
            .map(|(_, _, k)| *k)
    }
}

fn query(path: &str, key: &str) -> Option<String> {
    let q = path.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn json(v: serde_json::Value) -> Reply {
    Reply::ok("application/json", v.to_string().as_bytes())
}

fn post_json(base: &str, id: u64, modified: &str, extra: &str, kind: &str) -> serde_json::Value {
    let img = id % 7 + 1;
    serde_json::json!({
        "id": id, "type": kind, "slug": format!("{kind}-{id}"), "status": "publish",
        "date": "2024-01-01T09:00:00", "date_gmt": "2024-01-01T00:00:00",
        "modified": modified, "modified_gmt": modified,
        "link": format!("{base}/{kind}-{id}/"),
        "title": {"rendered": format!("{kind} {id}")},
        "content": {"rendered": format!(
            "<p>Text of {id} {extra}</p><figure class=\"wp-block-image\"><img src=\"{base}/wp-content/uploads/2024/01/img-{img}-300x200.jpg\" class=\"wp-image-{}\" alt=\"\"></figure>",
            1000 + img
        ), "protected": false},
        "excerpt": {"rendered": ""},
        "author": 1, "featured_media": 1000 + img, "categories": [1], "tags": []
    })
}

fn media_json(base: &str, id: u64) -> serde_json::Value {
    let k = id - 1000;
    serde_json::json!({
        "id": id, "media_type": "image",
        "source_url": format!("{base}/wp-content/uploads/2024/01/img-{k}-scaled.jpg"),
        "media_details": {"width": 2560, "height": 1600, "original_image": format!("img-{k}.jpg"),
            "sizes": {"medium": {"source_url": format!("{base}/wp-content/uploads/2024/01/img-{k}-300x200.jpg"), "width": 300}}}
    })
}

fn start(site: Arc<Mutex<Site>>, faults: Faults, plain_permalinks: bool) -> Server {
    let base_cell: Arc<Mutex<String>> = Arc::default();
    let bc = base_cell.clone();
    let server = Server::start(move |path, n| {
        let base = bc.lock().unwrap().clone();
        if let Some(k) = faults.find(path, n) {
            match k {
                FaultKind::Status(s) => return Reply::status(s),
                FaultKind::TooMany => {
                    let mut r = Reply::status(429);
                    r.headers.push(("Retry-After".into(), "1".into()));
                    return r;
                }
                FaultKind::Reset => {
                    return Reply {
                        fault: Fault::Reset,
                        ..Reply::status(200)
                    };
                }
                FaultKind::Hang => {
                    return Reply {
                        delay: Duration::from_secs(5),
                        ..Reply::status(200)
                    };
                }
                FaultKind::RedirectLoop => {
                    let mut r = Reply::status(302);
                    r.headers.push(("Location".into(), path.to_string()));
                    return r;
                }
                FaultKind::BadJson => return Reply::ok("application/json", b"[{\"id\": 1,"),
                FaultKind::Truncate | FaultKind::NoPagination | FaultKind::Slow => {}
            }
        }
        let fault = faults.find(path, n);
        let mut r = route(&base, path, &site.lock().unwrap(), plain_permalinks);
        if matches!(fault, Some(FaultKind::Truncate)) {
            r.fault = Fault::Truncate;
        }
        if matches!(fault, Some(FaultKind::Slow)) {
            r.delay = Duration::from_millis(40);
        }
        if matches!(fault, Some(FaultKind::NoPagination)) {
            r.headers.retain(|(k, _)| !k.starts_with("X-WP-"));
        }
        r
    });
    *base_cell.lock().unwrap() = server.base.clone();
    server
}

fn route(base: &str, path: &str, site: &Site, plain: bool) -> Reply {
    // With plain permalinks, /wp-json/ is the home page (HTML, status 200).
    let route_path = if let Some(r) = query(path, "rest_route") {
        r
    } else if let Some(rest) = path
        .split('?')
        .next()
        .unwrap_or("")
        .strip_prefix("/wp-json")
    {
        if plain {
            return Reply::ok("text/html", b"<html>home</html>");
        }
        rest.to_string()
    } else {
        let p = path.split('?').next().unwrap_or("");
        if p == "/" {
            let mut r = Reply::ok("text/html", b"<html>home</html>");
            if !plain {
                r.headers.push((
                    "Link".into(),
                    format!("<{base}/wp-json/>; rel=\"https://api.w.org/\""),
                ));
            }
            return r;
        }
        if p.starts_with("/wp-content/uploads/") {
            return Reply::ok("image/jpeg", JPEG);
        }
        return Reply::status(404);
    };
    let per_page: usize = query(path, "per_page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let page: usize = query(path, "page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let list = |items: Vec<serde_json::Value>| {
        let total = items.len();
        let pages = total.div_ceil(per_page).max(1);
        if page > pages && total > 0 || (total == 0 && page > 1) {
            let mut r = Reply::ok(
                "application/json",
                br#"{"code":"rest_post_invalid_page_number","message":"The page number requested is larger than the number of pages available.","data":{"status":400}}"#,
            );
            r.status = 400;
            return r;
        }
        let slice: Vec<_> = items
            .into_iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .collect();
        let mut r = json(serde_json::Value::Array(slice));
        r.headers.push(("X-WP-Total".into(), total.to_string()));
        r.headers
            .push(("X-WP-TotalPages".into(), pages.to_string()));
        r
    };
    match route_path.trim_end_matches('/') {
        "" => json(
            serde_json::json!({"name": "Fake", "description": "A test site", "url": base, "home": base,
            "gmt_offset": 9, "timezone_string": "Asia/Tokyo", "namespaces": ["wp/v2"], "routes": {}}),
        ),
        "/wp/v2/types" => json(serde_json::json!({
            "post": {"slug": "post", "rest_base": "posts", "rest_namespace": "wp/v2"},
            "page": {"slug": "page", "rest_base": "pages", "rest_namespace": "wp/v2"},
            "attachment": {"slug": "attachment", "rest_base": "media", "rest_namespace": "wp/v2"},
            "wp_block": {"slug": "wp_block", "rest_base": "blocks", "rest_namespace": "wp/v2"}
        })),
        "/wp/v2/posts" => {
            let mut items: Vec<(u64, String, String)> = site
                .posts
                .iter()
                .map(|(id, (m, e))| (*id, m.clone(), e.clone()))
                .collect();
            if query(path, "orderby").as_deref() == Some("modified") {
                items.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
            }
            if query(path, "_fields").as_deref() == Some("id") {
                return list(
                    items
                        .iter()
                        .map(|(id, _, _)| serde_json::json!({"id": id}))
                        .collect(),
                );
            }
            list(
                items
                    .iter()
                    .map(|(id, m, e)| post_json(base, *id, m, e, "post"))
                    .collect(),
            )
        }
        "/wp/v2/pages" => list(
            (1..=site.pages)
                .map(|i| post_json(base, 5000 + i, "2023-05-05T05:05:05", "", "page"))
                .collect(),
        ),
        "/wp/v2/categories" => list(vec![
            serde_json::json!({"id": 1, "name": "News", "taxonomy": "category", "slug": "news"}),
        ]),
        "/wp/v2/tags" => list(vec![]),
        "/wp/v2/users" => {
            let mut r = json(
                serde_json::json!({"code": "rest_user_cannot_view", "message": "Sorry, you are not allowed to list users."}),
            );
            r.status = 401;
            r
        }
        "/wp/v2/media" => {
            let ids: Vec<u64> = query(path, "include")
                .unwrap_or_default()
                .split(',')
                .filter_map(|s| s.parse().ok())
                .collect();
            list(ids.into_iter().map(|id| media_json(base, id)).collect())
        }
        _ => Reply::status(404),
    }
}

fn fetch(server: &Server, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "fetch",
        server.base.as_str(),
        "--out",
        out.to_str().unwrap(),
    ];
    if !extra.contains(&"--retries") {
        args.extend(["--retries", "4"]);
    }
    if !extra.contains(&"--timeout") {
        args.extend(["--timeout", "2"]);
    }
    args.extend_from_slice(extra);
    unpress(&args)
}

fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    file_tree(dir).into_iter().collect()
}

/// What must be identical between two mirrors of the same site (reports hold timings and counts),
/// with the server's address (a port that differs between runs) taken out.
fn content(mirror: &Path, base: &str) -> BTreeMap<String, Vec<u8>> {
    let mut t = tree(mirror);
    t.retain(|k, _| !k.ends_with("fetch-report.json") && !k.ends_with("unpress-report.json"));
    for (k, v) in t.iter_mut() {
        if let Ok(s) = String::from_utf8(v.clone()) {
            let mut s = s.replace(base, "BASE");
            // The state's hashes are of bytes that hold the address.
            if k == "unpress-mirror.json" {
                s = s
                    .lines()
                    .filter(|l| !l.contains("\"sha256\""))
                    .collect::<Vec<_>>()
                    .join("\n");
            }
            *v = s.into_bytes();
        }
    }
    t
}

/// A JSON array of strings, as strings.
fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect()
}

fn report(mirror: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(mirror.join("fetch-report.json")).unwrap()).unwrap()
}

#[test]
fn clean_mirror_is_complete_and_converted() {
    let site = Arc::new(Mutex::new(Site::new(230)));
    let server = start(site, Faults::default(), false);
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("m");
    let o = fetch(&server, &m, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(o.stderr.is_empty(), "quiet on success: {}", text(&o.stderr));
    let t = tree(&m);
    assert_eq!(
        t.keys().filter(|k| k.starts_with("items/posts/")).count(),
        230
    );
    assert_eq!(
        t.keys().filter(|k| k.starts_with("items/pages/")).count(),
        3
    );
    // Originals were downloaded (not the -300x200 or -scaled copies), once each.
    let media: Vec<&String> = t.keys().filter(|k| k.starts_with("media/")).collect();
    assert_eq!(media.len(), 7, "{media:?}");
    assert!(
        media
            .iter()
            .all(|k| !k.contains("-300x200") && !k.contains("-scaled")),
        "{media:?}"
    );
    assert_eq!(server.hits("/wp-content/uploads/2024/01/img-1.jpg"), 1);
    // Converted with local images.
    let md = String::from_utf8(t["site/post-1/index.md"].clone()).unwrap();
    assert!(md.contains("![](img-2.jpg)"), "{md}");
    let r = report(&m);
    let posts = r["crawl"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["rest_base"] == "posts")
        .unwrap();
    assert_eq!(posts["total"], 230);
    assert_eq!(
        r["crawl"]["skipped_types"],
        serde_json::json!(["attachment", "wp_block"])
    );
    assert!(r["crawl"]["notes"][0].as_str().unwrap().contains("users"));
    assert_eq!(r["convert"]["converted"], 233);
}

#[test]
fn transient_faults_give_a_mirror_identical_to_a_clean_run() {
    let d = tempfile::tempdir().unwrap();
    let clean = d.path().join("clean");
    let clean_server = start(
        Arc::new(Mutex::new(Site::new(230))),
        Faults::default(),
        false,
    );
    assert_eq!(fetch(&clean_server, &clean, &[]).status.code(), Some(0));

    let faults = Faults::default()
        .on("/wp/v2/types", &[1], FaultKind::Status(503))
        .on("page=2", &[1], FaultKind::TooMany)
        .on("page=3", &[1], FaultKind::Reset)
        .on("/wp/v2/pages", &[1], FaultKind::Truncate)
        .on("img-3.jpg", &[1], FaultKind::Truncate)
        .on("img-4.jpg", &[1, 2], FaultKind::Status(500))
        // A page that breaks at 100 items but not at 10 (one plugin's filter choking).
        .on("per_page=100&page=2", &[], FaultKind::Status(500));
    let server = start(Arc::new(Mutex::new(Site::new(230))), faults, false);
    let faulty = d.path().join("faulty");
    let o = fetch(&server, &faulty, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let (a, b) = (
        content(&clean, &clean_server.base),
        content(&faulty, &server.base),
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert!(
            b[k] == *v,
            "{k} differs:\n{}\n---\n{}",
            String::from_utf8_lossy(v),
            String::from_utf8_lossy(&b[k])
        );
    }
}

#[test]
fn permanent_faults_are_reported_and_everything_else_completes() {
    let faults = Faults::default()
        // Post 150 is broken: its listing page fails at every size down to the item itself.
        .on("per_page=100&page=2", &[], FaultKind::Status(500))
        .on("per_page=10&page=15", &[], FaultKind::Status(500))
        .on("per_page=1&page=150", &[], FaultKind::Status(500))
        .on("/wp/v2/tags", &[], FaultKind::BadJson)
        .on("img-5.jpg", &[], FaultKind::Hang)
        .on("img-6.jpg", &[], FaultKind::RedirectLoop)
        .on("img-7.jpg", &[], FaultKind::Status(404));
    let server = start(Arc::new(Mutex::new(Site::new(230))), faults, false);
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("m");
    let o = fetch(&server, &m, &["--retries", "1", "--timeout", "1"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let t = tree(&m);
    assert_eq!(
        t.keys().filter(|k| k.starts_with("items/posts/")).count(),
        229
    );
    assert!(!t.contains_key("items/posts/150.json"));
    let r = report(&m);
    let failures = strings(&r["crawl"]["failures"]);
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(
        failures
            .iter()
            .any(|f| f.contains("item 150") && f.contains("500")),
        "{failures:?}"
    );
    assert!(
        failures
            .iter()
            .any(|f| f.contains("tags") && f.contains("not valid JSON")),
        "{failures:?}"
    );
    let media = strings(&r["crawl"]["media_failures"]);
    assert_eq!(media.len(), 3, "{media:?}");
    assert!(
        media
            .iter()
            .any(|f| f.contains("img-5.jpg") && f.contains("timed out")),
        "{media:?}"
    );
    assert!(
        media
            .iter()
            .any(|f| f.contains("img-6.jpg") && f.contains("redirect")),
        "{media:?}"
    );
    assert!(
        media
            .iter()
            .any(|f| f.contains("img-7.jpg") && f.contains("404")),
        "{media:?}"
    );
    let e = text(&o.stderr);
    assert!(e.contains("item 150"), "{e}");
}

#[test]
fn missing_pagination_headers_and_malformed_pages_are_survived() {
    let faults = Faults::default().on("/wp/v2/posts", &[], FaultKind::NoPagination);
    let server = start(Arc::new(Mutex::new(Site::new(120))), faults, false);
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("m");
    let o = fetch(&server, &m, &["--no-images"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        tree(&m)
            .keys()
            .filter(|k| k.starts_with("items/posts/"))
            .count(),
        120
    );
}

#[test]
fn a_rerun_with_nothing_changed_lists_once_per_type_and_downloads_nothing() {
    let site = Arc::new(Mutex::new(Site::new(230)));
    let server = start(site.clone(), Faults::default(), false);
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("m");
    assert_eq!(fetch(&server, &m, &[]).status.code(), Some(0));
    let before = server.log.lock().unwrap().len();
    let o = fetch(&server, &m, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let log: Vec<String> = server.log.lock().unwrap()[before..]
        .iter()
        .map(|s| s.path.clone())
        .collect();
    let listings = |base: &str| {
        log.iter()
            .filter(|p| {
                p.contains(&format!("/wp/v2/{base}?")) || p.contains(&format!("/wp/v2/{base}&"))
            })
            .count()
    };
    assert_eq!(listings("posts"), 1, "{log:#?}");
    assert_eq!(listings("pages"), 1, "{log:#?}");
    assert!(
        !log.iter()
            .any(|p| p.contains("/uploads/") || p.contains("/wp/v2/media")),
        "{log:#?}"
    );
    let r = report(&m);
    assert_eq!(r["crawl"]["changed"].as_array().unwrap().len(), 0);
    // Only items modified in the very second of the last sync are looked at again.
    assert!(r["crawl"]["unchanged"].as_u64().unwrap() <= 4, "{r}");

    // Edit one post and delete another: exactly those are seen.
    {
        let mut s = site.lock().unwrap();
        s.posts
            .insert(7, ("2025-02-02T02:02:02".into(), "edited".into()));
        s.posts.remove(&9);
    }
    let before = server.log.lock().unwrap().len();
    let o = fetch(&server, &m, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let r = report(&m);
    assert_eq!(r["crawl"]["changed"], serde_json::json!(["posts/7"]));
    assert_eq!(r["crawl"]["deleted"], serde_json::json!(["posts/9"]));
    assert!(
        text(&o.stderr).contains("1 deleted (moved aside)"),
        "{}",
        text(&o.stderr)
    );
    assert!(m.join("deleted/posts/9.json").is_file() && !m.join("items/posts/9.json").exists());
    assert!(m.join("deleted/site/post-9").is_dir() && !m.join("site/post-9").exists());
    let md = std::fs::read_to_string(m.join("site/post-7/index.md")).unwrap();
    assert!(md.contains("edited"), "{md}");
    // The site's report still covers every post, less the deleted one.
    let site: serde_json::Value =
        serde_json::from_slice(&std::fs::read(m.join("site/unpress-report.json")).unwrap())
            .unwrap();
    assert_eq!(
        site["posts"].as_array().unwrap().len(),
        229 + 3,
        "{}",
        site["summary"]
    );
    assert_eq!(site["summary"]["converted"], 232);
    let log: Vec<String> = server.log.lock().unwrap()[before..]
        .iter()
        .map(|s| s.path.clone())
        .collect();
    assert!(
        !log.iter().any(|p| p.contains("/uploads/")),
        "its image was already there: {log:#?}"
    );
}

#[test]
fn plain_permalink_sites_are_found_through_rest_route() {
    let server = start(Arc::new(Mutex::new(Site::new(5))), Faults::default(), true);
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("m");
    let o = fetch(&server, &m, &["--no-images"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(m.join("unpress-mirror.json")).unwrap()).unwrap();
    assert!(
        state["site"]["api_root"]
            .as_str()
            .unwrap()
            .contains("rest_route"),
        "{state}"
    );
    assert_eq!(
        tree(&m)
            .keys()
            .filter(|k| k.starts_with("items/posts/"))
            .count(),
        5
    );
}

#[test]
fn no_api_is_a_clear_fatal_error() {
    let server = Server::start(|_, _| Reply::ok("text/html", b"<html>not wordpress</html>"));
    let d = tempfile::tempdir().unwrap();
    let o = unpress(&[
        "fetch",
        &server.base,
        "--out",
        d.path().join("m").to_str().unwrap(),
        "--retries",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no WordPress REST API found"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn the_application_password_is_sent_to_the_api_only_and_written_nowhere() {
    let server = start(Arc::new(Mutex::new(Site::new(5))), Faults::default(), false);
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("m");
    let secret = "abcd EFGH ijkl MNOP";
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_unpress"))
        .args([
            "fetch",
            &server.base,
            "--out",
            m.to_str().unwrap(),
            "--user",
            "editor",
            "-v",
        ])
        .env("UNPRESS_APP_PASSWORD", secret)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let log = server.log.lock().unwrap().clone();
    for s in &log {
        let api = s.path.contains("wp-json") || s.path.contains("rest_route");
        if api {
            assert!(
                s.authorization
                    .as_deref()
                    .is_some_and(|a| a.starts_with("Basic ")),
                "{s:?}"
            );
            assert!(
                s.path.contains("context=edit") || s.path.ends_with("/wp-json/"),
                "{s:?}"
            );
        } else {
            assert!(s.authorization.is_none(), "credentials leaked to {s:?}");
        }
    }
    assert!(log.iter().any(|s| s.path.contains("status=any")));
    for (name, bytes) in tree(&m) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "{name} holds the password"
        );
    }
    assert!(!text(&o.stderr).contains(secret) && !text(&o.stdout).contains(secret));
}

#[test]
fn user_without_password_is_a_usage_error() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_unpress"))
        .args([
            "fetch",
            "http://127.0.0.1:9",
            "--out",
            "/tmp/x",
            "--user",
            "ed",
        ])
        .env_remove("UNPRESS_APP_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("UNPRESS_APP_PASSWORD"));
}

#[test]
fn a_run_killed_midway_leaves_no_half_files_and_the_next_run_completes_it() {
    let d = tempfile::tempdir().unwrap();
    let clean = d.path().join("clean");
    let clean_server = start(
        Arc::new(Mutex::new(Site::new(230))),
        Faults::default(),
        false,
    );
    assert_eq!(fetch(&clean_server, &clean, &[]).status.code(), Some(0));

    // Every response slowed down, so that the kill lands in the middle of the work.
    let slow = Faults::default().on("", &[], FaultKind::Slow);
    let server = start(Arc::new(Mutex::new(Site::new(230))), slow, false);
    let m = d.path().join("m");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_unpress"))
        .args(["fetch", &server.base, "--out", m.to_str().unwrap(), "-q"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let killed_requests = server.log.lock().unwrap().len();
    assert!(
        killed_requests > 3,
        "the kill came too early to test anything"
    );
    // Whatever is there is whole: every item file parses.
    for (name, bytes) in tree(&m) {
        if name.starts_with("items/") && name.ends_with(".json") {
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
    let o = fetch(&server, &m, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        !tree(&m).keys().any(|k| k.contains(".unpress-")),
        "temporary files left"
    );
    let (a, b) = (
        content(&clean, &clean_server.base),
        content(&m, &server.base),
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert!(b[k] == *v, "{k} differs");
    }
}

#[test]
fn a_mirror_converts_again_offline_with_its_own_media_and_names() {
    let server = start(
        Arc::new(Mutex::new(Site::new(12))),
        Faults::default(),
        false,
    );
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("m");
    assert_eq!(fetch(&server, &m, &[]).status.code(), Some(0));
    let before = server.log.lock().unwrap().len();
    let out = d.path().join("site2");
    let o = unpress(&[
        "convert",
        m.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        server.log.lock().unwrap().len(),
        before,
        "converting a mirror asks the network nothing"
    );
    // Same names and files as the mirror's own conversion (the reports aside).
    let a = tree(&m.join("site"));
    let b = tree(&out);
    let keys = |t: &BTreeMap<String, Vec<u8>>| {
        t.keys()
            .filter(|k| !k.ends_with("report.json"))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&a), keys(&b));
    assert_eq!(a["post-3/index.md"], b["post-3/index.md"]);
}

#[test]
fn media_left_out_by_an_earlier_run_are_completed_and_the_posts_converted_again() {
    let server = start(
        Arc::new(Mutex::new(Site::new(12))),
        Faults::default(),
        false,
    );
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("m");
    assert_eq!(fetch(&server, &m, &["--no-images"]).status.code(), Some(0));
    assert!(!m.join("media").exists());
    let md = std::fs::read_to_string(m.join("site/post-1/index.md")).unwrap();
    assert!(md.contains("](http"), "remote before: {md}");
    let o = fetch(&server, &m, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        tree(&m).keys().filter(|k| k.starts_with("media/")).count(),
        7
    );
    let md = std::fs::read_to_string(m.join("site/post-1/index.md")).unwrap();
    assert!(md.contains("![](img-2.jpg)"), "local after: {md}");
    let r = report(&m);
    assert_eq!(
        r["crawl"]["media_completed"].as_array().unwrap().len(),
        15,
        "{r}"
    );
    // And once complete, a further run has nothing to do.
    let before = server.log.lock().unwrap().len();
    assert_eq!(fetch(&server, &m, &[]).status.code(), Some(0));
    let log: Vec<String> = server.log.lock().unwrap()[before..]
        .iter()
        .map(|s| s.path.clone())
        .collect();
    assert!(
        !log.iter()
            .any(|p| p.contains("/uploads/") || p.contains("/wp/v2/media")),
        "{log:#?}"
    );
}
