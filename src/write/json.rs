//! JSON writer: the document model itself, for other tools and for the reader's golden tests.

use crate::model::Document;

pub fn write(doc: &Document) -> String {
    let mut s =
        serde_json::to_string_pretty(doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
