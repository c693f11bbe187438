//! The document model every reader produces and every writer consumes: data only, no I/O.
//!
//! Each variant names the HTML it is read from, so a writer author knows what reaches them.
//! The enums are exhaustive on purpose: a new variant must be handled by every writer.

use serde::Serialize;

/// One post or page: its metadata and its body.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Document {
    pub meta: Meta,
    pub blocks: Vec<Block>,
}

/// What the REST object says about a post, normalised (entities decoded, dates with offsets).
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Meta {
    pub id: Option<u64>,
    /// `type`: post, page or a custom post type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Percent-decoded slug, as a reader would want to see it.
    pub slug: String,
    pub title: String,
    /// RFC 3339, carrying the post's own offset when `date_gmt` allows computing it.
    pub date: Option<String>,
    pub modified: Option<String>,
    pub status: Option<String>,
    pub link: Option<String>,
    pub authors: Vec<String>,
    pub author_ids: Vec<u64>,
    pub categories: Vec<String>,
    pub category_ids: Vec<u64>,
    pub tags: Vec<String>,
    pub tag_ids: Vec<u64>,
    /// True when names came from `_embedded`; false when only ids were available.
    pub embedded: bool,
    pub excerpt: String,
    pub featured_image: Option<Image>,
    pub featured_media_id: Option<u64>,
    pub sticky: bool,
    pub format: Option<String>,
    /// The post was password-protected on the site (`content.protected`).
    pub protected: bool,
}

/// A block-level element.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// `<p>`, or loose inline content between blocks.
    Para { content: Vec<Inline> },
    /// `<h1>`–`<h6>`; a heading wrapped whole in `<strong>` is unwrapped.
    Heading {
        level: u8,
        #[serde(skip_serializing_if = "Option::is_none")]
        anchor: Option<String>,
        content: Vec<Inline>,
    },
    /// `<ul>`/`<ol>`, and runs of paragraphs that start with `・`, `●`, `•` … (pseudo-lists).
    List {
        ordered: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    /// `<blockquote>`, `wp-block-quote`, `wp-block-pullquote`; `<cite>` becomes the attribution.
    Quote {
        blocks: Vec<Block>,
        attribution: Vec<Inline>,
    },
    /// `<pre>` (with or without `<code>`); the language comes from a `language-*`/`lang-*` class.
    Code {
        #[serde(skip_serializing_if = "Option::is_none")]
        lang: Option<String>,
        text: String,
    },
    /// `<table>` with `<caption>` or `wp-block-table`'s `<figcaption>` (boxed, as is every
    /// large and rare variant: most blocks are paragraphs).
    Table(Box<Table>),
    /// `wp-block-image`, `wp-caption`, galleries, and paragraphs holding only images.
    Figure(Figure),
    /// `wp-block-embed`, `<iframe>`, `<audio>`, `<video>`, `<object>`: kept as a link.
    Embed(Box<Embed>),
    /// `<details>` with its `<summary>`.
    Details {
        summary: Vec<Inline>,
        blocks: Vec<Block>,
    },
    /// Footnote bodies: `wp-block-footnotes` lists.
    Footnotes { notes: Vec<Footnote> },
    /// `<hr>`, `wp-block-separator`.
    Rule,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Footnote {
    pub label: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Table {
    pub caption: Vec<Inline>,
    /// Rows from `<thead>`, or leading rows made only of `<th>`.
    pub head: Vec<Vec<Vec<Inline>>>,
    pub body: Vec<Vec<Vec<Inline>>>,
}

impl Table {
    /// The widest row's cell count: the column count a grid needs (0 for a table of no cells).
    pub fn columns(&self) -> usize {
        self.head
            .iter()
            .chain(&self.body)
            .map(Vec::len)
            .max()
            .unwrap_or(0)
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Figure {
    pub images: Vec<FigureImage>,
    /// `<figcaption>` of the whole figure (a gallery's caption, or the image's own).
    pub caption: Vec<Inline>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FigureImage {
    pub image: Image,
    /// The `<a href>` the image is wrapped in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Set by the media pass when the link points to an image that was downloaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_local: Option<String>,
    /// A gallery item's own caption.
    pub caption: Vec<Inline>,
}

/// `<a href>`: where it goes, its `title`, and its text.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Link {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub content: Vec<Inline>,
}

impl Inline {
    /// A link to `url` showing `content`.
    pub fn link(url: String, title: Option<String>, content: Vec<Inline>) -> Inline {
        Inline::Link(Box::new(Link {
            url,
            title,
            content,
        }))
    }
}

/// `wp-block-embed`, `<iframe>`, `<audio>`, `<video>`, `<object>`: kept as a link.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Embed {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub caption: Vec<Inline>,
}

/// `<img>`: every attribute a writer or the media pass may need.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Image {
    pub src: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub srcset: Vec<SrcCandidate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sizes: Option<String>,
    pub alt: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// The attachment id from a `wp-image-N` class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wp_id: Option<u64>,
    /// Set by the media pass: the path of the downloaded file, relative to the document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local: Option<String>,
}

/// One `srcset` candidate: a URL with a width (`800w`) or a pixel density (`2x`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SrcCandidate {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub density: Option<f32>,
}

/// An inline element.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", content = "c", rename_all = "snake_case")]
pub enum Inline {
    /// Text with whitespace already collapsed by the HTML rules.
    Text(String),
    /// `<strong>`, `<b>`.
    Strong(Vec<Inline>),
    /// `<em>`, `<i>`, `<cite>` outside quotes.
    Emph(Vec<Inline>),
    /// `<del>`, `<s>`, `<strike>`.
    Strike(Vec<Inline>),
    /// `<sup>`.
    Sup(Vec<Inline>),
    /// `<sub>`.
    Sub(Vec<Inline>),
    /// `<mark>`: highlighted text.
    Mark(Vec<Inline>),
    /// `<code>`, `<kbd>`, `<samp>`, `<tt>` outside `<pre>`.
    Code(String),
    /// `<a href>` (boxed: most inlines are small).
    Link(Box<Link>),
    /// `<img>` inside running text (boxed: an image is large, most inlines are small).
    Image(Box<Image>),
    /// `<br>`.
    LineBreak,
    /// A footnote reference (`<sup data-fn>` of the footnotes block, or `<a href="#fn…">`).
    NoteRef(String),
}

impl Image {
    /// The best candidate to download: the widest `srcset` entry, else the densest, else `src`.
    pub fn best_url(&self) -> &str {
        let widest = self
            .srcset
            .iter()
            .filter(|c| c.width.is_some())
            .max_by_key(|c| c.width);
        if let Some(c) = widest {
            return &c.url;
        }
        let densest = self
            .srcset
            .iter()
            .filter(|c| c.density.is_some())
            .max_by(|a, b| {
                a.density
                    .partial_cmp(&b.density)
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
        if let Some(c) = densest {
            return &c.url;
        }
        if self.src.is_empty() {
            self.srcset.first().map(|c| c.url.as_str()).unwrap_or("")
        } else {
            &self.src
        }
    }

    /// What a writer should point to: the downloaded file when there is one.
    pub fn target(&self) -> &str {
        self.local.as_deref().unwrap_or_else(|| self.best_url())
    }
}

/// The words an embed is shown by: its provider and title, else its URL.
pub fn embed_label(url: &str, provider: Option<&str>, title: Option<&str>) -> String {
    match (provider, title) {
        (Some(p), Some(t)) => format!("{p}: {t}"),
        (Some(p), None) => format!("{p}: {url}"),
        (None, Some(t)) => t.to_string(),
        (None, None) => url.to_string(),
    }
}

/// Plain text of inline content, as a reader would see it (images by their alt text).
pub fn plain_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    push_plain(inlines, &mut out);
    out
}

fn push_plain(inlines: &[Inline], out: &mut String) {
    for i in inlines {
        match i {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Strong(c)
            | Inline::Emph(c)
            | Inline::Strike(c)
            | Inline::Sup(c)
            | Inline::Sub(c)
            | Inline::Mark(c) => push_plain(c, out),
            Inline::Link(l) => push_plain(&l.content, out),
            Inline::Image(img) => out.push_str(&img.alt),
            Inline::LineBreak => out.push('\n'),
            Inline::NoteRef(l) => {
                out.push('[');
                out.push_str(l);
                out.push(']');
            }
        }
    }
}

/// Visits every run of inline content in blocks, nested ones included.
pub fn for_each_inline_run(blocks: &[Block], f: &mut dyn FnMut(&[Inline])) {
    for b in blocks {
        match b {
            Block::Para { content } | Block::Heading { content, .. } => f(content),
            Block::List { items, .. } => items.iter().for_each(|i| for_each_inline_run(i, f)),
            Block::Quote {
                blocks,
                attribution,
            } => {
                for_each_inline_run(blocks, f);
                f(attribution);
            }
            Block::Details { summary, blocks } => {
                f(summary);
                for_each_inline_run(blocks, f);
            }
            Block::Footnotes { notes } => {
                notes.iter().for_each(|n| for_each_inline_run(&n.blocks, f))
            }
            Block::Table(t) => {
                f(&t.caption);
                t.head.iter().chain(&t.body).flatten().for_each(|c| f(c));
            }
            Block::Figure(fig) => {
                fig.images.iter().for_each(|fi| f(&fi.caption));
                f(&fig.caption);
            }
            Block::Embed(e) => f(&e.caption),
            Block::Code { .. } | Block::Rule => {}
        }
    }
}

/// Visits every image of a document, body and featured, mutably: the media pass uses it to
/// collect and to relink, so the two can never disagree about which images exist.
pub fn for_each_image_mut(doc: &mut Document, f: &mut dyn FnMut(ImageSlot<'_>)) {
    if let Some(img) = doc.meta.featured_image.as_mut() {
        f(ImageSlot::Image(img));
    }
    blocks_images(&mut doc.blocks, f);
}

/// An image the media pass may download: an `<img>` itself, or the link wrapped round one.
pub enum ImageSlot<'a> {
    Image(&'a mut Image),
    /// A wrapping link (`href`, and where its local copy goes).
    Link(&'a str, &'a mut Option<String>),
}

fn blocks_images(blocks: &mut [Block], f: &mut dyn FnMut(ImageSlot<'_>)) {
    for b in blocks {
        match b {
            Block::Para { content } | Block::Heading { content, .. } => inline_images(content, f),
            Block::List { items, .. } => {
                for item in items {
                    blocks_images(item, f);
                }
            }
            Block::Quote {
                blocks,
                attribution,
            } => {
                blocks_images(blocks, f);
                inline_images(attribution, f);
            }
            Block::Details { summary, blocks } => {
                inline_images(summary, f);
                blocks_images(blocks, f);
            }
            Block::Footnotes { notes } => {
                for n in notes {
                    blocks_images(&mut n.blocks, f);
                }
            }
            Block::Table(t) => {
                inline_images(&mut t.caption, f);
                for row in t.head.iter_mut().chain(t.body.iter_mut()) {
                    for cell in row {
                        inline_images(cell, f);
                    }
                }
            }
            Block::Figure(fig) => {
                for fi in &mut fig.images {
                    f(ImageSlot::Image(&mut fi.image));
                    if let Some(link) = fi.link.as_deref() {
                        f(ImageSlot::Link(link, &mut fi.link_local));
                    }
                    inline_images(&mut fi.caption, f);
                }
                inline_images(&mut fig.caption, f);
            }
            Block::Embed(e) => inline_images(&mut e.caption, f),
            Block::Code { .. } | Block::Rule => {}
        }
    }
}

fn inline_images(inlines: &mut [Inline], f: &mut dyn FnMut(ImageSlot<'_>)) {
    for i in inlines {
        match i {
            Inline::Image(img) => f(ImageSlot::Image(img)),
            Inline::Strong(c)
            | Inline::Emph(c)
            | Inline::Strike(c)
            | Inline::Sup(c)
            | Inline::Sub(c)
            | Inline::Mark(c) => inline_images(c, f),
            Inline::Link(l) => inline_images(&mut l.content, f),
            Inline::Text(_) | Inline::Code(_) | Inline::LineBreak | Inline::NoteRef(_) => {}
        }
    }
}
