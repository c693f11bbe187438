//! unpress: WordPress REST JSON → document model → Markdown, plain text, JSON (and more to come).

pub mod archive;
pub mod book;
pub mod cli;
pub mod convert;
pub mod dates;
pub mod diag;
pub mod fetch;
pub mod media;
pub mod mirror;
pub mod model;
pub mod output;
pub mod read;
pub mod report;
pub mod svg;
pub mod sync;
pub mod write;

use diag::Diag;
use model::Document;

/// Converts one post object (as the REST API serves it) into a document, without any I/O.
pub fn read_post(json: &serde_json::Value) -> Result<(Document, Diag), read::wp_json::PostError> {
    let mut diag = Diag::default();
    let doc = read::wp_json::read_post(json, &mut diag)?;
    Ok((doc, diag))
}
