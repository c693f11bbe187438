//! Rendered WordPress HTML → document blocks: block editor markup, classic content, plugins' leftovers.

use super::dom::{Dom, Edge, Element, Node, NodeId, NodeRef};
use crate::diag::{Diag, Warning};
use crate::model::{
    Block, Embed, Figure, FigureImage, Footnote, Image, Inline, SrcCandidate, Table,
};

type NRef<'a> = NodeRef<'a>;

/// Parses a fragment of rendered HTML (`content.rendered`) into blocks.
pub fn read_html(html: &str, diag: &mut Diag) -> Vec<Block> {
    // A long post is read as it is parsed, a top-level node at a time, when it needs neither
    // html5ever nor a look at the whole tree (footnotes are found by their ids first): the
    // parsed tree of a 16 MB post of small paragraphs would need twenty times its size.
    if html.len() >= STREAM_FROM && !has_fragment_link(html) {
        let mark = diag.warnings.len();
        let mut flow = Flow::default();
        // Room for as many blocks as the markup could hold (a block takes at least a start
        // and an end tag), set aside once: grown by doubling instead, every smaller copy
        // would stay allocated until the end. What is never written is never resident.
        let tags = memchr::memchr_iter(b'<', html.as_bytes()).count();
        flow.blocks.reserve(tags / 2 + 1);
        let mut r = Reader {
            diag: &mut *diag,
            // As under the `html` element the whole tree has.
            depth: 1,
            notes: Notes::default(),
        };
        let streamed = Dom::stream_fast(html, &mut |n: NRef<'_>| r.node(n, &mut flow));
        if streamed {
            return finish(flow);
        }
        diag.warnings.truncate(mark);
    }
    let doc = Dom::parse_fragment(html);
    let notes = if has_fragment_link(html) {
        Notes::find(doc.root())
    } else {
        Notes::default()
    };
    let mut r = Reader {
        diag,
        depth: 0,
        notes,
    };
    let mut flow = Flow::default();
    r.children(doc.root(), &mut flow);
    finish(flow)
}

/// Posts this long are read while they are parsed (see [`read_html`]).
const STREAM_FROM: usize = 1 << 20;

/// Whether any link points inside the page (`href="#…"`): only then can there be footnotes.
fn has_fragment_link(html: &str) -> bool {
    static HREF: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("href="));
    let b = html.as_bytes();
    HREF.find_iter(b).any(|i| {
        let rest = &b[i + 5..];
        rest.starts_with(b"#") || rest.starts_with(b"\"#") || rest.starts_with(b"'#")
    })
}

/// Parses HTML that should hold only running text (titles, captions, excerpts) into inlines.
pub fn read_inline_html(html: &str, diag: &mut Diag) -> Vec<Inline> {
    let blocks = read_html(html, diag);
    let mut out = Vec::new();
    for b in blocks {
        if !out.is_empty() {
            out.push(Inline::Text(" ".into()));
        }
        flatten_block_inlines(b, &mut out);
    }
    out
}

/// The plain text of a short piece of HTML (a title, an excerpt, a term name): tags stripped,
/// entities decoded, whitespace collapsed. Markup-free strings skip the HTML parser, whose
/// set-up costs more than the rest of a title's conversion.
pub fn html_to_plain(html: &str) -> String {
    let decoded = if html.contains('<') {
        None
    } else {
        decode_entities(html)
    };
    let inlines = match decoded {
        Some(text) => normalize(vec![Inline::Text(collapse(&text))]),
        None => read_inline_html(html, &mut Diag::default()),
    };
    crate::model::plain_text(&inlines).trim().to_string()
}

/// Decodes numeric character references and the named ones WordPress emits; `None` when the
/// text holds one this does not know, so that the full parser decides.
fn decode_entities(s: &str) -> Option<String> {
    if !s.contains('&') {
        return Some(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.bytes().take(12).position(|b| b == b';')?;
        let name = &rest[1..end];
        let c = if let Some(num) = name.strip_prefix('#') {
            let n = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse::<u32>().ok()?,
            };
            char::from_u32(n).filter(|c| *c != '\0')?
        } else {
            match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" | "#39" => '\'',
                "nbsp" => '\u{a0}',
                "hellip" => '…',
                "ndash" => '–',
                "mdash" => '—',
                "lsquo" => '‘',
                "rsquo" => '’',
                "ldquo" => '“',
                "rdquo" => '”',
                "laquo" => '«',
                "raquo" => '»',
                "copy" => '©',
                "reg" => '®',
                "trade" => '™',
                _ => return None,
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Blocks under construction: finished blocks plus the inline run not yet closed into a paragraph.
#[derive(Default)]
struct Flow {
    blocks: Vec<Block>,
    inlines: Vec<Inline>,
}

impl Flow {
    fn flush(&mut self) {
        if self.inlines.is_empty() {
            return;
        }
        let mut content = normalize(std::mem::take(&mut self.inlines));
        if content.is_empty() {
            return;
        }
        // A paragraph's inlines are pushed one by one (room for four is the least a vector
        // takes); a post of a million one-word paragraphs would carry three empty slots each.
        content.shrink_to_fit();
        self.blocks.push(para_or_figure(content));
    }
    fn push_block(&mut self, b: Block) {
        self.flush();
        self.blocks.push(b);
    }
}

fn finish(mut flow: Flow) -> Vec<Block> {
    flow.flush();
    pseudo_lists(flow.blocks)
}

struct Reader<'d> {
    diag: &'d mut Diag,
    /// Element nesting depth, bounded so that hostile markup cannot exhaust the stack.
    depth: usize,
    notes: Notes,
}

/// Footnotes written by hand or by a plugin, found before the walk: a reference is a short
/// label linking to `#id` in (or round) a `<sup>`, or with a footnote class; its note is the
/// list item holding that id. Only pairs count: a page's table of contents is not footnotes.
#[derive(Default)]
struct Notes {
    /// Reference link → its label.
    refs: std::collections::HashMap<NodeId, String>,
    /// The `li` of each note → its label.
    items: std::collections::HashMap<NodeId, String>,
    /// Ids of the references (and of their `sup`), which back-links in the notes point to.
    ref_ids: std::collections::HashSet<String>,
}

impl Notes {
    fn find(root: NRef<'_>) -> Notes {
        let mut ids: std::collections::HashMap<&str, NRef<'_>> = Default::default();
        let mut candidates = Vec::new();
        for n in root.descendants() {
            let Some(el) = n.value().as_element() else {
                continue;
            };
            if let Some(id) = el.id() {
                ids.entry(id).or_insert(n);
            }
            if el.name() == "a"
                && let Some(target) = el.attr("href").and_then(|h| h.trim().strip_prefix('#'))
                && !target.is_empty()
                && is_note_ref(n, el)
            {
                candidates.push((n, target));
            }
        }
        // A link back from a note to its mark points at a mark (or the `sup` round it): that
        // is a back-link, not a reference, however much it looks like one.
        let mark_ids: std::collections::HashSet<&str> = candidates
            .iter()
            .flat_map(|(a, _)| {
                [
                    Some(*a),
                    a.parent().filter(|p| elem_name(*p) == Some("sup")),
                ]
            })
            .flatten()
            .filter_map(|n| n.value().as_element().and_then(Element::id))
            .collect();
        let mut notes = Notes::default();
        let mut taken = std::collections::HashSet::new();
        for (a, target) in candidates {
            if mark_ids.contains(target) {
                continue;
            }
            let Some(li) = ids.get(target).and_then(|t| enclosing_list_item(*t)) else {
                continue;
            };
            let label = match notes.items.get(&li.id()) {
                Some(l) => l.clone(),
                None => {
                    let text = collapse(&text_content(a));
                    let mut label: String = text
                        .trim()
                        .trim_matches(['[', ']', '(', ')'])
                        .chars()
                        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
                        .collect();
                    if label.is_empty() || taken.contains(&label) {
                        label = (notes.items.len() + 1).to_string();
                    }
                    while taken.contains(&label) {
                        label.push('a');
                    }
                    taken.insert(label.clone());
                    notes.items.insert(li.id(), label.clone());
                    label
                }
            };
            let sup = a.parent().filter(|p| elem_name(*p) == Some("sup"));
            for n in [Some(a), sup].into_iter().flatten() {
                if let Some(id) = n.value().as_element().and_then(Element::id) {
                    notes.ref_ids.insert(id.to_string());
                }
            }
            notes.refs.insert(a.id(), label);
        }
        notes
    }
}

/// The smallest number not yet used as a footnote label, now used.
fn next_free_label(taken: &mut std::collections::HashSet<String>) -> String {
    let label = (1..)
        .map(|n: usize| n.to_string())
        .find(|l| !taken.contains(l))
        .unwrap_or_default();
    taken.insert(label.clone());
    label
}

/// The LaTeX source a MathML element carries in `<annotation encoding="application/x-tex">`.
fn tex_annotation(math: NRef<'_>) -> Option<String> {
    math.descendants().find_map(|n| {
        let el = n.value().as_element()?;
        (el.name() == "annotation"
            && el
                .attr("encoding")
                .is_some_and(|e| e.eq_ignore_ascii_case("application/x-tex")))
        .then(|| text_content(n).trim().to_string())
        .filter(|t| !t.is_empty())
    })
}

/// A link that reads as a footnote mark: `<sup><a>1</a></sup>`, `<a><sup>1</sup></a>` or a
/// footnote class, with a short label (`1`, `[2]`, `*`, `iv`).
fn is_note_ref(a: NRef<'_>, el: &Element) -> bool {
    let in_sup = a
        .parent()
        .and_then(|p| p.value().as_element())
        .is_some_and(|p| p.name() == "sup");
    let has_sup = a
        .children()
        .any(|c| c.value().as_element().is_some_and(|e| e.name() == "sup"));
    // `footnote-backref`, `footnote-back-link`: the way back from a note, not a mark.
    if el.classes().any(|c| c.contains("back")) {
        return false;
    }
    let classed = el
        .classes()
        .any(|c| c.contains("footnote") || c == "fn" || c == "fnref");
    if !(in_sup || has_sup || classed) {
        return false;
    }
    let text = text_content(a);
    let label = text.trim();
    !label.is_empty() && label.chars().count() <= 6
}

/// The list item holding a note's target: the target itself or a close ancestor, in a list.
fn enclosing_list_item(n: NRef<'_>) -> Option<NRef<'_>> {
    let mut cur = Some(n);
    for _ in 0..4 {
        let c = cur?;
        if elem_name(c) == Some("li") {
            let parent = c.parent()?;
            return matches!(elem_name(parent), Some("ol" | "ul")).then_some(c);
        }
        cur = c.parent();
    }
    None
}

/// Deeper than this, an element's text is kept and its markup is not.
const MAX_DEPTH: usize = 96;

const BLOCK_CONTAINERS: &[&str] = &[
    "html",
    "body",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "nav",
    "center",
    "address",
    "hgroup",
    "dialog",
    "search",
    "p",
    "li",
    "dd",
    "dt",
    "figcaption",
    "caption",
    "summary",
    "legend",
    "menu",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "td",
    "th",
];

impl Reader<'_> {
    /// The label of the footnote reference a `<sup>` holds and nothing else.
    fn note_in_sup(&self, sup: NRef<'_>) -> Option<String> {
        if self.notes.refs.is_empty() {
            return None;
        }
        let mut elements = sup.children().filter(|c| c.value().as_element().is_some());
        let a = elements.next()?;
        if elements.next().is_some() {
            return None;
        }
        let label = self.notes.refs.get(&a.id())?;
        let outside: String = sup
            .children()
            .filter_map(|c| match c.value() {
                Node::Text(t) => Some(&**t),
                _ => None,
            })
            .collect();
        outside.trim().is_empty().then(|| label.clone())
    }

    fn children(&mut self, node: NRef<'_>, flow: &mut Flow) {
        for child in node.children() {
            self.node(child, flow);
        }
    }

    fn node(&mut self, node: NRef<'_>, flow: &mut Flow) {
        match node.value() {
            Node::Text(t) => {
                // Whitespace between blocks (WordPress puts newlines between them) says nothing.
                if flow.inlines.is_empty() && t.bytes().all(|b| b.is_ascii_whitespace()) {
                    return;
                }
                let s = collapse(t);
                if !s.is_empty() {
                    flow.inlines.push(Inline::Text(s));
                }
            }
            Node::Element(el) if self.depth >= MAX_DEPTH => {
                self.diag.warn(Warning::Degraded {
                    element: format!("{} nested over {MAX_DEPTH} deep", el.name()),
                });
                let s = collapse(&text_content(node));
                if !s.is_empty() {
                    flow.inlines.push(Inline::Text(s));
                }
            }
            Node::Element(el) => {
                self.depth += 1;
                self.element(node, el, flow);
                self.depth -= 1;
            }
            _ => {}
        }
    }

    fn element(&mut self, node: NRef<'_>, el: &Element, flow: &mut Flow) {
        let name = el.name();
        match name {
            "script" | "style" | "noscript" | "template" | "form" | "object" | "embed"
            | "canvas" | "input" | "select" | "textarea" => {
                self.diag.warn(Warning::Dropped {
                    element: name.into(),
                });
            }
            "head" | "title" | "meta" | "link" | "base" | "source" | "track" | "wbr" | "area"
            | "map" | "param" | "col" | "colgroup" => {}
            // KaTeX draws its math twice: MathML (read above) and this copy for the eye.
            "span" if el.has_class("katex-html") => {}
            // The block editor's math keeps its LaTeX source: that is what Markdown tools
            // render (```math blocks, math in code spans), not the MathML tree's letters.
            "math" if let Some(tex) = tex_annotation(node) => {
                if el.attr("display") == Some("block") {
                    flow.push_block(Block::Code {
                        lang: Some("math".into()),
                        text: tex,
                    });
                } else {
                    flow.inlines.push(Inline::Code(tex));
                }
            }
            "svg" | "math" => {
                let text = collapse(&text_content(node));
                if !text.trim().is_empty() {
                    self.diag.warn(Warning::Degraded {
                        element: name.into(),
                    });
                    flow.inlines.push(Inline::Text(text));
                }
            }
            "br" => flow.inlines.push(Inline::LineBreak),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let level = name.as_bytes()[1] - b'0';
                let (content, extra) = self.inline_content(node);
                let content = heading_content(content);
                flow.flush();
                if !content.is_empty() {
                    flow.blocks.push(Block::Heading {
                        level,
                        // A table-of-contents plugin's anchor is often a span inside the heading.
                        anchor: el
                            .id()
                            .or_else(|| {
                                node.descendants()
                                    .skip(1)
                                    .find_map(|d| d.value().as_element().and_then(Element::id))
                            })
                            .map(str::to_string),
                        content,
                    });
                }
                flow.blocks.extend(extra);
            }
            "ul" | "ol" | "menu" => {
                let list = self.list(node, el);
                // An empty list (a social-links block with no links) has nothing to show.
                let empty = match &list {
                    Block::List { items, .. } => items.is_empty(),
                    Block::Footnotes { notes } => notes.is_empty(),
                    _ => false,
                };
                if !empty {
                    flow.push_block(list);
                }
            }
            "dl" => {
                flow.flush();
                self.definition_list(node, flow);
            }
            "blockquote" => {
                let q = self.quote(node);
                flow.push_block(q);
            }
            "figure" => {
                flow.flush();
                let blocks = self.figure(node, el);
                flow.blocks.extend(blocks);
            }
            "div" if el.has_class("wp-caption") || el.has_class("gallery") => {
                flow.flush();
                let blocks = self.figure(node, el);
                flow.blocks.extend(blocks);
            }
            "pre" => {
                let b = self.pre(node, el);
                flow.push_block(b);
            }
            "table" => {
                let t = self.table(node, Vec::new());
                flow.push_block(Block::Table(Box::new(t)));
            }
            "hr" => flow.push_block(Block::Rule),
            "details" => {
                let d = self.details(node);
                flow.push_block(d);
            }
            "iframe" | "video" | "audio" => {
                if let Some(b) = self.media_embed(node, el, None, Vec::new()) {
                    flow.push_block(b);
                }
            }
            "img" => {
                if let Some(img) = parse_img(el) {
                    flow.inlines.push(Inline::Image(Box::new(img)));
                }
            }
            "a" if let Some(label) = self.notes.refs.get(&node.id()) => {
                flow.inlines.push(Inline::NoteRef(label.clone()));
            }
            "sup" if let Some(label) = self.note_in_sup(node) => {
                flow.inlines.push(Inline::NoteRef(label));
            }
            "a" => self.link(node, el, flow),
            "sup" if el.attr("data-fn").is_some() || el.has_class("fn") => {
                let label = collapse(&text_content(node)).trim().to_string();
                flow.inlines.push(Inline::NoteRef(label));
            }
            "strong" | "b" => self.wrap(node, flow, Inline::Strong),
            "em" | "i" | "cite" | "var" | "dfn" => self.wrap(node, flow, Inline::Emph),
            "del" | "s" | "strike" => self.wrap(node, flow, Inline::Strike),
            "sup" => self.wrap(node, flow, Inline::Sup),
            "sub" => self.wrap(node, flow, Inline::Sub),
            "mark" => self.wrap(node, flow, Inline::Mark),
            "code" | "kbd" | "samp" | "tt" => {
                let text = collapse(&text_content(node));
                if !text.is_empty() {
                    flow.inlines.push(Inline::Code(text));
                }
            }
            "q" => {
                flow.inlines.push(Inline::Text("“".into()));
                self.children(node, flow);
                flow.inlines.push(Inline::Text("”".into()));
            }
            "rt" => {
                let after_rp = node
                    .prev_sibling()
                    .and_then(|n| n.value().as_element())
                    .is_some_and(|e| e.name() == "rp");
                if after_rp {
                    self.children(node, flow);
                } else {
                    flow.inlines.push(Inline::Text("（".into()));
                    self.children(node, flow);
                    flow.inlines.push(Inline::Text("）".into()));
                }
            }
            _ if BLOCK_CONTAINERS.contains(&name) => {
                flow.flush();
                self.children(node, flow);
                flow.flush();
            }
            // span, u, ins, abbr, small, font, time, label, button, picture, ruby, custom elements …
            _ => self.children(node, flow),
        }
    }

    /// The inline content of an element, plus any blocks that could not live inside it
    /// (an iframe inside a heading, say), in order after it.
    fn inline_content(&mut self, node: NRef<'_>) -> (Vec<Inline>, Vec<Block>) {
        let mut sub = Flow::default();
        self.children(node, &mut sub);
        if sub.blocks.is_empty() {
            return (normalize(sub.inlines), Vec::new());
        }
        sub.flush();
        let mut blocks = sub.blocks;
        // The first paragraph stays the element's own content; what follows it is kept as blocks.
        if let Some(Block::Para { .. }) = blocks.first()
            && let Block::Para { content } = blocks.remove(0)
        {
            return (content, blocks);
        }
        (Vec::new(), blocks)
    }

    fn wrap(&mut self, node: NRef<'_>, flow: &mut Flow, make: fn(Vec<Inline>) -> Inline) {
        let mut sub = Flow::default();
        self.children(node, &mut sub);
        if sub.blocks.is_empty() {
            if !sub.inlines.is_empty() {
                flow.inlines.push(make(sub.inlines));
            }
        } else {
            // Inline markup round blocks (`<strong><div>…</div></strong>`): keep the blocks, lose
            // only the emphasis, which Markdown cannot put round a block.
            flow.flush();
            sub.flush();
            flow.blocks.extend(sub.blocks);
        }
    }

    fn link(&mut self, node: NRef<'_>, el: &Element, flow: &mut Flow) {
        let href = el.attr("href").map(str::trim).unwrap_or("");
        if href.is_empty() {
            return self.children(node, flow);
        }
        if is_unsafe_url(href) {
            self.diag.warn(Warning::UnsafeUrl {
                url: truncate(href, 80),
            });
            return self.children(node, flow);
        }
        let title = el
            .attr("title")
            .map(|t| collapse(t).trim().to_string())
            .filter(|t| !t.is_empty());
        let mut sub = Flow::default();
        self.children(node, &mut sub);
        let make = |content: Vec<Inline>| Inline::link(href.to_string(), title.clone(), content);
        if sub.blocks.is_empty() {
            if !sub.inlines.is_empty() {
                flow.inlines.push(make(sub.inlines));
            }
            return;
        }
        // A link round blocks (a card or a button group): each paragraph keeps the link.
        flow.flush();
        sub.flush();
        for b in sub.blocks {
            match b {
                Block::Para { content } => flow.blocks.push(Block::Para {
                    content: vec![make(content)],
                }),
                Block::Figure(mut f) => {
                    for fi in &mut f.images {
                        fi.link.get_or_insert_with(|| href.to_string());
                    }
                    flow.blocks.push(Block::Figure(f));
                }
                other => flow.blocks.push(other),
            }
        }
    }

    fn blocks_of(&mut self, node: NRef<'_>) -> Vec<Block> {
        let mut sub = Flow::default();
        self.children(node, &mut sub);
        finish(sub)
    }

    fn list(&mut self, node: NRef<'_>, el: &Element) -> Block {
        let noted = !self.notes.items.is_empty()
            && node
                .children()
                .any(|c| self.notes.items.contains_key(&c.id()));
        if noted || el.has_class("wp-block-footnotes") {
            return self.footnotes(node);
        }
        let ordered = el.name() == "ol";
        let start = if ordered {
            el.attr("start").and_then(|s| s.trim().parse::<u64>().ok())
        } else {
            None
        };
        let mut items = Vec::new();
        let mut loose = Flow::default();
        for child in node.children() {
            match child.value().as_element() {
                Some(c) if c.name() == "li" => {
                    if !loose.inlines.is_empty() || !loose.blocks.is_empty() {
                        items.push(finish(std::mem::take(&mut loose)));
                    }
                    items.push(self.blocks_of(child));
                }
                // Stray content between items (a nested list without its `<li>`, text): its own item,
                // or the tail of the previous one when it is a nested list.
                Some(c)
                    if (c.name() == "ul" || c.name() == "ol")
                        && !items.is_empty()
                        && self.depth < MAX_DEPTH =>
                {
                    self.depth += 1;
                    let nested = self.list(child, c);
                    self.depth -= 1;
                    if let Some(last) = items.last_mut() {
                        last.push(nested);
                    }
                }
                _ => self.node(child, &mut loose),
            }
        }
        if !loose.inlines.is_empty() || !loose.blocks.is_empty() {
            items.push(finish(loose));
        }
        items.retain(|i: &Vec<Block>| !i.is_empty());
        Block::List {
            ordered,
            start: start.filter(|s| *s != 1),
            items,
        }
    }

    fn footnotes(&mut self, node: NRef<'_>) -> Block {
        let mut notes = Vec::new();
        // Labels the marks gave out; a note no mark points to gets a number not among them.
        let mut taken: std::collections::HashSet<String> =
            self.notes.items.values().cloned().collect();
        for child in node.children() {
            let is_item = elem_name(child) == Some("li");
            let mut blocks = if is_item {
                self.blocks_of(child)
            } else {
                // Anything else in the list (a stray paragraph) belongs to the note before it.
                let mut sub = Flow::default();
                self.node(child, &mut sub);
                finish(sub)
            };
            strip_backlinks(&mut blocks, &self.notes.ref_ids);
            if !is_item {
                match notes.last_mut() {
                    Some(Footnote { blocks: prev, .. }) => prev.extend(blocks),
                    None if blocks.is_empty() => {}
                    None => notes.push(Footnote {
                        label: next_free_label(&mut taken),
                        blocks,
                    }),
                }
                continue;
            }
            let label = match self.notes.items.get(&child.id()) {
                Some(l) => l.clone(),
                None => next_free_label(&mut taken),
            };
            notes.push(Footnote { label, blocks });
        }
        Block::Footnotes { notes }
    }

    fn definition_list(&mut self, node: NRef<'_>, flow: &mut Flow) {
        for child in node.children() {
            match elem_name(child) {
                Some("dt") => {
                    let (content, extra) = self.inline_content(child);
                    if !content.is_empty() {
                        flow.blocks.push(Block::Para {
                            content: vec![Inline::Strong(content)],
                        });
                    }
                    flow.blocks.extend(extra);
                }
                Some("dd") => {
                    let blocks = self.blocks_of(child);
                    flow.blocks.extend(blocks);
                }
                // `<div>` groups round dt/dd pairs are allowed by HTML.
                Some("div") if self.depth < MAX_DEPTH => {
                    self.depth += 1;
                    self.definition_list(child, flow);
                    self.depth -= 1;
                }
                _ => {
                    self.node(child, flow);
                    flow.flush();
                }
            }
        }
    }

    fn quote(&mut self, node: NRef<'_>) -> Block {
        let mut sub = Flow::default();
        let mut attribution = Vec::new();
        for child in node.children() {
            match elem_name(child) {
                Some("cite") | Some("footer") => {
                    let (content, extra) = self.inline_content(child);
                    if !attribution.is_empty() && !content.is_empty() {
                        attribution.push(Inline::Text(" ".into()));
                    }
                    attribution.extend(content);
                    sub.blocks.extend(extra);
                }
                _ => self.node(child, &mut sub),
            }
        }
        Block::Quote {
            blocks: finish(sub),
            attribution,
        }
    }

    fn details(&mut self, node: NRef<'_>) -> Block {
        let mut summary = Vec::new();
        let mut sub = Flow::default();
        for child in node.children() {
            if elem_name(child) == Some("summary") && summary.is_empty() {
                let (content, extra) = self.inline_content(child);
                summary = content;
                sub.blocks.extend(extra);
            } else {
                self.node(child, &mut sub);
            }
        }
        Block::Details {
            summary,
            blocks: finish(sub),
        }
    }

    fn pre(&mut self, node: NRef<'_>, el: &Element) -> Block {
        let mut text = String::new();
        pre_text(node, &mut text);
        if text.starts_with('\n') {
            text.remove(0);
        }
        let text = text.trim_end_matches(['\n', ' ', '\t', '\r']).to_string();
        if el.has_class("wp-block-verse") {
            // Verse is poetry, not code: keep its lines, lose nothing of its text.
            let mut content = Vec::new();
            for (i, line) in text.split('\n').enumerate() {
                if i > 0 {
                    content.push(Inline::LineBreak);
                }
                content.push(Inline::Text(collapse(line)));
            }
            return Block::Para {
                content: normalize(content),
            };
        }
        let code_el = node
            .children()
            .filter_map(|c| c.value().as_element())
            .find(|e| e.name() == "code");
        let lang = code_lang(el).or_else(|| code_el.and_then(code_lang));
        Block::Code { lang, text }
    }

    fn table(&mut self, node: NRef<'_>, caption: Vec<Inline>) -> Table {
        let mut t = Table {
            caption,
            ..Table::default()
        };
        let mut flattened = false;
        self.table_rows(node, &mut t, false, &mut flattened);
        // Leading rows made only of `<th>` are the header when there is no `<thead>`.
        if flattened {
            self.diag.warn(Warning::TableCellFlattened);
        }
        t
    }

    fn table_rows(&mut self, node: NRef<'_>, t: &mut Table, in_head: bool, flattened: &mut bool) {
        for child in node.children() {
            match elem_name(child) {
                Some("caption") => {
                    let (c, _) = self.inline_content(child);
                    if t.caption.is_empty() {
                        t.caption = c;
                    }
                }
                Some("thead") => self.table_rows(child, t, true, flattened),
                Some("tbody") | Some("tfoot") => self.table_rows(child, t, false, flattened),
                Some("tr") => {
                    let mut row = Vec::new();
                    let mut all_th = true;
                    for cell in child.children() {
                        let Some(cel) = cell.value().as_element() else {
                            continue;
                        };
                        if cel.name() != "td" && cel.name() != "th" {
                            continue;
                        }
                        all_th &= cel.name() == "th";
                        let blocks = self.blocks_of(cell);
                        if blocks.len() > 1
                            || blocks.iter().any(|b| !matches!(b, Block::Para { .. }))
                        {
                            *flattened = true;
                        }
                        let mut content = Vec::new();
                        for b in blocks {
                            if !content.is_empty() {
                                content.push(Inline::Text(" ".into()));
                            }
                            flatten_block_inlines(b, &mut content);
                        }
                        row.push(content);
                        let span = cel
                            .attr("colspan")
                            .and_then(|s| s.trim().parse::<usize>().ok())
                            .unwrap_or(1)
                            .clamp(1, 100);
                        for _ in 1..span {
                            row.push(Vec::new());
                        }
                    }
                    if row.is_empty() {
                        continue;
                    }
                    if in_head || (all_th && t.body.is_empty()) {
                        t.head.push(row);
                    } else {
                        t.body.push(row);
                    }
                }
                _ => {}
            }
        }
    }

    /// `<figure>` and its classic cousins: images (one or a gallery), or a table, quote or embed
    /// that WordPress wraps in a figure to give it a caption.
    fn figure(&mut self, node: NRef<'_>, el: &Element) -> Vec<Block> {
        let caption_node = figure_caption_node(node);
        let caption = match caption_node {
            Some(c) => self.inline_content(c).0,
            None => Vec::new(),
        };
        // One walk over the figure finds what kind it is.
        let (mut iframe, mut img, mut table, mut quote, mut media) = (None, None, None, None, None);
        for d in node.descendants() {
            match elem_name(d) {
                Some("iframe") => iframe = iframe.or(Some(d)),
                Some("img") => img = img.or(Some(d)),
                Some("table") => table = table.or(Some(d)),
                Some("blockquote") => quote = quote.or(Some(d)),
                Some("video") | Some("audio") => media = media.or(Some(d)),
                _ => {}
            }
        }
        if el.has_class("wp-block-embed") || (iframe.is_some() && img.is_none()) {
            return self.embed_figure(node, el, caption);
        }
        if let Some(table) = table {
            return vec![Block::Table(Box::new(self.table(table, caption)))];
        }
        if let Some(q) = quote {
            let mut b = self.quote(q);
            if let Block::Quote { attribution, .. } = &mut b
                && attribution.is_empty()
            {
                *attribution = caption;
            }
            return vec![b];
        }
        if let Some(m) = media {
            let mel = m.value().as_element().expect("found as element");
            // A player without a usable source (an inline `data:` video) still keeps its caption.
            let fallback = (!caption.is_empty()).then(|| Block::Para {
                content: caption.clone(),
            });
            return self
                .media_embed(m, mel, None, caption)
                .or(fallback)
                .into_iter()
                .collect();
        }
        let mut images = Vec::new();
        let mut rest = Flow::default();
        self.figure_parts(
            node,
            caption_node.map(|c| c.id()),
            None,
            &mut images,
            &mut rest,
        );
        let mut out = Vec::new();
        if !images.is_empty() || !caption.is_empty() {
            if images.is_empty() {
                out.push(Block::Para { content: caption });
            } else {
                out.push(Block::Figure(Figure { images, caption }));
            }
        }
        // Text a figure holds outside its images and captions is kept after it.
        out.extend(finish(rest));
        out
    }

    fn figure_parts(
        &mut self,
        node: NRef<'_>,
        caption_id: Option<NodeId>,
        link: Option<&str>,
        images: &mut Vec<FigureImage>,
        rest: &mut Flow,
    ) {
        if self.depth >= MAX_DEPTH {
            let s = collapse(&text_content(node));
            if !s.trim().is_empty() {
                rest.inlines.push(Inline::Text(s));
            }
            return;
        }
        self.depth += 1;
        self.figure_parts_inner(node, caption_id, link, images, rest);
        self.depth -= 1;
    }

    fn figure_parts_inner(
        &mut self,
        node: NRef<'_>,
        caption_id: Option<NodeId>,
        link: Option<&str>,
        images: &mut Vec<FigureImage>,
        rest: &mut Flow,
    ) {
        for child in node.children() {
            if Some(child.id()) == caption_id {
                continue;
            }
            let Some(cel) = child.value().as_element() else {
                self.node(child, rest);
                continue;
            };
            match cel.name() {
                "img" => {
                    if let Some(image) = parse_img(cel) {
                        images.push(FigureImage {
                            image,
                            link: link.map(str::to_string),
                            link_local: None,
                            caption: Vec::new(),
                        });
                    }
                }
                "a" => {
                    let href = cel
                        .attr("href")
                        .map(str::trim)
                        .filter(|h| !h.is_empty() && !is_unsafe_url(h));
                    self.figure_parts(child, None, href.or(link), images, rest);
                }
                // A gallery item's own caption belongs to the image just before it.
                "figcaption" | "dd" => {
                    let (c, _) = self.inline_content(child);
                    match images.last_mut() {
                        Some(last) if last.caption.is_empty() => last.caption = c,
                        _ => rest.inlines.extend(c),
                    }
                    rest.flush();
                }
                "p" if cel.has_class("wp-caption-text") || cel.has_class("gallery-caption") => {
                    let (c, _) = self.inline_content(child);
                    match images.last_mut() {
                        Some(last) if last.caption.is_empty() => last.caption = c,
                        _ => rest.inlines.extend(c),
                    }
                    rest.flush();
                }
                "script" | "style" | "noscript" => self.node(child, rest),
                _ => self.figure_parts(child, None, link, images, rest),
            }
        }
    }

    fn embed_figure(&mut self, node: NRef<'_>, el: &Element, caption: Vec<Inline>) -> Vec<Block> {
        let provider = el
            .classes()
            .find_map(|c| c.strip_prefix("is-provider-"))
            .map(provider_name);
        if let Some(iframe) = node.descendants().find(|d| elem_name(*d) == Some("iframe")) {
            let iel = iframe.value().as_element().expect("element");
            return self
                .media_embed(iframe, iel, provider, caption)
                .into_iter()
                .collect();
        }
        // A block embed's wrapper holds the bare URL as text (the oEmbed HTML is not saved).
        let wrapper_text = collapse(&text_content(node));
        let url = node
            .descendants()
            .filter_map(|d| d.value().as_element())
            .find(|e| e.name() == "a")
            .and_then(|a| a.attr("href"))
            .map(str::to_string)
            .or_else(|| {
                wrapper_text
                    .split_whitespace()
                    .find(|w| w.starts_with("http://") || w.starts_with("https://"))
                    .map(str::to_string)
            });
        match url {
            Some(url) => {
                let provider = provider.or_else(|| host_provider(&url));
                vec![Block::Embed(Box::new(Embed {
                    url,
                    provider,
                    title: None,
                    caption,
                }))]
            }
            None if caption.is_empty() => Vec::new(),
            None => vec![Block::Para { content: caption }],
        }
    }

    fn media_embed(
        &mut self,
        node: NRef<'_>,
        el: &Element,
        provider: Option<String>,
        caption: Vec<Inline>,
    ) -> Option<Block> {
        let src = el
            .attr("src")
            .or_else(|| el.attr("data-src"))
            .or_else(|| el.attr("data-lazy-src"))
            .map(str::to_string)
            .or_else(|| {
                node.descendants()
                    .filter_map(|d| d.value().as_element())
                    .find(|e| e.name() == "source")
                    .and_then(|s| s.attr("src"))
                    .map(str::to_string)
            })?;
        let src = src.trim();
        if src.is_empty() || is_unsafe_url(src) {
            return None;
        }
        let url = canonical_embed_url(src);
        let provider = match el.name() {
            "audio" => Some("Audio".to_string()),
            "video" => Some("Video".to_string()),
            _ => provider.or_else(|| host_provider(&url)),
        };
        let title = el
            .attr("title")
            .map(|t| collapse(t).trim().to_string())
            .filter(|t| !t.is_empty());
        Some(Block::Embed(Box::new(Embed {
            url,
            provider,
            title,
            caption,
        })))
    }
}

fn elem_name<'a>(n: NRef<'a>) -> Option<&'a str> {
    n.value().as_element().map(|e| e.name())
}

fn figure_caption_node(node: NRef<'_>) -> Option<NRef<'_>> {
    node.children().find(|c| match c.value().as_element() {
        Some(e) => e.name() == "figcaption" || (e.name() == "p" && e.has_class("wp-caption-text")),
        None => false,
    })
}

fn text_content(node: NRef<'_>) -> String {
    let mut s = String::new();
    for d in node.descendants() {
        if let Node::Text(t) = d.value() {
            s.push_str(t);
        }
    }
    s
}

/// The text of a `<pre>`, its `<br>`s as line feeds; iterative, so no nesting can exhaust the stack.
fn pre_text(node: NRef<'_>, out: &mut String) {
    let mut skip_until: Option<NodeId> = None;
    for edge in node.traverse() {
        match edge {
            Edge::Open(c) => {
                if skip_until.is_some() {
                    continue;
                }
                match c.value() {
                    Node::Text(t) => out.push_str(t),
                    Node::Element(e) if e.name() == "br" => out.push('\n'),
                    Node::Element(e) if matches!(e.name(), "script" | "style") => {
                        skip_until = Some(c.id())
                    }
                    _ => {}
                }
            }
            Edge::Close(c) => {
                if skip_until == Some(c.id()) {
                    skip_until = None;
                }
            }
        }
    }
}

fn code_lang(el: &Element) -> Option<String> {
    for c in el.classes() {
        if let Some(l) = c
            .strip_prefix("language-")
            .or_else(|| c.strip_prefix("lang-"))
            && !l.is_empty()
        {
            return Some(l.to_ascii_lowercase());
        }
    }
    // SyntaxHighlighter Evolved and friends: class="brush: php; gutter: false".
    let class = el.attr("class")?;
    let rest = class.split("brush:").nth(1)?;
    let lang = rest.split(';').next()?.trim();
    (!lang.is_empty()).then(|| lang.to_ascii_lowercase())
}

/// `javascript:`, `vbscript:`, `file:` and `data:` other than images never become links or
/// images in the output.
fn is_unsafe_url(url: &str) -> bool {
    let lower: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    lower.starts_with("javascript:")
        || lower.starts_with("vbscript:")
        || lower.starts_with("file:")
        || (lower.starts_with("data:") && !lower.starts_with("data:image/"))
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max).collect();
    t.push('…');
    t
}

/// Reads an `<img>`, preferring lazy-loading attributes over placeholder `src` values.
pub fn parse_img(el: &Element) -> Option<Image> {
    let attr = |n: &str| el.attr(n).map(str::trim).filter(|v| !v.is_empty());
    let src = attr("data-lazy-src")
        .or_else(|| attr("data-src"))
        .or_else(|| attr("data-original"))
        .or_else(|| attr("src"))
        .unwrap_or("");
    let srcset = attr("data-lazy-srcset")
        .or_else(|| attr("data-srcset"))
        .or_else(|| attr("srcset"))
        .map(parse_srcset)
        .unwrap_or_default();
    if (src.is_empty() || is_unsafe_url(src)) && srcset.is_empty() {
        return None;
    }
    let dim = |n: &str| attr(n).and_then(|v| v.trim_end_matches("px").parse::<u32>().ok());
    let wp_id = el
        .classes()
        .find_map(|c| c.strip_prefix("wp-image-"))
        .and_then(|n| n.parse().ok());
    Some(Image {
        src: if is_unsafe_url(src) {
            String::new()
        } else {
            src.to_string()
        },
        srcset,
        sizes: attr("data-lazy-sizes")
            .or_else(|| attr("data-sizes"))
            .or_else(|| attr("sizes"))
            .map(str::to_string),
        alt: collapse(el.attr("alt").unwrap_or("")).trim().to_string(),
        title: attr("title").map(|t| collapse(t).trim().to_string()),
        width: dim("width"),
        height: dim("height"),
        wp_id,
        local: None,
    })
}

/// Parses a `srcset` attribute by the WHATWG algorithm, so URLs containing commas survive.
pub fn parse_srcset(input: &str) -> Vec<SrcCandidate> {
    // Every delimiter is ASCII, so bytes can be scanned and slices taken on char boundaries.
    let chars = input.as_bytes();
    let mut pos = 0;
    let mut out = Vec::new();
    let is_ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c');
    loop {
        while pos < chars.len() && (is_ws(chars[pos]) || chars[pos] == b',') {
            pos += 1;
        }
        if pos >= chars.len() {
            return out;
        }
        let start = pos;
        while pos < chars.len() && !is_ws(chars[pos]) {
            pos += 1;
        }
        let mut url: String = input[start..pos].to_string();
        let mut descriptors = Vec::new();
        if url.ends_with(',') {
            while url.ends_with(',') {
                url.pop();
            }
        } else {
            // Descriptor tokenizer: commas inside parentheses do not end a candidate.
            while pos < chars.len() && is_ws(chars[pos]) {
                pos += 1;
            }
            let mut current: Vec<u8> = Vec::new();
            let mut in_parens = false;
            loop {
                let c = chars.get(pos).copied();
                match (in_parens, c) {
                    (_, None) => {
                        if !current.is_empty() {
                            descriptors.push(
                                String::from_utf8_lossy(&std::mem::take(&mut current)).into_owned(),
                            );
                        }
                        break;
                    }
                    (false, Some(b',')) => {
                        pos += 1;
                        if !current.is_empty() {
                            descriptors.push(
                                String::from_utf8_lossy(&std::mem::take(&mut current)).into_owned(),
                            );
                        }
                        break;
                    }
                    (false, Some(c)) if is_ws(c) => {
                        if !current.is_empty() {
                            descriptors.push(
                                String::from_utf8_lossy(&std::mem::take(&mut current)).into_owned(),
                            );
                        }
                        pos += 1;
                    }
                    (false, Some(b'(')) => {
                        in_parens = true;
                        current.push(b'(');
                        pos += 1;
                    }
                    (true, Some(b')')) => {
                        in_parens = false;
                        current.push(b')');
                        pos += 1;
                    }
                    (_, Some(c)) => {
                        current.push(c);
                        pos += 1;
                    }
                }
            }
        }
        if url.is_empty() {
            continue;
        }
        let mut cand = SrcCandidate {
            url,
            width: None,
            density: None,
        };
        let mut valid = true;
        for d in &descriptors {
            if let Some(w) = d.strip_suffix('w') {
                match w.parse::<u32>() {
                    Ok(w) if w > 0 && cand.width.is_none() && cand.density.is_none() => {
                        cand.width = Some(w)
                    }
                    _ => valid = false,
                }
            } else if let Some(x) = d.strip_suffix('x') {
                match x.parse::<f32>() {
                    Ok(x)
                        if x >= 0.0
                            && x.is_finite()
                            && cand.width.is_none()
                            && cand.density.is_none() =>
                    {
                        cand.density = Some(x)
                    }
                    _ => valid = false,
                }
            } else if d
                .strip_suffix('h')
                .is_some_and(|h| h.parse::<u32>().is_ok())
            {
                // A height descriptor is allowed but tells us nothing we use.
            } else {
                valid = false;
            }
        }
        if valid {
            out.push(cand);
        }
    }
}

fn provider_name(slug: &str) -> String {
    match slug {
        "youtube" => "YouTube".into(),
        "vimeo" => "Vimeo".into(),
        "twitter" => "Twitter".into(),
        "instagram" => "Instagram".into(),
        "facebook" => "Facebook".into(),
        "spotify" => "Spotify".into(),
        "soundcloud" => "SoundCloud".into(),
        "speaker-deck" => "Speaker Deck".into(),
        "wordpress-tv" => "WordPress.tv".into(),
        other => {
            let mut s = other.replace('-', " ");
            if let Some(f) = s.get_mut(0..1) {
                f.make_ascii_uppercase();
            }
            s
        }
    }
}

fn url_host(url: &str) -> Option<&str> {
    let rest = url.split("://").nth(1).or_else(|| url.strip_prefix("//"))?;
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit('@').next()?;
    Some(host.split(':').next().unwrap_or(host))
}

fn host_provider(url: &str) -> Option<String> {
    let host = url_host(url)?.trim_start_matches("www.");
    let known = [
        ("youtube.com", "YouTube"),
        ("youtube-nocookie.com", "YouTube"),
        ("youtu.be", "YouTube"),
        ("vimeo.com", "Vimeo"),
        ("player.vimeo.com", "Vimeo"),
        ("speakerdeck.com", "Speaker Deck"),
        ("twitter.com", "Twitter"),
        ("x.com", "X"),
        ("instagram.com", "Instagram"),
        ("facebook.com", "Facebook"),
        ("open.spotify.com", "Spotify"),
        ("soundcloud.com", "SoundCloud"),
        ("w.soundcloud.com", "SoundCloud"),
        ("google.com", "Google"),
        ("maps.google.com", "Google Maps"),
    ];
    known
        .iter()
        .find(|(h, _)| host == *h || host.ends_with(&format!(".{h}")))
        .map(|(_, n)| n.to_string())
        .or_else(|| Some(host.to_string()).filter(|h| !h.is_empty()))
}

/// Turns player URLs into the page a reader would open (YouTube and Vimeo embeds).
fn canonical_embed_url(src: &str) -> String {
    let src = if src.starts_with("//") {
        format!("https:{src}")
    } else {
        src.to_string()
    };
    for prefix in [
        "https://www.youtube.com/embed/",
        "https://youtube.com/embed/",
        "https://www.youtube-nocookie.com/embed/",
        "http://www.youtube.com/embed/",
    ] {
        if let Some(rest) = src.strip_prefix(prefix) {
            let id = rest.split(['?', '&', '#', '/']).next().unwrap_or("");
            if !id.is_empty() {
                return format!("https://www.youtube.com/watch?v={id}");
            }
        }
    }
    if let Some(rest) = src.strip_prefix("https://player.vimeo.com/video/") {
        let id = rest.split(['?', '&', '#', '/']).next().unwrap_or("");
        if !id.is_empty() {
            return format!("https://vimeo.com/{id}");
        }
    }
    src
}

/// Collapses HTML whitespace. A run holding a line feed becomes `\n` for now, so that
/// `normalize` can drop it between two CJK characters (CSS Text's segment-break rule);
/// any other run becomes one space.
static DOUBLE_SPACE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new("  "));

fn collapse(t: &str) -> String {
    let b = t.as_bytes();
    // Most text runs hold single spaces only: nothing to collapse.
    if memchr::memchr3(b'\n', b'\t', b'\r', b).is_none()
        && memchr::memchr(b'\x0c', b).is_none()
        && DOUBLE_SPACE.find(b).is_none()
    {
        return t.to_string();
    }
    let is_ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c');
    let mut out = String::with_capacity(t.len());
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && !is_ws(b[i]) {
            i += 1;
        }
        // Whitespace bytes are ASCII, so these are char boundaries.
        out.push_str(&t[start..i]);
        if i >= b.len() {
            break;
        }
        let mut nl = false;
        while i < b.len() && is_ws(b[i]) {
            nl |= b[i] == b'\n' || b[i] == b'\r';
            i += 1;
        }
        out.push(if nl { '\n' } else { ' ' });
    }
    out
}

/// Wide East Asian scripts, between whose characters a line break is not a space.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF | 0x3000..=0x303F | 0x3040..=0x30FF | 0x3190..=0x31FF
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFF)
}

struct Norm {
    prev: Option<char>,
    pending: Option<bool>,
}

impl Norm {
    /// Whether pending whitespace becomes a space before `next`: not at the start, and not
    /// where a line break fell between two CJK characters.
    fn space_before(&mut self, next: &str) -> bool {
        match (self.pending.take(), self.prev) {
            (Some(nl), Some(p)) => !(nl && is_cjk(p) && next.chars().next().is_some_and(is_cjk)),
            _ => false,
        }
    }
}

/// Finishes whitespace across a whole run of inlines: no leading or trailing space, one space
/// between words wherever the element boundaries fall, none between CJK characters split by a
/// line break; nested `<strong>` inside `<strong>` is flattened; empty wrappers vanish.
fn normalize(inlines: Vec<Inline>) -> Vec<Inline> {
    let mut st = Norm {
        prev: None,
        pending: None,
    };
    let mut out = norm_seq(inlines, &mut st);
    // Trailing line breaks say nothing.
    while matches!(out.last(), Some(Inline::LineBreak)) {
        out.pop();
    }
    while matches!(out.first(), Some(Inline::LineBreak)) {
        out.remove(0);
    }
    out
}

fn norm_seq(inlines: Vec<Inline>, st: &mut Norm) -> Vec<Inline> {
    let mut out = Vec::with_capacity(inlines.len());
    for i in inlines {
        match i {
            // Most text needs no change: one space between words, none at the edges.
            Inline::Text(mut t)
                if st.pending.is_none()
                    && !t.starts_with(' ')
                    && !t.contains('\n')
                    && !t.is_empty() =>
            {
                if t.ends_with(' ') {
                    t.pop();
                    st.pending = Some(false);
                }
                st.prev = t.chars().next_back();
                if !t.is_empty() {
                    push_text(&mut out, t);
                }
            }
            // Collapsed text has single spaces: runs between line breaks are copied whole.
            Inline::Text(t) if DOUBLE_SPACE.find(t.as_bytes()).is_none() => {
                let mut s = String::with_capacity(t.len());
                let mut rest: &str = &t;
                loop {
                    let lead = rest
                        .bytes()
                        .take_while(|b| *b == b' ' || *b == b'\n')
                        .count();
                    if lead > 0 {
                        let nl = rest.as_bytes()[..lead].contains(&b'\n');
                        st.pending = Some(st.pending.unwrap_or(false) || nl);
                        rest = &rest[lead..];
                    }
                    if rest.is_empty() {
                        break;
                    }
                    let end = memchr::memchr(b'\n', rest.as_bytes()).unwrap_or(rest.len());
                    let chunk = rest[..end].trim_end_matches(' ');
                    if st.space_before(chunk) {
                        s.push(' ');
                    }
                    s.push_str(chunk);
                    st.prev = chunk.chars().next_back();
                    rest = &rest[chunk.len()..];
                }
                if !s.is_empty() {
                    push_text(&mut out, s);
                }
            }
            Inline::Text(t) => {
                let b = t.as_bytes();
                let mut s = String::with_capacity(t.len());
                let mut i = 0;
                while i < b.len() {
                    if b[i] == b' ' || b[i] == b'\n' {
                        st.pending = Some(st.pending.unwrap_or(false) || b[i] == b'\n');
                        i += 1;
                        continue;
                    }
                    let start = i;
                    while i < b.len() && b[i] != b' ' && b[i] != b'\n' {
                        i += 1;
                    }
                    let seg = &t[start..i];
                    if st.space_before(seg) {
                        s.push(' ');
                    }
                    s.push_str(seg);
                    st.prev = seg.chars().next_back();
                }
                if !s.is_empty() {
                    push_text(&mut out, s);
                }
            }
            Inline::LineBreak => {
                st.pending = None;
                st.prev = None;
                out.push(Inline::LineBreak);
            }
            Inline::Code(c) => {
                let c = c.trim().to_string();
                if c.is_empty() {
                    continue;
                }
                space_before_atom(&mut out, st);
                st.prev = c.chars().last();
                // Two code spans side by side would read as one with stray backticks.
                match out.last_mut() {
                    Some(Inline::Code(prev)) => prev.push_str(&c),
                    _ => out.push(Inline::Code(c)),
                }
            }
            Inline::NoteRef(l) => {
                space_before_atom(&mut out, st);
                st.prev = Some('x');
                out.push(Inline::NoteRef(l));
            }
            Inline::Image(img) => {
                space_before_atom(&mut out, st);
                st.prev = Some('x');
                out.push(Inline::Image(img));
            }
            Inline::Strong(c) => wrap_norm(&mut out, c, st, Inline::Strong, |i| {
                matches!(i, Inline::Strong(_))
            }),
            Inline::Emph(c) => wrap_norm(&mut out, c, st, Inline::Emph, |i| {
                matches!(i, Inline::Emph(_))
            }),
            Inline::Strike(c) => wrap_norm(&mut out, c, st, Inline::Strike, |_| false),
            Inline::Sup(c) => wrap_norm(&mut out, c, st, Inline::Sup, |_| false),
            Inline::Sub(c) => wrap_norm(&mut out, c, st, Inline::Sub, |_| false),
            Inline::Mark(c) => wrap_norm(&mut out, c, st, Inline::Mark, |_| false),
            Inline::Link(mut l) => {
                l.content = norm_seq(std::mem::take(&mut l.content), st);
                if !l.content.is_empty() {
                    out.push(Inline::Link(l));
                }
            }
        }
    }
    out
}

fn push_text(out: &mut Vec<Inline>, s: String) {
    if let Some(Inline::Text(prev)) = out.last_mut() {
        prev.push_str(&s);
    } else {
        out.push(Inline::Text(s));
    }
}

fn space_before_atom(out: &mut Vec<Inline>, st: &mut Norm) {
    if st.pending.take().is_some() && st.prev.is_some() {
        push_text(out, " ".into());
    }
}

fn wrap_norm(
    out: &mut Vec<Inline>,
    content: Vec<Inline>,
    st: &mut Norm,
    make: fn(Vec<Inline>) -> Inline,
    same: fn(&Inline) -> bool,
) {
    // The same emphasis nested inside itself says nothing more: splice the inner content.
    let mut flat = Vec::with_capacity(content.len());
    for c in content {
        match c {
            c if same(&c) => match c {
                Inline::Strong(inner) | Inline::Emph(inner) => flat.extend(inner),
                other => flat.push(other),
            },
            other => flat.push(other),
        }
    }
    let inner = norm_seq(flat, st);
    if !inner.iter().any(|i| !matches!(i, Inline::LineBreak)) {
        out.extend(inner);
        return;
    }
    // `<strong>a</strong><strong>b</strong>` is one strong run: written apart, Markdown would
    // read `**a****b**` as text.
    match (out.last_mut(), make(inner)) {
        (Some(Inline::Strong(prev)), Inline::Strong(next))
        | (Some(Inline::Emph(prev)), Inline::Emph(next)) => prev.extend(next),
        (_, new) => out.push(new),
    }
}

/// A heading wrapped whole in `<strong>`/`<b>` is already strong: unwrap it; line breaks become spaces.
fn heading_content(content: Vec<Inline>) -> Vec<Inline> {
    let content = if content.len() == 1 && matches!(content[0], Inline::Strong(_)) {
        match content.into_iter().next() {
            Some(Inline::Strong(inner)) => inner,
            _ => unreachable!("checked above"),
        }
    } else {
        content
    };
    let mut out = Vec::with_capacity(content.len());
    for i in content {
        match i {
            Inline::LineBreak => push_text(&mut out, " ".into()),
            other => out.push(other),
        }
    }
    // Breaks turned into spaces may have left doubles.
    normalize(out)
}

/// A paragraph holding nothing but images (each maybe linked) is a figure.
fn para_or_figure(content: Vec<Inline>) -> Block {
    let only_images = content.iter().all(|i| match i {
        Inline::Image(_) | Inline::LineBreak => true,
        Inline::Text(t) => t.trim().is_empty(),
        Inline::Link(l) => l.content.len() == 1 && matches!(l.content[0], Inline::Image(_)),
        _ => false,
    }) && content
        .iter()
        .any(|i| !matches!(i, Inline::Text(_) | Inline::LineBreak));
    if !only_images {
        return Block::Para { content };
    }
    let mut images = Vec::new();
    for i in content {
        match i {
            Inline::Image(image) => images.push(FigureImage {
                image: *image,
                link: None,
                link_local: None,
                caption: Vec::new(),
            }),
            Inline::Link(l) => {
                let crate::model::Link {
                    url, mut content, ..
                } = *l;
                if let Some(Inline::Image(image)) = content.pop() {
                    images.push(FigureImage {
                        image: *image,
                        link: Some(url),
                        link_local: None,
                        caption: Vec::new(),
                    });
                }
            }
            _ => {}
        }
    }
    Block::Figure(Figure {
        images,
        caption: Vec::new(),
    })
}

const BULLETS: &[char] = &['・', '●', '○', '■', '◆', '•', '◇', '□', '▪', '◼'];

/// The bullet a paragraph line starts with, if it is a pseudo-list line.
fn starts_with_bullet(content: &[Inline]) -> bool {
    first_text(content).is_some_and(|t| t.starts_with(BULLETS))
}

fn first_text(content: &[Inline]) -> Option<&str> {
    match content.first()? {
        Inline::Text(t) => Some(t),
        Inline::Strong(c) | Inline::Emph(c) | Inline::Mark(c) => first_text(c),
        Inline::Link(l) => first_text(&l.content),
        _ => None,
    }
}

fn strip_bullet(content: &mut Vec<Inline>) {
    fn strip(content: &mut Vec<Inline>) -> bool {
        match content.first_mut() {
            Some(Inline::Text(t)) => {
                let rest = t
                    .trim_start_matches(BULLETS)
                    .trim_start_matches([' ', '\u{3000}', '\u{a0}'])
                    .to_string();
                if rest.is_empty() {
                    content.remove(0);
                } else {
                    *t = rest;
                }
                true
            }
            Some(Inline::Strong(c)) | Some(Inline::Emph(c)) | Some(Inline::Mark(c)) => {
                let done = strip(c);
                if c.is_empty() {
                    content.remove(0);
                }
                done
            }
            Some(Inline::Link(l)) => {
                let c = &mut l.content;
                let done = strip(c);
                if c.is_empty() {
                    content.remove(0);
                }
                done
            }
            _ => false,
        }
    }
    strip(content);
}

/// Japanese pseudo-lists: paragraphs (or `<br>`-separated lines) beginning with `・`, `●` …
/// become one bullet list, the glyph removed.
/// Whether a paragraph has a line that starts with a bullet.
fn may_be_list(content: &[Inline]) -> bool {
    starts_with_bullet(content)
        || content
            .windows(2)
            .any(|w| matches!(w[0], Inline::LineBreak) && starts_with_bullet(&w[1..]))
}

fn pseudo_lists(blocks: Vec<Block>) -> Vec<Block> {
    // Most posts have no line that could be a list item: no second copy of their blocks.
    if !blocks
        .iter()
        .any(|b| matches!(b, Block::Para { content } if may_be_list(content)))
    {
        return blocks;
    }
    let mut out: Vec<Block> = Vec::with_capacity(blocks.len());
    // The list being gathered, and its bullet: a change of bullet (・ then ■) starts a new list.
    let mut pending: Vec<Vec<Block>> = Vec::new();
    let mut glyph: Option<char> = None;
    let flush = |out: &mut Vec<Block>, pending: &mut Vec<Vec<Block>>| {
        if !pending.is_empty() {
            out.push(Block::List {
                ordered: false,
                start: None,
                items: std::mem::take(pending),
            });
        }
    };
    for b in blocks {
        let Block::Para { content } = b else {
            flush(&mut out, &mut pending);
            out.push(b);
            continue;
        };
        // Most paragraphs cannot be list lines: check before splitting them into lines.
        if !may_be_list(&content) {
            flush(&mut out, &mut pending);
            out.push(Block::Para { content });
            continue;
        }
        // Lines of one paragraph: runs of bullet lines become lists, the lines around them
        // stay paragraphs (a lead-in, a closing remark).
        let mut text_run: Vec<Vec<Inline>> = Vec::new();
        for line in split_lines(content) {
            match bullet_of(&line) {
                Some(g) => {
                    if !text_run.is_empty() {
                        flush(&mut out, &mut pending);
                        out.push(Block::Para {
                            content: join_lines(std::mem::take(&mut text_run)),
                        });
                    }
                    if glyph != Some(g) {
                        flush(&mut out, &mut pending);
                        glyph = Some(g);
                    }
                    let mut item = line;
                    strip_bullet(&mut item);
                    let item = normalize(item);
                    pending.push(if item.is_empty() {
                        Vec::new()
                    } else {
                        vec![Block::Para { content: item }]
                    });
                }
                None => text_run.push(line),
            }
        }
        if !text_run.is_empty() {
            flush(&mut out, &mut pending);
            let content = normalize(join_lines(text_run));
            if !content.is_empty() {
                out.push(Block::Para { content });
            }
        }
    }
    flush(&mut out, &mut pending);
    out
}

fn bullet_of(content: &[Inline]) -> Option<char> {
    first_text(content)?
        .chars()
        .next()
        .filter(|c| BULLETS.contains(c))
}

fn split_lines(content: Vec<Inline>) -> Vec<Vec<Inline>> {
    let mut lines = vec![Vec::new()];
    for i in content {
        if matches!(i, Inline::LineBreak) {
            lines.push(Vec::new());
        } else if let Some(l) = lines.last_mut() {
            l.push(i);
        }
    }
    lines
}

fn join_lines(lines: Vec<Vec<Inline>>) -> Vec<Inline> {
    let mut out = Vec::new();
    for (n, l) in lines.into_iter().enumerate() {
        if n > 0 {
            out.push(Inline::LineBreak);
        }
        out.extend(l);
    }
    out
}

/// The inline content of a block, for places that can hold only a line (table cells, titles).
fn flatten_block_inlines(b: Block, out: &mut Vec<Inline>) {
    let sep = |out: &mut Vec<Inline>| {
        if !out.is_empty() {
            out.push(Inline::Text(" ".into()));
        }
    };
    match b {
        Block::Para { content } | Block::Heading { content, .. } => out.extend(content),
        Block::List { items, .. } => {
            for item in items {
                for b in item {
                    sep(out);
                    flatten_block_inlines(b, out);
                }
            }
        }
        Block::Quote {
            blocks,
            attribution,
        } => {
            for b in blocks {
                sep(out);
                flatten_block_inlines(b, out);
            }
            if !attribution.is_empty() {
                sep(out);
                out.extend(attribution);
            }
        }
        Block::Details { summary, blocks } => {
            out.extend(summary);
            for b in blocks {
                sep(out);
                flatten_block_inlines(b, out);
            }
        }
        Block::Code { text, .. } => out.push(Inline::Code(
            text.split_whitespace().collect::<Vec<_>>().join(" "),
        )),
        Block::Figure(f) => {
            for fi in f.images {
                sep(out);
                let img = Inline::Image(Box::new(fi.image));
                out.push(match fi.link {
                    Some(url) => Inline::link(url, None, vec![img]),
                    None => img,
                });
                if !fi.caption.is_empty() {
                    sep(out);
                    out.extend(fi.caption);
                }
            }
            if !f.caption.is_empty() {
                sep(out);
                out.extend(f.caption);
            }
        }
        Block::Table(t) => {
            for row in t.head.into_iter().chain(t.body) {
                for cell in row {
                    sep(out);
                    out.extend(cell);
                }
            }
        }
        Block::Embed(e) => {
            let Embed {
                url,
                provider,
                title,
                caption,
            } = *e;
            let text = crate::model::embed_label(&url, provider.as_deref(), title.as_deref());
            out.push(Inline::link(url, None, vec![Inline::Text(text)]));
            if !caption.is_empty() {
                sep(out);
                out.extend(caption);
            }
        }
        Block::Footnotes { notes } => {
            for n in notes {
                for b in n.blocks {
                    sep(out);
                    flatten_block_inlines(b, out);
                }
            }
        }
        Block::Rule => {}
    }
}

/// Removes the `↩︎` links a footnote body carries back to its reference.
/// Removes the links from a note back to its reference (`↩`, or any link to a reference's id),
/// and the brackets some plugins put round them.
fn strip_backlinks(blocks: &mut [Block], ref_ids: &std::collections::HashSet<String>) {
    for b in blocks {
        if let Block::Para { content } = b {
            content.retain(|i| match i {
                Inline::Link(l) => {
                    let Some(target) = l.url.strip_prefix('#') else {
                        return true;
                    };
                    let text = crate::model::plain_text(&l.content);
                    let text = text.trim();
                    !(ref_ids.contains(target)
                        || text.starts_with(['↩', '↑', '^'])
                        || text.eq_ignore_ascii_case("back"))
                }
                _ => true,
            });
            // Text the removed link stood between reads as one run again.
            let mut merged: Vec<Inline> = Vec::with_capacity(content.len());
            for i in content.drain(..) {
                match (merged.last_mut(), i) {
                    (Some(Inline::Text(prev)), Inline::Text(t)) => prev.push_str(&t),
                    (_, i) => merged.push(i),
                }
            }
            *content = merged;
            while let Some(Inline::Text(t)) = content.last_mut() {
                let mut trimmed = t.trim_end();
                while let Some(r) = trimmed.strip_suffix("[]").or(trimmed.strip_suffix("[ ]")) {
                    trimmed = r.trim_end();
                }
                let trimmed = trimmed.to_string();
                if trimmed.is_empty() {
                    content.pop();
                } else {
                    *t = trimmed;
                    break;
                }
            }
        }
    }
}
