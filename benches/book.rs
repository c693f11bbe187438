//! `cargo bench --bench book`: a 1,000-post book with 500 images, unpress against pandoc building
//! the same book from the same HTML and the same local images, side by side, with peak memory.
//!
//! Environment: UNPRESS_BENCH_BOOK_POSTS (1000), UNPRESS_BENCH_BOOK_IMAGES (500).

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn max_rss_children_kb() -> i64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    ru.ru_maxrss
}

const EN: &[&str] = &[
    "The liver is known as a silent organ, and precisely because it rarely shows early symptoms, the numbers on your blood test serve as a critical warning sign from your body.",
    "When the sympathetic nervous system is dominant, blood vessels constrict, reducing the volume of blood supplied to the liver.",
    "Aerobic exercises such as walking, light jogging, or yoga are highly effective for stress relief, and they promote fat burning.",
];

const JA: &[&str] = &[
    "肝臓は「沈黙の臓器」と呼ばれ、初期には症状がほとんど現れません。",
    "健康診断で肝機能の数値が高いと指摘されたことはありませんか。",
    "ストレスが続くと自律神経のバランスが乱れ、肝臓への血流が減少します。",
];

fn main() {
    let posts = env_usize("UNPRESS_BENCH_BOOK_POSTS", 1000);
    let images = env_usize("UNPRESS_BENCH_BOOK_IMAGES", 500);
    let dir = tempfile::tempdir().unwrap();
    let mirror = dir.path().join("mirror");
    let base = "https://clinic.example";
    // A mirror as `fetch` leaves it: items, media files, and the state that maps URLs to files.
    std::fs::create_dir_all(mirror.join("items/posts")).unwrap();
    std::fs::create_dir_all(mirror.join("media/2024/01")).unwrap();
    std::fs::create_dir_all(dir.path().join("pandoc")).unwrap();
    let tiny = include_bytes!("../tests/fixtures/tiny.jpg");
    let mut media = serde_json::Map::new();
    for k in 1..=images {
        // Padded after the end-of-image marker to a realistic 60 KB.
        let mut b = tiny.to_vec();
        b.resize(60_000, 0);
        std::fs::write(mirror.join(format!("media/2024/01/i{k}.jpg")), &b).unwrap();
        media.insert(
            format!("{base}/wp-content/uploads/2024/01/i{k}.jpg"),
            serde_json::json!({"file": format!("media/2024/01/i{k}.jpg"), "sha256": ""}),
        );
    }
    let mut items = serde_json::Map::new();
    let mut html_bytes = 0usize;
    let mut pandoc_inputs = Vec::new();
    for id in 1..=posts {
        let img = 1 + (id - 1) % images;
        let mut h = String::new();
        // About the size of the sample post (15 KB of HTML).
        for s in 0..12 {
            let _ = write!(
                h,
                "<h2 class=\"wp-block-heading\"><strong>Section {s}</strong></h2>"
            );
            for p in 0..3 {
                let _ = write!(
                    h,
                    "<p class=\"wp-block-paragraph\">{} <strong>{}</strong> {} <a href=\"{base}/p{}/\">{}</a></p>\n\n",
                    EN[(id + p) % 3],
                    JA[id % 3],
                    EN[(s + p) % 3],
                    (id + s) % posts + 1,
                    JA[(id + 1) % 3]
                );
            }
            let _ = write!(h, "<p>・{}</p><p>・{}</p>", JA[s % 3], JA[(s + 1) % 3]);
            if s == 1 {
                let _ = write!(
                    h,
                    "<figure class=\"wp-block-image\"><img src=\"{base}/wp-content/uploads/2024/01/i{img}.jpg\" alt=\"Photo {img}\"><figcaption>写真 {img}</figcaption></figure>"
                );
            }
        }
        html_bytes += h.len();
        let v = serde_json::json!({
            "id": id, "type": "post", "slug": format!("p{id}"), "status": "publish",
            "date": format!("2024-01-{:02}T09:00:00", 1 + id % 28), "date_gmt": format!("2024-01-{:02}T00:00:00", 1 + id % 28),
            "modified_gmt": "2024-02-01T00:00:00", "link": format!("{base}/p{id}/"),
            "title": {"rendered": format!("記事 {id}")}, "content": {"rendered": h.clone()}
        });
        std::fs::write(mirror.join(format!("items/posts/{id}.json")), v.to_string()).unwrap();
        items.insert(
            format!("posts/{id}"),
            serde_json::json!({"id": id, "rest_base": "posts", "modified_gmt": "2024-02-01T00:00:00", "sha256": "", "file": format!("items/posts/{id}.json")}),
        );
        // The same HTML for pandoc, its images pointing at the same local files.
        let local = h.replace(
            &format!("{base}/wp-content/uploads/2024/01/"),
            &format!("{}/media/2024/01/", mirror.display()),
        );
        let f = dir.path().join(format!("pandoc/{id:05}.html"));
        std::fs::write(&f, format!("<html><head><title>記事 {id}</title></head><body><h1>記事 {id}</h1>{local}</body></html>")).unwrap();
        pandoc_inputs.push(f);
    }
    let state = serde_json::json!({"format": 1, "site": {"url": base, "api_root": "", "name": "Clinic", "description": "", "home": base, "gmt_offset": 9, "timezone_string": ""},
        "types": {}, "items": items, "media": media, "originals": {}});
    std::fs::write(mirror.join("unpress-mirror.json"), state.to_string()).unwrap();
    std::fs::write(
        mirror.join("types.json"),
        r#"{"post":{"slug":"post","rest_base":"posts"}}"#,
    )
    .unwrap();
    println!(
        "book: {posts} posts ({:.1} MB of HTML), {images} images of 60 KB",
        html_bytes as f64 / 1e6
    );

    let out = dir.path().join("unpress.epub");
    let start = Instant::now();
    let st = Command::new(env!("CARGO_BIN_EXE_unpress"))
        .args([
            "book",
            mirror.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--lang",
            "ja",
            "-q",
        ])
        .status()
        .unwrap();
    let ours = start.elapsed().as_secs_f64();
    let our_rss = max_rss_children_kb() as f64 / 1024.0;
    println!(
        "  unpress book: {ours:.2} s, peak {our_rss:.0} MB (exit {:?}; target < 200 MB)",
        st.code()
    );

    let has_pandoc = Command::new("pandoc")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_pandoc {
        println!("  pandoc: not installed (apt-get install pandoc), skipped");
        return;
    }
    let pout = dir.path().join("pandoc.epub");
    let start = Instant::now();
    let st = Command::new("pandoc")
        .args(&pandoc_inputs)
        .args([
            "-f",
            "html",
            "-o",
            pout.to_str().unwrap(),
            "--metadata",
            "title=Clinic",
            "--metadata",
            "lang=ja",
        ])
        .current_dir(Path::new(dir.path()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    let theirs = start.elapsed().as_secs_f64();
    let rss = max_rss_children_kb() as f64 / 1024.0;
    println!(
        "  pandoc (same HTML, same local images): {theirs:.2} s, peak {rss:.0} MB (exit {:?})",
        st.code()
    );
    println!("  unpress is {:.0}× faster (target ≥ 50×)", theirs / ours);
}
