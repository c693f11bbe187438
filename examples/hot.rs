//! A loop over one phase, to profile it alone:
//! `cargo run --release --example hot -- POSTS.json read|md|txt|json [ROUNDS]`.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: hot POSTS.json PHASE [ROUNDS]");
    let phase = args.next().unwrap_or_else(|| "read".into());
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let bytes = std::fs::read(&path).expect("read the corpus");
    let raws: Vec<Vec<u8>> = serde_json::from_slice::<Vec<serde_json::Value>>(&bytes)
        .expect("a JSON array")
        .iter()
        .map(|p| serde_json::to_vec(p).unwrap())
        .collect();
    let o = unpress::write::WriteOptions::default();
    let docs: Vec<_> = if phase == "md" || phase == "txt" {
        raws.iter()
            .map(|r| {
                unpress::read_post(&serde_json::from_slice(r).unwrap())
                    .unwrap()
                    .0
            })
            .collect()
    } else {
        Vec::new()
    };
    let t = std::time::Instant::now();
    let mut n = 0usize;
    for _ in 0..rounds {
        match phase.as_str() {
            "json" => raws
                .iter()
                .for_each(|r| n += serde_json::from_slice::<serde_json::Value>(r).is_ok() as usize),
            "read" => raws.iter().for_each(|r| {
                let v: serde_json::Value = serde_json::from_slice(r).unwrap();
                n += unpress::read_post(&v).unwrap().0.blocks.len();
            }),
            "md" => docs
                .iter()
                .for_each(|d| n += unpress::write::render(unpress::write::Format::Md, d, &o).len()),
            "txt" => docs.iter().for_each(|d| {
                n += unpress::write::render(unpress::write::Format::Txt, d, &o).len()
            }),
            other => panic!("unknown phase {other}"),
        }
    }
    println!("{phase}: {:?} per round ({n})", t.elapsed() / rounds as u32);
}
