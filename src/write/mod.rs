//! Writers: one module per output format, all reading the same document model.

pub mod front_matter;
pub mod json;
pub mod markdown;
pub mod text;

use crate::model::Document;

/// Output formats `--to` accepts. Adding one is a module, a variant here and its golden test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// CommonMark + GFM tables, with front matter.
    Md,
    /// Plain text for translators: no markup, no URLs.
    Txt,
    /// The document model as JSON.
    Json,
}

impl Format {
    /// The file name a page bundle uses, and the extension a flat layout uses.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Md => "md",
            Format::Txt => "txt",
            Format::Json => "json",
        }
    }
}

/// What the writers need beyond the document.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    pub front_matter: front_matter::Style,
    /// Plain text keeps link URLs after their text.
    pub links_in_text: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            front_matter: front_matter::Style::Yaml,
            links_in_text: false,
        }
    }
}

pub fn render(format: Format, doc: &Document, opts: &WriteOptions) -> String {
    match format {
        Format::Md => markdown::write(doc, opts),
        Format::Txt => text::write(doc, opts),
        Format::Json => json::write(doc),
    }
}
