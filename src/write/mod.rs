//! Writers: one module per output format, all reading the same document model.

pub mod epub;
pub mod front_matter;
pub mod json;
pub mod markdown;
pub mod text;
pub mod xhtml;

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
    /// An EPUB 3 book of the post, its images inside.
    Epub,
}

impl Format {
    /// The file name a page bundle uses, and the extension a flat layout uses.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Md => "md",
            Format::Txt => "txt",
            Format::Json => "json",
            Format::Epub => "epub",
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

/// Renders a text format. (EPUB is binary and needs the images: see `render_bytes`.)
pub fn render(format: Format, doc: &Document, opts: &WriteOptions) -> String {
    match format {
        Format::Md => markdown::write(doc, opts),
        Format::Txt => text::write(doc, opts),
        Format::Json => json::write(doc),
        Format::Epub => String::new(),
    }
}

/// Renders any format to bytes. `dir` is where the document's local image paths point from;
/// images found nowhere are reported in `missing` as (image, reason).
pub fn render_bytes(
    format: Format,
    doc: &Document,
    opts: &WriteOptions,
    dir: Option<&std::path::Path>,
    missing: &mut Vec<(String, String)>,
) -> std::io::Result<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    write_to(format, doc, opts, dir, missing, &mut out)?;
    Ok(out.into_inner())
}

/// Writes any format into `out` (a file, usually). JSON and EPUB go out as they are made, so
/// that a huge post's model is never held a second time as one big string.
pub fn write_to<W: std::io::Write + std::io::Seek>(
    format: Format,
    doc: &Document,
    opts: &WriteOptions,
    dir: Option<&std::path::Path>,
    missing: &mut Vec<(String, String)>,
    out: &mut W,
) -> std::io::Result<()> {
    match format {
        Format::Md | Format::Txt => return out.write_all(render(format, doc, opts).as_bytes()),
        Format::Json => return json::write_to(doc, out),
        Format::Epub => {}
    }
    // Local images are the ones the media pass wrote beside the document: relative, inside it.
    let locate = |target: &str| -> Option<std::path::PathBuf> {
        let rel = std::path::Path::new(target);
        let inside = rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if target.contains("://") || !inside {
            return None;
        }
        let p = dir?.join(rel);
        p.is_file().then_some(p)
    };
    let meta = epub::BookMeta {
        title: if doc.meta.title.is_empty() {
            doc.meta.slug.clone()
        } else {
            doc.meta.title.clone()
        },
        lang: epub::guess_lang(std::slice::from_ref(doc)),
        id_seed: doc
            .meta
            .link
            .clone()
            .unwrap_or_else(|| format!("{}:{}", doc.meta.kind, doc.meta.id.unwrap_or(0))),
        creators: doc.meta.authors.clone(),
        publisher: None,
        description: (!doc.meta.excerpt.is_empty()).then(|| doc.meta.excerpt.clone()),
        writing_mode: epub::WritingMode::HorizontalTb,
    };
    let parts = [epub::Part {
        title: None,
        chapters: vec![0],
    }];
    let report = epub::write(out, std::slice::from_ref(doc), &parts, &meta, None, &locate)?;
    missing.extend(report.missing_images);
    Ok(())
}
