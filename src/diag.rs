//! Warnings as data: collected per post, printed in the summary and written to the report.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Something a user should know about a converted post: nothing was lost silently.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    /// An element that has no place in the output (`script`, `style`, `form`, `noscript` …).
    Dropped { element: String },
    /// An element that has no Markdown form, kept as its text.
    Degraded { element: String },
    /// A link or image whose URL is unsafe (`javascript:`, `data:` of a non-image …): text kept.
    UnsafeUrl { url: String },
    /// An image that could not be downloaded: the output keeps the remote URL.
    ImageFailed { url: String, reason: String },
    /// The best size of an image failed; another size the post offers was used instead.
    ImageSubstituted {
        url: String,
        reason: String,
        used: String,
    },
    /// `_embedded` was absent: authors and terms are written as ids.
    NotEmbedded,
    /// `date_gmt` was missing, so the date carries no offset.
    NoOffset,
    /// The slug was unusable as a file name and was changed.
    SlugChanged { from: String, to: String },
    /// A table had cells that Markdown cannot hold (several blocks): they were joined.
    TableCellFlattened,
    /// An image left out of an EPUB (shown by its alt text).
    NotInBook { image: String, reason: String },
    /// An image changed to be safe to publish (an SVG's scripts and external references).
    ImageSanitized { url: String, note: String },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Dropped { element } => {
                write!(f, "dropped <{element}> (no place in the output)")
            }
            Warning::Degraded { element } => write!(f, "<{element}> kept as plain text"),
            Warning::UnsafeUrl { url } => write!(f, "unsafe URL removed, text kept: {url}"),
            Warning::ImageFailed { url, reason } => {
                write!(f, "image not downloaded: {url}: {reason}")
            }
            Warning::ImageSubstituted { url, reason, used } => {
                write!(f, "image {url}: {reason}; used another size: {used}")
            }
            Warning::NotEmbedded => write!(
                f,
                "no _embedded data: author, categories and tags are written as ids (fetch with ?_embed)"
            ),
            Warning::NoOffset => write!(f, "no date_gmt: dates are written without a UTC offset"),
            Warning::SlugChanged { from, to } if from.is_empty() => {
                write!(f, "no slug: written as {to:?}")
            }
            Warning::SlugChanged { from, to } => {
                if crate::output::safe_component(from) == *from {
                    write!(
                        f,
                        "slug {from:?} is used by another post: written as {to:?}"
                    )
                } else {
                    write!(
                        f,
                        "slug {from:?} is not a safe file name: written as {to:?}"
                    )
                }
            }
            Warning::TableCellFlattened => {
                write!(
                    f,
                    "table cells with several blocks were joined into one line"
                )
            }
            Warning::ImageSanitized { url, note } => write!(f, "image {url}: {note}"),
            Warning::NotInBook { image, reason } => {
                write!(
                    f,
                    "image {image} is not in the EPUB ({reason}); its alt text stands in"
                )
            }
        }
    }
}

/// Collects warnings, folding repeats of the same element so a post with 200 scripts says so once.
#[derive(Debug, Default, Clone)]
pub struct Diag {
    pub warnings: Vec<Warning>,
}

impl Diag {
    pub fn warn(&mut self, w: Warning) {
        if !self.warnings.contains(&w) {
            self.warnings.push(w);
        }
    }
}
