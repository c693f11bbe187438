//! EPUB books: every one the tests make passes epubcheck (Debian's package, installed by
//! `.ci/run`) with no error and no warning, and is reopened here with a real XML parser to check
//! its spine, navigation and that every resource it references is inside it.

mod common;
use common::*;
use quick_xml::events::Event;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

const EPUBCHECK: &str = "/usr/share/java/epubcheck.jar";

/// Runs epubcheck; `None` when it is not installed (skipped, unless CI requires it).
fn epubcheck(path: &Path) -> Option<String> {
    if !Path::new(EPUBCHECK).exists() {
        if std::env::var_os("UNPRESS_REQUIRE_EPUBCHECK").is_some() {
            panic!("UNPRESS_REQUIRE_EPUBCHECK is set but {EPUBCHECK} is missing");
        }
        notice("epubcheck is not installed (apt-get install epubcheck); EPUB validation skipped");
        return None;
    }
    let o = std::process::Command::new("java")
        .args(["-jar", EPUBCHECK, path.to_str().unwrap()])
        .output()
        .unwrap();
    let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
    assert!(
        o.status.success() && all.contains("No errors or warnings detected"),
        "epubcheck on {}:\n{all}",
        path.display()
    );
    Some(all)
}

struct Book {
    entries: Vec<String>,
    files: std::collections::HashMap<String, Vec<u8>>,
}

fn open(path: &Path) -> Book {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut entries = Vec::new();
    let mut files = std::collections::HashMap::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        if i == 0 {
            assert_eq!(f.name().unwrap(), "mimetype");
            assert_eq!(f.compression(), zip::CompressionMethod::Stored);
        }
        let mut b = Vec::new();
        f.read_to_end(&mut b).unwrap();
        let name = f.name().unwrap().to_string();
        entries.push(name.clone());
        files.insert(name, b);
    }
    Book { entries, files }
}

/// Attribute values of every element named `tag` in an XML document, parsed for real.
fn attrs(xml: &[u8], tag: &str, attr: &str) -> Vec<String> {
    let mut r = quick_xml::Reader::from_reader(xml);
    let mut out = Vec::new();
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == tag => {
                for a in e.attributes().flatten() {
                    if a.key.local_name().as_ref() == attr {
                        out.push(a.value.to_string());
                    }
                }
            }
            Ok(Event::Eof) => break,
            Err(e) => panic!("not well-formed XML: {e}"),
            _ => {}
        }
        buf.clear();
    }
    out
}

/// Spine, navigation and resources all hold together.
fn check_structure(path: &Path) -> Book {
    let b = open(path);
    assert_eq!(b.files["mimetype"], b"application/epub+zip");
    let opf_path = attrs(&b.files["META-INF/container.xml"], "rootfile", "full-path")[0].clone();
    let opf = &b.files[&opf_path];
    let base = Path::new(&opf_path)
        .parent()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let hrefs = attrs(opf, "item", "href");
    let ids = attrs(opf, "item", "id");
    for h in &hrefs {
        assert!(
            b.files.contains_key(&format!("{base}/{h}")),
            "manifest item {h} is missing"
        );
    }
    let spine: Vec<String> = attrs(opf, "itemref", "idref");
    assert!(!spine.is_empty());
    for s in &spine {
        assert!(ids.contains(s), "spine item {s} is not in the manifest");
    }
    let props = attrs(opf, "item", "properties");
    assert!(props.iter().any(|p| p == "nav"));
    // Every chapter parses, and every image and internal link it uses is inside the book.
    for h in hrefs.iter().filter(|h| h.ends_with(".xhtml")) {
        let file = format!("{base}/{h}");
        let dir = Path::new(&file).parent().unwrap();
        for src in attrs(&b.files[&file], "img", "src") {
            let p = normalize(&dir.join(&src));
            assert!(
                b.files.contains_key(&p),
                "{file}: image {src} is not in the book"
            );
        }
        for href in attrs(&b.files[&file], "a", "href") {
            if href.contains("://") || href.starts_with("mailto:") || href.starts_with('#') {
                continue;
            }
            let target = href.split('#').next().unwrap();
            let p = normalize(&dir.join(target));
            assert!(
                b.files.contains_key(&p),
                "{file}: link {href} points outside the book"
            );
        }
    }
    b
}

fn normalize(p: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

fn corpus(sub: &str) -> Option<std::path::PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(sub);
    if p.is_dir() {
        Some(p)
    } else {
        notice(&format!("{} is absent; corpus book skipped", p.display()));
        None
    }
}

#[test]
fn sample_post_epub_with_its_images_passes_epubcheck() {
    let server = Server::start(|path, _| {
        if path.ends_with(".png") {
            Reply::ok("image/png", PNG)
        } else {
            Reply::ok("image/jpeg", JPEG)
        }
    });
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("post.json");
    std::fs::write(
        &input,
        sample().replace("https:\\/\\/saito-cl-liver-regeneration.com", &server.base),
    )
    .unwrap();
    let out = d.path().join("out");
    let o = unpress(&[
        "convert",
        input.to_str().unwrap(),
        "--to",
        "epub",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let epub = out.join("blog-post-2160/index.epub");
    let b = check_structure(&epub);
    let images: BTreeSet<&String> = b
        .entries
        .iter()
        .filter(|e| e.contains("/images/"))
        .collect();
    assert_eq!(images.len(), 6, "{images:?}");
    let ch = text(&b.files["OEBPS/chapters/c0001.xhtml"]);
    assert_eq!(ch.matches("<li>").count(), 10, "the two ・ lists");
    assert!(
        !ch.contains("http://127.0.0.1") || !ch.contains("<img src=\"http"),
        "no remote images"
    );
    epubcheck(&epub);
}

#[test]
fn a_book_of_every_gutenberg_block_passes_epubcheck() {
    let Some(dir) = corpus("gutenberg-rest") else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let epub = d.path().join("blocks.epub");
    let o = unpress(&[
        "book",
        dir.to_str().unwrap(),
        "-o",
        epub.to_str().unwrap(),
        "--no-images",
        "--title",
        "Every block",
        "-q",
    ]);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        text(&o.stderr)
    );
    let b = check_structure(&epub);
    let chapters = b
        .entries
        .iter()
        .filter(|e| e.starts_with("OEBPS/chapters/"))
        .count();
    assert!(chapters >= 300, "{chapters} chapters");
    // No script and no iframe get into the book.
    for (name, bytes) in &b.files {
        if name.ends_with(".xhtml") {
            let t = text(bytes);
            assert!(!t.contains("<script") && !t.contains("<iframe"), "{name}");
        }
    }
    epubcheck(&epub);
}

#[test]
fn a_japanese_book_passes_epubcheck_in_both_writing_modes() {
    let Some(dir) = corpus("rest-fixtures/tuqulore-design-lab-ja") else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    for mode in ["horizontal-tb", "vertical-rl"] {
        let epub = d.path().join(format!("{mode}.epub"));
        let o = unpress(&[
            "book",
            dir.to_str().unwrap(),
            "-o",
            epub.to_str().unwrap(),
            "--no-images",
            "--writing-mode",
            mode,
            "-q",
        ]);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{}",
            text(&o.stderr)
        );
        let b = check_structure(&epub);
        let opf = text(&b.files["OEBPS/content.opf"]);
        assert!(opf.contains("<dc:language>ja</dc:language>"), "{opf}");
        assert_eq!(
            opf.contains("page-progression-direction=\"rtl\""),
            mode == "vertical-rl"
        );
        assert_eq!(
            text(&b.files["OEBPS/style.css"]).contains("vertical-rl"),
            mode == "vertical-rl"
        );
        epubcheck(&epub);
    }
}

#[test]
fn a_book_whose_images_failed_keeps_their_alt_text_and_passes_epubcheck() {
    let server = Server::start(|_, _| Reply::status(404));
    let d = tempfile::tempdir().unwrap();
    let html = format!(
        "<p>Intro</p><figure><img src=\"{}/gone.jpg\" alt=\"A lost photo\"></figure>",
        server.base
    );
    let input = d.path().join("p.json");
    std::fs::write(
        &input,
        serde_json::json!([
            post_on(&server.base, 1, "a", &html),
            post(2, "b", "<p>Second</p>")
        ])
        .to_string(),
    )
    .unwrap();
    let epub = d.path().join("b.epub");
    let o = unpress(&[
        "book",
        input.to_str().unwrap(),
        "-o",
        epub.to_str().unwrap(),
        "--title",
        "Lost",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("gone.jpg"), "{}", text(&o.stderr));
    let b = check_structure(&epub);
    assert!(text(&b.files["OEBPS/chapters/c0001.xhtml"]).contains("A lost photo"));
    epubcheck(&epub);
}

#[test]
fn the_same_input_gives_a_byte_identical_book() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("p.json");
    std::fs::write(
        &input,
        serde_json::json!([
            post(1, "a", "<h2>One</h2><p>x</p>"),
            post(2, "b", "<p>y</p>")
        ])
        .to_string(),
    )
    .unwrap();
    let a = d.path().join("a.epub");
    let b = d.path().join("b.epub");
    for out in [&a, &b] {
        assert_eq!(
            unpress(&["book", input.to_str().unwrap(), "-o", out.to_str().unwrap()])
                .status
                .code(),
            Some(0)
        );
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    check_structure(&a);
    epubcheck(&a);
}

#[test]
fn untitled_posts_and_duplicate_slugs_still_make_a_valid_book() {
    let d = tempfile::tempdir().unwrap();
    let mut p1 = post(1, "same", "<p>x</p>");
    p1["title"]["rendered"] = serde_json::json!("");
    let p2 = post(2, "same", "<p>y &amp; <script>z()</script></p>");
    let input = d.path().join("p.json");
    std::fs::write(&input, serde_json::json!([p1, p2]).to_string()).unwrap();
    let epub = d.path().join("u.epub");
    let o = unpress(&[
        "book",
        input.to_str().unwrap(),
        "-o",
        epub.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    check_structure(&epub);
    epubcheck(&epub);
}

#[test]
fn no_posts_or_a_cover_that_is_not_an_image_is_a_clear_error_and_no_file() {
    let d = tempfile::tempdir().unwrap();
    let empty = d.path().join("e.json");
    std::fs::write(&empty, "[]").unwrap();
    let out = d.path().join("x.epub");
    let o = unpress(&["book", empty.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("no posts"), "{}", text(&o.stderr));
    let input = d.path().join("p.json");
    std::fs::write(&input, post(1, "a", "<p>x</p>").to_string()).unwrap();
    let cover = d.path().join("cover.jpg");
    std::fs::write(&cover, "<html>not an image</html>").unwrap();
    let o = unpress(&[
        "book",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--cover",
        cover.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("not a JPEG, PNG or GIF"),
        "{}",
        text(&o.stderr)
    );
    assert!(!out.exists());
    assert!(
        std::fs::read_dir(d.path())
            .unwrap()
            .flatten()
            .all(|e| !e.file_name().to_string_lossy().contains(".unpress-"))
    );
}

#[test]
fn images_in_formats_readers_may_not_support_become_alt_text_with_a_warning() {
    // A WebP image: downloaded fine, but not an EPUB 3.2 core media type.
    let webp: &[u8] =
        b"RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f\0\0\0\x10\x07\x10\x11\x11\x88\x88\xfe\x07\0";
    let server = Server::start(move |_, _| Reply::ok("image/webp", webp));
    let d = tempfile::tempdir().unwrap();
    let html = format!(
        "<figure><img src=\"{}/photo.webp\" alt=\"A WebP photo\"></figure>",
        server.base
    );
    let input = d.path().join("p.json");
    std::fs::write(&input, post_on(&server.base, 1, "w", &html).to_string()).unwrap();
    let epub = d.path().join("w.epub");
    let o = unpress(&[
        "book",
        input.to_str().unwrap(),
        "-o",
        epub.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("format"), "{}", text(&o.stderr));
    let b = check_structure(&epub);
    assert!(!b.entries.iter().any(|e| e.contains("/images/")));
    assert!(text(&b.files["OEBPS/chapters/c0001.xhtml"]).contains("A WebP photo"));
    epubcheck(&epub);
}
