//! Golden files for the shipped sample: Markdown, plain text and the JSON model, reviewed by eye.
//! Regenerate with `UNPRESS_BLESS=1 cargo test --test golden` and review the diff.

mod common;

use std::path::Path;
use unpress::write::{Format, WriteOptions, render};

fn check(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UNPRESS_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UNPRESS_BLESS=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from the golden file at line {}:\n expected: {:?}\n actual:   {:?}\n(UNPRESS_BLESS=1 regenerates it)",
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

fn sample() -> unpress::model::Document {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/post-2160.json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    unpress::read_post(&v).unwrap().0
}

#[test]
fn sample_markdown_matches_golden() {
    check(
        "post-2160.md",
        &render(Format::Md, &sample(), &WriteOptions::default()),
    );
}

#[test]
fn sample_text_matches_golden() {
    check(
        "post-2160.txt",
        &render(Format::Txt, &sample(), &WriteOptions::default()),
    );
}

#[test]
fn sample_model_matches_golden() {
    check(
        "post-2160.json",
        &render(Format::Json, &sample(), &WriteOptions::default()),
    );
}

#[test]
fn sample_is_copied_byte_for_byte_from_the_seed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seed = root.join("../shared/seeds/post-2160.json");
    if !seed.exists() {
        common::notice(&format!(
            "{} is absent; seed comparison skipped",
            seed.display()
        ));
        return;
    }
    assert_eq!(
        std::fs::read(seed).unwrap(),
        std::fs::read(root.join("samples/post-2160.json")).unwrap()
    );
}

#[test]
fn sample_has_the_lists_headings_quotes_and_offset_the_issue_names() {
    let md = render(Format::Md, &sample(), &WriteOptions::default());
    // Two `・` groups: lists of 4 and 6 items.
    let mut lists = Vec::new();
    let mut run = 0;
    for line in md.lines() {
        if line.starts_with("- ") {
            run += 1;
        } else if run > 0 {
            lists.push(run);
            run = 0;
        }
    }
    assert_eq!(lists, vec![4, 6]);
    assert!(!md.contains('・'));
    // Headings are plain text, not bold.
    for h in md.lines().filter(|l| l.starts_with('#')) {
        assert!(h.starts_with("## ") || h.starts_with("### "), "{h}");
        assert!(!h.contains("**"), "{h}");
    }
    assert!(md.contains("### 1．Focus on a Balanced Diet"));
    assert!(md.contains("“I rarely drink alcohol, and I don’t feel unwell, so why?”"));
    assert!(md.contains("date: 2026-05-28T08:21:27+09:00"));
}
