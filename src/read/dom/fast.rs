//! The parser's fast path: well-formed markup straight into the arena, or `None` for html5ever.
//!
//! On markup whose tags nest properly, the HTML tree-construction algorithm reduces to "append
//! to the current element": it only rearranges the tree to recover from errors (implied end
//! tags, misnested formatting, foster parenting in tables, foreign content). So this path
//! tokenizes, keeps a stack of open elements, and gives up — returning `None` — at the first
//! token where the full algorithm would do anything else: an end tag that is not the current
//! element's, a start tag that implies closing an open one, text where a table expects rows,
//! a character reference it cannot decode exactly. What it accepts it builds exactly as
//! html5ever would; `tests/corpus.rs` holds the two to identical trees over the corpus.
//!
//! Text and attribute values that need no decoding are borrowed from the input.

use super::{Dom, Element, NONE, Node, NodeId, NodeRef, node_estimate};
use html5ever::{LocalName, QualName, local_name, ns};
use std::borrow::Cow;

static BOM: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new("\u{feff}"));

pub(super) fn parse(html: &str) -> Option<Dom<'_>> {
    let mut b = Builder::new(html, None)?;
    b.run()?;
    Some(b.dom)
}

/// Parses and hands each top-level node to `on_top` as soon as it is complete, then forgets
/// it: the arena holds one top-level subtree at a time, however long the post. `None` when the
/// markup needs html5ever — `on_top` may have seen part of it by then.
pub(super) fn stream(html: &str, on_top: &mut dyn FnMut(NodeRef<'_>)) -> Option<()> {
    let mut b = Builder::new(html, Some(on_top))?;
    b.run()?;
    b.release_top(true);
    Some(())
}

impl<'a, 'c> Builder<'a, 'c> {
    fn new(html: &'a str, on_top: Option<&'c mut dyn FnMut(NodeRef<'_>)>) -> Option<Self> {
        // Carriage returns are normalised and NULs replaced by the tokenizer, and html5ever drops a
        // byte-order mark wherever it resumes feeding (the start, after a script): leave all three.
        if memchr::memchr2(b'\0', b'\r', html.as_bytes()).is_some()
            || BOM.find(html.as_bytes()).is_some()
        {
            return None;
        }
        let mut dom = Dom::with_capacity(if on_top.is_some() {
            1 << 10
        } else {
            node_estimate(html)
        });
        let root = dom.push(Node::Element(Element {
            name: QualName::new(None, ns!(html), local_name!("html")),
            attrs: Vec::new(),
        }));
        dom.append_child(0, root);
        Some(Builder {
            src: html,
            bytes: html.as_bytes(),
            pos: 0,
            dom,
            stack: vec![Open {
                id: root,
                name: local_name!("html"),
                p_scope: false,
                li_reach: false,
                dd_reach: false,
            }],
            open_a: 0,
            open_button: 0,
            text: None,
            on_top,
        })
    }
}

/// Elements nested deeper than this are left to html5ever, which gets them flattened (see
/// [`super::depth`]).
const MAX_DEPTH: usize = super::depth::MAX_DEPTH;

/// An open element, and what the scope checks of the full parser would find from it down:
/// carried on each entry so that every check is one look at the top of the stack, not a walk
/// down it (a walk per tag made deep nesting quadratic).
struct Open {
    id: NodeId,
    name: LocalName,
    /// A `p` is open in button scope.
    p_scope: bool,
    /// The list-item step for `li` would find an open `li`.
    li_reach: bool,
    /// … for `dd`/`dt`, an open `dd` or `dt`.
    dd_reach: bool,
}

struct Builder<'a, 'c> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    dom: Dom<'a>,
    /// Open elements, the innermost last.
    stack: Vec<Open>,
    /// Open `a` and `button` elements (a second one would be closed by the full parser).
    open_a: usize,
    open_button: usize,
    /// Text read since the last node was inserted.
    text: Option<Cow<'a, str>>,
    /// Streaming: where finished top-level nodes go.
    on_top: Option<&'c mut dyn FnMut(NodeRef<'_>)>,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0C' | b' ')
}

fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// Start tags whose tree-construction step is more than "insert and push": other insertion
/// modes, element pointers, foreign content, reprocessing. Table parts are handled apart.
fn needs_full_parser(name: &str) -> bool {
    matches!(
        name,
        "html"
            | "body"
            | "head"
            | "frameset"
            | "frame"
            | "form"
            | "select"
            | "option"
            | "optgroup"
            | "textarea"
            | "title"
            | "plaintext"
            | "image"
            | "math"
            | "svg"
            | "template"
            | "nobr"
            | "keygen"
            | "isindex"
            | "caption"
            | "col"
            | "colgroup"
            | "tbody"
            | "thead"
            | "tfoot"
            | "tr"
            | "td"
            | "th"
            | "applet"
            | "marquee"
            | "object"
    )
}

/// Start tags that close a `p` element in button scope.
fn closes_p(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "center"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "header"
            | "hgroup"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "search"
            | "section"
            | "summary"
            | "ul"
            | "pre"
            | "listing"
            | "li"
            | "dd"
            | "dt"
            | "table"
            | "hr"
            | "xmp"
    ) || is_heading(name)
}

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "basefont"
            | "bgsound"
            | "br"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// Elements whose content is raw text up to their end tag (`noscript` too: html5ever parses
/// with scripting enabled by default).
fn is_raw_text(name: &str) -> bool {
    matches!(
        name,
        "script" | "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript"
    )
}

/// The HTML "special" category as html5ever 0.40 has it (HTML elements only: foreign content
/// never gets here). It predates `search`, which the current standard adds: what counts is
/// building the tree html5ever builds.
pub(super) fn is_special(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "applet"
            | "area"
            | "article"
            | "aside"
            | "base"
            | "basefont"
            | "bgsound"
            | "blockquote"
            | "body"
            | "br"
            | "button"
            | "caption"
            | "center"
            | "col"
            | "colgroup"
            | "dd"
            | "details"
            | "dir"
            | "div"
            | "dl"
            | "dt"
            | "embed"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "frame"
            | "frameset"
            | "head"
            | "header"
            | "hgroup"
            | "hr"
            | "html"
            | "iframe"
            | "img"
            | "input"
            | "keygen"
            | "li"
            | "link"
            | "listing"
            | "main"
            | "marquee"
            | "menu"
            | "meta"
            | "nav"
            | "noembed"
            | "noframes"
            | "noscript"
            | "object"
            | "ol"
            | "p"
            | "param"
            | "plaintext"
            | "pre"
            | "script"
            | "section"
            | "select"
            | "source"
            | "style"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "template"
            | "textarea"
            | "tfoot"
            | "th"
            | "thead"
            | "title"
            | "tr"
            | "track"
            | "ul"
            | "wbr"
            | "xmp"
    ) || is_heading(name)
}

/// Where text other than whitespace would be foster-parented out of a table.
fn is_table_context(name: &str) -> bool {
    matches!(
        name,
        "table" | "tbody" | "thead" | "tfoot" | "tr" | "colgroup"
    )
}

impl<'a> Builder<'a, '_> {
    /// When streaming, before a node is added at the top level: every top-level node so far is
    /// complete (nothing else is open), so it is handed over and the arena emptied. At the end
    /// (`force`), whatever is left goes.
    fn release_top(&mut self, force: bool) {
        let Some(f) = self.on_top.as_mut() else {
            return;
        };
        if !force && self.stack.len() != 1 {
            return;
        }
        let root = self.stack[0].id;
        if self.dom.slots[root as usize].first == NONE {
            return;
        }
        let top = NodeRef {
            dom: &self.dom,
            id: root,
        };
        for c in top.children() {
            f(c);
        }
        self.dom.slots.truncate(root as usize + 1);
        let r = &mut self.dom.slots[root as usize];
        r.first = NONE;
        r.last = NONE;
        self.stack.truncate(1);
    }

    fn run(&mut self) -> Option<()> {
        let n = self.bytes.len();
        while self.pos < n {
            match memchr::memchr2(b'<', b'&', &self.bytes[self.pos..]) {
                None => {
                    self.add_text(Cow::Borrowed(&self.src[self.pos..]));
                    self.pos = n;
                }
                Some(off) => {
                    let at = self.pos + off;
                    if off > 0 {
                        self.add_text(Cow::Borrowed(&self.src[self.pos..at]));
                    }
                    self.pos = at;
                    if self.bytes[at] == b'&' {
                        let s = self.char_ref(false)?;
                        self.add_text(s);
                    } else {
                        self.markup()?;
                    }
                }
            }
        }
        self.flush_text()
    }

    fn add_text(&mut self, s: Cow<'a, str>) {
        match &mut self.text {
            None => self.text = Some(s),
            Some(t) => t.to_mut().push_str(&s),
        }
    }

    fn current(&self) -> (NodeId, &str) {
        let top = self.stack.last().expect("the html element stays open");
        (top.id, &top.name)
    }

    fn flush_text(&mut self) -> Option<()> {
        let Some(t) = self.text.take() else {
            return Some(());
        };
        let (parent, cur) = self.current();
        if is_table_context(cur) && !t.bytes().all(is_ws) {
            return None;
        }
        self.release_top(false);
        let last = self.dom.slots[parent as usize].last;
        if last != NONE
            && let Node::Text(prev) = &mut self.dom.slots[last as usize].node
        {
            prev.to_mut().push_str(&t);
            return Some(());
        }
        let id = self.dom.push(Node::Text(t));
        self.dom.append_child(parent, id);
        Some(())
    }

    /// At `&`: the decoded reference, or a literal `&` where the tokenizer would leave one.
    /// `None` for references the tokenizer would replace or remap (NUL, surrogates, C1).
    fn char_ref(&mut self, in_attr: bool) -> Option<Cow<'a, str>> {
        let (s, used) = char_ref_at(&self.src[self.pos..], in_attr)?;
        self.pos += used;
        Some(s)
    }

    fn markup(&mut self) -> Option<()> {
        let next = self.bytes.get(self.pos + 1).copied();
        match next {
            Some(c) if c.is_ascii_alphabetic() => self.start_tag(),
            Some(b'/') => match self.bytes.get(self.pos + 2) {
                Some(c) if c.is_ascii_alphabetic() => self.end_tag(),
                _ => None,
            },
            Some(b'!') => {
                if self.bytes[self.pos..].starts_with(b"<!--") {
                    self.comment()
                } else {
                    None
                }
            }
            Some(b'?') => None,
            _ => {
                self.add_text(Cow::Borrowed("<"));
                self.pos += 1;
                Some(())
            }
        }
    }

    fn comment(&mut self) -> Option<()> {
        let start = self.pos + 4;
        let rest = &self.bytes[start..];
        if rest.starts_with(b">") || rest.starts_with(b"->") {
            return None;
        }
        let end = memchr::memmem::find(rest, b"-->")?;
        if memchr::memmem::find(&rest[..end], b"--!").is_some() {
            return None;
        }
        self.flush_text()?;
        self.release_top(false);
        let id = self.dom.push(Node::Other);
        let (parent, _) = self.current();
        self.dom.append_child(parent, id);
        self.pos = start + end + 3;
        Some(())
    }

    fn start_tag(&mut self) -> Option<()> {
        let (src, bytes, n) = (self.src, self.bytes, self.bytes.len());
        let mut i = self.pos + 1;
        while i < n && !matches!(bytes[i], b'\t' | b'\n' | b'\x0C' | b' ' | b'/' | b'>') {
            i += 1;
        }
        let name = lower(&src[self.pos + 1..i]);
        let mut attrs: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::new();
        loop {
            while i < n && is_ws(bytes[i]) {
                i += 1;
            }
            match *bytes.get(i)? {
                b'>' => {
                    i += 1;
                    break;
                }
                b'/' => {
                    if bytes.get(i + 1) != Some(&b'>') {
                        return None;
                    }
                    i += 2;
                    break;
                }
                b'=' => return None,
                _ => {}
            }
            let s = i;
            while i < n
                && !matches!(
                    bytes[i],
                    b'\t' | b'\n' | b'\x0C' | b' ' | b'/' | b'>' | b'='
                )
            {
                if matches!(bytes[i], b'"' | b'\'' | b'<') {
                    return None;
                }
                i += 1;
            }
            let aname = lower(&src[s..i]);
            while i < n && is_ws(bytes[i]) {
                i += 1;
            }
            let value = if *bytes.get(i)? == b'=' {
                i += 1;
                while i < n && is_ws(bytes[i]) {
                    i += 1;
                }
                match *bytes.get(i)? {
                    q @ (b'"' | b'\'') => {
                        let end = i + 1 + memchr::memchr(q, &bytes[i + 1..])?;
                        let v = attr_value(&src[i + 1..end])?;
                        i = end + 1;
                        v
                    }
                    b'>' => return None,
                    _ => {
                        let s = i;
                        while i < n && !matches!(bytes[i], b'\t' | b'\n' | b'\x0C' | b' ' | b'>') {
                            i += 1;
                        }
                        attr_value(&src[s..i])?
                    }
                }
            } else {
                Cow::Borrowed("")
            };
            if !attrs.iter().any(|(a, _)| *a == aname) {
                attrs.push((aname, value));
            }
        }
        self.pos = i;
        self.start(&name, attrs)
    }

    fn start(&mut self, name: &str, attrs: Vec<(Cow<'a, str>, Cow<'a, str>)>) -> Option<()> {
        if self.stack.len() > MAX_DEPTH {
            return None;
        }
        self.flush_text()?;
        let (_, cur) = self.current();
        match cur {
            "table" | "tbody" | "thead" | "tfoot" | "tr" => {
                let fits = match cur {
                    "table" => matches!(name, "caption" | "colgroup" | "tbody" | "thead" | "tfoot"),
                    "tr" => matches!(name, "td" | "th"),
                    _ => name == "tr",
                };
                if !fits {
                    return None;
                }
                self.insert(name, attrs, true);
                return Some(());
            }
            "colgroup" => {
                if name != "col" {
                    return None;
                }
                self.insert(name, attrs, false);
                return Some(());
            }
            _ => {}
        }
        if needs_full_parser(name) {
            return None;
        }
        if closes_p(name) && self.p_in_button_scope() {
            return None;
        }
        match name {
            "li" => self.no_open_item(false)?,
            "dd" | "dt" => self.no_open_item(true)?,
            "a" if self.open_a > 0 => return None,
            "button" if self.open_button > 0 => return None,
            "rb" | "rtc" | "rp" | "rt"
                if matches!(
                    cur,
                    "dd" | "dt" | "li" | "optgroup" | "option" | "p" | "rb" | "rp" | "rt" | "rtc"
                ) =>
            {
                return None;
            }
            _ if is_heading(name) && is_heading(cur) => return None,
            _ => {}
        }
        if is_raw_text(name) {
            return self.raw_text(name, attrs);
        }
        if is_void(name) {
            self.insert(name, attrs, false);
            return Some(());
        }
        self.insert(name, attrs, true);
        if matches!(name, "pre" | "listing") {
            // A newline straight after the start tag is not content; one written as a
            // character reference is treated alike, which this path leaves to html5ever.
            match self.bytes.get(self.pos) {
                Some(b'\n') => self.pos += 1,
                Some(b'&') => return None,
                _ => {}
            }
        }
        Some(())
    }

    fn insert(&mut self, name: &str, attrs: Vec<(Cow<'a, str>, Cow<'a, str>)>, open: bool) {
        self.release_top(false);
        let local = atom(name);
        let id = self.dom.push(Node::Element(Element {
            name: QualName::new(None, ns!(html), local.clone()),
            attrs,
        }));
        let (parent, _) = self.current();
        self.dom.append_child(parent, id);
        if open {
            self.push_open(id, local);
        }
    }

    fn push_open(&mut self, id: NodeId, name: LocalName) {
        let below = self.stack.last().expect("the html element stays open");
        let n: &str = &name;
        // What each check finds when it walks down from here: this element decides, or lets
        // the walk go on to the one below.
        let p_scope = match n {
            "p" => true,
            "applet" | "caption" | "html" | "table" | "td" | "th" | "marquee" | "object"
            | "template" | "button" => false,
            _ => below.p_scope,
        };
        let passes = !is_special(n) || matches!(n, "address" | "div" | "p");
        let li_reach = n == "li" || (passes && below.li_reach);
        let dd_reach = matches!(n, "dd" | "dt") || (passes && below.dd_reach);
        match n {
            "a" => self.open_a += 1,
            "button" => self.open_button += 1,
            _ => {}
        }
        self.stack.push(Open {
            id,
            name,
            p_scope,
            li_reach,
            dd_reach,
        });
    }

    fn pop(&mut self) {
        if let Some(top) = self.stack.pop() {
            match &*top.name {
                "a" => self.open_a -= 1,
                "button" => self.open_button -= 1,
                _ => {}
            }
        }
    }

    /// Whether a `p` is open within button scope (the full parser would close it).
    fn p_in_button_scope(&self) -> bool {
        self.stack.last().is_some_and(|t| t.p_scope)
    }

    /// The list-item step for `li`/`dd`/`dt`: an open item of that kind would be closed.
    fn no_open_item(&self, dd: bool) -> Option<()> {
        let top = self.stack.last()?;
        let open = if dd { top.dd_reach } else { top.li_reach };
        (!open).then_some(())
    }

    fn raw_text(&mut self, name: &str, attrs: Vec<(Cow<'a, str>, Cow<'a, str>)>) -> Option<()> {
        let start = self.pos;
        let rest = &self.bytes[start..];
        let mut from = 0;
        let end = loop {
            let j = from + memchr::memmem::find(&rest[from..], b"</")?;
            let after = j + 2 + name.len();
            if rest.len() > after && rest[j + 2..after].eq_ignore_ascii_case(name.as_bytes()) {
                match rest[after] {
                    b'>' => break j,
                    // An end tag with attributes or a slash: rare enough to leave.
                    b'\t' | b'\n' | b'\x0C' | b' ' | b'/' => return None,
                    _ => {}
                }
            }
            from = j + 2;
        };
        // Script data has escape states in which `</script>` does not end it.
        if name == "script" && memchr::memmem::find(&rest[..end], b"<!--").is_some() {
            return None;
        }
        self.insert(name, attrs, true);
        if end > 0 {
            self.text = Some(Cow::Borrowed(&self.src[start..start + end]));
            self.flush_text()?;
        }
        self.pop();
        self.pos = start + end + 2 + name.len() + 1;
        Some(())
    }

    fn end_tag(&mut self) -> Option<()> {
        let (bytes, n) = (self.bytes, self.bytes.len());
        let s = self.pos + 2;
        let mut i = s;
        while i < n && !matches!(bytes[i], b'\t' | b'\n' | b'\x0C' | b' ' | b'/' | b'>') {
            i += 1;
        }
        let name = lower(&self.src[s..i]);
        while i < n && is_ws(bytes[i]) {
            i += 1;
        }
        if bytes.get(i) != Some(&b'>') {
            return None;
        }
        self.flush_text()?;
        let (_, cur) = self.current();
        if cur != name || self.stack.len() == 1 {
            return None;
        }
        self.pop();
        self.pos = i + 1;
        Some(())
    }
}

/// Element names as atoms: the common ones without hashing (`LocalName::from` looks every
/// name up in the static set, a cost paid for each element of every post).
fn atom(name: &str) -> LocalName {
    match name {
        "a" => local_name!("a"),
        "p" => local_name!("p"),
        "div" => local_name!("div"),
        "span" => local_name!("span"),
        "img" => local_name!("img"),
        "figure" => local_name!("figure"),
        "figcaption" => local_name!("figcaption"),
        "strong" => local_name!("strong"),
        "em" => local_name!("em"),
        "b" => local_name!("b"),
        "i" => local_name!("i"),
        "br" => local_name!("br"),
        "li" => local_name!("li"),
        "ul" => local_name!("ul"),
        "ol" => local_name!("ol"),
        "h1" => local_name!("h1"),
        "h2" => local_name!("h2"),
        "h3" => local_name!("h3"),
        "h4" => local_name!("h4"),
        "h5" => local_name!("h5"),
        "h6" => local_name!("h6"),
        "table" => local_name!("table"),
        "tbody" => local_name!("tbody"),
        "thead" => local_name!("thead"),
        "tfoot" => local_name!("tfoot"),
        "tr" => local_name!("tr"),
        "td" => local_name!("td"),
        "th" => local_name!("th"),
        "blockquote" => local_name!("blockquote"),
        "pre" => local_name!("pre"),
        "code" => local_name!("code"),
        "hr" => local_name!("hr"),
        "sup" => local_name!("sup"),
        "sub" => local_name!("sub"),
        "iframe" => local_name!("iframe"),
        "source" => local_name!("source"),
        "video" => local_name!("video"),
        "audio" => local_name!("audio"),
        "section" => local_name!("section"),
        "details" => local_name!("details"),
        "summary" => local_name!("summary"),
        "cite" => local_name!("cite"),
        "s" => local_name!("s"),
        "del" => local_name!("del"),
        "mark" => local_name!("mark"),
        "picture" => local_name!("picture"),
        "noscript" => local_name!("noscript"),
        "script" => local_name!("script"),
        "style" => local_name!("style"),
        "small" => local_name!("small"),
        "u" => local_name!("u"),
        "dl" => local_name!("dl"),
        "dt" => local_name!("dt"),
        "dd" => local_name!("dd"),
        "caption" => local_name!("caption"),
        "colgroup" => local_name!("colgroup"),
        "col" => local_name!("col"),
        "button" => local_name!("button"),
        "label" => local_name!("label"),
        "time" => local_name!("time"),
        "abbr" => local_name!("abbr"),
        "q" => local_name!("q"),
        "kbd" => local_name!("kbd"),
        "article" => local_name!("article"),
        "aside" => local_name!("aside"),
        "header" => local_name!("header"),
        "footer" => local_name!("footer"),
        "nav" => local_name!("nav"),
        "main" => local_name!("main"),
        "wbr" => local_name!("wbr"),
        "embed" => local_name!("embed"),
        "track" => local_name!("track"),
        "ruby" => local_name!("ruby"),
        "rt" => local_name!("rt"),
        "rp" => local_name!("rp"),
        "center" => local_name!("center"),
        "font" => local_name!("font"),
        "ins" => local_name!("ins"),
        "html" => local_name!("html"),
        _ => LocalName::from(name),
    }
}

/// An attribute value with its character references decoded.
fn attr_value(raw: &str) -> Option<Cow<'_, str>> {
    if !raw.contains('&') {
        return Some(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let (s, used) = char_ref_at(&rest[i..], true)?;
        out.push_str(&s);
        rest = &rest[i + used..];
    }
    out.push_str(rest);
    Some(Cow::Owned(out))
}

/// Decodes the character reference at the start of `s` (which begins with `&`) as the HTML
/// tokenizer does: the text it stands for and the bytes it used. `None` for the cases where
/// the tokenizer substitutes or remaps code points, left to html5ever.
fn char_ref_at(s: &str, in_attr: bool) -> Option<(Cow<'static, str>, usize)> {
    let b = s.as_bytes();
    let literal = Some((Cow::Borrowed("&"), 1));
    match b.get(1) {
        Some(b'#') => {
            let hex = matches!(b.get(2), Some(b'x' | b'X'));
            let start = if hex { 3 } else { 2 };
            let digits = b[start..]
                .iter()
                .take_while(|c| {
                    if hex {
                        c.is_ascii_hexdigit()
                    } else {
                        c.is_ascii_digit()
                    }
                })
                .count();
            if digits == 0 || digits > 8 || b.get(start + digits) != Some(&b';') {
                return None;
            }
            let n =
                u32::from_str_radix(&s[start..start + digits], if hex { 16 } else { 10 }).ok()?;
            let c = char::from_u32(n)?;
            if n == 0 || (0x80..=0x9F).contains(&n) || (c.is_control() && !is_ws(n as u8)) {
                return None;
            }
            Some((Cow::Owned(c.to_string()), start + digits + 1))
        }
        Some(c) if c.is_ascii_alphanumeric() => {
            let run = b[1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric())
                .count();
            let mut key = [0u8; 40];
            if b.get(1 + run) == Some(&b';') && run < key.len() {
                key[..run].copy_from_slice(&b[1..1 + run]);
                key[run] = b';';
                let k = std::str::from_utf8(&key[..=run]).ok()?;
                if let Some(&(c1, c2)) = html5ever::data::NAMED_ENTITIES.get(k)
                    && c1 != 0
                {
                    return Some((decode_pair(c1, c2)?, run + 2));
                }
            }
            // The longest legacy name (no semicolon) that prefixes the run, as the tokenizer
            // matches it; in attributes it is not decoded before an alphanumeric or `=`.
            for len in (2..=run.min(8)).rev() {
                let name = &s[1..1 + len];
                if let Some(&(c1, c2)) = html5ever::data::NAMED_ENTITIES.get(name)
                    && c1 != 0
                {
                    let next = b.get(1 + len).copied();
                    if in_attr && (len < run || next == Some(b'=')) {
                        return literal;
                    }
                    return Some((decode_pair(c1, c2)?, len + 1));
                }
            }
            literal
        }
        _ => literal,
    }
}

fn decode_pair(c1: u32, c2: u32) -> Option<Cow<'static, str>> {
    let mut out = String::new();
    out.push(char::from_u32(c1)?);
    if c2 != 0 {
        out.push(char::from_u32(c2)?);
    }
    Some(Cow::Owned(out))
}
