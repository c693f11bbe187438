//! Where the time of one conversion goes, per phase, on a corpus made by `cargo bench`
//! (UNPRESS_BENCH_DIR=DIR): `cargo run --release --example phases -- DIR/posts.json`.

use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let path = std::env::args().nth(1).expect("usage: phases POSTS.json");
    let bytes = std::fs::read(&path).expect("read the corpus");
    let posts: Vec<serde_json::Value> = serde_json::from_slice(&bytes).expect("a JSON array");
    let o = unpress::write::WriteOptions::default();
    let (mut parse, mut read, mut md, mut txt) = (
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
    );
    for p in &posts {
        let html = p["content"]["rendered"].as_str().unwrap_or("");
        let t = Instant::now();
        drop(std::hint::black_box(scraper::Html::parse_fragment(html)));
        parse += t.elapsed();
        let t = Instant::now();
        let doc = unpress::read_post(p).expect("a post").0;
        read += t.elapsed();
        let t = Instant::now();
        std::hint::black_box(unpress::write::render(unpress::write::Format::Md, &doc, &o));
        md += t.elapsed();
        let t = Instant::now();
        std::hint::black_box(unpress::write::render(
            unpress::write::Format::Txt,
            &doc,
            &o,
        ));
        txt += t.elapsed();
    }
    let t = Instant::now();
    for p in &posts {
        use html5ever::tendril::TendrilSink;
        let html = p["content"]["rendered"].as_str().unwrap_or("");
        let dom = html5ever::parse_fragment(
            markup5ever_rcdom::RcDom::default(),
            Default::default(),
            html5ever::QualName::new(None, html5ever::ns!(html), html5ever::local_name!("body")),
            Vec::new(),
            false,
        )
        .one(html);
        drop(std::hint::black_box(dom));
    }
    println!("html5ever parse into RcDom {:?}", t.elapsed());
    let t = Instant::now();
    for p in &posts {
        let html = p["content"]["rendered"].as_str().unwrap_or("");
        drop(std::hint::black_box(
            unpress::read::dom::Dom::parse_fragment(html),
        ));
    }
    println!(
        "unpress's parser (fast path, else html5ever) {:?}",
        t.elapsed()
    );
    let raws: Vec<Vec<u8>> = posts
        .iter()
        .map(|p| serde_json::to_vec(p).unwrap())
        .collect();
    let t = Instant::now();
    for r in &raws {
        drop(std::hint::black_box(
            serde_json::from_slice::<serde_json::Value>(r).unwrap(),
        ));
    }
    println!("JSON from_slice into Value {:?}", t.elapsed());
    println!(
        "html5ever parse {parse:?}\nread_post (parse + walk) {read:?}\nmarkdown {md:?}\ntext {txt:?}"
    );
}
