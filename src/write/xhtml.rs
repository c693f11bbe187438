//! XHTML writer: a document's body as well-formed XHTML for EPUB chapters, with every image and
//! link resolved by the caller (local resource, or alt text), and unique ids.

use crate::model::{Block, Document, Figure, Image, Inline, Table};
use std::collections::HashSet;

/// How the book maps what a document points to.
pub struct Resolve<'a> {
    /// An image's target (local path or URL) → its href inside the book, if it is there.
    pub image: &'a dyn Fn(&str) -> Option<String>,
    /// A link's URL → its href in the book: another chapter, an external URL, or `None` when
    /// it would point at nothing there (the link is then dropped, its text kept).
    pub link: &'a dyn Fn(&str) -> Option<String>,
}

/// A heading for the navigation: level, id, text.
pub type Heading = (u8, String, String);

/// What one chapter's body came to: its XHTML, and its h2/h3 headings for the navigation.
pub struct Chapter {
    pub body: String,
    /// (level, id, text)
    pub headings: Vec<Heading>,
    /// Images that are not in the book, shown as their alt text.
    pub missing_images: Vec<String>,
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Characters XML 1.0 does not allow at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

struct W<'a> {
    out: String,
    r: &'a Resolve<'a>,
    ids: HashSet<String>,
    headings: Vec<Heading>,
    missing: Vec<String>,
    notes: HashSet<String>,
    /// The post's own heading anchors, so that `#anchor` links can point at them.
    anchors: HashSet<String>,
}

pub fn chapter(doc: &Document, title_level: u8, r: &Resolve<'_>) -> Chapter {
    let mut w = W {
        out: String::new(),
        r,
        ids: HashSet::new(),
        headings: Vec::new(),
        missing: Vec::new(),
        notes: HashSet::new(),
        anchors: HashSet::new(),
    };
    collect_notes(&doc.blocks, &mut w.notes);
    for b in &doc.blocks {
        if let Block::Heading {
            anchor: Some(a), ..
        } = b
            && valid_id(a)
        {
            w.anchors.insert(a.clone());
        }
    }
    let title = if doc.meta.title.is_empty() {
        format!(
            "{} {}",
            doc.meta.kind,
            doc.meta.id.map(|i| i.to_string()).unwrap_or_default()
        )
    } else {
        doc.meta.title.clone()
    };
    w.out.push_str(&format!(
        "<h{title_level}>{}</h{title_level}>\n",
        escape(&title)
    ));
    let mut byline = Vec::new();
    if let Some(d) = &doc.meta.date {
        byline.push(d.get(..10).unwrap_or(d).to_string());
    }
    if !doc.meta.authors.is_empty() {
        byline.push(doc.meta.authors.join(", "));
    }
    if !byline.is_empty() {
        w.out.push_str(&format!(
            "<p class=\"byline\">{}</p>\n",
            escape(&byline.join(" · "))
        ));
    }
    w.blocks(&doc.blocks);
    Chapter {
        body: w.out,
        headings: w.headings,
        missing_images: w.missing,
    }
}

fn collect_notes(blocks: &[Block], out: &mut HashSet<String>) {
    for b in blocks {
        if let Block::Footnotes { notes } = b {
            out.extend(notes.iter().map(|n| n.label.clone()));
        }
    }
}

/// An id XHTML accepts and that cannot clash with the ids this writer makes.
fn valid_id(a: &str) -> bool {
    !a.is_empty()
        && a.len() < 100
        && a.chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        && !a.starts_with("fn-")
        && !(a.starts_with('h') && a[1..].chars().all(|c| c.is_ascii_digit()))
}

fn note_id(label: &str) -> String {
    let s: String = label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    format!("fn-{s}")
}

impl W<'_> {
    fn unique(&mut self, base: &str) -> String {
        let mut id = base.to_string();
        let mut n = 1;
        while !self.ids.insert(id.clone()) {
            n += 1;
            id = format!("{base}-{n}");
        }
        id
    }

    fn blocks(&mut self, bs: &[Block]) {
        for b in bs {
            self.block(b);
        }
    }

    fn block(&mut self, b: &Block) {
        match b {
            Block::Para { content } => {
                self.out.push_str("<p>");
                self.inlines(content, false);
                self.out.push_str("</p>\n");
            }
            Block::Heading {
                level,
                content,
                anchor,
            } => {
                // The chapter title is the h1; the post's own headings sit below it.
                let post_level = *level;
                let level = (post_level + 1).clamp(2, 6);
                // The post's own anchor when it has one (its `#links` then still work).
                let id = match anchor {
                    Some(a) if self.anchors.contains(a) && !self.ids.contains(a) => self.unique(a),
                    _ => self.unique(&format!("h{}", self.headings.len() + 1)),
                };
                let text = crate::model::plain_text(content);
                // The navigation lists the post's own h2 and h3 (an h1 in a post counts as h2).
                if post_level <= 3 {
                    self.headings
                        .push((post_level.max(2), id.clone(), text.trim().to_string()));
                }
                self.out.push_str(&format!("<h{level} id=\"{id}\">"));
                self.inlines(content, false);
                self.out.push_str(&format!("</h{level}>\n"));
            }
            Block::List {
                ordered,
                start,
                items,
            } => {
                let tag = if *ordered { "ol" } else { "ul" };
                match start {
                    Some(s) if *ordered => self.out.push_str(&format!("<ol start=\"{s}\">\n")),
                    _ => self.out.push_str(&format!("<{tag}>\n")),
                }
                for item in items {
                    self.out.push_str("<li>");
                    // A single paragraph item needs no <p>.
                    if let [Block::Para { content }] = item.as_slice() {
                        self.inlines(content, false);
                    } else {
                        self.blocks(item);
                    }
                    self.out.push_str("</li>\n");
                }
                self.out.push_str(&format!("</{tag}>\n"));
            }
            Block::Quote {
                blocks,
                attribution,
            } => {
                self.out.push_str("<blockquote>\n");
                self.blocks(blocks);
                if !attribution.is_empty() {
                    self.out.push_str("<p class=\"attribution\">— ");
                    self.inlines(attribution, false);
                    self.out.push_str("</p>\n");
                }
                self.out.push_str("</blockquote>\n");
            }
            Block::Code { lang, text } => {
                match lang {
                    Some(l) => self
                        .out
                        .push_str(&format!("<pre><code class=\"language-{}\">", escape(l))),
                    None => self.out.push_str("<pre><code>"),
                }
                self.out.push_str(&escape(text));
                self.out.push_str("</code></pre>\n");
            }
            Block::Table(t) => self.table(t),
            Block::Figure(f) => self.figure(f),
            Block::Embed(e) => {
                let crate::model::Embed {
                    url,
                    provider,
                    title,
                    caption,
                } = &**e;
                let label = crate::model::embed_label(url, provider.as_deref(), title.as_deref());
                self.out.push_str("<p class=\"embed\">");
                match (self.r.link)(url) {
                    Some(href) => self.out.push_str(&format!(
                        "<a href=\"{}\">{}</a>",
                        escape(&href),
                        escape(&label)
                    )),
                    None => self.out.push_str(&escape(&label)),
                }
                self.out.push_str("</p>\n");
                if !caption.is_empty() {
                    self.out.push_str("<p class=\"caption\">");
                    self.inlines(caption, false);
                    self.out.push_str("</p>\n");
                }
            }
            Block::Details { summary, blocks } => {
                self.out.push_str("<div class=\"details\">\n");
                if !summary.is_empty() {
                    self.out.push_str("<p class=\"summary\"><strong>");
                    self.inlines(summary, false);
                    self.out.push_str("</strong></p>\n");
                }
                self.blocks(blocks);
                self.out.push_str("</div>\n");
            }
            Block::Footnotes { notes } => {
                if notes.is_empty() {
                    return;
                }
                self.out.push_str("<section class=\"footnotes\">\n<ol>\n");
                for n in notes {
                    let id = self.unique(&note_id(&n.label));
                    self.out.push_str(&format!("<li id=\"{id}\">"));
                    if let [Block::Para { content }] = n.blocks.as_slice() {
                        self.inlines(content, false);
                    } else {
                        self.blocks(&n.blocks);
                    }
                    self.out.push_str("</li>\n");
                }
                self.out.push_str("</ol>\n</section>\n");
            }
            Block::Rule => self.out.push_str("<hr/>\n"),
        }
    }

    fn table(&mut self, t: &Table) {
        let cols = t.columns();
        if cols == 0 {
            if !t.caption.is_empty() {
                self.out.push_str("<p class=\"caption\">");
                self.inlines(&t.caption, false);
                self.out.push_str("</p>\n");
            }
            return;
        }
        self.out.push_str("<table>\n");
        if !t.caption.is_empty() {
            self.out.push_str("<caption>");
            self.inlines(&t.caption, false);
            self.out.push_str("</caption>\n");
        }
        let row = |w: &mut Self, r: &Vec<Vec<Inline>>, cell: &str| {
            w.out.push_str("<tr>");
            for c in r {
                w.out.push_str(&format!("<{cell}>"));
                w.inlines(c, false);
                w.out.push_str(&format!("</{cell}>"));
            }
            w.out.push_str("</tr>\n");
        };
        if !t.head.is_empty() {
            self.out.push_str("<thead>\n");
            for r in &t.head {
                row(self, r, "th");
            }
            self.out.push_str("</thead>\n");
        }
        if !t.body.is_empty() {
            self.out.push_str("<tbody>\n");
            for r in &t.body {
                row(self, r, "td");
            }
            self.out.push_str("</tbody>\n");
        }
        self.out.push_str("</table>\n");
    }

    fn figure(&mut self, f: &Figure) {
        self.out.push_str("<figure>\n");
        for fi in &f.images {
            let img = self.image(&fi.image);
            // A link to the image itself points at nothing a reader can open in the book.
            let href = fi
                .link
                .as_deref()
                .filter(|l| fi.link_local.is_none() && !crate::media::is_image_url(l))
                .and_then(|l| (self.r.link)(l));
            match (href, img) {
                (Some(h), Some(img)) => self
                    .out
                    .push_str(&format!("<a href=\"{}\">{img}</a>\n", escape(&h))),
                (None, Some(img)) => {
                    self.out.push_str(&img);
                    self.out.push('\n');
                }
                (_, None) => {
                    if !fi.image.alt.is_empty() {
                        self.out
                            .push_str(&format!("<p class=\"alt\">{}</p>\n", escape(&fi.image.alt)));
                    }
                }
            }
            if !fi.caption.is_empty() {
                self.out.push_str("<p class=\"caption\">");
                self.inlines(&fi.caption, false);
                self.out.push_str("</p>\n");
            }
        }
        if !f.caption.is_empty() {
            self.out.push_str("<figcaption>");
            self.inlines(&f.caption, false);
            self.out.push_str("</figcaption>\n");
        }
        self.out.push_str("</figure>\n");
    }

    /// `<img/>` when the book holds the image; `None` (alt text, and a note) when it does not.
    fn image(&mut self, img: &Image) -> Option<String> {
        let target = img.target();
        // Only a file the media pass downloaded (or a mirror holds) goes in: never whatever a
        // post's `src` names on this machine.
        match img.local.as_deref().and_then(|l| (self.r.image)(l)) {
            Some(src) => Some(format!(
                "<img src=\"{}\" alt=\"{}\"/>",
                escape(&src),
                escape(&img.alt)
            )),
            None => {
                self.missing.push(target.to_string());
                None
            }
        }
    }

    fn inlines(&mut self, content: &[Inline], in_link: bool) {
        for i in content {
            self.inline(i, in_link);
        }
    }

    fn inline(&mut self, i: &Inline, in_link: bool) {
        let wrap = |w: &mut Self, tag: &str, c: &[Inline]| {
            w.out.push_str(&format!("<{tag}>"));
            w.inlines(c, in_link);
            w.out.push_str(&format!("</{tag}>"));
        };
        match i {
            Inline::Text(t) => self.out.push_str(&escape(t)),
            Inline::Strong(c) => wrap(self, "strong", c),
            Inline::Emph(c) => wrap(self, "em", c),
            Inline::Strike(c) => wrap(self, "del", c),
            Inline::Sup(c) => wrap(self, "sup", c),
            Inline::Sub(c) => wrap(self, "sub", c),
            Inline::Mark(c) => wrap(self, "mark", c),
            Inline::Code(c) => {
                self.out.push_str("<code>");
                self.out.push_str(&escape(c));
                self.out.push_str("</code>");
            }
            Inline::Link(l) => {
                let (url, content) = (&l.url, &l.content);
                let href = if in_link {
                    None
                } else if let Some(frag) = url.strip_prefix('#') {
                    // Only anchors that exist in this chapter.
                    (self.ids.contains(frag) || self.anchors.contains(frag)).then(|| url.clone())
                } else {
                    (self.r.link)(url)
                };
                match href {
                    Some(h) => {
                        self.out.push_str(&format!("<a href=\"{}\">", escape(&h)));
                        self.inlines(content, true);
                        self.out.push_str("</a>");
                    }
                    None => self.inlines(content, in_link),
                }
            }
            Inline::Image(img) => match self.image(img) {
                Some(tag) => self.out.push_str(&tag),
                None => self.out.push_str(&escape(&img.alt)),
            },
            Inline::LineBreak => self.out.push_str("<br/>"),
            Inline::NoteRef(l) => {
                if self.notes.contains(l) && !in_link {
                    self.out.push_str(&format!(
                        "<sup><a epub:type=\"noteref\" href=\"#{}\">{}</a></sup>",
                        note_id(l),
                        escape(l)
                    ));
                } else {
                    self.out.push_str(&format!("<sup>{}</sup>", escape(l)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Meta;

    #[test]
    fn anchor_links_work_only_when_their_target_is_in_the_chapter() {
        let link = |u: &str| Inline::link(u.into(), None, vec![Inline::Text("go".into())]);
        let doc = Document {
            meta: Meta {
                title: "T".into(),
                ..Meta::default()
            },
            blocks: vec![
                Block::Para {
                    content: vec![link("#intro"), link("#nowhere")],
                },
                Block::Heading {
                    level: 2,
                    anchor: Some("intro".into()),
                    content: vec![Inline::Text("Intro".into())],
                },
            ],
        };
        let none = |_: &str| None;
        let keep = |u: &str| Some(u.to_string());
        let ch = chapter(
            &doc,
            1,
            &Resolve {
                image: &none,
                link: &keep,
            },
        );
        assert!(ch.body.contains("<a href=\"#intro\">go</a>"), "{}", ch.body);
        assert!(!ch.body.contains("#nowhere"), "{}", ch.body);
        assert!(ch.body.contains("<h3 id=\"intro\">"), "{}", ch.body);
        assert_eq!(
            ch.headings,
            vec![(2, "intro".to_string(), "Intro".to_string())]
        );
    }
}
