//! Reading a REST collection page by page, without trusting the server about how many pages
//! there are: in order, a few pages in flight, each page handed over and dropped.
//!
//! A hostile or broken server may claim a billion pages, answer every page number with items,
//! or repeat the same page forever. So the listing ends at the first empty page or
//! `rest_post_invalid_page_number`, at the page count `X-WP-Total` allows (when it is sent), at
//! a page that brings no item not seen before, and at [`MAX_PAGES`] in any case; and items are
//! streamed to the caller, so memory does not grow with the listing.

use super::api::{Api, ApiError, Resp, Root};
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// Items per page: WordPress's maximum.
pub const PER_PAGE: u64 = 100;
/// No listing reads more pages than this (ten million items).
pub const MAX_PAGES: u64 = 100_000;

/// One page's outcome: its items, and what could not be fetched of it.
type PageResult = (Vec<Box<RawValue>>, Vec<String>);

/// The pages of one listing, in order.
pub struct Pager {
    api: Arc<Api>,
    root: Root,
    route: String,
    params: Vec<(&'static str, String)>,
    /// Pages fetched ahead of the one asked for.
    ahead: u64,
    /// The last page to read, when the server's headers allow knowing it.
    last: u64,
    first: Option<Vec<Box<RawValue>>>,
    next: u64,
    spawned: u64,
    inflight: tokio::task::JoinSet<(u64, PageResult)>,
    arrived: BTreeMap<u64, PageResult>,
    seen: HashSet<u64>,
    ended: bool,
    /// `X-WP-Total` as the server said it.
    pub total: Option<u64>,
    /// Items handed over.
    pub items: u64,
    /// Pages that could not be fetched (in part or whole), said per item or page.
    pub failures: Vec<String>,
    /// Why the listing ended before its last page, when it did.
    pub note: Option<String>,
    /// The listing ended at an empty or invalid page before `X-WP-Total` was reached.
    short: bool,
}

impl Pager {
    /// Asks for the first page. `ahead` pages are fetched while the caller works on one (0 when
    /// the caller may stop after any page, so that no request is made in vain).
    pub async fn start(
        api: &Arc<Api>,
        root: &Root,
        route: &str,
        params: &[(&'static str, String)],
        ahead: u64,
    ) -> Result<Pager, ApiError> {
        let first = page(api, root, route, params, PER_PAGE, 1).await?;
        let total = first.header_u64("x-wp-total");
        let pages = first.header_u64("x-wp-totalpages");
        // The page count is believed only as far as the item count allows.
        let by_total = total.map(|t| t.div_ceil(PER_PAGE).max(1));
        let last = match (pages, by_total) {
            (Some(p), Some(t)) => p.min(t),
            (None, Some(t)) => t,
            (Some(p), None) => p,
            (None, None) => MAX_PAGES,
        }
        .clamp(1, MAX_PAGES);
        let items = split(&first)?;
        Ok(Pager {
            api: api.clone(),
            root: root.clone(),
            route: route.to_string(),
            params: params.to_vec(),
            ahead,
            last: if items.is_empty() { 1 } else { last },
            first: Some(items),
            next: 1,
            spawned: 1,
            inflight: tokio::task::JoinSet::new(),
            arrived: BTreeMap::new(),
            seen: HashSet::new(),
            ended: false,
            total,
            items: 0,
            failures: Vec::new(),
            note: None,
            short: false,
        })
    }

    /// Every page was read, and the listing ended where the server's own count said: the ids
    /// seen are the whole collection (deletions may be inferred from it).
    pub fn complete(&self) -> bool {
        self.failures.is_empty() && !self.short
    }

    /// The next page's items (those not handed over before), or `None` at the end.
    pub async fn next(&mut self) -> Option<Vec<Box<RawValue>>> {
        if self.ended || self.next > self.last {
            return None;
        }
        let n = self.next;
        self.next += 1;
        // Keep up to `ahead` further pages on their way.
        while self.spawned < self.last && self.spawned < n + self.ahead {
            self.spawned += 1;
            let p = self.spawned;
            let (api, root, route, params) = (
                self.api.clone(),
                self.root.clone(),
                self.route.clone(),
                self.params.clone(),
            );
            self.inflight.spawn(async move {
                (
                    p,
                    fetch_range(&api, &root, &route, &params, PER_PAGE, p).await,
                )
            });
        }
        let (items, failed) = match self.first.take() {
            Some(items) if n == 1 => (items, Vec::new()),
            _ => loop {
                if let Some(r) = self.arrived.remove(&n) {
                    break r;
                }
                match self.inflight.join_next().await {
                    Some(Ok((p, r))) => {
                        self.arrived.insert(p, r);
                    }
                    // A task cannot fail but by a panic or a cancel: the page is lost, said.
                    Some(Err(_)) | None => break (Vec::new(), vec![format!("page {n} was lost")]),
                }
            },
        };
        let had_failures = !failed.is_empty();
        self.failures
            .extend(failed.into_iter().map(|f| format!("{}: {f}", self.route)));
        if items.is_empty() && !had_failures {
            // An empty page, or `rest_post_invalid_page_number`: the real end.
            self.stop(n > 1 && self.total.is_some_and(|t| self.items < t));
            return None;
        }
        let before = items.len();
        let fresh: Vec<Box<RawValue>> = items
            .into_iter()
            .filter(|r| item_id(r).is_none_or(|id| self.seen.insert(id)))
            .collect();
        if before > 0 && fresh.is_empty() && !had_failures {
            self.note = Some(format!(
                "{}: page {n} holds only items of earlier pages; the listing stops there",
                self.route
            ));
            self.stop(self.total.is_some_and(|t| self.items < t));
            return None;
        }
        if n == MAX_PAGES && self.last == MAX_PAGES {
            self.note = Some(format!(
                "{}: stopped after {MAX_PAGES} pages ({} items)",
                self.route, self.items
            ));
        }
        self.items += fresh.len() as u64;
        Some(fresh)
    }

    fn stop(&mut self, short: bool) {
        self.ended = true;
        self.short = short;
        // Pages still on their way are not needed.
        self.inflight.abort_all();
    }
}

pub async fn page(
    api: &Api,
    root: &Root,
    route: &str,
    params: &[(&'static str, String)],
    per_page: u64,
    page: u64,
) -> Result<Resp, ApiError> {
    let q = with(
        params,
        &[
            ("per_page", &per_page.to_string()),
            ("page", &page.to_string()),
        ],
    );
    api.get(&root.url(route, &q), false).await
}

pub fn split(r: &Resp) -> Result<Vec<Box<RawValue>>, ApiError> {
    serde_json::from_slice::<Vec<Box<RawValue>>>(&r.body).map_err(|e| {
        ApiError::new(
            &r.url,
            super::client::Failure::Json(format!("expected an array of items: {e}")),
        )
    })
}

/// Items fetched for a range of a listing, and what could not be.
type RangeFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = PageResult> + Send + 'a>>;

/// One page, or, when it fails with a server error, the same items in smaller pages, so that
/// one broken item costs that item. An invalid page number is an empty page.
fn fetch_range<'a>(
    api: &'a Arc<Api>,
    root: &'a Root,
    route: &'a str,
    params: &'a [(&'static str, String)],
    per_page: u64,
    p: u64,
) -> RangeFuture<'a> {
    Box::pin(async move {
        match page(api, root, route, params, per_page, p)
            .await
            .and_then(|r| split(&r))
        {
            Ok(items) => (items, Vec::new()),
            Err(e) if e.code() == Some("rest_post_invalid_page_number") => (Vec::new(), Vec::new()),
            Err(e) if e.status().is_some_and(|s| s >= 500) && per_page > 1 => {
                let smaller = if per_page > 10 { 10 } else { 1 };
                let k = per_page / smaller;
                let mut items = Vec::new();
                let mut failed = Vec::new();
                for i in 0..k {
                    let (got, f) =
                        fetch_range(api, root, route, params, smaller, (p - 1) * k + i + 1).await;
                    let end = got.is_empty() && f.is_empty();
                    items.extend(got);
                    failed.extend(f);
                    // The collection ends inside this page.
                    if end {
                        break;
                    }
                }
                (items, failed)
            }
            Err(e) if per_page == 1 => (
                Vec::new(),
                vec![format!("item {p} of the listing could not be fetched: {e}")],
            ),
            Err(e) => (
                Vec::new(),
                vec![format!("page {p} could not be fetched: {e}")],
            ),
        }
    })
}

pub fn with(
    base: &[(&'static str, String)],
    more: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    let mut v = base.to_vec();
    v.extend(more.iter().map(|(k, val)| (*k, val.to_string())));
    v
}

pub fn params_without(p: &[(&'static str, String)], key: &str) -> Vec<(&'static str, String)> {
    p.iter().filter(|(k, _)| *k != key).cloned().collect()
}

pub fn item_id(raw: &RawValue) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: u64,
    }
    serde_json::from_str::<Id>(raw.get()).ok().map(|i| i.id)
}
