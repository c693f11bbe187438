//! Image downloads against an HTTP server on 127.0.0.1: success, 404, 500 then 200, slow, wrong
//! content type, oversized, the same URL twice; and the sample with all six images local.

mod common;
use common::*;
use std::time::Duration;

fn report(out: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("unpress-report.json")).unwrap()).unwrap()
}

#[test]
fn sample_images_are_downloaded_once_each_and_referenced_locally() {
    let server = Server::start(|path, _| {
        if path.ends_with(".png") {
            Reply::ok("image/png", PNG)
        } else {
            Reply::ok("image/jpeg", JPEG)
        }
    });
    // The sample escapes its slashes (`https:\/\/…`), as WordPress does.
    let json = sample().replace("https:\\/\\/saito-cl-liver-regeneration.com", &server.base);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("post.json");
    std::fs::write(&input, json).unwrap();
    let out = dir.path().join("out");
    let o = unpress(&[
        "convert",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        o.stderr.is_empty() && o.stdout.is_empty(),
        "quiet on success: {}",
        text(&o.stderr)
    );
    let md = std::fs::read_to_string(out.join("blog-post-2160/index.md")).unwrap();
    let mut files: Vec<String> = std::fs::read_dir(out.join("blog-post-2160"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("index."))
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "image-147.jpeg",
            "image-204.jpg",
            "image-205.jpg",
            "image-759.png",
            "image-760.png",
            "image-761.png"
        ]
    );
    for f in &files {
        assert!(
            md.contains(&format!("]({f})")),
            "{f} not referenced in\n{md}"
        );
    }
    assert!(
        !md.contains("/wp-content/uploads/"),
        "no remote image left:\n{md}"
    );
    assert!(md.contains("featured_image: \"image-204.jpg\""));
    // Used in two figures, fetched once; the widest srcset candidate, not the 800px one.
    assert_eq!(server.hits("/blog/wp-content/uploads/image-760.png"), 1);
    assert_eq!(server.hits("/blog/wp-content/uploads/image-204.jpg"), 1);
    assert_eq!(
        server.hits("/blog/wp-content/uploads/image-204-800x533.jpg"),
        0
    );
    let r = report(&out);
    assert_eq!(r["summary"]["images_downloaded"], 6);
    assert_eq!(r["posts"][0]["images"].as_array().unwrap().len(), 6);
}

fn one_image_post(server: &Server, path: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let html = format!(
        "<p>Before</p><figure><img src=\"{}{path}\" alt=\"pic\"></figure>",
        server.base
    );
    let input = dir.path().join("p.json");
    std::fs::write(&input, post_on(&server.base, 7, "p", &html).to_string()).unwrap();
    (dir, input)
}

fn run_one(
    server: &Server,
    path: &str,
    extra: &[&str],
) -> (std::process::Output, String, serde_json::Value) {
    let (dir, input) = one_image_post(server, path);
    let out = dir.path().join("out");
    let mut args = vec![
        "convert",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = unpress(&args);
    let md = std::fs::read_to_string(out.join("p/index.md")).unwrap_or_default();
    let r = report(&out);
    (o, md, r)
}

#[test]
fn image_404_is_a_warning_and_the_markdown_keeps_the_remote_url() {
    let server = Server::start(|_, _| Reply::status(404));
    let (o, md, r) = run_one(&server, "/missing.jpg", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("HTTP 404"), "{}", text(&o.stderr));
    assert!(
        md.contains(&format!("![pic]({}/missing.jpg)", server.base)),
        "{md}"
    );
    assert!(md.contains("Before"));
    assert_eq!(r["posts"][0]["status"], "converted");
    assert!(
        r["posts"][0]["images"][0]["error"]
            .as_str()
            .unwrap()
            .contains("404")
    );
    assert_eq!(server.hits("/missing.jpg"), 1, "a 404 is not retried");
}

#[test]
fn a_missing_full_size_image_falls_back_to_the_sizes_the_post_offers() {
    // The widest srcset entry is gone (regenerated media); src is there.
    let server = Server::start(|path, _| {
        if path == "/a-800.jpg" {
            Reply::ok("image/jpeg", JPEG)
        } else {
            Reply::status(404)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let b = &server.base;
    let html = format!(
        "<figure><img src=\"{b}/a-800.jpg\" srcset=\"{b}/a-800.jpg 800w, {b}/a.jpg 1600w, {b}/a-400.jpg 400w\" alt=\"pic\"></figure>"
    );
    let input = dir.path().join("p.json");
    std::fs::write(&input, post_on(&server.base, 7, "p", &html).to_string()).unwrap();
    let out = dir.path().join("out");
    let o = unpress(&[
        "convert",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{e}");
    assert!(
        e.contains("used another size") && e.contains("a-800.jpg"),
        "{e}"
    );
    let md = std::fs::read_to_string(out.join("p/index.md")).unwrap();
    assert!(md.contains("![pic](a-800.jpg)"), "{md}");
    assert_eq!(
        server.hits("/a-400.jpg"),
        0,
        "stops at the first size that works"
    );
    let r = report(&out);
    assert!(
        r["posts"][0]["images"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("a-800.jpg")
    );
}

#[test]
fn other_sizes_are_tried_only_when_the_server_has_no_such_file() {
    // Refused (403), not missing: another URL on the same server would only repeat the wait.
    let server = Server::start(|_, _| Reply::status(403));
    let dir = tempfile::tempdir().unwrap();
    let b = &server.base;
    let html =
        format!("<img src=\"{b}/s.jpg\" srcset=\"{b}/s.jpg 400w, {b}/l.jpg 800w\" alt=\"x\">");
    let input = dir.path().join("p.json");
    std::fs::write(&input, post_on(&server.base, 7, "p", &html).to_string()).unwrap();
    let out = dir.path().join("out");
    let o = unpress(&[
        "convert",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(server.hits("/l.jpg"), 1);
    assert_eq!(server.hits("/s.jpg"), 0, "{}", text(&o.stderr));
}

#[test]
fn image_500_then_200_succeeds_after_a_retry() {
    let server = Server::start(|_, n| {
        if n == 1 {
            Reply::status(500)
        } else {
            Reply::ok("image/png", PNG)
        }
    });
    let (o, md, _) = run_one(&server, "/flaky.png", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(md.contains("![pic](flaky.png)"), "{md}");
    assert_eq!(server.hits("/flaky.png"), 2);
}

#[test]
fn slow_image_times_out() {
    let server = Server::start(|_, _| Reply {
        delay: Duration::from_secs(3),
        ..Reply::ok("image/png", PNG)
    });
    let (o, _, r) = run_one(
        &server,
        "/slow.png",
        &["--timeout", "0.5", "--retries", "0"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        r["posts"][0]["images"][0]["error"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{r}"
    );
}

#[test]
fn wrong_content_type_is_refused() {
    let server = Server::start(|_, _| Reply::ok("text/html", b"<html>login</html>"));
    let (o, _, r) = run_one(&server, "/x.jpg", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        r["posts"][0]["images"][0]["error"]
            .as_str()
            .unwrap()
            .contains("not an image"),
        "{r}"
    );
}

#[test]
fn bytes_that_are_not_an_image_are_refused_whatever_the_header() {
    let server = Server::start(|_, _| Reply::ok("image/jpeg", b"<html>nope</html>"));
    let (o, _, r) = run_one(&server, "/x.jpg", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        r["posts"][0]["images"][0]["error"]
            .as_str()
            .unwrap()
            .contains("not an image"),
        "{r}"
    );
}

#[test]
fn oversized_image_is_refused() {
    let server = Server::start(|_, _| {
        let mut big = PNG.to_vec();
        big.resize(10_000, 0);
        Reply::ok("image/png", &big)
    });
    let (o, _, r) = run_one(&server, "/big.png", &["--max-image-size", "5000"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        r["posts"][0]["images"][0]["error"]
            .as_str()
            .unwrap()
            .contains("too large"),
        "{r}"
    );
}

#[test]
fn the_same_url_in_two_posts_is_fetched_once_and_copied() {
    let server = Server::start(|_, _| Reply::ok("image/png", PNG));
    let dir = tempfile::tempdir().unwrap();
    let html = format!(
        "<figure><img src=\"{}/shared.png\" alt=\"\"></figure>",
        server.base
    );
    let arr = serde_json::json!([
        post_on(&server.base, 1, "a", &html),
        post_on(&server.base, 2, "b", &html)
    ]);
    let input = dir.path().join("arr.json");
    std::fs::write(&input, arr.to_string()).unwrap();
    let out = dir.path().join("out");
    let o = unpress(&[
        "convert",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(server.hits("/shared.png"), 1);
    assert!(out.join("a/shared.png").exists() && out.join("b/shared.png").exists());
}

#[test]
fn flat_layout_puts_images_in_one_folder() {
    let server = Server::start(|_, _| Reply::ok("image/png", PNG));
    let (dir, input) = one_image_post(&server, "/f.png");
    let out = dir.path().join("out");
    let o = unpress(&[
        "convert",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--layout",
        "flat",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let md = std::fs::read_to_string(out.join("p.md")).unwrap();
    assert!(md.contains("![pic](images/f.png)"), "{md}");
    assert!(out.join("images/f.png").exists());
}
