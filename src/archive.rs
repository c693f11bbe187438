//! Archive packages that prove their own integrity: a BagIt 1.0 bag (RFC 8493), as a folder or
//! as a deterministic zip written streaming, and `verify`, their fixity check.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

pub const AGENT: &str = concat!("unpress/", env!("CARGO_PKG_VERSION"));

/// Which payload files the package holds: (path inside `data/`, file on disk).
fn payload(src: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for e in rd {
            let e = e.map_err(|e| format!("{}: {e}", d.display()))?;
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            // Temporary files of a run that was stopped are not part of anything.
            if name.starts_with('.') && name.contains(".unpress-") {
                continue;
            }
            let ft = e.file_type().map_err(|e| format!("{}: {e}", p.display()))?;
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() {
                let rel = p
                    .strip_prefix(src)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, p));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// BagIt manifests percent-encode CR, LF and `%` in paths.
fn encode_path(p: &str) -> String {
    p.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn decode_path(p: &str) -> String {
    p.replace("%0A", "\n")
        .replace("%0a", "\n")
        .replace("%0D", "\r")
        .replace("%0d", "\r")
        .replace("%25", "%")
}

fn hash_reader(mut r: impl Read) -> std::io::Result<(String, u64)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = r.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((h.finalize().iter().map(|b| format!("{b:02x}")).collect(), n))
}

fn hash_bytes(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

pub struct ArchiveOptions {
    pub src: PathBuf,
    pub out: PathBuf,
    pub bag: bool,
    pub force: bool,
    /// Also make an EPUB of the folder's posts and keep it in the package as `data/book.epub`.
    pub epub: Option<crate::book::BookOptions>,
}

/// What was packaged.
pub struct Packaged {
    pub files: usize,
    pub bytes: u64,
}

/// The bag's tag files for a payload, with their contents (deterministic: the bagging date is
/// the source's newest modification, not the clock, so the same mirror gives the same bag).
fn tag_files(
    src: &Path,
    manifest: &str,
    listing: &str,
    octets: u64,
    count: usize,
    newest: &str,
) -> BTreeMap<String, Vec<u8>> {
    let state = crate::mirror::State::load(src).ok().flatten();
    let org = state
        .as_ref()
        .map(|s| s.site.name.clone())
        .filter(|n| !n.is_empty());
    let url = state
        .as_ref()
        .map(|s| s.site.url.clone())
        .filter(|n| !n.is_empty());
    let mut info = String::new();
    if let Some(o) = org {
        info.push_str(&format!("Source-Organization: {o}\n"));
    }
    if let Some(u) = url {
        info.push_str(&format!("External-Identifier: {u}\n"));
    }
    info.push_str(&format!("Bagging-Date: {newest}\n"));
    info.push_str(&format!("Payload-Oxum: {octets}.{count}\n"));
    info.push_str(&format!("Bag-Software-Agent: {AGENT}\n"));
    let mut t = BTreeMap::new();
    t.insert(
        "bagit.txt".to_string(),
        b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_vec(),
    );
    t.insert("bag-info.txt".to_string(), info.into_bytes());
    t.insert(
        "manifest-sha256.txt".to_string(),
        manifest.as_bytes().to_vec(),
    );
    t.insert("unpress-files.tsv".to_string(), listing.as_bytes().to_vec());
    let mut tm = String::new();
    for (name, bytes) in &t {
        tm.push_str(&format!("{}  {name}\n", hash_bytes(bytes)));
    }
    t.insert("tagmanifest-sha256.txt".to_string(), tm.into_bytes());
    t
}

/// Packages a folder (a mirror, or any converted output).
pub fn package(opts: &ArchiveOptions) -> Result<Packaged, String> {
    let src = &opts.src;
    if !src.is_dir() {
        return Err(format!("{}: not a folder", src.display()));
    }
    if opts.out.exists() && !opts.force {
        return Err(format!(
            "{} already exists; choose another name or add --force",
            opts.out.display()
        ));
    }
    if let (Ok(a), Ok(b)) = (
        src.canonicalize(),
        opts.out
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .unwrap_or(Path::new("."))
            .canonicalize(),
    ) && b.starts_with(&a)
    {
        return Err(format!(
            "{} is inside {}: the package would hold itself",
            opts.out.display(),
            src.display()
        ));
    }
    // What a killed run left beside the target goes first; this run's temporaries stay there
    // too, never under a shared name in /tmp.
    crate::output::remove_stale_temps_beside(&opts.out);
    let mut files = payload(src)?;
    let book_tmp = crate::output::temp_path(&opts.out);
    if let Some(book) = &opts.epub {
        let mut b = crate::book::BookOptions {
            inputs: vec![src.clone()],
            out: book_tmp.clone(),
            ..book.clone()
        };
        b.images = false;
        crate::book::run(&b).map_err(|e| format!("the book for the package: {e}"))?;
        if files.iter().any(|(r, _)| r == "book.epub") {
            return Err(format!(
                "{} holds a book.epub already; package it without --epub",
                src.display()
            ));
        }
        files.push(("book.epub".into(), book_tmp.clone()));
        files.sort();
    }
    let result = package_files(opts, &files);
    let _ = std::fs::remove_file(&book_tmp);
    result
}

fn package_files(opts: &ArchiveOptions, files: &[(String, PathBuf)]) -> Result<Packaged, String> {
    let src = &opts.src;
    let mut manifest = String::new();
    let mut listing = String::from("sha256\tsize\tpath\n");
    let mut octets = 0u64;
    for (rel, path) in files {
        let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let (h, n) = hash_reader(f).map_err(|e| format!("{}: {e}", path.display()))?;
        manifest.push_str(&format!("{h}  data/{}\n", encode_path(rel)));
        listing.push_str(&format!("{h}\t{n}\tdata/{}\n", encode_path(rel)));
        octets += n;
    }
    let newest = newest_date(src, files);
    let tags = tag_files(src, &manifest, &listing, octets, files.len(), &newest);
    if opts.bag {
        write_bag_dir(&opts.out, files, &tags, opts.force)?;
    } else {
        write_zip(&opts.out, files, &tags)?;
    }
    Ok(Packaged {
        files: files.len(),
        bytes: octets,
    })
}

/// The date of the newest item a mirror holds (else of the newest file), as `YYYY-MM-DD`.
fn newest_date(src: &Path, files: &[(String, PathBuf)]) -> String {
    let today = {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let (y, m, d) = crate::dates::civil_from_days(now.div_euclid(86400));
        format!("{y:04}-{m:02}-{d:02}")
    };
    // Never a date in the future (a scheduled post's), which no bag can have been made on.
    if let Ok(Some(state)) = crate::mirror::State::load(src)
        && let Some(m) = state
            .items
            .values()
            .map(|i| i.modified_gmt.clone())
            .filter(|m| m.len() >= 10 && m[..10] <= *today)
            .max()
    {
        return m[..10].to_string();
    }
    let newest = files
        .iter()
        .filter_map(|(_, p)| std::fs::metadata(p).ok()?.modified().ok())
        .max()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (y, m, d) = crate::dates::civil_from_days(newest.div_euclid(86400));
    format!("{y:04}-{m:02}-{d:02}")
}

fn write_bag_dir(
    out: &Path,
    files: &[(String, PathBuf)],
    tags: &BTreeMap<String, Vec<u8>>,
    force: bool,
) -> Result<(), String> {
    // Built beside the target and renamed into place: no half bag under the final name.
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let tmp = crate::output::temp_path(out);
    let build = || -> Result<(), String> {
        // Made new, so that everything below it is ours.
        std::fs::create_dir(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
        for (rel, path) in files {
            let to = tmp.join("data").join(rel);
            if let Some(p) = to.parent() {
                std::fs::create_dir_all(p).map_err(|e| format!("{}: {e}", p.display()))?;
            }
            std::fs::copy(path, &to).map_err(|e| format!("{}: {e}", to.display()))?;
        }
        for (name, bytes) in tags {
            std::fs::write(tmp.join(name), bytes).map_err(|e| format!("{name}: {e}"))?;
        }
        Ok(())
    };
    if let Err(e) = build() {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if force && out.exists() {
        let _ = std::fs::remove_dir_all(out).or_else(|_| std::fs::remove_file(out));
    }
    std::fs::rename(&tmp, out).map_err(|e| format!("{}: {e}", out.display()))
}

/// A serialized bag: one top folder named after the zip, entries sorted, timestamps fixed,
/// files streamed from disk (a package of gigabytes never sits in memory).
fn write_zip(
    out: &Path,
    files: &[(String, PathBuf)],
    tags: &BTreeMap<String, Vec<u8>>,
) -> Result<(), String> {
    let top = out
        .file_stem()
        .map(|s| crate::output::safe_component(&s.to_string_lossy()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "bag".into());
    if let Some(p) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(p).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    let tmp = crate::output::temp_path(out);
    let result = (|| -> Result<(), String> {
        let f = crate::output::create_new(&tmp).map_err(|e| format!("{}: {e}", out.display()))?;
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(f));
        let base = zip::write::SimpleFileOptions::default()
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644)
            .large_file(false);
        let deflate = base
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(6));
        let stored = base.compression_method(zip::CompressionMethod::Stored);
        let mut entries: BTreeMap<String, Option<&PathBuf>> = BTreeMap::new();
        for (rel, path) in files {
            entries.insert(format!("{top}/data/{rel}"), Some(path));
        }
        for name in tags.keys() {
            entries.insert(format!("{top}/{name}"), None);
        }
        let err = |e: zip::result::ZipError| e.to_string();
        for (name, path) in entries {
            match path {
                Some(p) => {
                    let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
                    let opts = if compressed_already(&name) {
                        stored
                    } else {
                        deflate
                    };
                    let opts = opts.large_file(meta.len() >= 0xFFFF_FFFF);
                    zip.start_file(name, opts).map_err(err)?;
                    let mut f =
                        std::fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?;
                    std::io::copy(&mut f, &mut zip).map_err(|e| format!("{}: {e}", p.display()))?;
                }
                None => {
                    let tag = name.rsplit('/').next().unwrap_or("");
                    zip.start_file(name.clone(), deflate).map_err(err)?;
                    zip.write_all(&tags[tag]).map_err(|e| e.to_string())?;
                }
            }
        }
        zip.finish()
            .map_err(err)?
            .flush()
            .map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, out).map_err(|e| format!("{}: {e}", out.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn compressed_already(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".zip", ".epub", ".mp4", ".mp3", ".gz",
    ]
    .iter()
    .any(|e| n.ends_with(e))
}

/// What `verify` found: every difference, by path.
#[derive(Debug, Default)]
pub struct Fixity {
    pub checked: usize,
    pub missing: Vec<String>,
    pub changed: Vec<String>,
    pub unexpected: Vec<String>,
    /// Problems with the bag's own declarations (Payload-Oxum, tag manifest).
    pub problems: Vec<String>,
}

impl Fixity {
    pub fn ok(&self) -> bool {
        self.missing.is_empty()
            && self.changed.is_empty()
            && self.unexpected.is_empty()
            && self.problems.is_empty()
    }
}

/// Checks a bag folder or a zipped bag against its own manifests.
pub fn verify(path: &Path) -> Result<Fixity, String> {
    if path.is_dir() {
        verify_dir(path)
    } else {
        verify_zip(path)
    }
}

fn parse_manifest(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut m = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (h, p) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("manifest line {}: expected `checksum  path`", n + 1))?;
        m.insert(decode_path(p.trim_start()), h.to_ascii_lowercase());
    }
    Ok(m)
}

fn check_declared(
    files: &BTreeMap<String, (String, u64)>,
    tags: &BTreeMap<String, Vec<u8>>,
    f: &mut Fixity,
) -> Result<(), String> {
    let text = |n: &str| tags.get(n).map(|b| String::from_utf8_lossy(b).into_owned());
    let manifest =
        parse_manifest(&text("manifest-sha256.txt").ok_or("not a bag: no manifest-sha256.txt")?)?;
    if text("bagit.txt").is_none() {
        f.problems.push("bagit.txt is missing".into());
    }
    for (p, h) in &manifest {
        match files.get(p) {
            None => f.missing.push(p.clone()),
            Some((got, _)) if got != h => f.changed.push(p.clone()),
            Some(_) => f.checked += 1,
        }
    }
    for p in files.keys() {
        if !manifest.contains_key(p) {
            f.unexpected.push(p.clone());
        }
    }
    if let Some(tm) = text("tagmanifest-sha256.txt") {
        for (p, h) in parse_manifest(&tm)? {
            match tags.get(&p) {
                None => f
                    .problems
                    .push(format!("{p} (listed in tagmanifest-sha256.txt) is missing")),
                Some(b) if hash_bytes(b) != h => f
                    .problems
                    .push(format!("{p} changed (tagmanifest-sha256.txt)")),
                Some(_) => {}
            }
        }
    }
    if let Some(info) = text("bag-info.txt")
        && let Some(oxum) = info.lines().find_map(|l| l.strip_prefix("Payload-Oxum:"))
    {
        let octets: u64 = files.values().map(|(_, n)| n).sum();
        let want = format!("{octets}.{}", files.len());
        if oxum.trim() != want {
            f.problems.push(format!(
                "Payload-Oxum says {} but the payload is {want}",
                oxum.trim()
            ));
        }
    }
    Ok(())
}

fn verify_dir(dir: &Path) -> Result<Fixity, String> {
    let mut files = BTreeMap::new();
    let data = dir.join("data");
    if data.is_dir() {
        for (rel, path) in payload(&data)? {
            let f = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            files.insert(
                format!("data/{rel}"),
                hash_reader(f).map_err(|e| format!("{}: {e}", path.display()))?,
            );
        }
    }
    let mut tags = BTreeMap::new();
    for e in std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
    {
        if e.path().is_file() {
            let b = std::fs::read(e.path()).map_err(|e| e.to_string())?;
            tags.insert(e.file_name().to_string_lossy().into_owned(), b);
        }
    }
    let mut f = Fixity::default();
    check_declared(&files, &tags, &mut f)?;
    Ok(f)
}

/// Reads the zip in place: entries hashed as they are decompressed, nothing unpacked to disk.
fn verify_zip(path: &Path) -> Result<Fixity, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut z = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| {
        format!(
            "{}: not a readable zip archive ({e}); it may be truncated",
            path.display()
        )
    })?;
    let mut files = BTreeMap::new();
    let mut tags = BTreeMap::new();
    let mut f = Fixity::default();
    for i in 0..z.len() {
        let mut entry = z
            .by_index(i)
            .map_err(|e| format!("{}: entry {i}: {e}", path.display()))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry
            .name()
            .map(|n| n.to_string())
            .map_err(|e| format!("{}: entry {i}: {e}", path.display()))?;
        // Strip the bag's top folder.
        let inner = name
            .split_once('/')
            .map(|(_, r)| r.to_string())
            .unwrap_or(name.clone());
        if inner.starts_with("data/") {
            match hash_reader(&mut entry) {
                Ok(h) => {
                    files.insert(inner, h);
                }
                Err(e) => f.problems.push(format!(
                    "{inner}: cannot be read ({e}); the zip may be damaged"
                )),
            }
        } else {
            let mut b = Vec::new();
            entry
                .read_to_end(&mut b)
                .map_err(|e| format!("{inner}: {e}"))?;
            tags.insert(inner, b);
        }
    }
    check_declared(&files, &tags, &mut f)?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_paths_round_trip_their_encoding() {
        let p = "data/100%/a\nb.txt";
        assert_eq!(decode_path(&encode_path(p)), p);
    }
}
