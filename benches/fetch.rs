//! `cargo bench --bench fetch`: mirror a site of 2,000 posts and 1,000 images from a loopback
//! server that adds 50 ms to every response, at --jobs 8, and compare the time with the ideal
//! (requests × 50 ms ÷ 8); then re-run with nothing changed and count what it asks for.
//!
//! Environment: UNPRESS_BENCH_FETCH_POSTS (2000), UNPRESS_BENCH_FETCH_IMAGES (1000),
//! UNPRESS_BENCH_LATENCY_MS (50).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

static START: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xd9";

fn query<'a>(path: &'a str, key: &str) -> Option<&'a str> {
    path.split_once('?')?.1.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then_some(v)
    })
}

fn answer(
    base: &str,
    path: &str,
    posts: u64,
    images: u64,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let json = |v: serde_json::Value| {
        (
            200,
            vec![("Content-Type".to_string(), "application/json".to_string())],
            v.to_string().into_bytes(),
        )
    };
    let p = path.split('?').next().unwrap_or("");
    if p == "/" {
        return (
            200,
            vec![(
                "Link".into(),
                format!("<{base}/wp-json/>; rel=\"https://api.w.org/\""),
            )],
            b"<html></html>".to_vec(),
        );
    }
    if p.starts_with("/wp-content/uploads/") {
        let mut body = JPEG.to_vec();
        body.resize(20_000, 0);
        return (
            200,
            vec![
                ("Content-Type".into(), "image/jpeg".into()),
                ("ETag".into(), format!("\"{}\"", p.len())),
            ],
            body,
        );
    }
    let route = p.trim_start_matches("/wp-json").trim_end_matches('/');
    let per_page: u64 = query(path, "per_page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let page: u64 = query(path, "page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let listing = |total: u64, make: &dyn Fn(u64) -> serde_json::Value, order_desc: bool| {
        let pages = total.div_ceil(per_page).max(1);
        let ids: Vec<u64> = if order_desc {
            (1..=total).rev().collect()
        } else {
            (1..=total).collect()
        };
        let slice: Vec<serde_json::Value> = ids
            .into_iter()
            .skip(((page - 1) * per_page) as usize)
            .take(per_page as usize)
            .map(make)
            .collect();
        let mut r = json(serde_json::Value::Array(slice));
        r.1.push(("X-WP-Total".into(), total.to_string()));
        r.1.push(("X-WP-TotalPages".into(), pages.to_string()));
        r
    };
    match route {
        "" => json(
            serde_json::json!({"name": "Bench", "url": base, "home": base, "namespaces": ["wp/v2"], "gmt_offset": 0}),
        ),
        "/wp/v2/types" => json(
            serde_json::json!({"post": {"slug": "post", "rest_base": "posts"}, "page": {"slug": "page", "rest_base": "pages"}}),
        ),
        "/wp/v2/posts" => {
            let desc = query(path, "orderby") == Some("modified");
            listing(
                posts,
                &|id| {
                    let img = 1 + (id - 1) % images;
                    serde_json::json!({
                        "id": id, "slug": format!("p{id}"), "type": "post", "status": "publish",
                        "date": "2024-01-01T00:00:00", "date_gmt": "2024-01-01T00:00:00",
                        "modified": "2024-01-01T00:00:00", "modified_gmt": format!("2024-01-01T{:02}:{:02}:{:02}", id / 3600, id / 60 % 60, id % 60),
                        "link": format!("{base}/p{id}/"), "title": {"rendered": format!("Post {id}")},
                        "content": {"rendered": format!("<p>Post {id}.</p><figure class=\"wp-block-image\"><img src=\"{base}/wp-content/uploads/2024/01/i{img}-300x200.jpg\" class=\"wp-image-{}\" alt=\"\"></figure>", 100_000 + img)},
                        "featured_media": 100_000 + img
                    })
                },
                desc,
            )
        }
        "/wp/v2/pages" | "/wp/v2/categories" | "/wp/v2/tags" | "/wp/v2/users" => {
            listing(0, &|_| serde_json::Value::Null, false)
        }
        "/wp/v2/media" => {
            let ids: Vec<u64> = query(path, "include")
                .unwrap_or("")
                .split("%2C")
                .flat_map(|s| s.split(','))
                .filter_map(|s| s.parse().ok())
                .collect();
            let items: Vec<serde_json::Value> = ids
                .iter()
                .map(|id| {
                    let k = id - 100_000;
                    serde_json::json!({"id": id, "source_url": format!("{base}/wp-content/uploads/2024/01/i{k}.jpg"),
                        "media_details": {"sizes": {"medium": {"source_url": format!("{base}/wp-content/uploads/2024/01/i{k}-300x200.jpg"), "width": 300}}}})
                })
                .collect();
            let mut r = json(serde_json::Value::Array(items.clone()));
            r.1.push(("X-WP-Total".into(), items.len().to_string()));
            r.1.push(("X-WP-TotalPages".into(), "1".into()));
            r
        }
        _ => (404, Vec::new(), b"{}".to_vec()),
    }
}

fn serve(posts: u64, images: u64, latency: Duration) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let (b2, l2) = (base.clone(), log.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (base, log) = (b2.clone(), l2.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                // Keep-alive: answer requests on this connection until the client closes it.
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                            break;
                        }
                    }
                    log.lock()
                        .unwrap()
                        .push(format!("{:.3} {path}", START.elapsed().as_secs_f64()));
                    std::thread::sleep(latency);
                    let (status, headers, body) = answer(&base, &path, posts, images);
                    let mut head =
                        format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
                    for (k, v) in headers {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str("\r\n");
                    // One write per response: two small writes meet Nagle and delayed ACKs.
                    let mut out = head.into_bytes();
                    out.extend_from_slice(&body);
                    if stream.write_all(&out).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (base, log)
}

fn main() {
    let posts = env_u64("UNPRESS_BENCH_FETCH_POSTS", 2000);
    let images = env_u64("UNPRESS_BENCH_FETCH_IMAGES", 1000);
    let latency = Duration::from_millis(env_u64("UNPRESS_BENCH_LATENCY_MS", 50));
    let jobs = 8u64;
    let (base, log) = serve(posts, images, latency);
    let dir = tempfile::tempdir().unwrap();
    let mirror = dir.path().join("mirror");
    let bin = env!("CARGO_BIN_EXE_unpress");
    let run = |extra: &[&str]| {
        let start = Instant::now();
        let st = Command::new(bin)
            .args([
                "fetch",
                &base,
                "--out",
                mirror.to_str().unwrap(),
                "--jobs",
                &jobs.to_string(),
                "-q",
            ])
            .args(extra)
            .status()
            .expect("run unpress");
        (st.code(), start.elapsed())
    };
    let (code, took) = run(&["--no-convert"]);
    if std::env::var_os("UNPRESS_BENCH_TIMELINE").is_some() {
        let l = log.lock().unwrap();
        for kind in [
            "/wp-json/ ",
            "types",
            "categories",
            "posts",
            "pages",
            "media",
            "uploads",
        ] {
            let times: Vec<f64> = l
                .iter()
                .filter(|e| e.contains(kind))
                .filter_map(|e| e.split(' ').next()?.parse().ok())
                .collect();
            if let (Some(a), Some(b)) = (times.first(), times.last()) {
                println!(
                    "  {kind:>12}: {} requests from {a:.2} s to {b:.2} s",
                    times.len()
                );
            }
        }
    }
    let requests = log.lock().unwrap().len() as u64;
    let ideal = latency.as_secs_f64() * requests as f64 / jobs as f64;
    println!(
        "fetch: {posts} posts, {images} images, {} ms per response, --jobs {jobs} (exit {code:?})",
        latency.as_millis()
    );
    println!(
        "  first mirror (--no-convert): {requests} requests in {:.2} s; ideal {ideal:.2} s; ratio {:.2} (target ≤ 1.3)",
        took.as_secs_f64(),
        took.as_secs_f64() / ideal
    );
    let before = log.lock().unwrap().len();
    let (code, took) = run(&[]);
    let rerun: Vec<String> = log.lock().unwrap()[before..].to_vec();
    let listings = rerun.iter().filter(|p| p.contains("/wp/v2/posts")).count();
    let downloads = rerun.iter().filter(|p| p.contains("/uploads/")).count();
    println!(
        "  re-run, nothing changed (then converting the whole mirror once): {} requests, {listings} post listings, {downloads} downloads, {:.2} s (exit {code:?}; target: ≤ 1 listing per type, 0 downloads)",
        rerun.len(),
        took.as_secs_f64()
    );
}
