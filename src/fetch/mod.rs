//! The network, and the only async code: one HTTP client with its redirect and address
//! policy, image downloads with bounded concurrency and retries, the REST API client and the
//! site crawler.

pub mod address;
pub mod api;
pub mod client;
pub mod crawl;
pub mod listing;
pub mod uploads;

use address::Reach;
use client::{Accept, Client, ClientOptions, Get};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OnceCell;

pub use client::USER_AGENT;

/// How downloads behave; every limit a user may need to change is here.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Whole-request timeout.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Further attempts after a transient failure (5xx, 408, 429, timeouts, resets).
    pub retries: u32,
    /// First backoff delay; doubled each attempt, with jitter.
    pub backoff: Duration,
    pub max_bytes: u64,
    pub concurrency: usize,
    /// Files already on disk for some URLs (a mirror's media): copied, never fetched.
    pub local: Arc<HashMap<String, PathBuf>>,
    /// Use only `local`: fetch nothing from the network.
    pub offline: bool,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            retries: 3,
            backoff: Duration::from_millis(500),
            max_bytes: 50 << 20,
            concurrency: 8,
            local: Arc::default(),
            offline: false,
        }
    }
}

/// A downloaded image: where its bytes were first written, and what kind of image they are.
#[derive(Debug, Clone)]
struct Stored {
    path: PathBuf,
    kind: ImageKind,
    /// What was changed on the way (an SVG made safe).
    note: Option<String>,
}

/// One URL's download, shared by everyone who asks for it.
type Slot = Arc<OnceCell<Result<Stored, String>>>;

/// Downloads images once each, however many posts or figures use them.
pub struct Downloader {
    rt: tokio::runtime::Runtime,
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    opts: FetchOptions,
    cache: Mutex<HashMap<(String, Reach), Slot>>,
    names: Mutex<HashMap<PathBuf, crate::output::Names>>,
    /// What each post's site may reach, by host: looked up once per host.
    reaches: Mutex<HashMap<String, Reach>>,
}

/// An image saved for a post: its file, and what was changed on the way, if anything.
#[derive(Debug, Clone)]
pub struct Saved {
    pub path: PathBuf,
    pub note: Option<String>,
}

/// What became of one requested image: the file it is in, or why there is none.
pub type Fetched = Result<Saved, String>;

/// Whether a failed fetch's reason says the server has no such file (404 or 410): then another
/// size of the same image may still be there. When the server could not be reached, or refused
/// for another reason, trying other URLs of it only repeats the wait.
pub fn is_missing(reason: &str) -> bool {
    reason.starts_with("HTTP 404") || reason.starts_with("HTTP 410")
}

impl Downloader {
    pub fn new(opts: FetchOptions) -> Result<Self, String> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the download runtime: {e}"))?;
        let client = Client::new(ClientOptions {
            timeout: opts.timeout,
            connect_timeout: opts.connect_timeout,
            retries: opts.retries,
            backoff: opts.backoff,
            jobs: opts.concurrency.max(1),
            ..ClientOptions::default()
        })?;
        Ok(Downloader {
            rt,
            inner: Arc::new(Inner {
                client,
                cache: Mutex::new(HashMap::new()),
                names: Mutex::new(HashMap::new()),
                reaches: Mutex::new(HashMap::new()),
                opts,
            }),
        })
    }

    /// Where the images of a post from this `link` may be fetched from: the public internet,
    /// and the post's own site's kind of network (a site on 127.0.0.1 may use 127.0.0.1).
    pub fn reach_of(&self, link: Option<&str>) -> Reach {
        let Some(url) = link.and_then(|l| reqwest::Url::parse(l).ok()) else {
            return Reach::PUBLIC;
        };
        let Some(host) = url.host() else {
            return Reach::PUBLIC;
        };
        let key = host.to_string();
        if let Some(r) = self.inner.reaches.lock().expect("reach lock").get(&key) {
            return *r;
        }
        let owned: url::Host<String> = host.to_owned();
        let r = self.rt.block_on(async move {
            let h = match &owned {
                url::Host::Domain(d) => url::Host::Domain(d.as_str()),
                url::Host::Ipv4(a) => url::Host::Ipv4(*a),
                url::Host::Ipv6(a) => url::Host::Ipv6(*a),
            };
            Reach::of_host(&h).await
        });
        self.inner
            .reaches
            .lock()
            .expect("reach lock")
            .insert(key, r);
        r
    }

    /// Fetches every URL into `dir`, concurrently, and says where each went or why it failed.
    /// A URL already fetched for another folder is copied, not fetched again.
    pub fn fetch_all(&self, urls: &[String], dir: &Path, reach: Reach) -> Vec<Fetched> {
        self.rt.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for (i, url) in urls.iter().enumerate() {
                let inner = self.inner.clone();
                let url = url.clone();
                let dir = dir.to_path_buf();
                set.spawn(async move { (i, inner.fetch_one(url, dir, reach).await) });
            }
            let mut out: Vec<Fetched> = vec![Err("not attempted".into()); urls.len()];
            while let Some(joined) = set.join_next().await {
                match joined {
                    Ok((i, r)) => out[i] = r,
                    Err(e) => {
                        // A task cannot panic on input; should one, its slot keeps "not attempted".
                        eprintln!("unpress: internal error in a download task: {e}");
                    }
                }
            }
            out
        })
    }
}

impl Inner {
    async fn fetch_one(self: Arc<Self>, url: String, dir: PathBuf, reach: Reach) -> Fetched {
        // Several sizes of one upload map to one file in a mirror: keep it once, not per URL.
        let key = match self.opts.local.get(&url) {
            Some(p) => format!("file:{}", p.display()),
            None => url.clone(),
        };
        let cell = {
            let mut cache = self.cache.lock().expect("download cache lock");
            cache.entry((key, reach)).or_default().clone()
        };
        let stored = cell
            .get_or_init(|| self.download_and_store(&url, &dir, reach))
            .await
            .clone()?;
        if stored.path.parent() == Some(dir.as_path()) {
            return Ok(Saved {
                path: stored.path,
                note: stored.note,
            });
        }
        // Another page bundle has it already: copy it rather than fetch it again.
        let path = self.claim(&dir, &stored.path.to_string_lossy(), stored.kind);
        crate::output::copy_atomic(&stored.path, &path)
            .map_err(|e| format!("cannot copy to {}: {e}", path.display()))?;
        Ok(Saved {
            path,
            note: stored.note,
        })
    }

    async fn download_and_store(
        &self,
        url: &str,
        dir: &Path,
        reach: Reach,
    ) -> Result<Stored, String> {
        let local = self.opts.local.get(url);
        let bytes = match local {
            Some(p) => crate::output::read_regular(p).ok_or_else(|| {
                format!(
                    "cannot read the mirror's copy {} (missing, or not a plain file)",
                    p.display()
                )
            })?,
            None if self.opts.offline => return Err("not in the mirror".into()),
            None => self.download(url, reach).await?,
        };
        // A mirror's copy is the original upload: name it after that, not after the thumbnail.
        let name_from = local
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|| url.to_string());
        let kind = sniff(&bytes).ok_or_else(|| {
            "not an image (the bytes are not JPEG, PNG, GIF, WebP, AVIF, SVG, BMP, TIFF or ICO)"
                .to_string()
        })?;
        // An SVG is a document that can run script from the site's own origin: it is saved
        // only as static drawing.
        let (bytes, note) = if kind == ImageKind::Svg {
            let c = crate::svg::sanitize(&bytes).map_err(|e| format!("not saved: {e}"))?;
            let note = (!c.removed.is_empty())
                .then(|| format!("an SVG made safe: removed {}", c.removed.join(", ")));
            (c.svg, note)
        } else {
            (bytes, None)
        };
        let path = self.claim(dir, &name_from, kind);
        crate::output::write_atomic(&path, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(Stored { path, kind, note })
    }

    fn claim(&self, dir: &Path, url: &str, kind: ImageKind) -> PathBuf {
        let (stem, ext) = file_name_for(url, kind);
        let mut names = self.names.lock().expect("names lock");
        let name = names
            .entry(dir.to_path_buf())
            .or_default()
            .claim(&stem, &ext);
        dir.join(name)
    }

    async fn download(&self, url: &str, reach: Reach) -> Result<Vec<u8>, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("invalid URL: {e}"))?;
        let mut get = Get::new(&parsed, Accept::Image, self.opts.max_bytes);
        get.reach = Some(reach);
        match self.client.get(&get).await {
            Ok(Some(r)) => Ok(r.body),
            Ok(None) => Err("304 Not Modified to an unconditional request".into()),
            Err(e) => Err(e.reason()),
        }
    }
}

/// Image formats recognised from their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    Gif,
    Webp,
    Avif,
    Svg,
    Bmp,
    Tiff,
    Ico,
}

impl ImageKind {
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            ImageKind::Jpeg => &["jpg", "jpeg", "jpe"],
            ImageKind::Png => &["png"],
            ImageKind::Gif => &["gif"],
            ImageKind::Webp => &["webp"],
            ImageKind::Avif => &["avif"],
            ImageKind::Svg => &["svg"],
            ImageKind::Bmp => &["bmp"],
            ImageKind::Tiff => &["tif", "tiff"],
            ImageKind::Ico => &["ico"],
        }
    }
}

/// What the bytes are, whatever the URL or the server claims.
pub fn sniff(b: &[u8]) -> Option<ImageKind> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageKind::Jpeg)
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageKind::Png)
    } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        Some(ImageKind::Gif)
    } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some(ImageKind::Webp)
    } else if b.len() >= 12 && &b[4..8] == b"ftyp" && (&b[8..12] == b"avif" || &b[8..12] == b"avis")
    {
        Some(ImageKind::Avif)
    } else if b.starts_with(b"BM") && b.len() > 26 {
        Some(ImageKind::Bmp)
    } else if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        Some(ImageKind::Tiff)
    } else if b.starts_with(&[0, 0, 1, 0]) && b.len() > 6 {
        Some(ImageKind::Ico)
    } else {
        let head = &b[..b.len().min(1024)];
        let text = String::from_utf8_lossy(head);
        let t = text.trim_start_matches('\u{feff}').trim_start();
        let svg = (t.starts_with("<?xml") || t.starts_with("<svg") || t.starts_with("<!--"))
            && text.contains("<svg");
        svg.then_some(ImageKind::Svg)
    }
}

/// A readable, safe file name for an image URL, with the extension its bytes call for.
pub fn file_name_for(url: &str, kind: ImageKind) -> (String, String) {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let decoded = percent_encoding::percent_decode_str(last).decode_utf8_lossy();
    let (stem, ext) = match decoded.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_string(), e.to_ascii_lowercase()),
        _ => (decoded.to_string(), String::new()),
    };
    let mut stem = crate::output::safe_component(&stem);
    if stem.is_empty() {
        stem = "image".into();
    }
    let ext = if kind.extensions().contains(&ext.as_str()) {
        ext
    } else {
        kind.extensions()[0].to_string()
    };
    (stem, format!(".{ext}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_bytes_not_the_url() {
        assert_eq!(
            file_name_for("https://x/a/photo.png?ver=2", ImageKind::Jpeg),
            ("photo".into(), ".jpg".into())
        );
        assert_eq!(
            file_name_for("https://x/a/%E5%86%99%E7%9C%9F.JPG", ImageKind::Jpeg),
            ("写真".into(), ".jpg".into())
        );
        assert_eq!(file_name_for("https://x/../..", ImageKind::Png).0, "image");
    }

    #[test]
    fn sniffing_rejects_html() {
        assert_eq!(sniff(b"<!doctype html><html>"), None);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(ImageKind::Png));
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?><svg xmlns=\"\"/>"),
            Some(ImageKind::Svg)
        );
    }
}
