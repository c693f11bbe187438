//! Plain-text writer for translators: the words in reading order, one block per paragraph,
//! no markup and no URLs (unless asked for).

use crate::model::{Block, Document, Inline};
use crate::write::WriteOptions;

pub fn write(doc: &Document, opts: &WriteOptions) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !doc.meta.title.is_empty() {
        parts.push(doc.meta.title.clone());
    }
    blocks(&doc.blocks, opts, &mut parts);
    let mut s = parts.join("\n\n");
    s.push('\n');
    s
}

fn blocks(bs: &[Block], opts: &WriteOptions, parts: &mut Vec<String>) {
    for b in bs {
        block(b, opts, parts);
    }
}

fn push(parts: &mut Vec<String>, s: String) {
    let s = s.trim().to_string();
    if !s.is_empty() {
        parts.push(s);
    }
}

fn block(b: &Block, opts: &WriteOptions, parts: &mut Vec<String>) {
    match b {
        Block::Para { content } | Block::Heading { content, .. } => {
            push(parts, line(content, opts))
        }
        Block::List { items, .. } => {
            // One line per item keeps a list one block, as a translator expects it.
            let mut lines = Vec::new();
            for item in items {
                let mut sub = Vec::new();
                blocks(item, opts, &mut sub);
                lines.extend(sub);
            }
            push(parts, lines.join("\n"));
        }
        Block::Quote {
            blocks: inner,
            attribution,
        } => {
            blocks(inner, opts, parts);
            push(parts, line(attribution, opts));
        }
        Block::Code { text, .. } => push(parts, text.clone()),
        Block::Table(t) => {
            push(parts, line(&t.caption, opts));
            let rows: Vec<String> = t
                .head
                .iter()
                .chain(t.body.iter())
                .map(|r| {
                    r.iter()
                        .map(|c| line(c, opts).replace('\n', " "))
                        .collect::<Vec<_>>()
                        .join("\t")
                })
                .filter(|r| !r.trim().is_empty())
                .collect();
            push(parts, rows.join("\n"));
        }
        Block::Figure(f) => {
            for fi in &f.images {
                push(parts, fi.image.alt.clone());
                push(parts, line(&fi.caption, opts));
            }
            push(parts, line(&f.caption, opts));
        }
        Block::Embed(e) => {
            push(parts, e.title.clone().unwrap_or_default());
            push(parts, line(&e.caption, opts));
            if opts.links_in_text {
                push(parts, e.url.clone());
            }
        }
        Block::Details {
            summary,
            blocks: inner,
        } => {
            push(parts, line(summary, opts));
            blocks(inner, opts, parts);
        }
        Block::Footnotes { notes } => {
            for n in notes {
                let mut sub = Vec::new();
                blocks(&n.blocks, opts, &mut sub);
                push(parts, format!("[{}] {}", n.label, sub.join("\n")));
            }
        }
        Block::Rule => {}
    }
}

fn line(content: &[Inline], opts: &WriteOptions) -> String {
    let mut s = String::new();
    inline(content, opts, &mut s);
    s
}

fn inline(content: &[Inline], opts: &WriteOptions, out: &mut String) {
    for i in content {
        match i {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Strong(c)
            | Inline::Emph(c)
            | Inline::Strike(c)
            | Inline::Sup(c)
            | Inline::Sub(c)
            | Inline::Mark(c) => inline(c, opts, out),
            Inline::Link(l) => {
                inline(&l.content, opts, out);
                if opts.links_in_text && !l.url.starts_with('#') {
                    out.push_str(" <");
                    out.push_str(&l.url);
                    out.push('>');
                }
            }
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
