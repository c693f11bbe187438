//! WordPress REST post objects → `Document`: metadata normalised, `content.rendered` read as HTML.

use crate::diag::{Diag, Warning};
use crate::model::{Block, Document, Image, Meta, SrcCandidate};
use crate::read::html::{html_to_plain, read_html};
use serde_json::Value;

/// Why a JSON value could not be read as a post.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum PostError {
    #[error("not a post: {0}")]
    NotAPost(String),
    /// Another kind of WordPress object (a term, a user, a media item): not an error in a
    /// folder that mirrors a site, so it is skipped rather than failed.
    #[error("not a post: it is a {0}")]
    OtherObject(&'static str),
}

/// The cheap part of reading a post, done before any HTML is parsed: enough to name its output.
#[derive(Debug, Clone)]
pub struct PostHead {
    pub id: Option<u64>,
    pub slug: String,
    pub kind: String,
}

/// Checks that a value is a post and reads what naming its output needs.
pub fn head(v: &Value) -> Result<PostHead, PostError> {
    let obj = v.as_object().ok_or_else(|| {
        PostError::NotAPost(format!("expected a JSON object, found {}", kind_of(v)))
    })?;
    if let (Some(code), Some(msg)) = (obj.get("code").and_then(Value::as_str), obj.get("message")) {
        return Err(PostError::NotAPost(format!(
            "a WordPress error response ({code}): {}",
            msg.as_str().unwrap_or("")
        )));
    }
    // Comments carry content.rendered too, but they are not posts.
    if obj.contains_key("author_name") && obj.contains_key("post") && !obj.contains_key("title") {
        return Err(PostError::OtherObject("comment"));
    }
    if rendered(v, "content").is_none() {
        let other = if obj.contains_key("namespaces") && obj.contains_key("routes") {
            Some("REST API index")
        } else if obj.get("content").and_then(|c| c.get("raw")).is_some()
            && obj.get("type").and_then(Value::as_str) == Some("wp_block")
        {
            Some("reusable block (WordPress's own, not a post)")
        } else if !obj.is_empty() && obj.values().all(|t| t.get("rest_base").is_some()) {
            Some("list of post types or taxonomies")
        } else if obj.contains_key("taxonomy") {
            Some("category or tag")
        } else if obj.contains_key("media_type") || obj.contains_key("source_url") {
            Some("media item")
        } else if obj.contains_key("avatar_urls") || obj.contains_key("capabilities") {
            Some("user")
        } else if obj.contains_key("rest_base") && obj.contains_key("slug") {
            Some("post type or taxonomy description")
        } else {
            None
        };
        if let Some(kind) = other {
            return Err(PostError::OtherObject(kind));
        }
        let hint = if obj.get("content").and_then(|c| c.get("raw")).is_some() {
            " (it has content.raw only: fetch it with context=view)"
        } else {
            ""
        };
        return Err(PostError::NotAPost(format!("no content.rendered{hint}")));
    }
    let id = obj.get("id").and_then(Value::as_u64);
    let slug = obj
        .get("slug")
        .and_then(Value::as_str)
        .map(percent_decode)
        .unwrap_or_default();
    let kind = obj
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("post")
        .to_string();
    Ok(PostHead { id, slug, kind })
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `field.rendered`, or `field` itself when a plugin flattened it to a string.
fn rendered<'a>(v: &'a Value, field: &str) -> Option<&'a str> {
    match v.get(field)? {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("rendered").and_then(Value::as_str),
        _ => None,
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Reads a whole post: metadata and body.
pub fn read_post(v: &Value, diag: &mut Diag) -> Result<Document, PostError> {
    let h = head(v)?;
    let html = rendered(v, "content").unwrap_or("");
    let blocks = read_html(html, diag);
    let mut meta = Meta {
        id: h.id,
        kind: h.kind,
        slug: h.slug,
        ..Meta::default()
    };
    meta.title = rendered(v, "title").map(html_to_plain).unwrap_or_default();
    meta.excerpt = rendered(v, "excerpt")
        .map(html_to_plain)
        .unwrap_or_default();
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut no_offset = false;
    meta.date = s("date").map(|d| with_offset(&d, s("date_gmt").as_deref(), &mut no_offset));
    meta.modified =
        s("modified").map(|d| with_offset(&d, s("modified_gmt").as_deref(), &mut no_offset));
    if no_offset {
        diag.warn(Warning::NoOffset);
    }
    meta.status = s("status");
    meta.link = s("link");
    meta.format = s("format");
    meta.sticky = v.get("sticky").and_then(Value::as_bool).unwrap_or(false);
    meta.protected = v
        .pointer("/content/protected")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    meta.featured_media_id = v
        .get("featured_media")
        .and_then(Value::as_u64)
        .filter(|id| *id != 0);
    meta.author_ids = ids(v.get("author"));
    meta.category_ids = ids(v.get("categories"));
    meta.tag_ids = ids(v.get("tags"));

    let embedded = v.get("_embedded");
    meta.embedded = embedded.is_some();
    if let Some(e) = embedded {
        meta.authors = e
            .get("author")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|u| u.get("name").and_then(Value::as_str))
                    .map(html_to_plain)
                    .filter(|n| !n.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        for group in e
            .get("wp:term")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for term in group.as_array().into_iter().flatten() {
                let Some(name) = term.get("name").and_then(Value::as_str) else {
                    continue;
                };
                let name = html_to_plain(name);
                match term.get("taxonomy").and_then(Value::as_str) {
                    Some("category") => meta.categories.push(name),
                    Some("post_tag") => meta.tags.push(name),
                    _ => {}
                }
            }
        }
        meta.featured_image = e
            .get("wp:featuredmedia")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(media_image);
    } else if !(meta.author_ids.is_empty()
        && meta.category_ids.is_empty()
        && meta.tag_ids.is_empty())
    {
        diag.warn(Warning::NotEmbedded);
    }
    // Without `_embedded`, the featured image is usually also in the body (`wp-image-N`).
    if meta.featured_image.is_none()
        && let Some(id) = meta.featured_media_id
    {
        meta.featured_image = find_image(&blocks, id);
    }
    Ok(Document { meta, blocks })
}

fn ids(v: Option<&Value>) -> Vec<u64> {
    match v {
        Some(Value::Number(n)) => n.as_u64().filter(|n| *n != 0).into_iter().collect(),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_u64).collect(),
        _ => Vec::new(),
    }
}

/// A `/wp/v2/media` object as an image: the original plus every generated size as `srcset`.
pub fn media_image(m: &Value) -> Option<Image> {
    let src = m.get("source_url").and_then(Value::as_str)?.to_string();
    if src.is_empty() {
        return None;
    }
    let details = m.get("media_details");
    let dim = |v: Option<&Value>, k: &str| {
        v.and_then(|d| d.get(k))
            .and_then(Value::as_u64)
            .map(|n| n as u32)
    };
    let width = dim(details, "width");
    let mut srcset = Vec::new();
    if let Some(sizes) = details
        .and_then(|d| d.get("sizes"))
        .and_then(Value::as_object)
    {
        for size in sizes.values() {
            if let (Some(url), Some(w)) = (
                size.get("source_url").and_then(Value::as_str),
                dim(Some(size), "width"),
            ) && !srcset.iter().any(|c: &SrcCandidate| c.url == url)
            {
                srcset.push(SrcCandidate {
                    url: url.to_string(),
                    width: Some(w),
                    density: None,
                });
            }
        }
    }
    if let Some(w) = width
        && !srcset.iter().any(|c| c.url == src)
    {
        srcset.push(SrcCandidate {
            url: src.clone(),
            width: Some(w),
            density: None,
        });
    }
    srcset.sort_by_key(|c| c.width);
    Some(Image {
        alt: m
            .get("alt_text")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string(),
        width,
        height: dim(details, "height"),
        wp_id: m.get("id").and_then(Value::as_u64),
        src,
        srcset,
        ..Image::default()
    })
}

fn find_image(blocks: &[Block], id: u64) -> Option<Image> {
    for b in blocks {
        match b {
            Block::Figure(f) => {
                if let Some(fi) = f.images.iter().find(|fi| fi.image.wp_id == Some(id)) {
                    let mut img = fi.image.clone();
                    img.local = None;
                    return Some(img);
                }
            }
            Block::Quote { blocks, .. } | Block::Details { blocks, .. } => {
                if let Some(i) = find_image(blocks, id) {
                    return Some(i);
                }
            }
            Block::List { items, .. } => {
                for item in items {
                    if let Some(i) = find_image(item, id) {
                        return Some(i);
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// Seconds since the epoch of a `YYYY-MM-DDTHH:MM:SS` wall-clock time, taken as if it were UTC.
fn civil_seconds(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || (b[10] != b'T' && b[10] != b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 || y == 0 {
        return None;
    }
    let days = crate::dates::days_from_civil(y, m, d);
    Some(days * 86400 + hh * 3600 + mm * 60 + ss)
}

/// RFC 3339 with the post's own offset, computed as `date − date_gmt`.
pub fn with_offset(local: &str, gmt: Option<&str>, no_offset: &mut bool) -> String {
    let base = local.get(..19).unwrap_or(local).replace(' ', "T");
    let offset = match (civil_seconds(local), gmt.and_then(civil_seconds)) {
        (Some(l), Some(g)) if (l - g).abs() <= 18 * 3600 => {
            // Offsets are whole minutes; the two stamps can straddle a second.
            let minutes = ((l - g) as f64 / 60.0).round() as i64;
            if minutes == 0 {
                "+00:00".to_string()
            } else {
                let sign = if minutes < 0 { '-' } else { '+' };
                format!("{sign}{:02}:{:02}", minutes.abs() / 60, minutes.abs() % 60)
            }
        }
        _ => {
            *no_offset = true;
            return base;
        }
    };
    format!("{base}{offset}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_is_date_minus_date_gmt() {
        let mut no = false;
        assert_eq!(
            with_offset("2026-05-28T08:21:27", Some("2026-05-27T23:21:27"), &mut no),
            "2026-05-28T08:21:27+09:00"
        );
        assert_eq!(
            with_offset("2020-01-01T00:00:00", Some("2020-01-01T05:30:00"), &mut no),
            "2020-01-01T00:00:00-05:30"
        );
        assert!(!no);
        with_offset("2020-01-01T00:00:00", Some("0000-00-00T00:00:00"), &mut no);
        assert!(no, "a zero date_gmt gives no offset");
    }

    #[test]
    fn slug_is_percent_decoded() {
        let v: Value =
            serde_json::json!({"slug": "%e6%97%a5%e6%9c%ac", "content": {"rendered": ""}});
        assert_eq!(head(&v).unwrap().slug, "日本");
    }

    #[test]
    fn not_a_post_says_what_it_looks_like() {
        let v: Value = serde_json::json!({"id": 1, "taxonomy": "category", "name": "News"});
        let e = head(&v).unwrap_err().to_string();
        assert!(e.contains("category"), "{e}");
    }
}
