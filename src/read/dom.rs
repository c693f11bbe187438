//! A lean HTML tree for the reader: html5ever's tree builder fills a flat arena of nodes.
//!
//! Why not scraper's `Html`: the reader walks each tree once and never runs selectors, yet
//! scraper pays for them on every element (attributes sorted by name, an `ego_tree` node with
//! interior bookkeeping, a thread-safe tendril conversion). A `Vec` of small nodes linked by
//! `u32` indices is what a single walk needs, and parsing into it is markedly cheaper (see
//! `cargo run --release --example phases`).

use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, QualName, local_name, ns};
use std::borrow::Cow;
use std::cell::{Ref, RefCell};

mod depth;
mod fast;

/// About as many nodes as the markup will make (each tag opens an element, closes one, or
/// ends a text run), a little over: a tree that outgrows its arena is copied into one twice
/// the size, and the allocator may hold every smaller copy until the parse is over — for a
/// post of millions of small elements, most of the memory it needed.
fn node_estimate(html: &str) -> usize {
    let tags = memchr::memchr_iter(b'<', html.as_bytes()).count();
    tags + tags / 4 + 16
}

/// Index of a node in its [`Dom`].
pub type NodeId = u32;

const NONE: NodeId = u32::MAX;

/// What a node is. Text and attribute values borrow from the input where the fast path
/// parsed them and needed no decoding.
pub enum Node<'a> {
    /// The root of the parsed fragment.
    Document,
    /// A `<template>`'s contents.
    Fragment,
    Element(Element<'a>),
    Text(Cow<'a, str>),
    /// Comments, processing instructions and doctypes: kept in the tree so that the builder's
    /// handles stay valid, never read.
    Other,
}

impl<'a> Node<'a> {
    pub fn as_element(&self) -> Option<&Element<'a>> {
        match self {
            Node::Element(e) => Some(e),
            _ => None,
        }
    }
}

/// An element: its name and its attributes without a namespace, as the tokenizer gave them
/// (the first of duplicates kept).
pub struct Element<'a> {
    name: QualName,
    attrs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl Element<'_> {
    /// The local name (`div`, `img`, `svg`).
    pub fn name(&self) -> &str {
        &self.name.local
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| &**v)
    }

    /// Every attribute as (name, value), in source order.
    pub fn attrs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.attrs.iter().map(|(n, v)| (&**n, &**v))
    }

    pub fn id(&self) -> Option<&str> {
        self.attr("id")
    }

    /// The element's classes, in attribute order.
    pub fn classes(&self) -> impl Iterator<Item = &str> {
        self.attr("class").unwrap_or("").split_ascii_whitespace()
    }

    pub fn has_class(&self, class: &str) -> bool {
        self.classes().any(|c| c == class)
    }
}

struct Slot<'a> {
    parent: NodeId,
    prev: NodeId,
    next: NodeId,
    first: NodeId,
    last: NodeId,
    node: Node<'a>,
}

/// A parsed fragment.
pub struct Dom<'a> {
    slots: Vec<Slot<'a>>,
}

impl<'a> Dom<'a> {
    /// Parses a fragment the way a browser parses `body.innerHTML = html`: by the fast path
    /// when the markup is well-formed, else by html5ever.
    pub fn parse_fragment(html: &'a str) -> Dom<'a> {
        match Dom::parse_fast(html) {
            Some(dom) => dom,
            None => Dom::parse_with_html5ever(html),
        }
    }

    /// The fast path alone: `None` when the markup needs any of the HTML parsing algorithm's
    /// error recovery, whose result it then leaves to html5ever. Public for the tests that
    /// hold the two to the same trees.
    pub fn parse_fast(html: &'a str) -> Option<Dom<'a>> {
        fast::parse(html)
    }

    /// The fast path, streaming: each top-level node is handed to `f` as soon as it is
    /// complete and then dropped, so memory holds one top-level subtree, not the whole tree.
    /// `false` when the markup needs html5ever; `f` may have seen part of it by then, and the
    /// caller starts over with [`Dom::parse_fragment`].
    pub fn stream_fast(html: &str, f: &mut dyn FnMut(NodeRef<'_>)) -> bool {
        fast::stream(html, f).is_some()
    }

    /// html5ever's tree builder alone, on the markup with its nesting bounded (see
    /// [`depth`]): html5ever's cost per tag grows with the depth.
    pub fn parse_with_html5ever(html: &str) -> Dom<'a> {
        match depth::limit_depth(html) {
            Some(limited) => Dom::html5ever(&limited),
            None => Dom::html5ever(html),
        }
    }

    fn html5ever(html: &str) -> Dom<'a> {
        let sink = Sink {
            dom: RefCell::new(Dom::with_capacity(node_estimate(html))),
        };
        html5ever::driver::parse_fragment(
            sink,
            Default::default(),
            QualName::new(None, ns!(html), local_name!("body")),
            Vec::new(),
            false,
        )
        .one(html)
    }

    pub fn root(&self) -> NodeRef<'_> {
        NodeRef { dom: self, id: 0 }
    }

    fn with_capacity(n: usize) -> Dom<'a> {
        let mut dom = Dom {
            slots: Vec::with_capacity(n),
        };
        dom.push(Node::Document);
        dom
    }

    fn push(&mut self, node: Node<'a>) -> NodeId {
        let id = self.slots.len() as NodeId;
        self.slots.push(Slot {
            parent: NONE,
            prev: NONE,
            next: NONE,
            first: NONE,
            last: NONE,
            node,
        });
        id
    }

    fn detach(&mut self, id: NodeId) {
        let (parent, prev, next) = {
            let s = &self.slots[id as usize];
            (s.parent, s.prev, s.next)
        };
        if parent == NONE {
            return;
        }
        if prev != NONE {
            self.slots[prev as usize].next = next;
        } else {
            self.slots[parent as usize].first = next;
        }
        if next != NONE {
            self.slots[next as usize].prev = prev;
        } else {
            self.slots[parent as usize].last = prev;
        }
        let s = &mut self.slots[id as usize];
        s.parent = NONE;
        s.prev = NONE;
        s.next = NONE;
    }

    fn append_child(&mut self, parent: NodeId, child: NodeId) {
        self.detach(child);
        let last = self.slots[parent as usize].last;
        {
            let c = &mut self.slots[child as usize];
            c.parent = parent;
            c.prev = last;
        }
        if last != NONE {
            self.slots[last as usize].next = child;
        } else {
            self.slots[parent as usize].first = child;
        }
        self.slots[parent as usize].last = child;
    }

    fn insert_before(&mut self, sibling: NodeId, child: NodeId) {
        self.detach(child);
        let (parent, prev) = {
            let s = &self.slots[sibling as usize];
            (s.parent, s.prev)
        };
        {
            let c = &mut self.slots[child as usize];
            c.parent = parent;
            c.prev = prev;
            c.next = sibling;
        }
        self.slots[sibling as usize].prev = child;
        if prev != NONE {
            self.slots[prev as usize].next = child;
        } else {
            self.slots[parent as usize].first = child;
        }
    }

    /// Appends text to `after`'s text node when it is one, else makes a new text node.
    fn text_node(&mut self, after: NodeId, text: &str) -> Option<NodeId> {
        if after != NONE
            && let Node::Text(t) = &mut self.slots[after as usize].node
        {
            t.to_mut().push_str(text);
            return None;
        }
        Some(self.push(Node::Text(Cow::Owned(text.to_string()))))
    }
}

/// A node and the tree it lives in, for walking.
#[derive(Clone, Copy)]
pub struct NodeRef<'a> {
    dom: &'a Dom<'a>,
    id: NodeId,
}

impl<'a> NodeRef<'a> {
    fn at(self, id: NodeId) -> Option<NodeRef<'a>> {
        (id != NONE).then_some(NodeRef { dom: self.dom, id })
    }

    fn slot(self) -> &'a Slot<'a> {
        &self.dom.slots[self.id as usize]
    }

    pub fn id(self) -> NodeId {
        self.id
    }

    pub fn value(self) -> &'a Node<'a> {
        &self.slot().node
    }

    pub fn parent(self) -> Option<NodeRef<'a>> {
        self.at(self.slot().parent)
    }

    pub fn first_child(self) -> Option<NodeRef<'a>> {
        self.at(self.slot().first)
    }

    pub fn next_sibling(self) -> Option<NodeRef<'a>> {
        self.at(self.slot().next)
    }

    pub fn prev_sibling(self) -> Option<NodeRef<'a>> {
        self.at(self.slot().prev)
    }

    pub fn children(self) -> Children<'a> {
        Children {
            next: self.first_child(),
        }
    }

    /// Opening and closing edges of this node and everything under it, in document order;
    /// iterative, so depth costs no stack.
    pub fn traverse(self) -> Traverse<'a> {
        Traverse {
            root: self,
            next: Some(Edge::Open(self)),
        }
    }

    /// This node and everything under it, in document order.
    pub fn descendants(self) -> impl Iterator<Item = NodeRef<'a>> {
        self.traverse().filter_map(|e| match e {
            Edge::Open(n) => Some(n),
            Edge::Close(_) => None,
        })
    }
}

pub struct Children<'a> {
    next: Option<NodeRef<'a>>,
}

impl<'a> Iterator for Children<'a> {
    type Item = NodeRef<'a>;
    fn next(&mut self) -> Option<NodeRef<'a>> {
        let n = self.next?;
        self.next = n.next_sibling();
        Some(n)
    }
}

#[derive(Clone, Copy)]
pub enum Edge<'a> {
    Open(NodeRef<'a>),
    Close(NodeRef<'a>),
}

pub struct Traverse<'a> {
    root: NodeRef<'a>,
    next: Option<Edge<'a>>,
}

impl<'a> Iterator for Traverse<'a> {
    type Item = Edge<'a>;
    fn next(&mut self) -> Option<Edge<'a>> {
        let edge = self.next?;
        self.next = match edge {
            Edge::Open(n) => Some(match n.first_child() {
                Some(c) => Edge::Open(c),
                None => Edge::Close(n),
            }),
            Edge::Close(n) if n.id == self.root.id => None,
            Edge::Close(n) => match n.next_sibling() {
                Some(s) => Some(Edge::Open(s)),
                None => n.parent().map(Edge::Close),
            },
        };
        Some(edge)
    }
}

/// html5ever's view of the arena while it builds (its trait takes `&self`, hence the `RefCell`).
struct Sink<'h> {
    dom: RefCell<Dom<'h>>,
}

impl<'h> TreeSink for Sink<'h> {
    type Handle = NodeId;
    type Output = Dom<'h>;
    type ElemName<'a>
        = Ref<'a, QualName>
    where
        'h: 'a;

    fn finish(self) -> Dom<'h> {
        self.dom.into_inner()
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> NodeId {
        0
    }

    fn elem_name<'a>(&'a self, target: &'a NodeId) -> Ref<'a, QualName> {
        Ref::map(self.dom.borrow(), |d| {
            match &d.slots[*target as usize].node {
                Node::Element(e) => &e.name,
                // The builder asks only about elements; a fixed name keeps a broken promise harmless.
                _ => &EMPTY_NAME,
            }
        })
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, _: ElementFlags) -> NodeId {
        let template = name.local == local_name!("template") && name.ns == ns!(html);
        let mut dom = self.dom.borrow_mut();
        let attrs = attrs
            .into_iter()
            .filter(|a| a.name.ns == ns!())
            .map(|a| {
                (
                    Cow::Owned(a.name.local.to_string()),
                    Cow::Owned(a.value.into()),
                )
            })
            .collect();
        let id = dom.push(Node::Element(Element { name, attrs }));
        if template {
            // Its contents are the next node: see `get_template_contents`.
            let contents = dom.push(Node::Fragment);
            dom.append_child(id, contents);
        }
        id
    }

    fn create_comment(&self, _text: StrTendril) -> NodeId {
        self.dom.borrow_mut().push(Node::Other)
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> NodeId {
        self.dom.borrow_mut().push(Node::Other)
    }

    fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
        let mut dom = self.dom.borrow_mut();
        match child {
            NodeOrText::AppendNode(id) => dom.append_child(*parent, id),
            NodeOrText::AppendText(text) => {
                let last = dom.slots[*parent as usize].last;
                if let Some(id) = dom.text_node(last, &text) {
                    dom.append_child(*parent, id);
                }
            }
        }
    }

    fn append_based_on_parent_node(
        &self,
        element: &NodeId,
        prev_element: &NodeId,
        child: NodeOrText<NodeId>,
    ) {
        let has_parent = self.dom.borrow().slots[*element as usize].parent != NONE;
        if has_parent {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, target: &NodeId) -> NodeId {
        let dom = self.dom.borrow();
        let next = *target + 1;
        match dom.slots.get(next as usize) {
            Some(s) if matches!(s.node, Node::Fragment) => next,
            _ => *target,
        }
    }

    fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &NodeId, new_node: NodeOrText<NodeId>) {
        let mut dom = self.dom.borrow_mut();
        if let NodeOrText::AppendNode(id) = new_node {
            dom.detach(id);
        }
        if dom.slots[*sibling as usize].parent == NONE {
            return;
        }
        match new_node {
            NodeOrText::AppendNode(id) => dom.insert_before(*sibling, id),
            NodeOrText::AppendText(text) => {
                let prev = dom.slots[*sibling as usize].prev;
                if let Some(id) = dom.text_node(prev, &text) {
                    dom.insert_before(*sibling, id);
                }
            }
        }
    }

    fn add_attrs_if_missing(&self, target: &NodeId, attrs: Vec<Attribute>) {
        let mut dom = self.dom.borrow_mut();
        if let Node::Element(e) = &mut dom.slots[*target as usize].node {
            for a in attrs {
                if a.name.ns == ns!() && !e.attrs.iter().any(|(n, _)| **n == *a.name.local) {
                    e.attrs.push((
                        Cow::Owned(a.name.local.to_string()),
                        Cow::Owned(a.value.into()),
                    ));
                }
            }
        }
    }

    fn remove_from_parent(&self, target: &NodeId) {
        self.dom.borrow_mut().detach(*target);
    }

    fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
        let mut dom = self.dom.borrow_mut();
        let mut child = dom.slots[*node as usize].first;
        while child != NONE {
            let next = dom.slots[child as usize].next;
            dom.append_child(*new_parent, child);
            child = next;
        }
    }
}

static EMPTY_NAME: std::sync::LazyLock<QualName> =
    std::sync::LazyLock::new(|| QualName::new(None, ns!(), local_name!("")));

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(n: NodeRef<'_>, out: &mut String) {
        match n.value() {
            Node::Element(e) => {
                out.push('<');
                out.push_str(e.name());
                out.push('>');
                for c in n.children() {
                    shape(c, out);
                }
                out.push_str("</>");
            }
            Node::Text(t) => out.push_str(t),
            _ => {
                for c in n.children() {
                    shape(c, out);
                }
            }
        }
    }

    fn parse(html: &str) -> String {
        let dom = Dom::parse_fragment(html);
        let mut s = String::new();
        shape(dom.root(), &mut s);
        s
    }

    #[test]
    fn misnested_formatting_is_repaired_by_the_adoption_agency() {
        assert_eq!(
            parse("<p>a<b>b<i>c</b>d</i>e</p>"),
            "<html><p>a<b>b<i>c</></><i>d</>e</></>"
        );
    }

    #[test]
    fn table_text_is_foster_parented_before_the_table() {
        assert_eq!(
            parse("<table>x<tr><td>1</td></tr></table>"),
            "<html>x<table><tbody><tr><td>1</></></></></>"
        );
    }

    #[test]
    fn split_text_is_one_node_and_attributes_read_back() {
        let dom = Dom::parse_fragment("<p class=' a  b' id=x>one &amp; two</p>");
        let html = dom.root().first_child().unwrap();
        let p = html.first_child().unwrap();
        let el = p.value().as_element().unwrap();
        assert_eq!(el.classes().collect::<Vec<_>>(), ["a", "b"]);
        assert!(el.has_class("b") && !el.has_class("c"));
        assert_eq!(el.id(), Some("x"));
        assert_eq!(p.children().count(), 1);
        assert!(matches!(p.first_child().unwrap().value(), Node::Text(t) if &**t == "one & two"));
    }

    #[test]
    fn template_contents_sit_under_the_template() {
        assert_eq!(
            parse("<template><p>t</p></template>"),
            "<html><template><p>t</></></>"
        );
    }

    #[test]
    fn traverse_closes_every_node_it_opens() {
        let dom = Dom::parse_fragment("<div><p>a<em>b</em></p><hr><p>c</p></div>");
        let (mut open, mut close) = (0, 0);
        for e in dom.root().traverse() {
            match e {
                Edge::Open(_) => open += 1,
                Edge::Close(_) => close += 1,
            }
        }
        assert_eq!(open, close);
        assert_eq!(dom.root().descendants().count(), open);
    }
}
