//! The network, and the only async code: image downloads with bounded concurrency and retries,
//! the REST API client and the site crawler.

pub mod api;
pub mod crawl;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OnceCell, Semaphore};

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

pub const USER_AGENT: &str = concat!("unpress/", env!("CARGO_PKG_VERSION"));

/// A downloaded image: where its bytes were first written, and what kind of image they are.
#[derive(Debug, Clone)]
struct Stored {
    path: PathBuf,
    kind: ImageKind,
}

/// One URL's download, shared by everyone who asks for it.
type Slot = Arc<OnceCell<Result<Stored, String>>>;

/// Downloads images once each, however many posts or figures use them.
pub struct Downloader {
    rt: tokio::runtime::Runtime,
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    opts: FetchOptions,
    sem: Semaphore,
    cache: Mutex<HashMap<String, Slot>>,
    names: Mutex<HashMap<PathBuf, crate::output::Names>>,
}

/// What became of one requested image: the file it is in, or why there is none.
pub type Fetched = Result<PathBuf, String>;

/// Whether a failed fetch's reason says the server has no such file (404 or 410): then another
/// size of the same image may still be there. When the server could not be reached, or refused
/// for another reason, trying other URLs of it only repeats the wait.
pub fn is_missing(reason: &str) -> bool {
    reason.starts_with("HTTP 404") || reason.starts_with("HTTP 410")
}

/// A failed attempt, and whether trying again could help.
struct Fail {
    msg: String,
    transient: bool,
    retry_after: Option<Duration>,
}

impl Fail {
    fn permanent(msg: impl Into<String>) -> Self {
        Fail {
            msg: msg.into(),
            transient: false,
            retry_after: None,
        }
    }
    fn transient(msg: impl Into<String>) -> Self {
        Fail {
            msg: msg.into(),
            transient: true,
            retry_after: None,
        }
    }
}

impl Downloader {
    pub fn new(opts: FetchOptions) -> Result<Self, String> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the download runtime: {e}"))?;
        let client = http_client(opts.timeout, opts.connect_timeout)?;
        Ok(Downloader {
            rt,
            inner: Arc::new(Inner {
                client,
                sem: Semaphore::new(opts.concurrency.max(1)),
                opts,
                cache: Mutex::new(HashMap::new()),
                names: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Fetches every URL into `dir`, concurrently, and says where each went or why it failed.
    /// A URL already fetched for another folder is copied, not fetched again.
    pub fn fetch_all(&self, urls: &[String], dir: &Path) -> Vec<Fetched> {
        self.rt.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for (i, url) in urls.iter().enumerate() {
                let inner = self.inner.clone();
                let url = url.clone();
                let dir = dir.to_path_buf();
                set.spawn(async move { (i, inner.fetch_one(url, dir).await) });
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
    async fn fetch_one(self: Arc<Self>, url: String, dir: PathBuf) -> Fetched {
        // Several sizes of one upload map to one file in a mirror: keep it once, not per URL.
        let key = match self.opts.local.get(&url) {
            Some(p) => format!("file:{}", p.display()),
            None => url.clone(),
        };
        let cell = {
            let mut cache = self.cache.lock().expect("download cache lock");
            cache.entry(key).or_default().clone()
        };
        let stored = cell
            .get_or_init(|| self.download_and_store(&url, &dir))
            .await
            .clone()?;
        if stored.path.parent() == Some(dir.as_path()) {
            return Ok(stored.path);
        }
        // Another page bundle has it already: copy it rather than fetch it again.
        let path = self.claim(&dir, &stored.path.to_string_lossy(), stored.kind);
        crate::output::copy_atomic(&stored.path, &path)
            .map_err(|e| format!("cannot copy to {}: {e}", path.display()))?;
        Ok(path)
    }

    async fn download_and_store(&self, url: &str, dir: &Path) -> Result<Stored, String> {
        let local = self.opts.local.get(url);
        let bytes = match local {
            Some(p) => std::fs::read(p)
                .map_err(|e| format!("cannot read the mirror's copy {}: {e}", p.display()))?,
            None if self.opts.offline => return Err("not in the mirror".into()),
            None => self.download(url).await?,
        };
        // A mirror's copy is the original upload: name it after that, not after the thumbnail.
        let name_from = local
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|| url.to_string());
        let kind = sniff(&bytes).ok_or_else(|| {
            "not an image (the bytes are not JPEG, PNG, GIF, WebP, AVIF, SVG, BMP, TIFF or ICO)"
                .to_string()
        })?;
        let path = self.claim(dir, &name_from, kind);
        crate::output::write_atomic(&path, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(Stored { path, kind })
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

    async fn download(&self, url: &str) -> Result<Vec<u8>, String> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err("not an http(s) URL".into());
        }
        let _permit = self
            .sem
            .acquire()
            .await
            .map_err(|_| "downloads were stopped".to_string())?;
        let mut attempt = 0u32;
        loop {
            match self.try_once(url).await {
                Ok(b) => return Ok(b),
                Err(f) if !f.transient || attempt >= self.opts.retries => {
                    return Err(if attempt > 0 {
                        format!("{} (after {} attempts)", f.msg, attempt + 1)
                    } else {
                        f.msg
                    });
                }
                Err(f) => {
                    let exp = self.opts.backoff.saturating_mul(1 << attempt.min(10));
                    let delay =
                        f.retry_after.unwrap_or(exp).min(Duration::from_secs(60)) + jitter(exp / 4);
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn try_once(&self, url: &str) -> Result<Vec<u8>, Fail> {
        let mut resp = self.client.get(url).send().await.map_err(|e| {
            if e.is_builder() {
                Fail::permanent(format!("invalid URL: {e}"))
            } else if e.is_timeout() {
                Fail::transient("timed out")
            } else if e.is_redirect() {
                Fail::permanent("too many redirects")
            } else {
                Fail::transient(format!("connection failed: {}", root_cause(&e)))
            }
        })?;
        let status = resp.status();
        if !status.is_success() {
            let code = status.as_u16();
            let mut f = Fail {
                msg: format!("HTTP {status}"),
                transient: code == 408 || code == 429 || status.is_server_error(),
                retry_after: None,
            };
            f.retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(f);
        }
        if let Some(ct) = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
        {
            let ct = ct.to_ascii_lowercase();
            let ok = ct.starts_with("image/") || ct.contains("octet-stream") || ct.is_empty();
            if !ok {
                return Err(Fail::permanent(format!(
                    "not an image (the server says {})",
                    ct.split(';').next().unwrap_or("")
                )));
            }
        }
        let max = self.opts.max_bytes;
        if let Some(len) = resp.content_length()
            && len > max
        {
            return Err(Fail::permanent(format!(
                "too large: {len} bytes, over the {max}-byte limit"
            )));
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if (body.len() + chunk.len()) as u64 > max {
                        return Err(Fail::permanent(format!(
                            "too large: over the {max}-byte limit"
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(e) if e.is_timeout() => return Err(Fail::transient("timed out while reading")),
                Err(e) => {
                    return Err(Fail::transient(format!(
                        "body interrupted: {}",
                        root_cause(&e)
                    )));
                }
            }
        }
    }
}

/// The one HTTP client setup: rustls with ring, our User-Agent, timeouts, bounded redirects.
pub(crate) fn http_client(
    timeout: Duration,
    connect_timeout: Duration,
) -> Result<reqwest::Client, String> {
    // reqwest is built without a crypto provider so that only ring is compiled in.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .timeout(timeout)
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::limited(10))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

pub(crate) fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

pub(crate) fn jitter(max: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let ms = max.as_millis() as u64;
    if ms == 0 {
        Duration::ZERO
    } else {
        Duration::from_millis(u64::from(nanos) % ms)
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
