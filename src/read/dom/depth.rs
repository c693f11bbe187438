//! Bounded nesting before html5ever: tags that would nest deeper than [`MAX_DEPTH`] are taken
//! out of the markup (their text stays, in the element at the limit).
//!
//! html5ever walks its stack of open elements for many tags (the "has a `p` in button scope"
//! check runs for every block-level start tag), so 100,000 nested lists cost it minutes.
//! Browsers bound the depth the same way (Blink flattens below 512). The reader keeps
//! structure only to a much smaller depth, so nothing it would show is lost.
//!
//! The stack here follows the markup closely enough to bound html5ever's: start tags push,
//! end tags pop to their element when one is open, void elements and implied end tags of
//! sibling items (`li`, `p`, `dd`/`dt`, table cells and rows, `option`) are known.

use std::collections::HashMap;

/// Nesting kept; deeper start tags (and their end tags) are removed.
pub const MAX_DEPTH: usize = 512;

/// The markup with every tag that would nest deeper than [`MAX_DEPTH`] removed, or `None`
/// when nothing nests that deep (the usual case: no copy is made).
pub fn limit_depth(html: &str) -> Option<String> {
    let b = html.as_bytes();
    let mut stack: Vec<String> = Vec::new();
    let mut open: HashMap<String, usize> = HashMap::new();
    // Elements not opened because they were too deep, by name: their end tags go too.
    let mut dropped: HashMap<String, usize> = HashMap::new();
    // Byte ranges of the markup to leave out.
    let mut cut: Vec<(usize, usize)> = Vec::new();
    let mut foreign = 0usize;
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let at = i + off;
        i = at + 1;
        let rest = &b[at..];
        if rest.starts_with(b"<!--") {
            i = match memchr::memmem::find(&rest[4..], b"-->") {
                Some(e) => at + 4 + e + 3,
                None => b.len(),
            };
            continue;
        }
        let end_tag = rest.get(1) == Some(&b'/');
        let name_start = at + if end_tag { 2 } else { 1 };
        if !b.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let mut j = name_start;
        while j < b.len() && !matches!(b[j], b'\t' | b'\n' | b'\x0C' | b'\r' | b' ' | b'/' | b'>') {
            j += 1;
        }
        let name = html[name_start..j].to_ascii_lowercase();
        // The tag's end, quotes respected.
        let mut k = j;
        let mut quote = None;
        while k < b.len() {
            match (quote, b[k]) {
                (None, q @ (b'"' | b'\'')) => quote = Some(q),
                (Some(q), c) if c == q => quote = None,
                (None, b'>') => break,
                _ => {}
            }
            k += 1;
        }
        let tag_end = (k + 1).min(b.len());
        i = tag_end;
        let self_closing = k > 0 && b.get(k - 1) == Some(&b'/');
        if end_tag {
            if let Some(n) = dropped.get_mut(&name).filter(|n| **n > 0) {
                *n -= 1;
                cut.push((at, tag_end));
                continue;
            }
            // As the tree builder does: the end tag closes its element unless a special
            // element (a block, a table part) stands in between, when it is ignored. The walk
            // is bounded by the stack, which is bounded by the limit.
            if open.get(&name).is_some_and(|n| *n > 0) {
                let found = stack
                    .iter()
                    .rev()
                    .position(|el| *el == name || (foreign == 0 && super::fast::is_special(el)));
                if let Some(from_top) = found
                    && stack[stack.len() - 1 - from_top] == name
                {
                    for _ in 0..=from_top {
                        let top = stack.pop().expect("counted");
                        dec(&mut open, &top);
                        if matches!(top.as_str(), "svg" | "math") {
                            foreign = foreign.saturating_sub(1);
                        }
                    }
                }
            }
            continue;
        }
        if foreign == 0 && is_void(&name) {
            continue;
        }
        if foreign > 0 && self_closing {
            continue;
        }
        // Siblings that close the one before them.
        while let Some(top) = stack.last() {
            let closes = match name.as_str() {
                "li" => top == "li",
                "dd" | "dt" => top == "dd" || top == "dt",
                "td" | "th" => top == "td" || top == "th",
                "tr" => matches!(top.as_str(), "td" | "th" | "tr"),
                "option" => top == "option",
                _ => top == "p" && closes_p(&name),
            };
            if !closes {
                break;
            }
            let top = stack.pop().expect("a top");
            dec(&mut open, &top);
        }
        if stack.len() >= MAX_DEPTH {
            *dropped.entry(name).or_default() += 1;
            cut.push((at, tag_end));
            continue;
        }
        if is_raw_text(&name) {
            // Content up to the matching end tag is text, not markup.
            let close = format!("</{name}");
            let lower_rest = html[tag_end..].to_ascii_lowercase();
            i = match lower_rest.find(&close) {
                Some(e) => tag_end + e,
                None => b.len(),
            };
        }
        if matches!(name.as_str(), "svg" | "math") {
            foreign += 1;
        }
        *open.entry(name.clone()).or_default() += 1;
        stack.push(name);
    }
    if cut.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(html.len());
    let mut from = 0;
    for (s, e) in cut {
        out.push_str(&html[from..s]);
        from = e;
    }
    out.push_str(&html[from..]);
    Some(out)
}

fn dec(open: &mut HashMap<String, usize>, name: &str) {
    if let Some(n) = open.get_mut(name) {
        *n = n.saturating_sub(1);
    }
}

fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "basefont"
            | "bgsound"
            | "br"
            | "col"
            | "embed"
            | "frame"
            | "hr"
            | "image"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

fn is_raw_text(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "textarea"
            | "title"
            | "xmp"
            | "iframe"
            | "noembed"
            | "noframes"
            | "noscript"
            | "plaintext"
    )
}

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
            | "section"
            | "summary"
            | "ul"
            | "pre"
            | "listing"
            | "table"
            | "xmp"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shallow_markup_is_left_alone() {
        assert_eq!(limit_depth("<ul><li>a<li>b</ul><p>x<p>y"), None);
        let siblings = "<li>x".repeat(MAX_DEPTH * 3);
        assert_eq!(limit_depth(&format!("<ul>{siblings}</ul>")), None);
        let paras = "<p>x".repeat(MAX_DEPTH * 3);
        assert_eq!(limit_depth(&paras), None);
    }

    #[test]
    fn tags_past_the_limit_go_and_their_text_stays() {
        let n = MAX_DEPTH + 100;
        let html = "<div>".repeat(n) + "deep text" + &"</div>".repeat(n) + "<p>after</p>";
        let out = limit_depth(&html).expect("cut");
        assert_eq!(out.matches("<div>").count(), MAX_DEPTH);
        assert_eq!(out.matches("</div>").count(), MAX_DEPTH);
        assert!(out.contains("deep text") && out.ends_with("<p>after</p>"));
    }

    #[test]
    fn markup_in_comments_scripts_and_attributes_is_not_counted() {
        let n = MAX_DEPTH + 10;
        let html = format!(
            "<!--{}--><script>{}</script><p title=\"{}\">x</p>",
            "<div>".repeat(n),
            "<div>".repeat(n),
            "<div>".repeat(n)
        );
        assert_eq!(limit_depth(&html), None);
    }
}
