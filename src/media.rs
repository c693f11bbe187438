//! The media pass: which images a document needs (best `srcset` candidate, linked originals,
//! featured image), and relinking them to local files once downloaded.

use crate::model::{Document, ImageSlot, for_each_image_mut};
use std::collections::HashMap;

/// Resolves a URL found in a post against the post's own link (`/wp-content/…`, `//host/…`).
pub fn resolve(url: &str, base: Option<&str>) -> Option<String> {
    let url = url.trim();
    if url.is_empty() || url.starts_with("data:") {
        return None;
    }
    if url.starts_with("http://") || url.starts_with("https://") {
        return Some(url.to_string());
    }
    if let Some(rest) = url.strip_prefix("//") {
        return Some(format!("https://{rest}"));
    }
    let base = reqwest::Url::parse(base?).ok()?;
    let joined = base.join(url).ok()?;
    matches!(joined.scheme(), "http" | "https").then(|| joined.to_string())
}

/// Does a link point straight at an image file (a figure linked to its full-size original)?
pub fn is_image_url(url: &str) -> bool {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    [
        ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg", ".bmp", ".tif", ".tiff",
    ]
    .iter()
    .any(|e| path.ends_with(e))
}

/// Every image URL the document needs, resolved and each listed once, in reading order.
pub fn collect(doc: &mut Document) -> Vec<String> {
    let base = doc.meta.link.clone();
    let mut urls: Vec<String> = Vec::new();
    let mut add = |u: Option<String>| {
        if let Some(u) = u
            && !urls.contains(&u)
        {
            urls.push(u);
        }
    };
    for_each_image_mut(doc, &mut |slot| match slot {
        ImageSlot::Image(img) => add(resolve(img.best_url(), base.as_deref())),
        ImageSlot::Link(href, _) => {
            if is_image_url(href) {
                add(resolve(href, base.as_deref()));
            }
        }
    });
    urls
}

/// For each image's best URL, the other URLs of the same image to try if it fails: `src`, then
/// the other `srcset` candidates from the largest down, resolved and each listed once.
pub fn alternatives(doc: &mut Document) -> HashMap<String, Vec<String>> {
    let base = doc.meta.link.clone();
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for_each_image_mut(doc, &mut |slot| {
        let ImageSlot::Image(img) = slot else {
            return;
        };
        let Some(best) = resolve(img.best_url(), base.as_deref()) else {
            return;
        };
        let mut others: Vec<&crate::model::SrcCandidate> = img.srcset.iter().collect();
        others.sort_by(|a, b| {
            (b.width, b.density.map(|d| (d * 1000.0) as u64))
                .cmp(&(a.width, a.density.map(|d| (d * 1000.0) as u64)))
        });
        let list = out.entry(best.clone()).or_default();
        for u in std::iter::once(img.src.as_str()).chain(others.into_iter().map(|c| c.url.as_str()))
        {
            if let Some(u) = resolve(u, base.as_deref())
                && u != best
                && !list.contains(&u)
            {
                list.push(u);
            }
        }
    });
    out.retain(|_, v| !v.is_empty());
    out
}

/// Points images at their local copies; those that failed keep their remote URL.
pub fn relink(doc: &mut Document, local: &HashMap<String, String>) {
    let base = doc.meta.link.clone();
    for_each_image_mut(doc, &mut |slot| match slot {
        ImageSlot::Image(img) => {
            if let Some(u) = resolve(img.best_url(), base.as_deref()) {
                img.local = local.get(&u).cloned();
            }
        }
        ImageSlot::Link(href, link_local) => {
            if let Some(u) = resolve(href, base.as_deref()) {
                *link_local = local.get(&u).cloned();
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_urls_resolve_against_the_post() {
        let base = Some("https://ex.org/blog/a-post/");
        assert_eq!(
            resolve("/wp-content/x.jpg", base).unwrap(),
            "https://ex.org/wp-content/x.jpg"
        );
        assert_eq!(
            resolve("//cdn.ex.org/x.jpg", None).unwrap(),
            "https://cdn.ex.org/x.jpg"
        );
        assert_eq!(resolve("data:image/png;base64,AAA", base), None);
        assert_eq!(resolve("x.jpg", None), None);
    }
}
