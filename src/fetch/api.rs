//! The WordPress REST API client: discovery, polite GETs with retries, authentication.

use super::{http_client, jitter, root_cause};
use reqwest::Url;
use reqwest::header::HeaderMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore};

/// How the crawler talks to a site.
#[derive(Clone)]
pub struct ApiOptions {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retries: u32,
    pub backoff: Duration,
    /// Requests in flight at once.
    pub jobs: usize,
    /// Requests per second at most, if set.
    pub rate: Option<f64>,
    /// Largest response body accepted for API calls.
    pub max_body: u64,
    pub auth: Option<Credentials>,
    /// The only origin (scheme, host, port) the credentials are ever sent to: the site's own,
    /// whatever a `Link` header or a redirect points at.
    pub auth_origin: Option<String>,
}

/// An Application Password. Its `Debug` never shows the password.
#[derive(Clone)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Credentials {{ user: {:?}, password: <hidden> }}",
            self.user
        )
    }
}

/// A failed request, said plainly; never carries the password.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("{url}: HTTP {status}{detail}")]
    Status {
        url: String,
        status: u16,
        /// WordPress's own error code (`rest_post_invalid_page_number` …), when it sent one.
        code: Option<String>,
        detail: String,
    },
    #[error("{url}: {msg}")]
    Transport { url: String, msg: String },
    #[error("{url}: the response is not valid JSON ({msg})")]
    Json { url: String, msg: String },
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Status { code, .. } => code.as_deref(),
            _ => None,
        }
    }
}

/// A response: status, headers, and the body exactly as the server sent it.
pub struct Resp {
    pub url: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header_u64(&self, name: &str) -> Option<u64> {
        self.headers.get(name)?.to_str().ok()?.trim().parse().ok()
    }
    pub fn json(&self) -> Result<serde_json::Value, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| ApiError::Json {
            url: self.url.clone(),
            msg: e.to_string(),
        })
    }
}

/// Where the REST API lives: `…/wp-json/` (pretty permalinks) or `…/?rest_route=/`.
#[derive(Debug, Clone)]
pub enum Root {
    Path(Url),
    Query(Url),
}

impl Root {
    pub fn as_str(&self) -> String {
        match self {
            Root::Path(u) | Root::Query(u) => u.to_string(),
        }
    }
    /// The URL of `route` (such as `wp/v2/posts`) with query parameters.
    pub fn url(&self, route: &str, query: &[(&str, String)]) -> Url {
        let mut u = match self {
            Root::Path(base) => base
                .join(route.trim_start_matches('/'))
                .unwrap_or_else(|_| base.clone()),
            Root::Query(base) => {
                let mut u = base.clone();
                u.query_pairs_mut()
                    .clear()
                    .append_pair("rest_route", &format!("/{}", route.trim_start_matches('/')));
                u
            }
        };
        if !query.is_empty() {
            let mut pairs = u.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        u
    }
}

pub struct Api {
    client: reqwest::Client,
    opts: ApiOptions,
    sem: Semaphore,
    next_slot: Mutex<Instant>,
    pub requests: std::sync::atomic::AtomicU64,
}

impl Api {
    pub fn new(opts: ApiOptions) -> Result<Arc<Self>, String> {
        let client = http_client(opts.timeout, opts.connect_timeout)?;
        Ok(Arc::new(Api {
            client,
            sem: Semaphore::new(opts.jobs.max(1)),
            next_slot: Mutex::new(Instant::now()),
            opts,
            requests: std::sync::atomic::AtomicU64::new(0),
        }))
    }

    pub fn authenticated(&self) -> bool {
        self.opts.auth.is_some()
    }

    /// Waits for a slot under `--rate`.
    async fn pace(&self) {
        let Some(rate) = self.opts.rate.filter(|r| *r > 0.0) else {
            return;
        };
        let gap = Duration::from_secs_f64(1.0 / rate);
        let wait = {
            let mut next = self.next_slot.lock().await;
            let now = Instant::now();
            let at = (*next).max(now);
            *next = at + gap;
            at - now
        };
        tokio::time::sleep(wait).await;
    }

    /// GET with retries on what can succeed later (5xx, 408, 429 with `Retry-After`, timeouts,
    /// resets, truncated bodies). `anonymous` sends no credentials (the home page, media files).
    pub async fn get(&self, url: &Url, anonymous: bool) -> Result<Resp, ApiError> {
        let req = Request {
            anonymous,
            etag: None,
            last_modified: None,
            max: self.opts.max_body,
        };
        self.request(url, &req)
            .await?
            .ok_or_else(|| ApiError::Transport {
                url: url.to_string(),
                msg: "304 Not Modified to an unconditional request".into(),
            })
    }

    /// Downloads a file (an image) with the same politeness, without credentials; the validators
    /// make it conditional. `Ok(None)` means 304 Not Modified.
    pub async fn download(
        &self,
        url: &Url,
        etag: Option<&str>,
        last_modified: Option<&str>,
        max: u64,
    ) -> Result<Option<Resp>, ApiError> {
        let req = Request {
            anonymous: true,
            etag,
            last_modified,
            max,
        };
        self.request(url, &req).await
    }

    async fn request(&self, url: &Url, req: &Request<'_>) -> Result<Option<Resp>, ApiError> {
        let _permit = self.sem.acquire().await.map_err(|_| ApiError::Transport {
            url: url.to_string(),
            msg: "stopped".into(),
        })?;
        let mut attempt = 0u32;
        loop {
            self.pace().await;
            self.requests
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let (result, transient, retry_after) = self.try_once(url, req).await;
            match result {
                Ok(r) => return Ok(r),
                Err(e) if !transient || attempt >= self.opts.retries => return Err(e),
                Err(_) => {
                    let exp = self.opts.backoff.saturating_mul(1 << attempt.min(10));
                    let delay =
                        retry_after.unwrap_or(exp).min(Duration::from_secs(120)) + jitter(exp / 4);
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }

    /// One attempt: the outcome, whether trying again could help, and `Retry-After`.
    async fn try_once(
        &self,
        url: &Url,
        req: &Request<'_>,
    ) -> (Result<Option<Resp>, ApiError>, bool, Option<Duration>) {
        let u = url.to_string();
        let fail = |msg: String, transient: bool| {
            (
                Err(ApiError::Transport {
                    url: u.clone(),
                    msg,
                }),
                transient,
                None,
            )
        };
        let mut rb = self.client.get(url.clone());
        if !req.anonymous {
            rb = rb.header("Accept", "application/json");
            if let Some(c) = &self.opts.auth
                && self.opts.auth_origin.as_deref()
                    == Some(url.origin().ascii_serialization().as_str())
            {
                rb = rb.basic_auth(&c.user, Some(&c.password));
            }
        }
        if let Some(e) = req.etag {
            rb = rb.header(reqwest::header::IF_NONE_MATCH, e);
        }
        if let Some(l) = req.last_modified {
            rb = rb.header(reqwest::header::IF_MODIFIED_SINCE, l);
        }
        let mut resp = match rb.send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => return fail("timed out".into(), true),
            Err(e) if e.is_redirect() => {
                return fail("too many redirects (a redirect loop?)".into(), false);
            }
            Err(e) => return fail(format!("connection failed: {}", root_cause(&e)), true),
        };
        let status = resp.status().as_u16();
        if status == 304 {
            return (Ok(None), false, None);
        }
        let headers = resp.headers().clone();
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        if let Some(len) = resp.content_length()
            && len > req.max
        {
            return fail(
                format!("too large: {len} bytes, over the {}-byte limit", req.max),
                false,
            );
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    if (body.len() + c.len()) as u64 > req.max {
                        return fail(format!("too large: over the {}-byte limit", req.max), false);
                    }
                    body.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => return fail("timed out while reading".into(), true),
                Err(e) => {
                    return fail(
                        format!("the response was cut off: {}", root_cause(&e)),
                        true,
                    );
                }
            }
        }
        if (200..300).contains(&status) {
            return (
                Ok(Some(Resp {
                    url: u,
                    headers,
                    body,
                })),
                false,
                None,
            );
        }
        let (code, message) = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .map(|v| {
                (
                    v.get("code").and_then(|c| c.as_str()).map(str::to_string),
                    v.get("message")
                        .and_then(|c| c.as_str())
                        .map(str::to_string),
                )
            })
            .unwrap_or((None, None));
        let mut detail = message.map(|m| format!(": {m}")).unwrap_or_default();
        if status == 401 || status == 403 {
            detail.push_str(if self.opts.auth.is_some() {
                " (the user or Application Password was refused, or lacks the capability)"
            } else {
                " (this needs authentication: --user NAME with UNPRESS_APP_PASSWORD)"
            });
        }
        let transient = status == 408 || status == 429 || status >= 500;
        (
            Err(ApiError::Status {
                url: u,
                status,
                code,
                detail,
            }),
            transient,
            retry_after,
        )
    }
}

/// What one request asks for.
struct Request<'a> {
    anonymous: bool,
    etag: Option<&'a str>,
    last_modified: Option<&'a str>,
    max: u64,
}

/// Finds the REST API of a site: the `Link: <…>; rel="https://api.w.org/"` header of the home
/// page, then `/wp-json/`, then `/?rest_route=/`. An API root URL given directly works too.
/// Returns the root and the index document as fetched.
pub async fn discover(api: &Api, site: &str) -> Result<(Root, Resp), String> {
    let site_url = Url::parse(site)
        .or_else(|_| Url::parse(&format!("https://{site}")))
        .map_err(|e| format!("{site}: not a URL ({e})"))?;
    let is_index = |r: &Resp| {
        r.json()
            .ok()
            .is_some_and(|v| v.get("namespaces").is_some() || v.get("routes").is_some())
    };
    let mut tried = Vec::new();
    // An API root given directly.
    if site_url.path().contains("/wp-json")
        || site_url.query().is_some_and(|q| q.contains("rest_route"))
    {
        let root = if site_url.query().is_some_and(|q| q.contains("rest_route")) {
            Root::Query(site_url.clone())
        } else {
            let mut u = site_url.clone();
            if !u.path().ends_with('/') {
                u.set_path(&format!("{}/", u.path()));
            }
            Root::Path(u)
        };
        let url = root.url("", &[]);
        match api.get(&url, false).await {
            Ok(r) if is_index(&r) => return Ok((root, r)),
            Ok(_) => tried.push(format!("{url} (not a REST API index)")),
            Err(e) => tried.push(e.to_string()),
        }
    }
    // The Link header of the home page.
    match api.get(&site_url, true).await {
        Ok(home) => {
            let links: Vec<String> = home
                .headers
                .get_all(reqwest::header::LINK)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(',').map(str::to_string).collect::<Vec<_>>())
                .collect();
            if let Some(href) = links
                .iter()
                .find(|l| l.contains("rel=\"https://api.w.org/\""))
                .and_then(|l| l.split('<').nth(1)?.split('>').next().map(str::to_string))
                && let Ok(u) = Url::parse(&href)
            {
                let root = if u.query().is_some_and(|q| q.contains("rest_route")) {
                    Root::Query(u)
                } else {
                    Root::Path(u)
                };
                let url = root.url("", &[]);
                match api.get(&url, false).await {
                    Ok(r) if is_index(&r) => return Ok((root, r)),
                    Ok(_) => tried.push(format!(
                        "{url} (from the Link header; not a REST API index)"
                    )),
                    Err(e) => tried.push(e.to_string()),
                }
            } else {
                tried.push(format!(
                    "{site_url} (no Link rel=\"https://api.w.org/\" header)"
                ));
            }
        }
        Err(e) => tried.push(e.to_string()),
    }
    // Sites without pretty permalinks answer /wp-json/ with their home page and status 200.
    let mut base = site_url.clone();
    base.set_query(None);
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    for root in [
        Root::Path(base.join("wp-json/").map_err(|e| e.to_string())?),
        Root::Query({
            let mut u = base.clone();
            u.set_query(Some("rest_route=/"));
            u
        }),
    ] {
        let url = root.url("", &[]);
        match api.get(&url, false).await {
            Ok(r) if is_index(&r) => return Ok((root, r)),
            Ok(_) => tried.push(format!("{url} (not a REST API index)")),
            Err(e) => tried.push(e.to_string()),
        }
    }
    Err(format!(
        "no WordPress REST API found at {site}; tried:\n  {}",
        tried.join("\n  ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_work_with_pretty_and_plain_permalinks() {
        let p = Root::Path(Url::parse("https://ex.org/blog/wp-json/").unwrap());
        assert_eq!(
            p.url("wp/v2/posts", &[("page", "2".into())]).as_str(),
            "https://ex.org/blog/wp-json/wp/v2/posts?page=2"
        );
        let q = Root::Query(Url::parse("https://ex.org/?rest_route=/").unwrap());
        assert_eq!(
            q.url("wp/v2/posts", &[("page", "2".into())]).as_str(),
            "https://ex.org/?rest_route=%2Fwp%2Fv2%2Fposts&page=2"
        );
    }

    #[test]
    fn credentials_never_print_the_password() {
        let c = Credentials {
            user: "ed".into(),
            password: "abcd efgh".into(),
        };
        assert!(!format!("{c:?}").contains("abcd"));
    }
}
