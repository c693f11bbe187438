//! The WordPress REST API client: discovery, polite GETs with retries, authentication.

use super::client::{Accept, Client, ClientOptions, Get};
use reqwest::Url;

pub use super::client::{Credentials, NetError as ApiError, Resp};

/// How the crawler talks to a site.
#[derive(Clone)]
pub struct ApiOptions {
    pub client: ClientOptions,
    /// Largest response body accepted for API calls.
    pub max_body: u64,
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
    fn base(&self) -> &Url {
        match self {
            Root::Path(u) | Root::Query(u) => u,
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

/// The REST API's view of the client: JSON calls with the credentials, downloads without.
pub struct Api {
    client: Client,
    max_body: u64,
}

impl Api {
    pub fn new(opts: ApiOptions) -> Result<std::sync::Arc<Self>, String> {
        Ok(std::sync::Arc::new(Api {
            client: Client::new(opts.client)?,
            max_body: opts.max_body,
        }))
    }

    pub fn authenticated(&self) -> bool {
        self.client.authenticated()
    }

    pub fn requests(&self) -> u64 {
        self.client
            .requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The origin the credentials belong to, if any.
    pub fn auth_origin(&self) -> Option<&str> {
        self.client.options().auth_origin.as_deref()
    }

    /// GET with retries on what can succeed later (5xx, 408, 429 with `Retry-After`, timeouts,
    /// resets, truncated bodies). `anonymous` sends no credentials (the home page).
    pub async fn get(&self, url: &Url, anonymous: bool) -> Result<Resp, ApiError> {
        let mut get = Get::new(
            url,
            if anonymous { Accept::Any } else { Accept::Json },
            self.max_body,
        );
        get.auth = !anonymous;
        self.client.get(&get).await?.ok_or_else(|| {
            ApiError::new(
                url,
                super::client::Failure::Connect(
                    "304 Not Modified to an unconditional request".into(),
                ),
            )
        })
    }

    /// Downloads a file (an upload) with the same politeness, without credentials; the
    /// validators make it conditional. `Ok(None)` means 304 Not Modified.
    pub async fn download(
        &self,
        url: &Url,
        etag: Option<&str>,
        last_modified: Option<&str>,
        max: u64,
    ) -> Result<Option<Resp>, ApiError> {
        let mut get = Get::new(url, Accept::Any, max);
        get.etag = etag;
        get.last_modified = last_modified;
        self.client.get(&get).await
    }
}

/// The site the user named, as a URL: `https://` is assumed when no http(s) scheme is given
/// (`example.org`, `localhost:8080`).
pub fn site_url(site: &str) -> Result<Url, String> {
    match Url::parse(site) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(u),
        _ => Url::parse(&format!("https://{site}")).map_err(|e| format!("{site}: not a URL ({e})")),
    }
}

/// Finds the REST API of a site: the `Link: <…>; rel="https://api.w.org/"` header of the home
/// page, then `/wp-json/`, then `/?rest_route=/`. An API root URL given directly works too.
/// Returns the root and the index document as fetched.
pub async fn discover(api: &Api, site: &str) -> Result<(Root, Resp), String> {
    let (root, index) = find_root(api, site).await?;
    let at = super::client::origin(root.base());
    if api.authenticated()
        && let Some(own) = api.auth_origin()
        && at != own
    {
        return Err(format!(
            "the site's REST API is at {}, on another origin than {own}; the Application \
             Password is sent only to the origin you named: give {at} as the site",
            root.as_str()
        ));
    }
    Ok((root, index))
}

async fn find_root(api: &Api, site: &str) -> Result<(Root, Resp), String> {
    let site_url = site_url(site)?;
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
}
