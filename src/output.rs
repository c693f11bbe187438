//! The output folder: safe, unique names whatever a slug or URL says, and atomic writes.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

const MAX_NAME_BYTES: usize = 120;

/// Windows reserves these names (with any extension) in every folder.
const RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// One path component that stays inside its folder on every common file system: no separators,
/// no `..`, no control or reserved characters, no device names, no trailing dots, bounded length.
/// Readable characters (Japanese included) are kept.
pub fn safe_component(raw: &str) -> String {
    let mut s = String::with_capacity(raw.len());
    for c in raw.chars() {
        let bad = c.is_control()
            || matches!(
                c,
                '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' | '\u{0}'
            )
            || c.is_whitespace();
        if bad {
            if !s.ends_with('-') {
                s.push('-');
            }
        } else {
            s.push(c);
        }
    }
    let mut s = s
        .trim_matches(|c| c == '-' || c == '.' || c == ' ')
        .to_string();
    if s.len() > MAX_NAME_BYTES {
        let mut cut = MAX_NAME_BYTES;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s = s.trim_end_matches(['-', '.']).to_string();
    }
    let stem = s.split('.').next().unwrap_or("").to_ascii_lowercase();
    if RESERVED.contains(&stem.as_str()) {
        s.insert(0, '_');
    }
    s
}

/// Hands out names that are unique in one folder, ignoring case (macOS and Windows fold it).
#[derive(Default, Debug)]
pub struct Names {
    taken: HashSet<String>,
}

impl Names {
    /// `stem` + `ext` if free, else `stem-2` + `ext`, `stem-3` …
    pub fn claim(&mut self, stem: &str, ext: &str) -> String {
        let mut n = 1;
        loop {
            let name = if n == 1 {
                format!("{stem}{ext}")
            } else {
                format!("{stem}-{n}{ext}")
            };
            if self.taken.insert(name.to_lowercase()) {
                return name;
            }
            n += 1;
        }
    }
    /// Claims an exact name; false when it is taken.
    pub fn claim_exact(&mut self, name: &str) -> bool {
        self.taken.insert(name.to_lowercase())
    }
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary sibling of `path`: same folder, so the final rename is atomic.
pub fn temp_path(path: &Path) -> PathBuf {
    let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // getpid is a system call; asked once, not once per file.
    static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let pid = PID.get_or_init(std::process::id);
    path.with_file_name(format!(".{name}.unpress-{pid}-{n}.tmp"))
}

/// Writes a file so that it is either absent, the old version, or complete: never half written.
/// The temporary file is created new (never opened through a link planted under its name),
/// and the rename replaces a link at `path` rather than writing where it points.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = create_new(&tmp)?;
        f.write_all(bytes)?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes a file atomically, as [`write_atomic`], from a writer that produces it piece by
/// piece into a buffered file.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, create_new(&tmp)?);
        fill(&mut w)?;
        w.into_inner().map_err(|e| e.into_error())?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A file that did not exist: `O_CREAT | O_EXCL`, which refuses a symbolic link in its place.
pub fn create_new(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Creates `dir` and every folder between `root` and it, never through a symbolic link: a link
/// (or a file) where a folder should be is an error that names it. `root` itself is the user's
/// choice and may be anything that leads to a folder.
pub fn make_dirs(root: &Path, dir: &Path) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    let rel = dir
        .strip_prefix(root)
        .map_err(|_| Error::other(format!("{} is outside {}", dir.display(), root.display())))?;
    std::fs::create_dir_all(root)?;
    let mut cur = root.to_path_buf();
    for c in rel.components() {
        match c {
            std::path::Component::Normal(n) => cur.push(n),
            std::path::Component::CurDir => continue,
            _ => {
                return Err(Error::other(format!("{} leaves its folder", dir.display())));
            }
        }
        match std::fs::symlink_metadata(&cur) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Error::other(format!(
                    "{} is a symbolic link; unpress never writes through links (remove it, or choose another output folder)",
                    cur.display()
                )));
            }
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(Error::other(format!(
                    "{} is a file, not a folder",
                    cur.display()
                )));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => match std::fs::create_dir(&cur) {
                Ok(()) => {}
                // Made by another worker meanwhile: checked again as it is now.
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    if !std::fs::symlink_metadata(&cur).is_ok_and(|m| m.is_dir()) {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The bytes of a regular file; `None` for a link, a folder, a device or a missing file.
/// What a mirror or an output folder holds may have been planted: reading through a link
/// could copy any file of the machine into the output.
pub fn read_regular(path: &Path) -> Option<Vec<u8>> {
    let m = std::fs::symlink_metadata(path).ok()?;
    if !m.is_file() {
        return None;
    }
    std::fs::read(path).ok()
}

/// Whether a temporary name of ours belongs to a run that is no longer alive:
/// `.NAME.unpress-PID-N.tmp`.
fn stale_temp(name: &str) -> bool {
    if !(name.starts_with('.') && name.contains(".unpress-") && name.ends_with(".tmp")) {
        return false;
    }
    let pid = name
        .rsplit(".unpress-")
        .next()
        .and_then(|r| r.split('-').next())
        .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    // Leave the files of a run that is still going.
    !pid.is_some_and(|pid| Path::new("/proc").join(pid).exists())
}

/// Removes temporary files and folders a killed run left behind (its writes never got to
/// their rename), in `dir` and below.
pub fn remove_stale_temps(dir: &Path) {
    remove_stale_in(dir, true)
}

/// Removes what a killed run left beside `target` (a book, a zip, a bag) in its folder alone.
pub fn remove_stale_temps_beside(target: &Path) {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    remove_stale_in(parent, false)
}

fn remove_stale_in(dir: &Path, deep: bool) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        match e.file_type() {
            Ok(t) if t.is_dir() && stale_temp(&name) => {
                let _ = std::fs::remove_dir_all(&p);
            }
            Ok(t) if t.is_dir() && deep => remove_stale_in(&p, deep),
            Ok(t) if t.is_file() && stale_temp(&name) => {
                let _ = std::fs::remove_file(&p);
            }
            _ => {}
        }
    }
}

/// Copies a file atomically.
pub fn copy_atomic(from: &Path, to: &Path) -> std::io::Result<()> {
    let tmp = temp_path(to);
    let result = (|| {
        let mut src = std::fs::File::open(from)?;
        let mut dst = create_new(&tmp)?;
        std::io::copy(&mut src, &mut dst)?;
        drop(dst);
        std::fs::rename(&tmp, to)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_slugs_stay_one_component() {
        for raw in [
            "../../etc/passwd",
            "a/b\\c",
            "..",
            ".",
            "con",
            "COM1.txt",
            "nul\0x",
            "a:b*c?",
        ] {
            let s = safe_component(raw);
            assert!(
                !s.contains('/') && !s.contains('\\') && !s.contains('\0'),
                "{raw} -> {s}"
            );
            assert!(s != ".." && s != ".", "{raw} -> {s}");
            assert!(
                !RESERVED.contains(&s.split('.').next().unwrap().to_lowercase().as_str()),
                "{raw} -> {s}"
            );
        }
        assert_eq!(safe_component("../../etc/passwd"), "etc-passwd");
    }

    #[test]
    fn long_names_are_cut_on_a_char_boundary() {
        let s = safe_component(&"日本語".repeat(100));
        assert!(s.len() <= MAX_NAME_BYTES && s.starts_with("日本語"));
    }

    #[test]
    fn names_never_collide_even_by_case() {
        let mut n = Names::default();
        assert_eq!(n.claim("Post", ".md"), "Post.md");
        assert_eq!(n.claim("post", ".md"), "post-2.md");
    }
}
