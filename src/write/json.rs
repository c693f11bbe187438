//! JSON writer: the document model itself, for other tools and for the reader's golden tests.

use crate::model::Document;

pub fn write(doc: &Document) -> String {
    let mut s =
        serde_json::to_string_pretty(doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// The same, written out as it is serialised.
pub fn write_to(doc: &Document, out: &mut impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, doc).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}
