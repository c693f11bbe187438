//! The mirror folder `fetch` keeps: its layout, and the state file that makes re-runs incremental.

use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The state file; its presence marks a folder as an unpress mirror.
pub const STATE_FILE: &str = "unpress-mirror.json";
/// Items exactly as the server sent them: `items/<rest_base>/<id>.json`.
pub const ITEMS: &str = "items";
/// Categories, tags and other terms: `terms/<rest_base>/<id>.json`.
pub const TERMS: &str = "terms";
pub const USERS: &str = "users";
/// `/wp/v2/media` entries of every attachment the items use: `media-items/<id>.json`.
pub const MEDIA_ITEMS: &str = "media-items";
/// Downloaded files, laid out as under `wp-content/uploads/`.
pub const MEDIA: &str = "media";
/// Items no longer listed by the site, moved aside rather than removed.
pub const DELETED: &str = "deleted";
/// The converted output, as `convert` writes it.
pub const SITE: &str = "site";

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct State {
    pub format: u32,
    pub site: SiteInfo,
    /// Per post type (by REST base): when it was last listed completely.
    pub types: BTreeMap<String, TypeState>,
    /// Per item, keyed `rest_base/id`.
    pub items: BTreeMap<String, ItemState>,
    /// Per downloaded URL.
    pub media: BTreeMap<String, MediaState>,
    /// Every size of an attachment (`-300x200`, `-scaled`) → the URL of its original upload.
    pub originals: BTreeMap<String, String>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct SiteInfo {
    pub url: String,
    pub api_root: String,
    pub name: String,
    pub description: String,
    pub home: String,
    pub gmt_offset: Option<f64>,
    pub timezone_string: String,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct TypeState {
    pub slug: String,
    /// The newest `modified_gmt` seen in the last complete listing.
    pub synced_gmt: Option<String>,
    /// `X-WP-Total` at the last complete listing.
    pub total: u64,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct ItemState {
    pub id: u64,
    pub rest_base: String,
    pub modified_gmt: String,
    pub sha256: String,
    /// Relative to the mirror.
    pub file: String,
    /// Password-protected and not unlocked: kept raw, not converted.
    #[serde(default)]
    pub protected: bool,
    /// The name its converted output was given, kept across runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Every image it shows is in the mirror.
    #[serde(default)]
    pub media_done: bool,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct MediaState {
    /// Relative to the mirror.
    pub file: String,
    pub sha256: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl State {
    pub fn load(mirror: &Path) -> Result<Option<State>, String> {
        let p = mirror.join(STATE_FILE);
        match std::fs::read(&p) {
            Ok(b) => {
                let state: State = serde_json::from_slice(&b).map_err(|e| {
                    format!(
                        "{}: unreadable mirror state ({e}); move it aside to start afresh",
                        p.display()
                    )
                })?;
                state
                    .check()
                    .map_err(|e| format!("{}: {e}; move it aside to start afresh", p.display()))?;
                Ok(Some(state))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", p.display())),
        }
    }

    pub fn save(&self, mirror: &Path) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        crate::output::write_atomic(&mirror.join(STATE_FILE), &bytes)
    }

    /// A state file may come from elsewhere (mirrors are handed on): every path in it must stay
    /// inside the mirror, every output name must be one plain name.
    fn check(&self) -> Result<(), String> {
        let inside = |p: &str| {
            !p.is_empty()
                && Path::new(p)
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
        };
        for (k, i) in &self.items {
            if !inside(&i.file) {
                return Err(format!("item {k} has an unsafe file path {:?}", i.file));
            }
            if let Some(o) = &i.output
                && crate::output::safe_component(o) != *o
            {
                return Err(format!("item {k} has an unsafe output name {o:?}"));
            }
        }
        for (u, m) in &self.media {
            if !inside(&m.file) {
                return Err(format!("media {u} has an unsafe file path {:?}", m.file));
            }
        }
        Ok(())
    }

    /// Every URL that has a local file in the mirror (originals and all their sizes), for
    /// converting offline.
    pub fn local_files(&self, mirror: &Path) -> std::collections::HashMap<String, PathBuf> {
        let mut out = std::collections::HashMap::new();
        for (url, m) in &self.media {
            out.insert(url.clone(), mirror.join(&m.file));
        }
        for (size, original) in &self.originals {
            if let Some(m) = self.media.get(original) {
                out.insert(size.clone(), mirror.join(&m.file));
            }
        }
        out
    }
}

/// Is this folder a mirror written by `unpress fetch`?
pub fn is_mirror(dir: &Path) -> bool {
    dir.join(STATE_FILE).is_file()
}

/// The item files of a mirror that can be converted (not password-protected), in a stable order.
pub fn convertible_items(dir: &Path, state: &State) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = state
        .items
        .values()
        .filter(|i| !i.protected)
        .map(|i| dir.join(&i.file))
        .collect();
    v.sort();
    v
}

/// A mirror path for a downloaded URL: its path under `uploads/` when it has one.
pub fn media_path(url: &str, own_host: &str) -> String {
    let (path, query) = url.split_once(['?', '#']).unwrap_or((url, ""));
    let rest = path.split("://").nth(1).unwrap_or(path);
    let host = rest.split('/').next().unwrap_or("").to_ascii_lowercase();
    // The site's own uploads keep their uploads/ layout; anything else keeps its host, so that
    // two sites' `2024/05/photo.png` never meet.
    let after = match path.split_once("/uploads/") {
        Some((_, a)) if host == own_host.to_ascii_lowercase() => a.to_string(),
        _ => format!("external/{rest}"),
    };
    let mut parts: Vec<String> = after
        .split('/')
        .map(|p| {
            crate::output::safe_component(
                &percent_encoding::percent_decode_str(p).decode_utf8_lossy(),
            )
        })
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        parts.push("file".into());
    }
    // The same path with another query string is another file (`?w=300`, `?ver=2`).
    if !query.is_empty()
        && let Some(last) = parts.last_mut()
    {
        let tag: String = sha2::Sha256::digest(query.as_bytes())
            .iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect();
        *last = match last.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}-{tag}.{ext}"),
            None => format!("{last}-{tag}"),
        };
    }
    format!("{MEDIA}/{}", parts.join("/"))
}

/// Replaces every mirror among a conversion's inputs by its items, and lets the conversion use
/// the mirror's media and output names: `unpress convert mirror/` works offline.
pub fn resolve_inputs(opts: &mut crate::convert::ConvertOptions) -> Result<(), String> {
    let mut inputs = Vec::new();
    let mut local = (*opts.fetch.local).clone();
    for p in &opts.inputs {
        if p.is_dir() && is_mirror(p) {
            let state = State::load(p)?.unwrap_or_default();
            inputs.extend(convertible_items(p, &state));
            local.extend(state.local_files(p));
            let kinds = type_slugs(p);
            for item in state.items.values() {
                if let (Some(name), Some(kind)) = (&item.output, kinds.get(&item.rest_base)) {
                    opts.assigned.insert((kind.clone(), item.id), name.clone());
                }
            }
        } else {
            inputs.push(p.clone());
        }
    }
    opts.inputs = inputs;
    opts.fetch.local = std::sync::Arc::new(local);
    Ok(())
}

/// REST base → post type slug, from the mirror's `types.json`.
pub fn type_slugs(mirror: &Path) -> std::collections::HashMap<String, String> {
    let parsed: Option<serde_json::Value> = std::fs::read(mirror.join("types.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let mut out = std::collections::HashMap::new();
    if let Some(obj) = parsed.as_ref().and_then(|v| v.as_object()) {
        for (slug, t) in obj {
            if let Some(base) = t.get("rest_base").and_then(|b| b.as_str()) {
                out.insert(base.to_string(), slug.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_paths_follow_uploads_and_stay_inside() {
        assert_eq!(
            media_path("https://x/wp-content/uploads/2024/05/a.jpg", "x"),
            "media/2024/05/a.jpg"
        );
        assert_eq!(
            media_path("https://cdn.y/../../etc/passwd", "x"),
            "media/external/cdn.y/etc/passwd"
        );
        assert!(!media_path("https://x/uploads/%2e%2e/%2e%2e/z", "x").contains(".."));
        // Another host, or another query string, is another file.
        assert_ne!(
            media_path("https://x/uploads/a.png", "x"),
            media_path("https://y/uploads/a.png", "x")
        );
        assert_ne!(
            media_path("https://x/uploads/a.png?w=1", "x"),
            media_path("https://x/uploads/a.png?w=2", "x")
        );
    }
}
