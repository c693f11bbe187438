//! `unpress fetch` against a real WordPress (Debian's package, MariaDB and Apache on loopback,
//! started by `tests/wordpress/start.sh`, which `.ci/run` runs first). Skipped with a notice when
//! no such site is running.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Wp {
    url: String,
    user: String,
    password: String,
}

fn site() -> Option<Wp> {
    let dir = std::env::var("UNPRESS_WP_DIR").unwrap_or_else(|_| "/tmp/unpress-wp".into());
    let env = std::fs::read_to_string(Path::new(&dir).join("env")).ok();
    let get = |k: &str| {
        std::env::var(k).ok().or_else(|| {
            env.as_deref()?.lines().find_map(|l| {
                l.strip_prefix(&format!("{k}="))
                    .map(|v| v.trim().trim_matches('\'').to_string())
            })
        })
    };
    let wp = Wp {
        url: get("UNPRESS_WP_URL")?,
        user: get("UNPRESS_WP_USER")?,
        password: get("UNPRESS_WP_APP_PASSWORD")?,
    };
    let up = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("{}/wp-json/", wp.url),
        ])
        .output()
        .ok()
        .is_some_and(|o| o.stdout == b"200");
    up.then_some(wp)
}

fn skip() -> Option<Wp> {
    let s = site();
    if s.is_none() && std::env::var_os("UNPRESS_REQUIRE_WP").is_some() {
        panic!("UNPRESS_REQUIRE_WP is set but no WordPress answers (see /tmp/unpress-wp/logs)");
    }
    if s.is_none() {
        notice(
            "no WordPress is running (bash tests/wordpress/start.sh starts one); real-site tests skipped",
        );
    }
    s
}

fn fetch(wp: &Wp, mirror: &Path, auth: bool) -> (std::process::Output, serde_json::Value) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_unpress"));
    cmd.args(["fetch", &wp.url, "--out", mirror.to_str().unwrap()]);
    if auth {
        cmd.args(["--user", &wp.user])
            .env("UNPRESS_APP_PASSWORD", &wp.password);
    } else {
        cmd.env_remove("UNPRESS_APP_PASSWORD");
    }
    let o = cmd.output().unwrap();
    let report = std::fs::read(mirror.join("fetch-report.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(serde_json::Value::Null);
    (o, report)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
}

fn count(mirror: &Path, base: &str) -> usize {
    files(&mirror.join("items").join(base)).len()
}

fn total(report: &serde_json::Value, base: &str) -> u64 {
    report["crawl"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["rest_base"] == base)
        .and_then(|t| t["total"].as_u64())
        .unwrap_or_else(|| panic!("no {base} in {report}"))
}

/// Calls the REST API with the Application Password, as an editor's tool would.
fn api(wp: &Wp, method: &str, route: &str, body: Option<&str>) -> serde_json::Value {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-s",
        "-X",
        method,
        "-u",
        &format!("{}:{}", wp.user, wp.password),
    ]);
    if let Some(b) = body {
        cmd.args(["-H", "Content-Type: application/json", "--data", b]);
    }
    cmd.arg(format!("{}/wp-json/{route}", wp.url));
    let o = cmd.output().unwrap();
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{method} {route}: {e}: {}", text(&o.stdout)))
}

#[test]
fn a_real_wordpress_is_mirrored_completely_then_incrementally() {
    let Some(wp) = skip() else { return };
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("anon");

    // Anonymous: what the public sees, counted as the server counts it.
    let (o, r) = fetch(&wp, &m, false);
    assert!(o.status.code() == Some(0), "{}\n{r}", text(&o.stderr));
    assert_eq!(count(&m, "posts") as u64, total(&r, "posts"));
    assert_eq!(count(&m, "pages") as u64, total(&r, "pages"));
    let slugs: Vec<String> = files(&m.join("items/posts"))
        .iter()
        .map(|f| serde_json::from_slice::<serde_json::Value>(&std::fs::read(f).unwrap()).unwrap()["status"].to_string())
        .collect();
    assert!(slugs.iter().all(|s| s == "\"publish\""), "{slugs:?}");
    // Every image is the original upload: no thumbnails, no -scaled copies.
    let media = files(&m.join("media"));
    assert!(!media.is_empty());
    for f in &media {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let sized = name.rsplit_once('-').is_some_and(|(_, s)| {
            let dims = s.split('.').next().unwrap_or("");
            dims == "scaled"
                || dims
                    .split_once('x')
                    .is_some_and(|(w, h)| w.parse::<u32>().is_ok() && h.parse::<u32>().is_ok())
        });
        assert!(!sized, "{name} is not an original upload");
    }
    assert!(
        r["crawl"]["protected"]
            .as_array()
            .is_some_and(|p| !p.is_empty()),
        "{r}"
    );
    assert!(!m.join("site").join("private-notes").exists());

    // With the Application Password: private posts, drafts and scheduled posts come too.
    let a = d.path().join("auth");
    let (o, r) = fetch(&wp, &a, true);
    assert!(o.status.code() == Some(0), "{}\n{r}", text(&o.stderr));
    assert!(total(&r, "posts") > count(&m, "posts") as u64);
    assert_eq!(count(&a, "posts") as u64, total(&r, "posts"));
    let statuses: std::collections::BTreeSet<String> = files(&a.join("items/posts"))
        .iter()
        .map(|f| serde_json::from_slice::<serde_json::Value>(&std::fs::read(f).unwrap()).unwrap()["status"].as_str().unwrap().to_string())
        .collect();
    for s in ["publish", "private", "draft", "future"] {
        assert!(statuses.contains(s), "{s} missing from {statuses:?}");
    }
    for f in files(&a) {
        assert!(
            !String::from_utf8_lossy(&std::fs::read(&f).unwrap()).contains(&wp.password),
            "{} holds the password",
            f.display()
        );
    }

    // A second run downloads nothing.
    let (o, r) = fetch(&wp, &m, false);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(r["crawl"]["changed"].as_array().unwrap().len(), 0, "{r}");
    assert_eq!(r["crawl"]["media_downloaded"], 0, "{r}");

    // A post written, edited, then deleted through the REST API: each run sees exactly that.
    let created = api(
        &wp,
        "POST",
        "wp/v2/posts",
        Some(r#"{"title":"unpress test","content":"<p>first</p>","status":"publish"}"#),
    );
    let id = created["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("{created}"));
    let key = format!("posts/{id}");
    let (_, r) = fetch(&wp, &m, false);
    assert_eq!(r["crawl"]["changed"], serde_json::json!([key]), "{r}");
    // WordPress stamps modified times by the second: make the edit land in a later one.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    api(
        &wp,
        "POST",
        &format!("wp/v2/posts/{id}"),
        Some(r#"{"content":"<p>second</p>"}"#),
    );
    let (_, r) = fetch(&wp, &m, false);
    assert_eq!(r["crawl"]["changed"], serde_json::json!([key]), "{r}");
    let md = std::fs::read_to_string(m.join("site/unpress-test/index.md")).unwrap();
    assert!(md.contains("second"), "{md}");
    api(&wp, "DELETE", &format!("wp/v2/posts/{id}?force=true"), None);
    let (o, r) = fetch(&wp, &m, false);
    assert_eq!(r["crawl"]["deleted"], serde_json::json!([key]), "{r}");
    assert!(text(&o.stderr).contains("1 deleted"), "{}", text(&o.stderr));
    assert!(m.join(format!("deleted/posts/{id}.json")).is_file());
}
