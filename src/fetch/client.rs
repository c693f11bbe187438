//! The one HTTP client every request goes through: retries with backoff, politeness (`--jobs`,
//! `--rate`), capped bodies, and a redirect policy of its own, checked on every hop.
//!
//! reqwest's own redirect handling is not used: it strips `Authorization` when a hop changes
//! host, yet a later hop could bring it back, and it follows whatever a hop's address is. Here
//! each hop is checked for its scheme (http and https only) and its address (see
//! [`super::address`]), and credentials are sent only while the chain stays on the exact origin
//! (scheme, host, port) the user named; a chain that leaves it with credentials stops.

use super::address::{Reach, Refused, Resolver};
use reqwest::Url;
use reqwest::header::HeaderMap;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore};

pub const USER_AGENT: &str = concat!("unpress/", env!("CARGO_PKG_VERSION"));

/// Redirects followed for one request before it is given up as a loop.
const MAX_HOPS: usize = 10;

/// How the client behaves; every limit a user may change is here.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Whole-request timeout, per hop.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Further attempts after a transient failure (5xx, 408, 429, timeouts, resets).
    pub retries: u32,
    /// First backoff delay; doubled each attempt, with jitter.
    pub backoff: Duration,
    /// Requests in flight at once.
    pub jobs: usize,
    /// Requests per second at most, if set.
    pub rate: Option<f64>,
    pub auth: Option<Credentials>,
    /// The only origin (scheme, host, port) the credentials are ever sent to: the one the user
    /// named, whatever a `Link` header or a redirect points at.
    pub auth_origin: Option<String>,
    /// Where requests may go besides the public internet, unless a request says otherwise.
    pub reach: Reach,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            retries: 3,
            backoff: Duration::from_millis(500),
            jobs: 8,
            rate: None,
            auth: None,
            auth_origin: None,
            reach: Reach::PUBLIC,
        }
    }
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

/// What a response must be to be accepted.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Accept {
    Any,
    /// A REST call: `Accept: application/json`.
    Json,
    /// An image: a server that says it sends HTML is not read on.
    Image,
}

/// One GET.
pub struct Get<'a> {
    pub url: &'a Url,
    /// Send the credentials (to their own origin only).
    pub auth: bool,
    pub accept: Accept,
    /// Largest body accepted.
    pub max: u64,
    pub etag: Option<&'a str>,
    pub last_modified: Option<&'a str>,
    /// Where this request may go, when it differs from the client's (a post's own site).
    pub reach: Option<Reach>,
}

impl<'a> Get<'a> {
    pub fn new(url: &'a Url, accept: Accept, max: u64) -> Self {
        Get {
            url,
            auth: false,
            accept,
            max,
            etag: None,
            last_modified: None,
            reach: None,
        }
    }
}

/// A response: its headers and the body exactly as the server sent it.
pub struct Resp {
    /// The URL asked for (before any redirect).
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header_u64(&self, name: &str) -> Option<u64> {
        self.headers.get(name)?.to_str().ok()?.trim().parse().ok()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
    pub fn json(&self) -> Result<serde_json::Value, NetError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| NetError::new(&self.url, Failure::Json(e.to_string())))
    }
}

/// Why a request failed, in words; never carries a password.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Failure {
    #[error("HTTP {status}{}{}{hint}", reason(*status), message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        status: u16,
        /// WordPress's own error code (`rest_post_invalid_page_number` …), when it sent one.
        code: Option<String>,
        message: Option<String>,
        hint: &'static str,
    },
    #[error("timed out")]
    Timeout,
    #[error("timed out while reading")]
    TimeoutReading,
    #[error("the server answered plain HTTP; try http:// instead of https://")]
    PlainHttp,
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("the response was cut off: {0}")]
    CutOff(String),
    #[error("too large: {}over the {max}-byte limit", len.map(|l| format!("{l} bytes, ")).unwrap_or_default())]
    TooLarge { len: Option<u64>, max: u64 },
    #[error("too many redirects (a redirect loop?)")]
    Redirects,
    #[error("redirect to {0}: refused (only http and https are followed)")]
    RedirectScheme(String),
    #[error("a redirect to {0}, which is not a URL")]
    BadRedirect(String),
    #[error(
        "redirected to {to}, another origin; the Application Password is sent only to {origin}, so the request stopped (if the site has moved, give the new address)"
    )]
    CredentialsOffOrigin { to: String, origin: String },
    #[error("{0}")]
    Refused(Refused),
    #[error("not an http(s) URL")]
    NotHttp,
    #[error("not an image (the server says {0})")]
    NotImage(String),
    #[error("the response is not valid JSON ({0})")]
    Json(String),
    #[error("stopped")]
    Stopped,
}

fn reason(status: u16) -> String {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map(|r| format!(" {r}"))
        .unwrap_or_default()
}

impl Failure {
    /// Whether trying again later could help.
    pub fn transient(&self) -> bool {
        match self {
            Failure::Status { status, .. } => matches!(status, 408 | 429 | 500..=599),
            Failure::Timeout | Failure::TimeoutReading | Failure::Connect(_) => true,
            Failure::CutOff(_) => true,
            _ => false,
        }
    }
}

/// A failed request: what was asked (with any password in it masked), what went wrong, and
/// after how many attempts.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{url}: {failure}{}", if *attempts > 1 { format!(" (after {attempts} attempts)") } else { String::new() })]
pub struct NetError {
    pub url: String,
    pub failure: Failure,
    pub attempts: u32,
}

impl NetError {
    pub fn new(url: &Url, failure: Failure) -> Self {
        NetError {
            url: redact(url),
            failure,
            attempts: 1,
        }
    }
    pub fn status(&self) -> Option<u16> {
        match &self.failure {
            Failure::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
    pub fn code(&self) -> Option<&str> {
        match &self.failure {
            Failure::Status { code, .. } => code.as_deref(),
            _ => None,
        }
    }
    /// The reason alone, for reports that name the URL apart.
    pub fn reason(&self) -> String {
        if self.attempts > 1 {
            format!("{} (after {} attempts)", self.failure, self.attempts)
        } else {
            self.failure.to_string()
        }
    }
    /// The server says there is no such file (404, 410): another URL of it may still be there.
    pub fn is_missing(&self) -> bool {
        matches!(self.status(), Some(404 | 410))
    }
}

/// A URL fit to print: the value of a `password` parameter (a post password) masked.
pub fn redact(url: &Url) -> String {
    if !url.query_pairs().any(|(k, _)| k == "password") {
        return url.to_string();
    }
    let mut u = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "password" {
                "***".to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.to_string()
}

pub struct Client {
    opts: ClientOptions,
    sem: Semaphore,
    next_slot: Mutex<Instant>,
    /// One reqwest client per reach: the resolver that enforces it is part of the client.
    clients: std::sync::Mutex<HashMap<Reach, reqwest::Client>>,
    pub requests: AtomicU64,
}

impl Client {
    pub fn new(opts: ClientOptions) -> Result<Self, String> {
        let c = Client {
            sem: Semaphore::new(opts.jobs.max(1)),
            next_slot: Mutex::new(Instant::now()),
            clients: std::sync::Mutex::new(HashMap::new()),
            requests: AtomicU64::new(0),
            opts,
        };
        // Said now, not at the first request: a client that cannot be built is a setup error.
        c.inner(c.opts.reach)?;
        Ok(c)
    }

    pub fn options(&self) -> &ClientOptions {
        &self.opts
    }

    pub fn authenticated(&self) -> bool {
        self.opts.auth.is_some()
    }

    fn inner(&self, reach: Reach) -> Result<reqwest::Client, String> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = clients.get(&reach) {
            return Ok(c.clone());
        }
        // reqwest is built without a crypto provider so that only ring is compiled in.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let c = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(self.opts.timeout)
            .connect_timeout(self.opts.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Resolver { reach })
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        clients.insert(reach, c.clone());
        Ok(c)
    }

    /// Waits for a slot under `--rate`.
    async fn pace(&self) {
        let Some(rate) = self.opts.rate.filter(|r| *r > 0.0) else {
            return;
        };
        let gap = Duration::try_from_secs_f64(1.0 / rate).unwrap_or(Duration::from_secs(3600));
        let wait = {
            let mut next = self.next_slot.lock().await;
            let now = Instant::now();
            let at = (*next).max(now);
            *next = at + gap;
            at - now
        };
        tokio::time::sleep(wait).await;
    }

    /// GET with retries on what can succeed later. `Ok(None)` is 304 Not Modified.
    pub async fn get(&self, get: &Get<'_>) -> Result<Option<Resp>, NetError> {
        let _permit = self
            .sem
            .acquire()
            .await
            .map_err(|_| NetError::new(get.url, Failure::Stopped))?;
        let mut attempt = 0u32;
        loop {
            self.pace().await;
            self.requests.fetch_add(1, Ordering::Relaxed);
            match self.once(get).await {
                Ok(r) => return Ok(r),
                Err((failure, retry_after)) => {
                    if !failure.transient() || attempt >= self.opts.retries {
                        let mut e = NetError::new(get.url, failure);
                        e.attempts = attempt + 1;
                        return Err(e);
                    }
                    let exp = self.opts.backoff.saturating_mul(1 << attempt.min(10));
                    let delay =
                        retry_after.unwrap_or(exp).min(Duration::from_secs(120)) + jitter(exp / 4);
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }

    /// One attempt, following redirects hop by hop.
    async fn once(&self, get: &Get<'_>) -> Result<Option<Resp>, (Failure, Option<Duration>)> {
        let fail = |f: Failure| Err((f, None));
        let reach = get.reach.unwrap_or(self.opts.reach);
        let client = self.inner(reach).map_err(|e| (Failure::Connect(e), None))?;
        let mut url = get.url.clone();
        // Credentials ride along only while every hop so far was their own origin.
        let mut with_auth = get.auth && self.opts.auth.is_some();
        let mut hops = 0;
        let mut resp = loop {
            if !matches!(url.scheme(), "http" | "https") {
                return fail(if hops == 0 {
                    Failure::NotHttp
                } else {
                    Failure::RedirectScheme(url.scheme().to_string())
                });
            }
            if let Err(r) = check_literal(&url, reach) {
                return fail(Failure::Refused(r));
            }
            let own = self.opts.auth_origin.as_deref() == Some(origin(&url).as_str());
            if with_auth && !own {
                if hops == 0 {
                    // Asked of another origin from the start (an API root a site points
                    // elsewhere): asked without the credentials.
                    with_auth = false;
                } else {
                    return fail(Failure::CredentialsOffOrigin {
                        to: redact(&url),
                        origin: self.opts.auth_origin.clone().unwrap_or_default(),
                    });
                }
            }
            let mut rb = client.get(url.clone());
            if get.accept == Accept::Json {
                rb = rb.header(reqwest::header::ACCEPT, "application/json");
            }
            if with_auth && let Some(c) = &self.opts.auth {
                rb = rb.basic_auth(&c.user, Some(&c.password));
            }
            if let Some(e) = get.etag {
                rb = rb.header(reqwest::header::IF_NONE_MATCH, e);
            }
            if let Some(l) = get.last_modified {
                rb = rb.header(reqwest::header::IF_MODIFIED_SINCE, l);
            }
            let resp = match rb.send().await {
                Ok(r) => r,
                Err(e) => return fail(send_failure(&e)),
            };
            let status = resp.status().as_u16();
            let location = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            match (status, location) {
                (301 | 302 | 303 | 307 | 308, Some(loc)) => {
                    hops += 1;
                    if hops > MAX_HOPS {
                        return fail(Failure::Redirects);
                    }
                    url = match url.join(&loc) {
                        Ok(u) => u,
                        Err(_) => return fail(Failure::BadRedirect(loc)),
                    };
                }
                _ => break resp,
            }
        };
        let status = resp.status().as_u16();
        if status == 304 {
            return Ok(None);
        }
        let headers = resp.headers().clone();
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let ok = (200..300).contains(&status);
        if ok
            && get.accept == Accept::Image
            && let Some(ct) = headers
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
        {
            let ct = ct.to_ascii_lowercase();
            if !(ct.starts_with("image/") || ct.contains("octet-stream") || ct.trim().is_empty()) {
                let shown = ct.split(';').next().unwrap_or("").trim().to_string();
                return fail(Failure::NotImage(shown));
            }
        }
        if let Some(len) = resp.content_length()
            && len > get.max
        {
            return fail(Failure::TooLarge {
                len: Some(len),
                max: get.max,
            });
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    if (body.len() + c.len()) as u64 > get.max {
                        return fail(Failure::TooLarge {
                            len: None,
                            max: get.max,
                        });
                    }
                    body.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => return fail(Failure::TimeoutReading),
                Err(e) => return fail(Failure::CutOff(root_cause(&e))),
            }
        }
        if ok {
            return Ok(Some(Resp {
                url: get.url.clone(),
                headers,
                body,
            }));
        }
        let (code, message) = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .map(|v| {
                let s = |k: &str| v.get(k).and_then(|c| c.as_str()).map(str::to_string);
                (s("code"), s("message"))
            })
            .unwrap_or((None, None));
        let hint = match (status, get.auth, self.opts.auth.is_some()) {
            (401 | 403, true, true) => {
                " (the user or Application Password was refused, or lacks the capability)"
            }
            (401 | 403, true, false) => {
                " (this needs authentication: --user NAME with UNPRESS_APP_PASSWORD)"
            }
            _ => "",
        };
        Err((
            Failure::Status {
                status,
                code,
                message,
                hint,
            },
            retry_after,
        ))
    }
}

/// `scheme://host:port`, as origins compare.
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// An address written in the URL is checked here: the resolver never sees it.
fn check_literal(url: &Url, reach: Reach) -> Result<(), Refused> {
    let ip: Option<IpAddr> = match url.host() {
        Some(url::Host::Ipv4(v4)) => Some(v4.into()),
        Some(url::Host::Ipv6(v6)) => Some(v6.into()),
        _ => None,
    };
    match ip {
        Some(ip) => reach.check(url.host_str().unwrap_or(""), ip),
        None => Ok(()),
    }
}

fn send_failure(e: &reqwest::Error) -> Failure {
    if let Some(r) = find_cause::<Refused>(e) {
        return Failure::Refused(r.clone());
    }
    if e.is_timeout() {
        return Failure::Timeout;
    }
    let cause = root_cause(e);
    // rustls reading an HTTP answer as a TLS record.
    if cause.contains("InvalidContentType") || cause.contains("corrupt message") {
        return Failure::PlainHttp;
    }
    Failure::Connect(cause)
}

fn find_cause<'e, T: std::error::Error + 'static>(
    e: &'e (dyn std::error::Error + 'static),
) -> Option<&'e T> {
    let mut cur: Option<&'e (dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if let Some(t) = c.downcast_ref::<T>() {
            return Some(t);
        }
        cur = c.source();
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_passwords_are_masked_in_printed_urls() {
        let u = Url::parse("https://ex.org/wp-json/wp/v2/posts/5?context=view&password=s3cret")
            .unwrap();
        let shown = redact(&u);
        assert!(
            !shown.contains("s3cret") && shown.contains("password="),
            "{shown}"
        );
        let e = NetError::new(&u, Failure::Timeout);
        assert!(!e.to_string().contains("s3cret"));
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
