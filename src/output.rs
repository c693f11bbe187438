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
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Removes temporary files a killed run left behind (its writes never got to their rename).
pub fn remove_stale_temps(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        match e.file_type() {
            Ok(t) if t.is_dir() => remove_stale_temps(&p),
            Ok(t)
                if t.is_file()
                    && name.starts_with('.')
                    && name.contains(".unpress-")
                    && name.ends_with(".tmp") =>
            {
                // `.NAME.unpress-PID-N.tmp`: leave the files of a run that is still going.
                let pid = name
                    .rsplit(".unpress-")
                    .next()
                    .and_then(|r| r.split('-').next());
                let alive = pid.is_some_and(|pid| Path::new("/proc").join(pid).exists());
                if !alive {
                    let _ = std::fs::remove_file(&p);
                }
            }
            _ => {}
        }
    }
}

/// Copies a file atomically.
pub fn copy_atomic(from: &Path, to: &Path) -> std::io::Result<()> {
    let tmp = temp_path(to);
    let result = std::fs::copy(from, &tmp).and_then(|_| std::fs::rename(&tmp, to));
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
