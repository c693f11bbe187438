//! Hostile sites and files, one test per way they were seen to get through: credentials sent
//! off their origin, a post password in a report, writes through planted links, colliding
//! media names, temporary files left by a killed run, lying pagination, private addresses,
//! script-bearing SVG. Servers run on 127.0.0.1, everything else in temporary folders.

mod common;
use common::*;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

type Hook = dyn Fn(&str, usize, &str) -> Option<Reply> + Send + Sync;

type Content = dyn Fn(&str) -> (Vec<Value>, Vec<Value>) + Send + Sync;

/// A small WordPress: discovery, one post type, terms, users refused, media by `include`,
/// uploads served as PNG. `content(base)` gives its posts and media entries;
/// `hook(path, nth hit, base)` answers first when it wants to.
fn wp(
    content: impl Fn(&str) -> (Vec<Value>, Vec<Value>) + Send + Sync + 'static,
    hook: impl Fn(&str, usize, &str) -> Option<Reply> + Send + Sync + 'static,
) -> Server {
    let hook: Arc<Hook> = Arc::new(hook);
    let content: Arc<Content> = Arc::new(content);
    let base_cell: Arc<std::sync::Mutex<String>> = Arc::default();
    let bc = base_cell.clone();
    let server = Server::start(move |path, n| {
        let base = bc.lock().unwrap().clone();
        if let Some(r) = hook(path, n, &base) {
            return r;
        }
        let (posts, media) = content(&base);
        let (p, q) = path.split_once('?').unwrap_or((path, ""));
        let param = |k: &str| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{k}=")).map(str::to_string))
        };
        let list = |items: &[Value]| {
            let per: usize = param("per_page").and_then(|v| v.parse().ok()).unwrap_or(10);
            let page: usize = param("page").and_then(|v| v.parse().ok()).unwrap_or(1);
            let pages = items.len().div_ceil(per).max(1);
            if page > pages {
                let mut r = Reply::ok(
                    "application/json",
                    br#"{"code":"rest_post_invalid_page_number","message":"no such page"}"#,
                );
                r.status = 400;
                return r;
            }
            let slice: Vec<&Value> = items.iter().skip((page - 1) * per).take(per).collect();
            let mut r = Reply::ok("application/json", json!(slice).to_string().as_bytes());
            r.headers
                .push(("X-WP-Total".into(), items.len().to_string()));
            r.headers
                .push(("X-WP-TotalPages".into(), pages.to_string()));
            r
        };
        match p {
            "/" => {
                let mut r = Reply::ok("text/html", b"<html>home</html>");
                r.headers.push((
                    "Link".into(),
                    format!("<{base}/wp-json/>; rel=\"https://api.w.org/\""),
                ));
                r
            }
            "/wp-json/" => Reply::ok(
                "application/json",
                json!({"name": "Hostile", "url": base, "home": base, "namespaces": ["wp/v2"]})
                    .to_string()
                    .as_bytes(),
            ),
            "/wp-json/wp/v2/types" => Reply::ok(
                "application/json",
                br#"{"post":{"slug":"post","rest_base":"posts","rest_namespace":"wp/v2"}}"#,
            ),
            "/wp-json/wp/v2/users/me" => Reply::ok("application/json", b"{\"id\":1}"),
            "/wp-json/wp/v2/categories" | "/wp-json/wp/v2/tags" => list(&[]),
            "/wp-json/wp/v2/posts" => list(&posts),
            "/wp-json/wp/v2/media" => {
                let ids: Vec<u64> = param("include")
                    .unwrap_or_default()
                    .split("%2C")
                    .flat_map(|s| s.split(','))
                    .filter_map(|s| s.parse().ok())
                    .collect();
                let found: Vec<Value> = media
                    .iter()
                    .filter(|m| ids.contains(&m["id"].as_u64().unwrap_or(0)))
                    .cloned()
                    .collect();
                list(&found)
            }
            p if p.starts_with("/wp-content/uploads/") => Reply::ok("image/png", PNG),
            _ => Reply::status(404),
        }
    });
    *base_cell.lock().unwrap() = server.base.clone();
    server
}

fn nothing(_: &str) -> (Vec<Value>, Vec<Value>) {
    (Vec::new(), Vec::new())
}

fn wp_post(base: &str, id: u64, html: &str) -> Value {
    let mut p = post_on(base, id, &format!("post-{id}"), html);
    p["modified_gmt"] = json!("2024-01-02T03:04:05");
    p
}

fn fetch(site: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "fetch",
        site,
        "--out",
        out.to_str().unwrap(),
        "--retries",
        "0",
    ];
    args.extend_from_slice(extra);
    unpress(&args)
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// Every byte unpress left in a folder, as text, for "does the secret appear anywhere".
fn all_text(dir: &Path) -> String {
    file_tree(dir)
        .into_iter()
        .map(|(name, b)| format!("{name}\n{}\n", text(&b)))
        .collect()
}

fn with_password(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_unpress"))
        .args(args)
        .env("UNPRESS_APP_PASSWORD", "abcd efgh ijkl")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn the_application_password_never_reaches_another_origin_on_any_redirect_hop() {
    // B redirects to itself and then back to the site: no hop of it may carry the password.
    let other = Server::start(|path, _| {
        let mut r = Reply::status(302);
        let to = if path.starts_with("/hop1") {
            "/hop2".to_string()
        } else {
            "/hop1".to_string()
        };
        r.headers.push(("Location".into(), to));
        r
    });
    let b = other.base.clone();
    let site = wp(nothing, move |path, _, _| {
        path.starts_with("/wp-json/wp/v2/posts").then(|| {
            let mut r = Reply::status(302);
            r.headers.push(("Location".into(), format!("{b}/hop1")));
            r
        })
    });
    let d = tempfile::tempdir().unwrap();
    let mirror = d.path().join("m");
    let o = with_password(&[
        "fetch",
        &site.base,
        "--out",
        mirror.to_str().unwrap(),
        "--user",
        "admin",
        "--retries",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(
        site.seen().iter().any(|s| s.authorization.is_some()),
        "the site itself got the credentials"
    );
    for s in other.seen() {
        assert!(s.authorization.is_none(), "{} got credentials", s.path);
    }
    let err = text(&o.stderr);
    assert!(err.contains("another origin"), "{err}");
    assert!(!err.contains("abcd efgh") && !all_text(&mirror).contains("abcd efgh"));
}

#[test]
fn credentials_for_127_0_0_1_are_not_sent_to_localhost_on_the_same_port() {
    let site = wp(nothing, |path, _, base| {
        (path.starts_with("/wp-json/wp/v2/posts") && !path.contains("moved=1")).then(|| {
            let port = base.rsplit(':').next().unwrap();
            let mut r = Reply::status(301);
            r.headers.push((
                "Location".into(),
                format!("http://localhost:{port}{path}&moved=1"),
            ));
            r
        })
    });
    let d = tempfile::tempdir().unwrap();
    let o = with_password(&[
        "fetch",
        &site.base,
        "--out",
        d.path().join("m").to_str().unwrap(),
        "--user",
        "admin",
        "--retries",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    for s in site.seen() {
        if s.host
            .as_deref()
            .is_some_and(|h| h.starts_with("localhost"))
        {
            assert!(s.authorization.is_none(), "{} got credentials", s.path);
        }
    }
    assert!(text(&o.stderr).contains("another origin"));
}

#[test]
fn a_redirect_to_a_file_url_is_refused_and_said_so() {
    let site = wp(
        |base| {
            let html = format!(
                "<figure><img src=\"{base}/wp-content/uploads/2024/01/a.png\" alt=\"a\"></figure>"
            );
            (vec![wp_post(base, 1, &html)], vec![])
        },
        |path, _, _| {
            path.starts_with("/wp-content/uploads/").then(|| {
                let mut r = Reply::status(302);
                r.headers
                    .push(("Location".into(), "file:///etc/passwd".into()));
                r
            })
        },
    );
    let d = tempfile::tempdir().unwrap();
    let mirror = d.path().join("m");
    let o = fetch(&site.base, &mirror, &["--no-convert"]);
    let report = read_json(&mirror.join("fetch-report.json"));
    let failures = report["crawl"]["media_failures"].to_string();
    assert!(
        failures.contains("redirect to file: refused"),
        "{failures}\n{}",
        text(&o.stderr)
    );
    assert!(!failures.contains("HTTP 302"), "{failures}");
}

#[test]
fn the_post_password_is_never_written_or_printed() {
    for (status, said) in [
        (403, "the post password was not accepted"),
        (500, "cannot unlock with --post-password"),
    ] {
        let site = wp(
            |base| {
                let mut locked = wp_post(base, 9, "");
                locked["content"] = json!({"rendered": "", "protected": true});
                (vec![locked], vec![])
            },
            move |path, _, _| {
                path.contains("password=").then(|| {
                    let mut r = Reply::ok(
                        "application/json",
                        br#"{"code":"rest_post_incorrect_password","message":"Incorrect post password."}"#,
                    );
                    r.status = status;
                    r
                })
            },
        );
        let d = tempfile::tempdir().unwrap();
        let mirror = d.path().join("m");
        let o = fetch(
            &site.base,
            &mirror,
            &["--post-password", "hunter2-secret", "--no-images"],
        );
        let err = text(&o.stderr);
        assert!(!err.contains("hunter2"), "{err}");
        assert!(
            !all_text(&mirror).contains("hunter2"),
            "written in the mirror"
        );
        let report = read_json(&mirror.join("fetch-report.json"));
        assert!(
            report["crawl"]["failures"].to_string().contains(said),
            "{status}: {}",
            report["crawl"]["failures"]
        );
    }
}

#[test]
fn convert_never_writes_through_a_link_in_the_output_folder() {
    let d = tempfile::tempdir().unwrap();
    let outside = d.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let input = d.path().join("p.json");
    std::fs::write(&input, post(1, "victim", "<p>x</p>").to_string()).unwrap();

    // A bundle folder planted as a link.
    let out = d.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::os::unix::fs::symlink(&outside, out.join("victim")).unwrap();
    let o = unpress(&[
        "convert",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-images",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("symbolic link"),
        "{}",
        text(&o.stderr)
    );
    assert!(files_under(&outside).is_empty(), "written through the link");

    // The flat layout's images folder planted as a link.
    let server = Server::start(|_, _| Reply::ok("image/png", PNG));
    let html = format!(
        "<figure><img src=\"{}/a.png\" alt=\"a\"></figure>",
        server.base
    );
    std::fs::write(
        &input,
        post_on(&server.base, 1, "victim", &html).to_string(),
    )
    .unwrap();
    let flat = d.path().join("flat");
    std::fs::create_dir_all(&flat).unwrap();
    std::os::unix::fs::symlink(&outside, flat.join("images")).unwrap();
    let o = unpress(&[
        "convert",
        input.to_str().unwrap(),
        "--out",
        flat.to_str().unwrap(),
        "--layout",
        "flat",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("symbolic link"));
    assert!(files_under(&outside).is_empty(), "written through the link");

    // A file in a bundle planted as a link to a file outside: replaced, never written through.
    let target = outside.join("precious.txt");
    std::fs::write(&target, "keep me").unwrap();
    let out2 = d.path().join("out2");
    std::fs::create_dir_all(out2.join("victim")).unwrap();
    std::os::unix::fs::symlink(&target, out2.join("victim/index.md")).unwrap();
    std::os::unix::fs::symlink(&target, out2.join("victim/a.png")).unwrap();
    let o = unpress(&[
        "convert",
        input.to_str().unwrap(),
        "--out",
        out2.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    assert!(
        !std::fs::symlink_metadata(out2.join("victim/index.md"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn fetch_never_writes_through_a_link_in_the_mirror() {
    let site = wp(
        |base| (vec![wp_post(base, 1, "<p>x</p>")], vec![]),
        |_, _, _| None,
    );
    let d = tempfile::tempdir().unwrap();
    let outside = d.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let mirror = d.path().join("m");
    std::fs::create_dir_all(&mirror).unwrap();
    std::os::unix::fs::symlink(&outside, mirror.join("items")).unwrap();
    let o = fetch(&site.base, &mirror, &["--no-images"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("symbolic link"),
        "{}",
        text(&o.stderr)
    );
    assert!(files_under(&outside).is_empty(), "written through the link");
}

#[test]
fn mirror_media_whose_names_clean_up_alike_keep_a_file_each() {
    // Three different images whose names all become `a-b.png` once made safe.
    let gif: &[u8] = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
    let bodies: Vec<(&str, &[u8])> = vec![("a%20b.png", PNG), ("a-b.png", JPEG), ("a:b.png", gif)];
    let names: Vec<&'static str> = bodies.iter().map(|(n, _)| *n).collect();
    let served = bodies.clone();
    let site = wp(
        move |base| {
            let html: String = names
                .iter()
                .map(|n| {
                    format!(
                        "<figure><img src=\"{base}/wp-content/uploads/2024/01/{n}\" alt=\"{n}\"></figure>"
                    )
                })
                .collect();
            (vec![wp_post(base, 1, &html)], vec![])
        },
        move |path, _, _| {
            served.iter().find_map(|(name, body)| {
                path.ends_with(&format!("/2024/01/{name}"))
                    .then(|| Reply::ok("image/png", body))
            })
        },
    );
    let d = tempfile::tempdir().unwrap();
    let mirror = d.path().join("m");
    let o = fetch(&site.base, &mirror, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let state = read_json(&mirror.join("unpress-mirror.json"));
    let media = state["media"].as_object().unwrap();
    assert_eq!(media.len(), 3, "{media:?}");
    let mut files = std::collections::BTreeSet::new();
    for (url, m) in media {
        let file = m["file"].as_str().unwrap();
        assert!(files.insert(file.to_lowercase()), "{file} given twice");
        let want = bodies
            .iter()
            .find(|(n, _)| url.ends_with(n))
            .map(|(_, b)| *b)
            .unwrap();
        assert_eq!(std::fs::read(mirror.join(file)).unwrap(), want, "{url}");
    }
}

/// A pid that no process has any more.
fn dead_pid() -> u32 {
    let mut c = std::process::Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

#[test]
fn temporary_files_of_a_killed_book_or_archive_are_removed_by_the_next_run() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("p.json");
    std::fs::write(&input, post(1, "a", "<p>x</p>").to_string()).unwrap();
    let pid = dead_pid();
    let stale = [
        format!(".book.epub.unpress-{pid}-0.tmp"),
        format!(".a.zip.unpress-{pid}-3.tmp"),
    ];
    let out = d.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    for s in &stale {
        std::fs::write(out.join(s), vec![0u8; 1000]).unwrap();
    }
    let bag_tmp = out.join(format!(".bag.unpress-{pid}-1.tmp"));
    std::fs::create_dir_all(bag_tmp.join("data")).unwrap();
    std::fs::write(bag_tmp.join("data/x"), "x").unwrap();
    // A live run's temporary file is left alone.
    let live = out.join(format!(".other.zip.unpress-{}-0.tmp", std::process::id()));
    std::fs::write(&live, "live").unwrap();

    let o = unpress(&[
        "book",
        input.to_str().unwrap(),
        "-o",
        out.join("book.epub").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let src = d.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("f.txt"), "f").unwrap();
    let o = unpress(&[
        "archive",
        src.to_str().unwrap(),
        "-o",
        out.join("a.zip").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".unpress-"))
        .collect();
    assert_eq!(
        left,
        [live.file_name().unwrap().to_string_lossy().into_owned()]
    );
}

#[test]
fn archive_with_a_book_keeps_its_temporaries_beside_the_target_and_a_kill_leaves_none_for_long() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    std::fs::create_dir_all(src.join("media")).unwrap();
    std::fs::write(src.join("p.json"), post(1, "a", "<p>x</p>").to_string()).unwrap();
    // Bytes that do not compress: the zip takes long enough to be caught midway.
    let mut x = 0x2545F4914F6CDD1Du64;
    let noise: Vec<u8> = (0..(48 << 20))
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    std::fs::write(src.join("media/noise.bin"), &noise).unwrap();
    let tmpdir = d.path().join("tmp");
    std::fs::create_dir_all(&tmpdir).unwrap();
    let out = d.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let target = out.join("a.zip");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_unpress"))
        .args([
            "archive",
            src.to_str().unwrap(),
            "-o",
            target.to_str().unwrap(),
            "--epub",
        ])
        .env("TMPDIR", &tmpdir)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let temps = || -> Vec<String> {
        std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".unpress-"))
            .collect()
    };
    let start = std::time::Instant::now();
    while !temps().iter().any(|n| n.starts_with(".a.zip.unpress-")) {
        assert!(start.elapsed().as_secs() < 30, "no temporary file appeared");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        files_under(&tmpdir).is_empty(),
        "nothing in the shared temporary folder"
    );
    assert!(!temps().is_empty());
    let o = unpress(&[
        "archive",
        src.to_str().unwrap(),
        "-o",
        target.to_str().unwrap(),
        "--epub",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(temps().is_empty(), "{:?}", temps());
}

/// Requests the listing of posts made.
fn listing_hits(s: &Server) -> usize {
    s.seen()
        .iter()
        .filter(|r| r.path.starts_with("/wp-json/wp/v2/posts"))
        .count()
}

#[test]
fn a_page_count_of_a_billion_costs_a_few_requests_when_page_2_is_invalid() {
    let site = wp(nothing, |path, _, base| {
        if !path.starts_with("/wp-json/wp/v2/posts") {
            return None;
        }
        if path.contains("page=1&") || path.ends_with("page=1") {
            let items: Vec<Value> = (1..=100).map(|i| wp_post(base, i, "<p>x</p>")).collect();
            let mut r = Reply::ok("application/json", json!(items).to_string().as_bytes());
            r.headers
                .push(("X-WP-TotalPages".into(), "999999999".into()));
            return Some(r);
        }
        let mut r = Reply::ok(
            "application/json",
            br#"{"code":"rest_post_invalid_page_number","message":"no"}"#,
        );
        r.status = 400;
        Some(r)
    });
    let d = tempfile::tempdir().unwrap();
    let mirror = d.path().join("m");
    let o = fetch(&site.base, &mirror, &["--no-images", "--no-convert"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let hits = listing_hits(&site);
    assert!(hits <= 10, "{hits} listing requests");
    assert_eq!(files_under(&mirror.join("items/posts")).len(), 100);
}

#[test]
fn a_server_that_never_runs_out_of_pages_is_read_as_far_as_its_own_count() {
    // Every page number answers 100 new items; X-WP-Total says 150.
    let site = wp(nothing, |path, _, base| {
        if !path.starts_with("/wp-json/wp/v2/posts") {
            return None;
        }
        let page: u64 = path
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix("page="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let items: Vec<Value> = (1..=100)
            .map(|i| wp_post(base, page * 1000 + i, "<p>x</p>"))
            .collect();
        let mut r = Reply::ok("application/json", json!(items).to_string().as_bytes());
        r.headers.push(("X-WP-Total".into(), "150".into()));
        r.headers.push(("X-WP-TotalPages".into(), "2".into()));
        Some(r)
    });
    let d = tempfile::tempdir().unwrap();
    let o = fetch(
        &site.base,
        &d.path().join("m"),
        &["--no-images", "--no-convert"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(listing_hits(&site), 2);
}

#[test]
fn a_server_that_repeats_one_page_forever_is_stopped_at_the_first_repeat() {
    // No pagination headers, and the same page for every page number.
    let site = wp(nothing, |path, _, base| {
        path.starts_with("/wp-json/wp/v2/posts").then(|| {
            let items: Vec<Value> = (1..=100).map(|i| wp_post(base, i, "<p>x</p>")).collect();
            Reply::ok("application/json", json!(items).to_string().as_bytes())
        })
    });
    let d = tempfile::tempdir().unwrap();
    let mirror = d.path().join("m");
    let o = fetch(&site.base, &mirror, &["--no-images", "--no-convert", "-v"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(listing_hits(&site) <= 10, "{}", listing_hits(&site));
    let report = read_json(&mirror.join("fetch-report.json"));
    assert!(
        report["crawl"]["notes"]
            .to_string()
            .contains("earlier pages"),
        "{}",
        report["crawl"]["notes"]
    );
}

/// Mirrors a site of `pages` pages of 100 posts of 12 KB: the peak memory of that run, in MB.
fn mirror_peak(pages: u64) -> f64 {
    let body = "<p>".to_string() + &"本文のテキスト。".repeat(500) + "</p>";
    let site = wp(nothing, move |path, _, base| {
        if !path.starts_with("/wp-json/wp/v2/posts") {
            return None;
        }
        let page: u64 = path
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix("page="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let items: Vec<Value> = (1..=100)
            .map(|i| wp_post(base, page * 1000 + i, &body))
            .collect();
        let mut r = Reply::ok("application/json", json!(items).to_string().as_bytes());
        r.headers
            .push(("X-WP-Total".into(), (pages * 100).to_string()));
        r.headers
            .push(("X-WP-TotalPages".into(), pages.to_string()));
        Some(r)
    });
    let d = tempfile::tempdir().unwrap();
    let mirror = d.path().join("m");
    let (o, peak) = unpress_measured(&[
        "fetch",
        &site.base,
        "--out",
        mirror.to_str().unwrap(),
        "--no-images",
        "--no-convert",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        files_under(&mirror.join("items/posts")).len() as u64,
        pages * 100
    );
    peak
}

#[test]
fn a_long_listing_streams_into_the_mirror_in_bounded_memory() {
    // 80 pages of 1.2 MB: a run that held the listing would need more than its 96 MB.
    let peak = mirror_peak(80);
    eprintln!("peak memory mirroring 96 MB of listing: {peak:.1} MB");
    assert!(peak < 80.0, "{peak:.1} MB");
}

#[test]
fn private_addresses_a_site_names_are_never_requested() {
    // An image on the cloud's metadata address, one on a private network, and a media entry
    // whose "original" of the post's own thumbnail is on a unique-local IPv6 address.
    let site = wp(
        |base| {
            let html = format!(
                "<figure><img src=\"http://169.254.169.254/latest/meta-data/a.png\" alt=\"m\"></figure>\
                 <figure><img src=\"http://10.0.0.1/b.png\" alt=\"p\"></figure>\
                 <figure><img src=\"{base}/wp-content/uploads/2024/01/c-300x200.png\" class=\"wp-image-77\" alt=\"c\"></figure>"
            );
            let media = json!({"id": 77, "source_url": "http://[fd00::1]/c.png",
                "media_details": {"sizes": {"medium": {"source_url":
                    format!("{base}/wp-content/uploads/2024/01/c-300x200.png")}}}});
            (vec![wp_post(base, 1, &html)], vec![media])
        },
        |_, _, _| None,
    );
    let d = tempfile::tempdir().unwrap();
    let mirror = d.path().join("m");
    let start = std::time::Instant::now();
    let o = fetch(&site.base, &mirror, &["--timeout", "60"]);
    assert!(start.elapsed().as_secs() < 20, "a request was attempted");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let failures =
        read_json(&mirror.join("fetch-report.json"))["crawl"]["media_failures"].to_string();
    for want in [
        "169.254.169.254 is a link-local",
        "10.0.0.1 is a private-network",
        "fd00::1",
    ] {
        assert!(failures.contains(want), "{want}: {failures}");
    }
}

#[test]
fn a_saved_post_from_a_public_site_cannot_make_convert_request_this_machine() {
    let server = Server::start(|_, _| Reply::ok("image/png", PNG));
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("p.json");
    let html = format!(
        "<figure><img src=\"{}/a.png\" alt=\"a\"></figure>",
        server.base
    );
    // The post's own site is example.org: this machine's addresses are not its to use.
    std::fs::write(&input, post(1, "a", &html).to_string()).unwrap();
    let out = d.path().join("out");
    let o = unpress(&[
        "convert",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("refused"), "{}", text(&o.stderr));
    assert!(server.seen().is_empty(), "{:?}", server.seen());
}

#[test]
fn an_svg_with_script_served_as_png_is_saved_only_made_safe() {
    let evil: &[u8] = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>fetch('/steal')</script><circle r="4"/></svg>"#;
    let broken: &[u8] =
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><g></svg>"#;
    let server = Server::start(move |path, _| {
        Reply::ok(
            "image/png",
            if path.starts_with("/broken") {
                broken
            } else {
                evil
            },
        )
    });
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("p.json");
    let html = format!(
        "<figure><img src=\"{0}/logo.png\" alt=\"logo\"></figure><figure><img src=\"{0}/broken.png\" alt=\"b\"></figure>",
        server.base
    );
    std::fs::write(&input, post_on(&server.base, 1, "s", &html).to_string()).unwrap();
    let out = d.path().join("out");
    let o = unpress(&[
        "convert",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-v",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "the broken one fails: {}",
        text(&o.stderr)
    );
    let saved: Vec<_> = files_under(&out.join("s"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    let svg = std::fs::read_to_string(&saved[0]).unwrap();
    assert!(!svg.contains("script") && !svg.contains("onload"), "{svg}");
    assert!(svg.contains("<circle"), "{svg}");
    let err = text(&o.stderr);
    assert!(err.contains("made safe"), "{err}");
    assert!(err.contains("not saved"), "{err}");
    let md = std::fs::read_to_string(out.join("s/index.md")).unwrap();
    assert!(
        md.contains("broken.png)"),
        "the broken one keeps its URL: {md}"
    );
}

/// The fastest of three conversions of a post, in seconds.
fn convert_secs(html: &str) -> f64 {
    let p = post(1, "deep", html);
    (0..3)
        .map(|_| {
            let t = std::time::Instant::now();
            let (doc, _) = unpress::read_post(&p).unwrap();
            std::hint::black_box(doc);
            t.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}

#[test]
fn parse_time_is_linear_in_nesting_depth() {
    // Well-formed nesting (the fast path) and nesting behind a misnested start (html5ever).
    for (what, prefix) in [("well-formed", ""), ("misnested", "<b><i>z</b></i>")] {
        let deep = |n: usize| {
            format!(
                "{prefix}{}x{}",
                "<ul><li>".repeat(n),
                "</li></ul>".repeat(n)
            )
        };
        let small = convert_secs(&deep(1_000));
        let big = convert_secs(&deep(10_000));
        eprintln!("{what}: 1,000 deep {small:.3} s, 10,000 deep {big:.3} s");
        assert!(big < small * 15.0, "{what}: {small:.3} s, then {big:.3} s");
    }
}

#[test]
fn text_nested_past_the_depth_limit_is_kept() {
    let n = 2_000;
    let html = format!(
        "<b><i>z</b></i>{}deepest words{}<p>after</p>",
        "<div><span>".repeat(n),
        "</span></div>".repeat(n)
    );
    let (doc, _) = unpress::read_post(&post(1, "deep", &html)).unwrap();
    let md = unpress::write::render(unpress::write::Format::Md, &doc, &Default::default());
    assert!(md.contains("deepest words") && md.contains("after"), "{md}");
}

#[test]
fn a_post_of_a_million_paragraphs_converts_within_sixteen_times_its_size() {
    // Before: 2 million `<p>x</p>` (16 MB) needed about 1 GB.
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("big.json");
    std::fs::write(
        &input,
        post(1, "big", &"<p>x</p>".repeat(1_000_000)).to_string(),
    )
    .unwrap();
    let size_mb = std::fs::metadata(&input).unwrap().len() as f64 / (1 << 20) as f64;
    let out = d.path().join("out");
    let (o, peak) = unpress_measured(&[
        "convert",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--to",
        "md,txt,json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let md = std::fs::read_to_string(out.join("big/index.md")).unwrap();
    assert_eq!(md.matches("\n\nx").count(), 1_000_000);
    let bound = 16.0 * size_mb + 64.0;
    eprintln!("peak memory converting a {size_mb:.1} MB post: {peak:.1} MB (bound {bound:.0} MB)");
    assert!(peak <= bound, "{peak:.1} MB, over {bound:.0} MB");
}
