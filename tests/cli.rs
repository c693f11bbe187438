//! The command line end to end: the README's commands, every bad input the issue names, hostile
//! slugs, stdin and stdout, layouts and front matter read back by real YAML/TOML parsers.

mod common;
use common::*;
use std::path::Path;

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn sample_converts_quietly_to_a_page_bundle_with_a_report() {
    let d = tmp();
    let out = d.path().join("out");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/post-2160.json");
    let o = unpress(&[
        "convert",
        sample.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-images",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty() && o.stderr.is_empty());
    assert!(out.join("blog-post-2160/index.md").exists());
    assert!(out.join("blog-post-2160/index.txt").exists());
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("unpress-report.json")).unwrap()).unwrap();
    assert_eq!(r["posts"][0]["id"], 2160);
    assert_eq!(
        r["posts"][0]["outputs"],
        serde_json::json!(["blog-post-2160/index.md", "blog-post-2160/index.txt"])
    );
    assert_eq!(r["posts"][0]["images"].as_array().unwrap().len(), 6);
}

#[test]
fn invalid_json_names_file_line_and_column() {
    let d = tmp();
    let f = write(d.path(), "bad.json", "[{\"id\": 1,\n  \"slug\": }]");
    let o = unpress(&["convert", &f, "--out", d.path().join("o").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(e.contains(&format!("{f}:2:")), "{e}");
    assert!(e.contains("invalid JSON"), "{e}");
}

#[test]
fn json_that_is_not_a_post_says_so_naming_the_file() {
    let d = tmp();
    let f = write(
        d.path(),
        "terms.json",
        r#"[{"id": 3, "taxonomy": "category", "name": "News"}]"#,
    );
    let o = unpress(&["convert", &f, "--out", d.path().join("o").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(
        e.contains("terms.json") && e.contains("not a post") && e.contains("category"),
        "{e}"
    );
    assert!(e.contains("no posts found"), "{e}");
}

#[test]
fn terms_users_and_duplicates_in_a_folder_are_skipped_not_failed() {
    let d = tmp();
    let p = post(5, "a", "<p>x</p>");
    write(
        d.path(),
        "1-posts.json",
        serde_json::json!([p.clone()]).to_string(),
    );
    write(d.path(), "2-post-5.json", p.to_string());
    write(
        d.path(),
        "3-users.json",
        r#"[{"id": 1, "name": "Ann", "avatar_urls": {}}]"#,
    );
    let out = d.path().join("o");
    let o = unpress(&[
        "convert",
        d.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-v",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let e = text(&o.stderr);
    assert!(
        e.contains("duplicate of post 5 in") && e.contains("1-posts.json (item 1)"),
        "{e}"
    );
    assert!(
        e.contains("3-users.json") && e.contains("it is a user"),
        "{e}"
    );
    assert!(out.join("a/index.md").exists() && !out.join("a-5").exists());
}

#[test]
fn non_utf8_and_missing_inputs_get_one_clear_line_each() {
    let d = tmp();
    let utf16 = write(d.path(), "u16.json", b"\xff\xfe[\x00]\x00");
    let latin1 = write(
        d.path(),
        "l1.json",
        b"{\"content\": {\"rendered\": \"caf\xe9\"}}",
    );
    let missing = d.path().join("nope.json");
    let o = unpress(&[
        "convert",
        &utf16,
        &latin1,
        missing.to_str().unwrap(),
        "--out",
        d.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    let lines: Vec<&str> = e.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 3, "{e}");
    assert!(
        lines[0].contains("u16.json") && lines[0].contains("UTF-16"),
        "{e}"
    );
    assert!(
        lines[1].contains("l1.json") && lines[1].contains("invalid"),
        "{e}"
    );
    assert!(
        lines[2].contains("nope.json") && lines[2].contains("no such file"),
        "{e}"
    );
}

#[test]
fn unwritable_output_is_fatal_with_exit_2() {
    let d = tmp();
    let f = write(d.path(), "p.json", post(1, "a", "<p>x</p>").to_string());
    let blocker = write(d.path(), "file", "not a folder");
    let o = unpress(&["convert", &f, "--out", &format!("{blocker}/sub")]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("cannot write to the output folder"), "{e}");
}

#[test]
fn output_names_and_the_report_do_not_depend_on_the_number_of_jobs() {
    // Duplicate and empty slugs, a post seen twice, a non-post, and a syntax error near the end
    // (after which nothing of that file is trusted): names are given in input order whatever
    // the timing of the workers that parse and convert.
    let d = tmp();
    let mut items: Vec<String> = Vec::new();
    for i in 0..70u64 {
        let slug = match i % 7 {
            0 => "same".to_string(),
            1 => String::new(),
            _ => format!("post-{}", i / 2),
        };
        items.push(post(i + 1, &slug, &format!("<p>post {i}</p>")).to_string());
    }
    items.insert(
        20,
        serde_json::json!({"id": 999, "taxonomy": "category", "name": "x"}).to_string(),
    );
    items.insert(30, post(5, "again", "<p>dup</p>").to_string());
    items.insert(60, r#"{"id": 1000, "slug": tru}"#.to_string());
    let f = write(d.path(), "many.json", format!("[{}]", items.join(",\n")));
    let run = |jobs: &str| {
        let out = d.path().join(format!("out-{jobs}"));
        let o = unpress(&[
            "convert",
            &f,
            "--out",
            out.to_str().unwrap(),
            "--jobs",
            jobs,
        ]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
        let err = text(&o.stderr).replace(out.to_str().unwrap(), "OUT");
        (file_tree(&out), err)
    };
    let (one, one_err) = run("1");
    assert!(
        one.iter().any(|(p, _)| p == "same-8/index.md"),
        "{:?}",
        one.iter().map(|x| &x.0).collect::<Vec<_>>()
    );
    // The syntax error is reported once, naming the file once, with its line and column.
    assert_eq!(one_err.matches("many.json").count(), 1, "{one_err}");
    assert!(
        one_err.contains("many.json:61:25: invalid JSON"),
        "{one_err}"
    );
    for jobs in ["2", "3", "8"] {
        let (other, err) = run(jobs);
        assert_eq!(one.len(), other.len());
        for (a, b) in one.iter().zip(&other) {
            assert_eq!(a.0, b.0, "--jobs {jobs}");
            assert!(a.1 == b.1, "{} differs with --jobs {jobs}", a.0);
        }
        assert_eq!(one_err, err, "--jobs {jobs}");
    }
}

#[test]
fn ctrl_c_stops_cleanly_and_writes_the_report() {
    let d = tmp();
    let body = "<p>A paragraph of some length, to give the run a little work.</p>".repeat(40);
    let items: Vec<String> = (1..=6000u64)
        .map(|i| post(i, &format!("p{i}"), &body).to_string())
        .collect();
    let f = write(d.path(), "big.json", format!("[{}]", items.join(",")));
    let out = d.path().join("o");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_unpress"))
        .args(["convert", &f, "--out", out.to_str().unwrap(), "--jobs", "2"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once a few posts are written.
    let start = std::time::Instant::now();
    while std::fs::read_dir(&out).map_or(0, |r| r.count()) < 20 {
        assert!(start.elapsed().as_secs() < 60, "no output appeared");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let o = child.wait_with_output().unwrap();
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{e}");
    assert!(e.contains("interrupted"), "{e}");
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("unpress-report.json")).unwrap()).unwrap();
    assert_eq!(r["summary"]["interrupted"], true);
    let posts = r["posts"].as_array().unwrap();
    assert!(
        !posts.is_empty() && posts.len() < 6000,
        "{} posts",
        posts.len()
    );
    // Every post the report lists is whole on disk; nothing half-written is left.
    for p in posts {
        assert_eq!(p["status"], "converted");
        for file in p["outputs"].as_array().unwrap() {
            let t = std::fs::read_to_string(out.join(file.as_str().unwrap())).unwrap();
            assert!(t.ends_with('\n') && t.contains("A paragraph"), "{file}");
        }
    }
    let leftovers: Vec<_> = file_tree(&out)
        .into_iter()
        .filter(|(p, _)| p.contains(".unpress-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "{:?}",
        leftovers.iter().map(|x| &x.0).collect::<Vec<_>>()
    );
}

#[test]
fn a_broken_array_element_is_reported_once() {
    // A missing `}` leaves the rest of the array unreadable: one error, not a second one for
    // the wreckage after it.
    let d = tmp();
    let f = write(
        d.path(),
        "broken.json",
        r#"[{"id":1,"slug":"a","content":{"rendered":"<p>x</p>"} , {"b":2}]"#,
    );
    let o = unpress(&["convert", &f, "--out", d.path().join("o").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert_eq!(e.matches("error:").count(), 1, "{e}");
    assert!(e.contains("0 of 1 item converted"), "{e}");
}

#[test]
fn a_bad_element_costs_that_element_and_a_bad_ndjson_line_says_what_was_lost() {
    let d = tmp();
    let good = |i: u64| post(i, &format!("p{i}"), "<p>ok</p>").to_string();
    let arr = format!("[{},{{\"id\": 2, \"sticky\": flase}},{}]", good(1), good(3));
    let f = write(d.path(), "arr.json", arr);
    let out = d.path().join("a");
    let o = unpress(&["convert", &f, "--out", out.to_str().unwrap()]);
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        out.join("p1/index.md").exists() && out.join("p3/index.md").exists(),
        "{e}"
    );
    assert!(
        e.contains("arr.json:1:") && e.contains("expected true, false or null"),
        "{e}"
    );
    let nd = format!("{}\n{{\"id\": 2,,}}\n{}\n", good(1), good(3));
    let f = write(d.path(), "n.ndjson", nd);
    let o = unpress(&["convert", &f, "--out", d.path().join("n").to_str().unwrap()]);
    let e = text(&o.stderr);
    assert!(
        e.contains("n.ndjson:2:") && e.contains("nothing after it in this file was read"),
        "{e}"
    );
}

#[test]
fn one_bad_post_does_not_stop_the_batch() {
    let d = tmp();
    let arr = serde_json::json!([post(1, "good", "<p>ok</p>"), {"id": 2, "title": "no content"}, post(3, "also-good", "<p>ok</p>")]);
    let f = write(d.path(), "batch.json", arr.to_string());
    let out = d.path().join("o");
    let o = unpress(&["convert", &f, "--out", out.to_str().unwrap(), "--jobs", "2"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out.join("good/index.md").exists() && out.join("also-good/index.md").exists());
    let e = text(&o.stderr);
    assert!(
        e.contains("batch.json (item 2, id 2)") && e.contains("no content.rendered"),
        "{e}"
    );
    assert!(
        e.contains("2 of 3 items converted, 0 skipped (not posts, or duplicates), 1 failed"),
        "{e}"
    );
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("unpress-report.json")).unwrap()).unwrap();
    let statuses: Vec<&str> = r["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["converted", "failed", "converted"]);
}

#[test]
fn hostile_and_duplicate_slugs_stay_inside_the_output_and_never_collide() {
    let d = tmp();
    let long = "a".repeat(400);
    let slugs = [
        "../../escape",
        "..",
        "a/b\\c",
        "con",
        "nul",
        "dup",
        "dup",
        "DUP",
        "",
        &long,
        "%2e%2e%2fx",
        "x\u{0}y",
    ];
    let arr: Vec<serde_json::Value> = slugs
        .iter()
        .enumerate()
        .map(|(i, s)| post(i as u64 + 1, s, "<p>t</p>"))
        .collect();
    let f = write(
        d.path(),
        "s.json",
        serde_json::Value::Array(arr).to_string(),
    );
    let out = d.path().join("o");
    let o = unpress(&["convert", &f, "--out", out.to_str().unwrap(), "--to", "md"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let mut dirs: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    assert_eq!(dirs.len(), slugs.len(), "{dirs:?}");
    for name in &dirs {
        assert!(out.join(name).join("index.md").exists(), "{name}");
        assert!(
            name.len() <= 120 && !name.contains("..") && name != "con" && name != "nul",
            "{name}"
        );
    }
    // Nothing was written next to the output folder.
    let siblings: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
    assert_eq!(siblings.len(), 2);
}

#[test]
fn stdin_and_stdout_with_dash() {
    let one = post(1, "a", "<p>First</p>").to_string();
    let o = unpress_stdin(
        &[
            "convert",
            "-",
            "--out",
            "-",
            "--to",
            "md",
            "--front-matter",
            "none",
        ],
        one.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "First\n");
    // Several posts: JSON as one document per line; Markdown refused rather than run together.
    let two = format!(
        "{}\n{}\n",
        post(1, "a", "<p>First</p>"),
        post(2, "b", "<p>Second</p>")
    );
    let o = unpress_stdin(
        &["convert", "-", "--out", "-", "--to", "json"],
        two.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let lines: Vec<serde_json::Value> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let o = unpress_stdin(
        &["convert", "-", "--out", "-", "--to", "md"],
        two.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("one post"), "{}", text(&o.stderr));
}

#[test]
fn stdout_takes_exactly_one_format() {
    let o = unpress(&["convert", "x.json", "--out", "-", "--to", "md,txt"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("one format"));
}

#[test]
fn folders_are_read_recursively() {
    let d = tmp();
    std::fs::create_dir_all(d.path().join("in/deep")).unwrap();
    write(
        &d.path().join("in"),
        "a.json",
        post(1, "a", "<p>a</p>").to_string(),
    );
    write(
        &d.path().join("in/deep"),
        "b.json",
        post(2, "b", "<p>b</p>").to_string(),
    );
    let out = d.path().join("o");
    let o = unpress(&[
        "convert",
        d.path().join("in").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--to",
        "md,txt,json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for f in ["a/index.md", "a/index.txt", "a/index.json", "b/index.md"] {
        assert!(out.join(f).exists(), "{f}");
    }
}

fn python_parses(code: &str, input: &str) -> Option<String> {
    let mut child = std::process::Command::new("python3")
        .args(["-c", code])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    if !o.status.success() && text(&o.stderr).contains("ModuleNotFoundError") {
        return None;
    }
    assert!(
        o.status.success(),
        "python could not parse:\n{input}\n{}",
        text(&o.stderr)
    );
    Some(text(&o.stdout))
}

const HOSTILE_TITLE: &str = "He said \"no\": #1 \\ 'yes' — 日本語\u{2028}[x] {y} *z* --- +++";

#[test]
fn front_matter_yaml_and_toml_read_back_exactly() {
    let mut p = post(9, "t", "<p>x</p>");
    p["title"]["rendered"] = serde_json::Value::String(HOSTILE_TITLE.replace('&', "&amp;"));
    let input = p.to_string();
    for (style, code) in [
        (
            "toml",
            "import sys,tomllib; s=sys.stdin.read(); fm=s.split('+++\\n')[1]; print(tomllib.loads(fm)['title'], end='')",
        ),
        (
            "yaml",
            "import sys,yaml; s=sys.stdin.read(); fm=s.split('---\\n')[1]; print(yaml.safe_load(fm)['title'], end='')",
        ),
    ] {
        let o = unpress_stdin(
            &[
                "convert",
                "-",
                "--out",
                "-",
                "--to",
                "md",
                "--front-matter",
                style,
            ],
            input.as_bytes(),
        );
        assert_eq!(o.status.code(), Some(0));
        match python_parses(code, &text(&o.stdout)) {
            Some(title) => assert_eq!(title, HOSTILE_TITLE, "{style}"),
            None => common::notice(&format!(
                "python3 module for {style} missing; {style} parse check skipped"
            )),
        }
    }
}

#[test]
fn help_shows_examples_and_exit_codes_and_completions_and_man_work() {
    let h = text(&unpress(&["convert", "--help"]).stdout);
    assert!(h.contains("Examples:") && h.contains("Exit status:"), "{h}");
    let c = unpress(&["completions", "bash"]);
    assert!(c.status.success() && text(&c.stdout).contains("unpress"));
    let m = unpress(&["man"]);
    assert!(m.status.success() && text(&m.stdout).contains(".TH"));
    let d = tmp();
    assert!(
        unpress(&["man", "--dir", d.path().to_str().unwrap()])
            .status
            .success()
    );
    for page in [
        "unpress.1",
        "unpress-convert.1",
        "unpress-fetch.1",
        "unpress-book.1",
        "unpress-archive.1",
        "unpress-verify.1",
    ] {
        assert!(d.path().join(page).is_file(), "{page}");
    }
}

#[test]
fn no_partial_files_are_left_behind() {
    let d = tmp();
    let f = write(d.path(), "p.json", post(1, "a", "<p>x</p>").to_string());
    let out = d.path().join("o");
    unpress(&["convert", &f, "--out", out.to_str().unwrap()]);
    let leftovers: Vec<_> = walk(&out)
        .into_iter()
        .filter(|p| p.contains(".unpress-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk(p: &Path) -> Vec<String> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(p).unwrap().flatten() {
        if e.path().is_dir() {
            v.extend(walk(&e.path()));
        } else {
            v.push(e.path().display().to_string());
        }
    }
    v
}

#[test]
fn same_ids_from_different_sites_are_different_posts() {
    let d = tmp();
    let a = post(57, "on-site-a", "<p>a</p>");
    let mut b = post(57, "on-site-b", "<p>b</p>");
    b["link"] = serde_json::json!("https://another.example/on-site-b/");
    let f = write(d.path(), "two.json", serde_json::json!([a, b]).to_string());
    let out = d.path().join("o");
    let o = unpress(&["convert", &f, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(out.join("on-site-a/index.md").exists() && out.join("on-site-b/index.md").exists());
}

#[test]
fn comments_are_skipped_not_converted_as_pages() {
    let d = tmp();
    let c = r#"[{"id": 5, "post": 60, "author_name": "Ann", "content": {"rendered": "<p>Nice!</p>"}, "link": "https://example.org/p/#comment-5"}]"#;
    let f = write(d.path(), "comments.json", c);
    let out = d.path().join("o");
    let o = unpress(&["convert", &f, "--out", out.to_str().unwrap(), "-v"]);
    assert!(
        text(&o.stderr).contains("it is a comment"),
        "{}",
        text(&o.stderr)
    );
    assert!(!out.join("comment-5").exists());
}

#[test]
fn protected_and_unpublished_posts_are_drafts_in_the_front_matter() {
    let mut p = post(3, "members", "<p>secret</p>");
    p["content"]["protected"] = serde_json::json!(true);
    let o = unpress_stdin(
        &["convert", "-", "--out", "-", "--to", "md"],
        p.to_string().as_bytes(),
    );
    let md = text(&o.stdout);
    assert!(
        md.contains("draft: true") && md.contains("  protected: true"),
        "{md}"
    );
    let mut q = post(4, "later", "<p>x</p>");
    q["status"] = serde_json::json!("future");
    let o = unpress_stdin(
        &["convert", "-", "--out", "-", "--to", "md"],
        q.to_string().as_bytes(),
    );
    assert!(text(&o.stdout).contains("draft: true"));
}

#[test]
fn a_book_leaves_out_unpublished_and_protected_posts_unless_asked() {
    let d = tmp();
    let mut draft = post(2, "draft", "<p>not yet</p>");
    draft["status"] = serde_json::json!("draft");
    let mut locked = post(3, "locked", "<p>secret</p>");
    locked["content"]["protected"] = serde_json::json!(true);
    let f = write(
        d.path(),
        "p.json",
        serde_json::json!([post(1, "pub", "<p>hello</p>"), draft, locked]).to_string(),
    );
    let epub = d.path().join("b.epub");
    let o = unpress(&["book", &f, "-o", epub.to_str().unwrap(), "-v"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("is draft") && text(&o.stderr).contains("password-protected"),
        "{}",
        text(&o.stderr)
    );
    let z = zip::ZipArchive::new(std::fs::File::open(&epub).unwrap()).unwrap();
    assert_eq!(
        z.file_names()
            .filter(|n| n.as_ref().is_ok_and(|n| n.starts_with("OEBPS/chapters/")))
            .count(),
        1
    );
    let all = d.path().join("all.epub");
    let o = unpress(&[
        "book",
        &f,
        "-o",
        all.to_str().unwrap(),
        "--status",
        "any",
        "--protected",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let z = zip::ZipArchive::new(std::fs::File::open(&all).unwrap()).unwrap();
    assert_eq!(
        z.file_names()
            .filter(|n| n.as_ref().is_ok_and(|n| n.starts_with("OEBPS/chapters/")))
            .count(),
        3
    );
}
