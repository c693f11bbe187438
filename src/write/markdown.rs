//! Markdown writer: CommonMark with GFM tables and footnotes, no raw HTML, text escaped so it
//! never turns into markup by accident, emphasis placed so it renders next to CJK punctuation.

use crate::model::{Block, Document, Figure, Image, Inline, Table};
use crate::write::{WriteOptions, front_matter};

pub fn write(doc: &Document, opts: &WriteOptions) -> String {
    let featured = doc
        .meta
        .featured_image
        .as_ref()
        .map(|i| i.target().to_string());
    let mut out = front_matter::write(&doc.meta, featured.as_deref(), opts.front_matter);
    let body = blocks(&doc.blocks);
    out.reserve(body.len() + 2);
    if !out.is_empty() && !body.is_empty() {
        out.push('\n');
    }
    out.push_str(&body);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Blocks separated by blank lines. Two lists in a row switch bullet (or delimiter) so that
/// CommonMark keeps them apart instead of merging them.
pub fn blocks(bs: &[Block]) -> String {
    // Headings the document's own links point to keep their ids: the headings see the set.
    TARGETS.with(|t| t.replace(link_targets(bs)));
    let out = blocks_sep(bs, "\n\n");
    TARGETS.with(|t| t.borrow_mut().clear());
    out
}

/// The fragments the document's own `#links` point to.
fn link_targets(bs: &[Block]) -> std::collections::HashSet<String> {
    fn walk(inlines: &[Inline], out: &mut std::collections::HashSet<String>) {
        for i in inlines {
            match i {
                Inline::Link(l) => {
                    if let Some(f) = l.url.strip_prefix('#') {
                        out.insert(f.to_string());
                    }
                    walk(&l.content, out);
                }
                Inline::Strong(c)
                | Inline::Emph(c)
                | Inline::Strike(c)
                | Inline::Sup(c)
                | Inline::Sub(c)
                | Inline::Mark(c) => walk(c, out),
                _ => {}
            }
        }
    }
    let mut out = std::collections::HashSet::new();
    crate::model::for_each_inline_run(bs, &mut |inl| walk(inl, &mut out));
    out
}

thread_local! {
    /// The anchors `#links` of the document being written point to (a writer-wide setting).
    static TARGETS: std::cell::RefCell<std::collections::HashSet<String>> = Default::default();
}

fn blocks_sep(bs: &[Block], sep: &str) -> String {
    let mut out = String::new();
    let mut alt = false;
    let mut prev_list: Option<bool> = None;
    for b in bs {
        if let Block::List { ordered, .. } = b {
            alt = prev_list == Some(*ordered) && !alt;
            prev_list = Some(*ordered);
        } else {
            prev_list = None;
            alt = false;
        }
        let mark = out.len();
        if !out.is_empty() {
            out.push_str(sep);
        }
        let start = out.len();
        block_into(b, alt, &mut out);
        if out.len() == start {
            // An empty block leaves no separator either.
            out.truncate(mark);
        }
    }
    out
}

/// Writes a block at the end of `out`, which is empty or ends a line; paragraphs, most of a
/// post, go straight in.
fn block_into(b: &Block, alt: bool, out: &mut String) {
    match b {
        Block::Para { content } => write_inlines(content, Ctx::default(), out, None),
        other => out.push_str(&block(other, alt)),
    }
}

fn block(b: &Block, alt: bool) -> String {
    match b {
        Block::Para { content } => inlines(content, Ctx::default()),
        Block::Heading {
            level,
            content,
            anchor,
        } => {
            let text = inlines(
                content,
                Ctx {
                    heading: true,
                    ..Ctx::default()
                },
            );
            let mut h = format!("{} {}", "#".repeat(usize::from((*level).clamp(1, 6))), text);
            // A heading ending in `{…}` would be read as attributes by the generators above.
            if h.ends_with('}') {
                h.pop();
                h.push_str("\\}");
            }
            // A heading a `#link` of the post points to keeps its id (`{#id}`, which Hugo, Zola
            // and Jekyll read); otherwise their generated ids would leave the link dangling.
            if let Some(a) = anchor
                && is_plain_id(a)
                && TARGETS.with(|t| t.borrow().contains(a))
            {
                h.push_str(&format!(" {{#{a}}}"));
            }
            h
        }
        Block::List {
            ordered,
            start,
            items,
        } => list(*ordered, start.unwrap_or(1), items, alt),
        Block::Quote {
            blocks: inner,
            attribution,
        } => {
            let mut body = blocks_sep(inner, "\n\n");
            if !attribution.is_empty() {
                if !body.is_empty() {
                    body.push_str("\n\n");
                }
                body.push_str("— ");
                body.push_str(&inlines(attribution, Ctx::default()));
            }
            prefix_lines(&body, "> ", ">")
        }
        Block::Code { lang, text } => {
            let longest = longest_run(text, '`');
            let fence = "`".repeat(longest.max(2) + 1);
            let info: String = lang
                .as_deref()
                .unwrap_or("")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || "+-_.#".contains(*c))
                .collect();
            let mut s = format!("{fence}{info}\n{text}");
            if !text.is_empty() && !text.ends_with('\n') {
                s.push('\n');
            }
            s.push_str(&fence);
            s
        }
        Block::Table(t) => table(t),
        Block::Figure(f) => figure(f),
        Block::Embed(e) => {
            let crate::model::Embed {
                url,
                provider,
                title,
                caption,
            } = &**e;
            let label = crate::model::embed_label(url, provider.as_deref(), title.as_deref());
            let mut s = format!("[{}]({})", escape(&label, false, false), destination(url));
            if !caption.is_empty() {
                s.push_str("\n\n");
                s.push_str(&inlines(caption, Ctx::default()));
            }
            s
        }
        Block::Details {
            summary,
            blocks: inner,
        } => {
            let mut s = String::new();
            if !summary.is_empty() {
                s = inlines(&[Inline::Strong(summary.clone())], Ctx::default());
            }
            let body = blocks_sep(inner, "\n\n");
            if !body.is_empty() {
                if !s.is_empty() {
                    s.push_str("\n\n");
                }
                s.push_str(&body);
            }
            s
        }
        Block::Footnotes { notes } => {
            let mut parts = Vec::new();
            for n in notes {
                let body = blocks_sep(&n.blocks, "\n\n");
                let label = footnote_label(&n.label);
                parts.push(format!("[^{label}]: {}", indent_rest(&body, "    ")));
            }
            parts.join("\n\n")
        }
        Block::Rule => "* * *".to_string(),
    }
}

/// An id `{#id}` can carry as it is.
fn is_plain_id(a: &str) -> bool {
    !a.is_empty()
        && a.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

fn footnote_label(l: &str) -> String {
    let s: String = l
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    if s.is_empty() { "note".into() } else { s }
}

fn list(ordered: bool, start: u64, items: &[Vec<Block>], alt: bool) -> String {
    // Tight (no blank lines, as the HTML list was) when each item is at most a paragraph
    // followed by nested lists that may interrupt it (bullets, or numbers from 1).
    let tight = items.iter().all(|i| {
        i.iter().enumerate().all(|(k, b)| match b {
            Block::Para { .. } => k == 0,
            Block::List { ordered, start, .. } => !*ordered || start.is_none_or(|s| s == 1),
            _ => false,
        })
    });
    let mut out = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let marker = if ordered {
            // CommonMark list numbers have at most nine digits.
            let number = start
                .min(999_999_000)
                .saturating_add(n as u64)
                .min(999_999_999);
            format!("{number}{} ", if alt { ')' } else { '.' })
        } else {
            (if alt { "* " } else { "- " }).to_string()
        };
        let body = blocks_sep(item, if tight { "\n" } else { "\n\n" });
        let pad = " ".repeat(marker.len());
        if body.is_empty() {
            out.push(marker.trim_end().to_string());
        } else {
            out.push(format!("{marker}{}", indent_rest(&body, &pad)));
        }
    }
    out.join(if tight { "\n" } else { "\n\n" })
}

/// Indents every line after the first (blank lines stay empty).
fn indent_rest(s: &str, pad: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(pad);
            }
        }
        out.push_str(line);
    }
    out
}

fn prefix_lines(s: &str, prefix: &str, empty: &str) -> String {
    s.split('\n')
        .map(|l| {
            if l.is_empty() {
                empty.to_string()
            } else {
                format!("{prefix}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for c in s.chars() {
        if c == ch {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

fn table(t: &Table) -> String {
    let cols = t.columns();
    if cols == 0 {
        return if t.caption.is_empty() {
            String::new()
        } else {
            inlines(&t.caption, Ctx::default())
        };
    }
    // GFM needs a header row: the first row serves when the table has none.
    let mut rows: Vec<&Vec<Vec<Inline>>> = t.head.iter().chain(t.body.iter()).collect();
    let header = rows.remove(0);
    let cell = |c: Option<&Vec<Inline>>| match c {
        Some(c) => inlines(
            c,
            Ctx {
                table: true,
                ..Ctx::default()
            },
        ),
        None => String::new(),
    };
    let line = |r: &Vec<Vec<Inline>>| {
        let cells: Vec<String> = (0..cols).map(|i| cell(r.get(i))).collect();
        format!("| {} |", cells.join(" | "))
    };
    let mut out = vec![line(header), format!("|{}", " --- |".repeat(cols))];
    out.extend(rows.into_iter().map(line));
    let mut s = out.join("\n");
    if !t.caption.is_empty() {
        s.push_str("\n\n");
        s.push_str(&inlines(&t.caption, Ctx::default()));
    }
    s
}

fn figure(f: &Figure) -> String {
    let mut parts = Vec::new();
    for fi in &f.images {
        let img = image(&fi.image);
        let s = match fi.link_local.as_deref().or(fi.link.as_deref()) {
            Some(href) => format!("[{img}]({})", destination(href)),
            None => img,
        };
        parts.push(s);
        if !fi.caption.is_empty() {
            parts.push(inlines(&fi.caption, Ctx::default()));
        }
    }
    if !f.caption.is_empty() {
        parts.push(inlines(&f.caption, Ctx::default()));
    }
    parts.join("\n\n")
}

fn image(img: &Image) -> String {
    // Alt and title stay on one line: a line break there could start a block.
    let mut s = format!(
        "![{}]({}",
        escape(&img.alt.replace('\n', " "), false, false),
        destination(img.target())
    );
    if let Some(t) = img.title.as_deref().filter(|t| !t.is_empty()) {
        s.push_str(&format!(
            " \"{}\"",
            t.replace('\n', " ")
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('|', "\\|")
        ));
    }
    s.push(')');
    s
}

/// A link destination that CommonMark reads back as the same URL.
fn destination(url: &str) -> String {
    let mut s = String::with_capacity(url.len() + 8);
    let mut run = 0;
    for (i, c) in url.char_indices() {
        let rep = match c {
            ' ' => "%20",
            '<' => "%3C",
            '>' => "%3E",
            '(' => "\\(",
            ')' => "\\)",
            '\\' => "%5C",
            // A `|` would end a table cell; encoded, the URL means the same.
            '|' => "%7C",
            c if c.is_control() => "",
            _ => continue,
        };
        s.push_str(&url[run..i]);
        if rep.is_empty() {
            s.push_str(&format!("%{:02X}", c as u32));
        } else {
            s.push_str(rep);
        }
        run = i + c.len_utf8();
    }
    s.push_str(&url[run..]);
    if s.is_empty() { "<>".into() } else { s }
}

#[derive(Clone, Copy, Default)]
struct Ctx {
    heading: bool,
    table: bool,
    in_link: bool,
}

/// Inline content of one block. The writer tracks what it wrote last so that emphasis can be
/// checked against CommonMark's flanking rules with its real neighbours.
fn inlines(content: &[Inline], ctx: Ctx) -> String {
    let mut out = String::new();
    write_inlines(content, ctx, &mut out, None);
    out
}

fn write_inlines(content: &[Inline], ctx: Ctx, out: &mut String, after: Option<char>) {
    for (i, inl) in content.iter().enumerate() {
        let next = match content.get(i + 1) {
            Some(n) => first_char(n),
            None => after,
        };
        write_inline(inl, ctx, out, next);
    }
}

fn first_char(i: &Inline) -> Option<char> {
    match i {
        Inline::Text(t) => t.chars().next(),
        Inline::Code(_) => Some('`'),
        Inline::Link(_) | Inline::NoteRef(_) => Some('['),
        Inline::Image(_) => Some('!'),
        Inline::LineBreak => Some('\\'),
        Inline::Strong(c) | Inline::Emph(c) | Inline::Strike(c) => {
            if c.is_empty() {
                None
            } else {
                Some('*')
            }
        }
        Inline::Sup(c) | Inline::Sub(c) | Inline::Mark(c) => c.first().and_then(first_char),
    }
}

fn at_line_start(out: &str) -> bool {
    out.is_empty() || out.ends_with('\n')
}

fn write_inline(inl: &Inline, ctx: Ctx, out: &mut String, next: Option<char>) {
    match inl {
        Inline::Text(t) => {
            let start = at_line_start(out);
            // `!` right before a link would make it an image.
            match t.strip_suffix('!') {
                Some(head) if next == Some('[') => {
                    escape_into(out, head, start, ctx.heading || ctx.table);
                    out.push_str("\\!");
                }
                _ => escape_into(out, t, start, ctx.heading || ctx.table),
            }
        }
        Inline::Strong(c) => delimited(c, "**", ctx, out, next),
        Inline::Emph(c) => delimited(c, "*", ctx, out, next),
        Inline::Strike(c) => delimited(c, "~~", ctx, out, next),
        Inline::Sup(c) => scripted(c, ctx, out, next, SUPERSCRIPTS),
        Inline::Sub(c) => scripted(c, ctx, out, next, SUBSCRIPTS),
        // Highlighting has no Markdown form; the text stays, plain.
        Inline::Mark(c) => write_inlines(c, ctx, out, next),
        Inline::Code(code) => {
            // A line break inside a code span would let the next line start a block.
            let code = &code.replace('\n', " ");
            let ticks = "`".repeat(longest_run(code, '`') + 1);
            let pad = code.starts_with('`')
                || code.ends_with('`')
                || (code.starts_with(' ') && code.ends_with(' '));
            let body = if ctx.table {
                code.replace('|', "\\|")
            } else {
                code.clone()
            };
            if pad {
                out.push_str(&format!("{ticks} {body} {ticks}"));
            } else {
                out.push_str(&format!("{ticks}{body}{ticks}"));
            }
        }
        Inline::Link(l) => {
            let crate::model::Link {
                url,
                title,
                content,
            } = &**l;
            if ctx.in_link {
                // Markdown cannot nest links: the inner one keeps its text.
                return write_inlines(content, ctx, out, next);
            }
            // Spaces at the edges of a link's text belong outside it (copied only when present).
            let spaced = |i: Option<&Inline>, front: bool| match i {
                Some(Inline::Text(t)) => {
                    if front {
                        t.starts_with(char::is_whitespace)
                    } else {
                        t.ends_with(char::is_whitespace)
                    }
                }
                _ => false,
            };
            let mut owned;
            let mut content: &[Inline] = content;
            let (mut lead, mut trail) = (String::new(), String::new());
            if spaced(content.first(), true) || spaced(content.last(), false) {
                owned = content.to_vec();
                peel(&mut owned, true, &mut lead, char::is_whitespace);
                peel(&mut owned, false, &mut trail, char::is_whitespace);
                content = &owned;
            }
            out.push_str(&lead);
            out.push('[');
            let inner = Ctx {
                in_link: true,
                ..ctx
            };
            let mut text = String::new();
            write_inlines(content, inner, &mut text, Some(']'));
            out.push_str(&text);
            out.push_str("](");
            out.push_str(&destination(url));
            if let Some(t) = title {
                out.push_str(&format!(
                    " \"{}\"",
                    t.replace('\\', "\\\\").replace('"', "\\\"")
                ));
            }
            out.push(')');
            out.push_str(&trail);
        }
        Inline::Image(img) => out.push_str(&image(img)),
        Inline::LineBreak => {
            if ctx.heading || ctx.table {
                out.push(' ');
            } else {
                out.push_str("\\\n");
            }
        }
        Inline::NoteRef(l) => out.push_str(&format!("[^{}]", footnote_label(l))),
    }
}

const SUPERSCRIPTS: &[(char, char)] = &[
    ('0', '⁰'),
    ('1', '¹'),
    ('2', '²'),
    ('3', '³'),
    ('4', '⁴'),
    ('5', '⁵'),
    ('6', '⁶'),
    ('7', '⁷'),
    ('8', '⁸'),
    ('9', '⁹'),
    ('+', '⁺'),
    ('-', '⁻'),
    ('=', '⁼'),
    ('(', '⁽'),
    (')', '⁾'),
    ('n', 'ⁿ'),
    ('i', 'ⁱ'),
];
const SUBSCRIPTS: &[(char, char)] = &[
    ('0', '₀'),
    ('1', '₁'),
    ('2', '₂'),
    ('3', '₃'),
    ('4', '₄'),
    ('5', '₅'),
    ('6', '₆'),
    ('7', '₇'),
    ('8', '₈'),
    ('9', '₉'),
    ('+', '₊'),
    ('-', '₋'),
    ('=', '₌'),
    ('(', '₍'),
    (')', '₎'),
];

/// Superscript and subscript have no CommonMark form: short runs of digits and signs become
/// their Unicode forms (m², H₂O); anything else stays as plain text, never raw HTML.
fn scripted(c: &[Inline], ctx: Ctx, out: &mut String, next: Option<char>, table: &[(char, char)]) {
    if let [Inline::Text(t)] = c {
        let mapped: Option<String> = t
            .chars()
            .map(|ch| table.iter().find(|(a, _)| *a == ch).map(|(_, b)| *b))
            .collect();
        if let Some(m) = mapped {
            out.push_str(&m);
            return;
        }
    }
    write_inlines(c, ctx, out, next);
}

/// CommonMark's "Unicode punctuation": general categories P and S. This covers the blocks in
/// which real text has them (ASCII, Latin-1, general punctuation, symbols, CJK, full-width).
fn is_punct(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    // Symbols such as emoji count too (category S); anything neither letter, digit nor space.
    if !c.is_alphanumeric() && !c.is_whitespace() {
        return true;
    }
    matches!(c as u32,
        0xA1..=0xBF | 0xD7 | 0xF7 | 0x2010..=0x2027 | 0x2030..=0x205E | 0x2070..=0x209F
        | 0x20A0..=0x20CF | 0x2100..=0x2BFF | 0x2E00..=0x2E7F | 0x3001..=0x3004 | 0x3008..=0x3020
        | 0x3030 | 0x303D | 0x30FB | 0xFE10..=0xFE19 | 0xFE30..=0xFE6B | 0xFF01..=0xFF0F
        | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65 | 0xFFE0..=0xFFEE)
}

fn is_space(c: Option<char>) -> bool {
    c.is_none_or(char::is_whitespace)
}

/// Writes `**…**`, `*…*` or `~~…~~` so that it renders: leading and trailing spaces go outside
/// the delimiters, and so does punctuation that would stop a delimiter from opening or closing
/// (`**注意：**本文` would stay literal; `**注意**：本文` renders). If that still cannot work,
/// the text is written without the emphasis rather than with stray asterisks.
fn delimited(content: &[Inline], delim: &str, ctx: Ctx, out: &mut String, next: Option<char>) {
    // The common case needs no peeling at all: write straight from the model, no copy.
    let edge = |front: bool| match if front {
        content.first()
    } else {
        content.last()
    } {
        Some(Inline::Text(t)) => {
            if front {
                t.chars().next()
            } else {
                t.chars().next_back()
            }
        }
        _ => None,
    };
    let (first, last) = (edge(true), edge(false));
    let clean = first.is_some_and(|c| !c.is_whitespace() && !is_punct(c))
        && last.is_some_and(|c| !c.is_whitespace() && !is_punct(c));
    if clean && !content.is_empty() {
        out.push_str(delim);
        write_inlines(content, ctx, out, Some('*'));
        out.push_str(delim);
        return;
    }
    let mut inner: Vec<Inline> = content.to_vec();
    let mut lead = String::new();
    let mut trail = String::new();
    // Spaces never belong inside delimiters.
    peel(&mut inner, true, &mut lead, |c| c.is_whitespace());
    peel(&mut inner, false, &mut trail, |c| c.is_whitespace());
    if inner.is_empty() {
        out.push_str(&escape(&lead, at_line_start(out), ctx.heading || ctx.table));
        out.push_str(&trail);
        return;
    }
    let prev = if lead.is_empty() {
        out.chars().last()
    } else {
        lead.chars().last()
    };
    let after = if trail.is_empty() {
        next
    } else {
        trail.chars().next()
    };
    // Opening needs: not followed by punctuation unless preceded by space or punctuation.
    if !(is_space(prev) || prev.is_some_and(is_punct)) {
        let mut moved = String::new();
        peel(&mut inner, true, &mut moved, is_punct);
        lead.push_str(&moved);
    }
    if !(is_space(after) || after.is_some_and(is_punct)) {
        let mut moved = String::new();
        peel(&mut inner, false, &mut moved, is_punct);
        trail.insert_str(0, &moved);
    }
    let start = at_line_start(out);
    out.push_str(&escape(&lead, start, ctx.heading || ctx.table));
    let mut body = String::new();
    write_inlines(&inner, ctx, &mut body, trail.chars().next().or(next));
    let prev = out.chars().last();
    let after = if trail.is_empty() {
        next
    } else {
        trail.chars().next()
    };
    let first = body.chars().next();
    let last = body.chars().last();
    let opens = !is_space(first)
        && (!first.is_some_and(is_punct) || is_space(prev) || prev.is_some_and(is_punct));
    let closes = !is_space(last)
        && (!last.is_some_and(is_punct) || is_space(after) || after.is_some_and(is_punct));
    if opens && closes && !body.is_empty() {
        out.push_str(delim);
        out.push_str(&body);
        out.push_str(delim);
    } else {
        out.push_str(&body);
    }
    out.push_str(&escape(&trail, false, ctx.heading || ctx.table));
}

/// Moves characters matching `pred` from the start (or end) of the inline run into `into`,
/// looking only at plain text at the edge.
fn peel(inner: &mut Vec<Inline>, front: bool, into: &mut String, pred: fn(char) -> bool) {
    loop {
        let idx = if front {
            0
        } else {
            inner.len().saturating_sub(1)
        };
        let Some(Inline::Text(t)) = inner.get_mut(idx) else {
            return;
        };
        if front {
            let n: usize = t.chars().take_while(|c| pred(*c)).map(char::len_utf8).sum();
            into.push_str(&t[..n]);
            t.drain(..n);
        } else {
            let n: usize = t
                .chars()
                .rev()
                .take_while(|c| pred(*c))
                .map(char::len_utf8)
                .sum();
            let cut = t.len() - n;
            into.insert_str(0, &t[cut..]);
            t.truncate(cut);
        }
        if t.is_empty() {
            inner.remove(idx);
            if inner.is_empty() {
                return;
            }
        } else {
            return;
        }
    }
}

/// Escapes text so that it stays text: inline markup characters everywhere, block markers at
/// the start of a line, `#` and `|` where headings and tables would read them.
pub fn escape(t: &str, line_start: bool, strict: bool) -> String {
    let mut out = String::with_capacity(t.len() + 8);
    escape_into(&mut out, t, line_start, strict);
    out
}

/// Bytes that may need a backslash wherever they stand.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let chars = b"\\`*_[]<~|#&!";
    let mut i = 0;
    while i < chars.len() {
        t[chars[i] as usize] = true;
        i += 1;
    }
    t
};

fn escape_into(out: &mut String, t: &str, line_start: bool, strict: bool) {
    let bytes = t.as_bytes();
    let risky_start = line_start
        && bytes
            .first()
            .is_some_and(|c| matches!(c, b'>' | b'-' | b'+' | b'=' | b'0'..=b'9'));
    // Most text has nothing to escape: one table lookup a byte finds out (a `matches!` over
    // the twelve characters cost a sixth of all Markdown writing).
    if !risky_start && !bytes.iter().any(|&c| SPECIAL[c as usize]) {
        out.push_str(t);
        return;
    }
    // Where a leading number ends in `.` or `)`, which would start an ordered list.
    let ordinal_end = if line_start {
        let d = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        (d > 0 && d <= 9 && matches!(bytes.get(d), Some(b'.' | b')'))).then_some(d)
    } else {
        None
    };
    // Every escape is a backslash before an ASCII byte: copy the runs between them whole.
    let mut run = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let at_start = line_start && i == 0;
        let escape = match c {
            b'\\' | b'`' | b'*' | b'_' | b'[' | b']' | b'<' | b'~' | b'|' => true,
            b'#' => at_start || strict,
            b'>' | b'-' | b'+' | b'=' => at_start,
            b'&' => looks_like_entity(&t[i + 1..]),
            b'!' => bytes.get(i + 1) == Some(&b'['),
            b'.' | b')' => ordinal_end == Some(i),
            _ => false,
        };
        if escape {
            out.push_str(&t[run..i]);
            out.push('\\');
            run = i;
        }
    }
    out.push_str(&t[run..]);
}

fn looks_like_entity(rest: &str) -> bool {
    let Some(end) = rest.bytes().take(33).position(|b| b == b';') else {
        return false;
    };
    let body = &rest.as_bytes()[..end];
    !body.is_empty() && (body[0] == b'#' || body.iter().all(u8::is_ascii_alphanumeric))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Inline {
        Inline::Text(s.into())
    }

    #[test]
    fn emphasis_before_cjk_text_moves_punctuation_out() {
        let p = [Inline::Strong(vec![t("注意：")]), t("本文")];
        assert_eq!(inlines(&p, Ctx::default()), "**注意**：本文");
    }

    #[test]
    fn emphasis_keeps_spaces_outside_delimiters() {
        let p = [t("a"), Inline::Emph(vec![t(" b ")]), t("c")];
        assert_eq!(inlines(&p, Ctx::default()), "a *b* c");
    }

    #[test]
    fn text_that_looks_like_markup_is_escaped() {
        assert_eq!(escape("# not a heading", true, false), "\\# not a heading");
        assert_eq!(escape("1. not a list", true, false), "1\\. not a list");
        assert_eq!(
            escape("a *b* [c] <d> `e` AT&amp;T", false, false),
            "a \\*b\\* \\[c\\] \\<d> \\`e\\` AT\\&amp;T"
        );
        assert_eq!(escape("C# 2024", false, false), "C# 2024");
    }

    #[test]
    fn consecutive_lists_stay_apart() {
        let item = |s: &str| {
            vec![Block::Para {
                content: vec![t(s)],
            }]
        };
        let l = Block::List {
            ordered: false,
            start: None,
            items: vec![item("a")],
        };
        assert_eq!(blocks(&[l.clone(), l]), "- a\n\n* a");
    }
}
