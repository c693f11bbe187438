//! A JSON array is streamed element by element: converting a 100 MB array must not hold it in
//! memory. Alone in its file so that the peak memory of its one child process is all it measures.

mod common;
use common::*;
use std::io::Write;

#[test]
fn a_100_mb_array_converts_in_under_64_mb_of_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.json");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    // Large unknown fields (plugins add such) make the array big while keeping HTML work small.
    let padding = "x".repeat(40_000);
    let n = 2_600;
    f.write_all(b"[").unwrap();
    for i in 0..n {
        let mut p = post(
            i + 1,
            &format!("p{i}"),
            "<p>Short <strong>post</strong>.</p><p>・一</p><p>・二</p>",
        );
        p["yoast_head"] = serde_json::Value::String(padding.clone());
        if i > 0 {
            f.write_all(b",\n").unwrap();
        }
        serde_json::to_writer(&mut f, &p).unwrap();
    }
    f.write_all(b"]").unwrap();
    drop(f);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 100_000_000, "{size}");
    let out = dir.path().join("out");
    let o = unpress(&[
        "convert",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--to",
        "md",
        "--no-images",
        "--jobs",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(out.join(format!("p{}/index.md", n - 1)).exists());
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage only writes into the struct we own.
    assert_eq!(
        unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) },
        0
    );
    let peak_mb = ru.ru_maxrss as f64 / 1024.0;
    eprintln!(
        "peak memory converting a {} MB array: {peak_mb:.1} MB",
        size / 1_000_000
    );
    assert!(peak_mb < 64.0, "peak {peak_mb:.1} MB");
}
