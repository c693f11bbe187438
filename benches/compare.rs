//! `cargo bench --bench compare`: unpress against a bare html5ever parse, pandoc and turndown on
//! the same generated posts, side by side, plus peak memory converting a large JSON array.
//!
//! Environment: UNPRESS_BENCH_POSTS (default 1000), UNPRESS_BENCH_BIG_MB (default 500; 0 skips),
//! UNPRESS_BENCH_PANDOC_POSTS (default 60: pandoc is slow, so it gets a sample),
//! UNPRESS_BENCH_DIR (keep the generated corpus there, for profiling), UNPRESS_BENCH_ROUNDS
//! (default 7: each figure is the median of that many runs).
//! turndown is used when `npm install --prefix benches turndown` has been run.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A cheap deterministic generator, so every run converts the same corpus.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() as usize) % xs.len()]
    }
}

const EN: &[&str] = &[
    "The liver is known as a silent organ, and precisely because it rarely shows early symptoms, the numbers on your blood test serve as a critical warning sign.",
    "Under healthy conditions, only a very small amount of these enzymes is present in the blood.",
    "When the sympathetic nervous system is dominant, blood vessels constrict, reducing the volume of blood supplied to the liver.",
    "Aerobic exercises such as walking, light jogging, or yoga are highly effective for stress relief.",
    "Take a bath one to two hours before bedtime, and avoid using smartphones or watching TV.",
];
const JA: &[&str] = &[
    "肝臓は「沈黙の臓器」と呼ばれ、初期には症状がほとんど現れません。",
    "健康診断で肝機能の数値が高いと指摘されたことはありませんか。",
    "ストレスが続くと自律神経のバランスが乱れ、肝臓への血流が減少します。",
    "バランスの良い食事と質の良い睡眠を心がけましょう。",
];

fn figure(r: &mut Lcg, n: u64, link: bool) -> String {
    let base = "https://clinic.example/blog/wp-content/uploads/2026/05";
    let img = format!(
        r#"<img loading="lazy" decoding="async" width="800" height="533" src="{base}/image-{n}-800x533.jpg" alt="" class="wp-image-{n}" srcset="{base}/image-{n}-800x533.jpg 800w, {base}/image-{n}-400x267.jpg 400w, {base}/image-{n}-768x512.jpg 768w, {base}/image-{n}.jpg 1200w" sizes="auto, (max-width: 800px) 100vw, 800px" />"#
    );
    let inner = if link {
        format!(r#"<a href="https://clinic.example/consult.html">{img}</a>"#)
    } else {
        img
    };
    let cap = if r.next().is_multiple_of(2) {
        format!(
            "<figcaption class=\"wp-element-caption\">{}</figcaption>",
            r.pick(JA)
        )
    } else {
        String::new()
    };
    format!(
        "<div class=\"wp-block-image\">\n<figure class=\"aligncenter size-large\">{inner}{cap}</figure>\n</div>\n\n\n"
    )
}

fn post_html(r: &mut Lcg, id: u64) -> String {
    let mut h = String::new();
    h.push_str(&figure(r, id * 10, false));
    for s in 0..5 {
        let _ = write!(
            h,
            "<h2 class=\"wp-block-heading\"><strong>Section {s}: {}</strong></h2>\n\n\n",
            r.pick(EN)
        );
        h.push_str(&figure(r, id * 10 + s, s == 4));
        for _ in 0..4 {
            let _ = write!(
                h,
                "<p class=\"wp-block-paragraph\">{} <strong>{}</strong> {} <a href=\"https://clinic.example/blog/p/{}\">{}</a> &#8220;quoted&#8221; {}</p>\n\n\n\n",
                r.pick(EN),
                r.pick(JA),
                r.pick(EN),
                r.next() % 500,
                r.pick(JA),
                r.pick(EN)
            );
        }
        for _ in 0..(3 + r.next() % 4) {
            let _ = write!(
                h,
                "<p class=\"wp-block-paragraph\">・{}</p>\n\n\n\n",
                r.pick(JA)
            );
        }
        let _ = write!(
            h,
            "<h3 class=\"wp-block-heading\">{}．{}</h3>\n\n\n\n",
            s + 1,
            r.pick(JA)
        );
        if s == 2 {
            h.push_str("<figure class=\"wp-block-table\"><table><thead><tr><th>検査項目</th><th>基準値</th><th>Note</th></tr></thead><tbody>");
            for i in 0..6 {
                let _ = write!(
                    h,
                    "<tr><td>AST (GOT) {i}</td><td>10–30 IU/L</td><td><em>{}</em></td></tr>",
                    r.pick(EN)
                );
            }
            h.push_str("</tbody></table><figcaption>表1 肝機能検査</figcaption></figure>\n\n\n\n");
        }
        if s == 3 {
            h.push_str("<pre class=\"wp-block-code\"><code class=\"language-python\">def ratio(ast, alt):\n    return ast / alt  # De Ritis\n</code></pre>\n\n\n\n<ul class=\"wp-block-list\"><li>One</li><li>Two <code>x</code></li></ul>\n\n\n\n");
        }
    }
    h
}

fn post_json(r: &mut Lcg, id: u64) -> (serde_json::Value, usize) {
    let html = post_html(r, id);
    let len = html.len();
    let v = serde_json::json!({
        "id": id, "date": "2026-05-28T08:21:27", "date_gmt": "2026-05-27T23:21:27",
        "modified": "2026-05-28T10:48:28", "modified_gmt": "2026-05-28T01:48:28",
        "slug": format!("blog-post-{id}"), "status": "publish", "type": "post",
        "link": format!("https://clinic.example/blog/blog-post-{id}/"),
        "title": {"rendered": format!("Post {id}: Elevated Liver Numbers &#8211; {}", JA[(id % 4) as usize])},
        "content": {"rendered": html, "protected": false},
        "excerpt": {"rendered": "<p>Hello&#8230;</p>"},
        "author": 2, "featured_media": id * 10, "categories": [15], "tags": []
    });
    (v, len)
}

struct Row {
    name: String,
    posts: usize,
    mb: f64,
    secs: f64,
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn print_rows(rows: &[Row], floor: Option<f64>) {
    println!(
        "{:<44} {:>8} {:>10} {:>10} {:>10}",
        "tool", "posts", "posts/s", "MB/s", "× parse"
    );
    for r in rows {
        let mbs = r.mb / r.secs;
        let ratio = floor.map(|f| format!("{:.2}", mbs / f)).unwrap_or_default();
        println!(
            "{:<44} {:>8} {:>10.0} {:>10.2} {:>10}",
            r.name,
            r.posts,
            r.posts as f64 / r.secs,
            mbs,
            ratio
        );
    }
}

fn time_cmd(cmd: &mut Command) -> Option<Duration> {
    let start = Instant::now();
    let st = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    (st.success() || st.code() == Some(1)).then(|| start.elapsed())
}

fn max_rss_children_kb() -> i64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    ru.ru_maxrss
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let n = env_usize("UNPRESS_BENCH_POSTS", 1000);
    let big_mb = env_usize("UNPRESS_BENCH_BIG_MB", 500);
    let pandoc_posts = env_usize("UNPRESS_BENCH_PANDOC_POSTS", 60);
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_unpress"));
    let tmp = tempfile::tempdir().expect("temp dir");
    // UNPRESS_BENCH_DIR keeps the generated corpus for profiling.
    let kept = std::env::var_os("UNPRESS_BENCH_DIR").map(PathBuf::from);
    if let Some(k) = &kept {
        std::fs::create_dir_all(k).expect("UNPRESS_BENCH_DIR");
    }
    let dir = kept.as_deref().unwrap_or(tmp.path());

    let mut r = Lcg(42);
    let mut posts = Vec::with_capacity(n);
    let mut html_bytes = 0usize;
    for id in 1..=n as u64 {
        let (v, len) = post_json(&mut r, id);
        html_bytes += len;
        posts.push(v);
    }
    let mb = html_bytes as f64 / 1e6;
    let input = dir.join("posts.json");
    std::fs::write(&input, serde_json::to_vec(&posts).unwrap()).unwrap();
    let htmls: Vec<String> = posts
        .iter()
        .map(|p| p["content"]["rendered"].as_str().unwrap().to_string())
        .collect();
    println!(
        "corpus: {n} generated posts, {mb:.1} MB of HTML (figures with srcset, ・ lists, tables, code, Japanese)\n"
    );

    let mut rows = Vec::new();
    // Every timing is the median of several rounds, unpress's runs interleaved: on a shared
    // machine one run can be 10% off its neighbour.
    let rounds = env_usize("UNPRESS_BENCH_ROUNDS", 7).max(1);
    // The floor: html5ever building a DOM of each post, which every html5ever tool pays.
    let mut parse_times = Vec::new();
    for _ in 0..rounds {
        let start = Instant::now();
        let mut nodes = 0usize;
        for h in &htmls {
            let doc = scraper::Html::parse_fragment(h);
            nodes += doc.tree.nodes().count();
        }
        parse_times.push(start.elapsed().as_secs_f64());
        assert!(nodes > 0);
    }
    let parse_secs = median(&mut parse_times);
    rows.push(Row {
        name: "html5ever parse (scraper, in process)".into(),
        posts: n,
        mb,
        secs: parse_secs,
    });
    let floor = mb / parse_secs;

    // Conversion is measured writing to tmpfs when there is one, so that the figures compare
    // conversion rather than the file system's inode allocator (3,000 new files); the same run
    // on the temporary folder's disk is printed too.
    let shm = Path::new("/dev/shm");
    let fast_out = if shm.is_dir() {
        tempfile::tempdir_in(shm).ok()
    } else {
        None
    };
    let out_base = fast_out
        .as_ref()
        .map(|t| t.path().to_path_buf())
        .unwrap_or_else(|| dir.to_path_buf());
    let where_ = if fast_out.is_some() { "tmpfs" } else { "disk" };
    // One timed conversion of the corpus into `out` (emptied first, untimed).
    let convert_args = |out: &Path, jobs: &str| -> Vec<String> {
        [
            "convert",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--no-images",
            "--to",
            "md,txt",
            "--jobs",
            jobs,
            "-q",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect()
    };
    let convert = |out: &Path, jobs: &str| -> f64 {
        let _ = std::fs::remove_dir_all(out);
        time_cmd(Command::new(&bin).args(convert_args(out, jobs)))
            .expect("unpress ran")
            .as_secs_f64()
    };
    // Two `--jobs 1` processes at once, each with its own output: what this machine gives for
    // running the same work twice side by side, the ceiling for `--jobs 2`.
    let side_by_side = |a: &Path, b: &Path| -> f64 {
        let _ = std::fs::remove_dir_all(a);
        let _ = std::fs::remove_dir_all(b);
        let start = Instant::now();
        let mut p = Command::new(&bin)
            .args(convert_args(a, "1"))
            .spawn()
            .expect("unpress ran");
        let q = Command::new(&bin).args(convert_args(b, "1")).status();
        let p = p.wait();
        assert!(p.is_ok_and(|s| s.success()) && q.is_ok_and(|s| s.success()));
        start.elapsed().as_secs_f64()
    };
    let (mut one_t, mut two_t, mut pair_t, mut disk_t) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        one_t.push(convert(&out_base.join("out-1"), "1"));
        two_t.push(convert(&out_base.join("out-2"), "2"));
        pair_t.push(side_by_side(
            &out_base.join("out-a"),
            &out_base.join("out-b"),
        ));
    }
    // On disk last: the kernel's write-back after a disk run would slow the runs after it.
    if fast_out.is_some() {
        for _ in 0..rounds.min(3) {
            disk_t.push(convert(&dir.join("out-disk"), "1"));
        }
    }
    let unpress_secs = [median(&mut one_t), median(&mut two_t)];
    let pair_secs = median(&mut pair_t);
    for (jobs, secs) in [("1", unpress_secs[0]), ("2", unpress_secs[1])] {
        rows.push(Row {
            name: format!("unpress convert --to md,txt --jobs {jobs} ({where_})"),
            posts: n,
            mb,
            secs,
        });
    }
    if fast_out.is_some() {
        rows.push(Row {
            name: "unpress convert --to md,txt --jobs 1 (disk)".into(),
            posts: n,
            mb,
            secs: median(&mut disk_t),
        });
    }
    for o in ["out-1", "out-2", "out-a", "out-b"] {
        let _ = std::fs::remove_dir_all(out_base.join(o));
    }
    let _ = std::fs::remove_dir_all(dir.join("out-disk"));

    // Peak memory on a large array, measured before any other child runs.
    let mut peak_mb = None;
    if big_mb > 0 {
        let big = dir.join("big.json");
        let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
        f.write_all(b"[").unwrap();
        let mut written = 0usize;
        let mut i = 0usize;
        while written < big_mb << 20 {
            let mut p = posts[i % posts.len()].clone();
            p["id"] = serde_json::json!(i + 1);
            p["slug"] = serde_json::json!(format!("big-{i}"));
            let bytes = serde_json::to_vec(&p).unwrap();
            if i > 0 {
                f.write_all(b",").unwrap();
            }
            f.write_all(&bytes).unwrap();
            written += bytes.len() + 1;
            i += 1;
        }
        f.write_all(b"]").unwrap();
        drop(f);
        let out = dir.join("out-big");
        let before = max_rss_children_kb();
        let d = time_cmd(Command::new(&bin).args([
            "convert",
            big.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--no-images",
            "--to",
            "md",
            "--jobs",
            "2",
            "-q",
        ]))
        .expect("unpress ran on the big array");
        let after = max_rss_children_kb();
        peak_mb = Some((
            after.max(before) as f64 / 1024.0,
            written as f64 / 1e6,
            i,
            d.as_secs_f64(),
        ));
        let _ = std::fs::remove_file(&big);
        let _ = std::fs::remove_dir_all(&out);
    }

    // pandoc, on a sample of the posts (it is two orders of magnitude slower), one process.
    if Command::new("pandoc")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        let k = pandoc_posts.min(n);
        let sample: String = htmls[..k].concat();
        let f = dir.join("pandoc.html");
        std::fs::write(&f, &sample).unwrap();
        if let Some(d) = time_cmd(Command::new("pandoc").args([
            "-f",
            "html",
            "-t",
            "gfm",
            f.to_str().unwrap(),
            "-o",
            dir.join("pandoc.md").to_str().unwrap(),
        ])) {
            rows.push(Row {
                name: format!("pandoc -f html -t gfm (first {k} posts)"),
                posts: k,
                mb: sample.len() as f64 / 1e6,
                secs: d.as_secs_f64(),
            });
        }
    } else {
        println!("pandoc: not installed (apt-get install pandoc), skipped");
    }

    // turndown in one Node process, as wordpress-export-to-markdown runs it.
    let td = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/node_modules/turndown");
    if td.is_dir() {
        let script = dir.join("td.js");
        std::fs::write(
            &script,
            format!(
                "const T=require({:?});const fs=require('fs');const posts=JSON.parse(fs.readFileSync(process.argv[2],'utf8'));const t=new T({{headingStyle:'atx',codeBlockStyle:'fenced'}});let n=0;for(const p of posts){{n+=t.turndown(p.content.rendered).length}}console.log(n)",
                td.display().to_string()
            ),
        )
        .unwrap();
        if let Some(d) =
            time_cmd(Command::new("node").args([script.to_str().unwrap(), input.to_str().unwrap()]))
        {
            rows.push(Row {
                name: "turndown (Node, one process)".into(),
                posts: n,
                mb,
                secs: d.as_secs_f64(),
            });
        }
    } else {
        println!("turndown: not installed (npm install --prefix benches turndown), skipped");
    }

    println!();
    print_rows(&rows, Some(floor));
    let one = mb / unpress_secs[0];
    let two = mb / unpress_secs[1];
    println!();
    println!("targets (ratios of medians from this run):");
    println!(
        "  unpress --jobs 1 / bare parse = {:.2}  (target ≥ 0.75)",
        one / floor
    );
    println!(
        "  unpress --jobs 2 / --jobs 1   = {:.2}  (target ≥ 1.7; two --jobs 1 processes side by side: {:.2})",
        two / one,
        2.0 * unpress_secs[0] / pair_secs
    );
    for r in rows
        .iter()
        .filter(|r| !r.name.starts_with("unpress") && !r.name.starts_with("html5ever"))
    {
        println!(
            "  unpress --jobs 1 / {:<28} = {:.0}×",
            r.name.split(" (").next().unwrap_or(""),
            one / (r.mb / r.secs)
        );
    }
    if let Some((peak, size, count, secs)) = peak_mb {
        println!(
            "  peak memory converting a {size:.0} MB array of {count} posts: {peak:.1} MB in {secs:.1} s  (target ≤ 64 MB)"
        );
    }
}
