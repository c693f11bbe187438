//! Large inputs stream: converting a 100 MB JSON array, or archiving a 96 MB file, never holds
//! them in memory. In a file of their own, so that the peak memory of child processes
//! (`RUSAGE_CHILDREN`) is theirs alone.

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

#[test]
fn a_96_mb_file_is_archived_without_holding_it_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("mirror/media");
    std::fs::create_dir_all(&src).unwrap();
    let f = std::fs::File::create(src.join("big.jpg")).unwrap();
    f.set_len(96 << 20).unwrap();
    drop(f);
    let out = dir.path().join("a.zip");
    let o = unpress(&[
        "archive",
        dir.path().join("mirror").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(std::fs::metadata(&out).unwrap().len() > 96 << 20);
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage only writes into the struct we own.
    assert_eq!(
        unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) },
        0
    );
    let peak_mb = ru.ru_maxrss as f64 / 1024.0;
    assert!(
        peak_mb < 64.0,
        "peak {peak_mb:.1} MB (this also covers the other test's child)"
    );
}
