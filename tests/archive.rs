//! Archive packages: a valid BagIt bag (checked by the Library of Congress `bagit` tool and by
//! `unpress verify`), a byte-identical zip for the same folder, and `verify` naming every
//! missing, changed and unexpected file, with a clear error for a truncated zip.

mod common;
use common::*;
use std::io::{Read, Write};
use std::path::Path;

/// A small folder shaped like a mirror.
fn folder(dir: &Path) -> std::path::PathBuf {
    let src = dir.join("mirror");
    std::fs::create_dir_all(src.join("items/posts")).unwrap();
    std::fs::create_dir_all(src.join("media/2024/01")).unwrap();
    std::fs::write(
        src.join("items/posts/1.json"),
        post(1, "a", "<p>x</p>").to_string(),
    )
    .unwrap();
    std::fs::write(
        src.join("items/posts/2.json"),
        post(2, "日本語", "<p>y</p>").to_string(),
    )
    .unwrap();
    std::fs::write(src.join("media/2024/01/a.jpg"), JPEG).unwrap();
    // Spaces and Japanese in names; no `%`, which RFC 8493 percent-encodes but the bagit tool does not decode.
    std::fs::write(src.join("media/2024/01/桜 photo.png"), PNG).unwrap();
    src
}

fn bagit_validate(bag: &Path) {
    let o = std::process::Command::new("python3")
        .args(["-m", "bagit", "--validate", bag.to_str().unwrap()])
        .output()
        .unwrap();
    let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
    if all.contains("No module named bagit") {
        if std::env::var_os("UNPRESS_REQUIRE_BAGIT").is_some() {
            panic!("UNPRESS_REQUIRE_BAGIT is set but the bagit module is missing");
        }
        notice(
            "the bagit Python tool is not installed (pip install bagit); BagIt validation skipped",
        );
        return;
    }
    assert!(o.status.success() && all.contains("is valid"), "{all}");
}

/// `unpress archive SRC -o OUT EXTRA…`.
fn archive(src: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "archive",
        src.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    unpress(&args)
}

#[test]
fn a_bag_is_valid_for_the_bagit_tool_and_for_verify() {
    let d = tempfile::tempdir().unwrap();
    let src = folder(d.path());
    let bag = d.path().join("bag");
    let o = archive(&src, &bag, &["--bag"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for f in [
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "tagmanifest-sha256.txt",
    ] {
        assert!(bag.join(f).is_file(), "{f}");
    }
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    assert!(
        info.contains("Payload-Oxum: ")
            && info.contains("Bagging-Date: ")
            && info.contains("Bag-Software-Agent: unpress/"),
        "{info}"
    );
    bagit_validate(&bag);
    assert_eq!(
        unpress(&["verify", bag.to_str().unwrap()]).status.code(),
        Some(0)
    );
}

#[test]
fn verify_names_every_missing_changed_and_unexpected_file() {
    let d = tempfile::tempdir().unwrap();
    let src = folder(d.path());
    let bag = d.path().join("bag");
    assert_eq!(archive(&src, &bag, &["--bag"]).status.code(), Some(0));
    std::fs::remove_file(bag.join("data/items/posts/1.json")).unwrap();
    std::fs::write(bag.join("data/items/posts/2.json"), b"{}").unwrap();
    std::fs::write(bag.join("data/extra.txt"), b"?").unwrap();
    let o = unpress(&["verify", bag.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(e.contains("missing: data/items/posts/1.json"), "{e}");
    assert!(e.contains("changed: data/items/posts/2.json"), "{e}");
    assert!(e.contains("unexpected: data/extra.txt"), "{e}");
    assert!(e.contains("Payload-Oxum"), "{e}");
}

#[test]
fn the_same_folder_gives_a_byte_identical_zip_that_verifies_in_place() {
    let d = tempfile::tempdir().unwrap();
    let src = folder(d.path());
    let a = d.path().join("a.zip");
    let b = d.path().join("b.zip");
    assert_eq!(archive(&src, &a, &[]).status.code(), Some(0));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(archive(&src, &b, &[]).status.code(), Some(0));
    let (za, zb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    // Same bytes, apart from the top folder's name (each zip is named after its file).
    assert_eq!(za.len(), zb.len());
    let c = d.path().join("a-again");
    std::fs::create_dir(&c).unwrap();
    let a2 = c.join("a.zip");
    assert_eq!(archive(&src, &a2, &[]).status.code(), Some(0));
    assert_eq!(za, std::fs::read(&a2).unwrap());
    assert_eq!(
        unpress(&["verify", a.to_str().unwrap()]).status.code(),
        Some(0)
    );
    // The zip is a serialized bag: unpacked, the bagit tool accepts it too.
    let out = d.path().join("unzipped");
    let mut z = zip::ZipArchive::new(std::fs::File::open(&a).unwrap()).unwrap();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let p = out.join(&name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let mut b = Vec::new();
        f.read_to_end(&mut b).unwrap();
        std::fs::write(p, b).unwrap();
    }
    bagit_validate(&out.join("a"));
}

#[test]
fn a_tampered_zip_is_caught_without_unpacking_it() {
    let d = tempfile::tempdir().unwrap();
    let src = folder(d.path());
    let a = d.path().join("a.zip");
    assert_eq!(archive(&src, &a, &[]).status.code(), Some(0));
    // Copy every entry but change one, drop one and add one.
    let mut z = zip::ZipArchive::new(std::fs::File::open(&a).unwrap()).unwrap();
    let t = d.path().join("t.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&t).unwrap());
    let o = zip::write::SimpleFileOptions::default();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut b = Vec::new();
        f.read_to_end(&mut b).unwrap();
        if name.ends_with("1.json") {
            continue;
        }
        if name.ends_with("a.jpg") {
            let n = b.len() - 3;
            b[n] ^= 0xff;
        }
        w.start_file(name, o).unwrap();
        w.write_all(&b).unwrap();
    }
    w.start_file("a/data/new.txt", o).unwrap();
    w.write_all(b"new").unwrap();
    w.finish().unwrap();
    let o = unpress(&["verify", t.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(
        e.contains("missing: data/items/posts/1.json")
            && e.contains("changed: data/media/2024/01/a.jpg")
            && e.contains("unexpected: data/new.txt"),
        "{e}"
    );
}

#[test]
fn a_truncated_zip_gets_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    let src = folder(d.path());
    let a = d.path().join("a.zip");
    assert_eq!(archive(&src, &a, &[]).status.code(), Some(0));
    let bytes = std::fs::read(&a).unwrap();
    std::fs::write(&a, &bytes[..bytes.len() / 2]).unwrap();
    let o = unpress(&["verify", a.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("truncated"), "{}", text(&o.stderr));
}

#[test]
fn an_existing_target_is_refused_unless_forced() {
    let d = tempfile::tempdir().unwrap();
    let src = folder(d.path());
    let a = d.path().join("a.zip");
    std::fs::write(&a, b"precious").unwrap();
    let o = archive(&src, &a, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("already exists"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(std::fs::read(&a).unwrap(), b"precious");
    assert_eq!(archive(&src, &a, &["--force"]).status.code(), Some(0));
    assert_eq!(
        unpress(&["verify", a.to_str().unwrap()]).status.code(),
        Some(0)
    );
    // A package inside the folder it packages would hold itself.
    let inside = src.join("self.zip");
    assert_eq!(archive(&src, &inside, &[]).status.code(), Some(2));
}

#[test]
fn a_package_can_carry_an_epub_of_its_posts() {
    let d = tempfile::tempdir().unwrap();
    let src = folder(d.path());
    let a = d.path().join("with-book.zip");
    let o = archive(&src, &a, &["--epub"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let z = zip::ZipArchive::new(std::fs::File::open(&a).unwrap()).unwrap();
    assert!(
        z.file_names()
            .any(|n| n.is_ok_and(|n| n == "with-book/data/book.epub"))
    );
    assert_eq!(
        unpress(&["verify", a.to_str().unwrap()]).status.code(),
        Some(0)
    );
}
