//! SVG images made safe to publish: scripts, event handlers, animations and references to
//! other resources removed before an SVG is saved beside a post.
//!
//! A static site serves the images beside its pages from its own origin. An SVG is a document
//! that can run script there (opened directly, or through `<object>`), so one from a stranger's
//! site — even sent as `image/png` — is rewritten element by element from an allowlist, and
//! refused whole when it is not well-formed XML.

use quick_xml::events::{BytesStart, Event};
use std::fmt::Write as _;

/// What the sanitiser made of an SVG.
#[derive(Debug, PartialEq, Eq)]
pub struct Cleaned {
    pub svg: Vec<u8>,
    /// What was taken out, named once each (`script`, `onload`, `an external href` …).
    pub removed: Vec<String>,
}

/// Elements of static SVG drawing. Everything else (script, foreignObject, animation, `a`,
/// unknown or foreign elements) goes, with its content.
const ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "defs",
    "symbol",
    "use",
    "title",
    "desc",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "textPath",
    "linearGradient",
    "radialGradient",
    "stop",
    "pattern",
    "clipPath",
    "mask",
    "marker",
    "image",
    "switch",
    "view",
    "style",
    "filter",
    "feBlend",
    "feColorMatrix",
    "feComponentTransfer",
    "feComposite",
    "feConvolveMatrix",
    "feDiffuseLighting",
    "feDisplacementMap",
    "feDistantLight",
    "feDropShadow",
    "feFlood",
    "feFuncA",
    "feFuncB",
    "feFuncG",
    "feFuncR",
    "feGaussianBlur",
    "feImage",
    "feMerge",
    "feMergeNode",
    "feMorphology",
    "feOffset",
    "fePointLight",
    "feSpecularLighting",
    "feSpotLight",
    "feTile",
    "feTurbulence",
];

/// Why an SVG could not be made safe.
#[derive(Debug, thiserror::Error)]
pub enum SvgError {
    #[error("an SVG that is not well-formed XML ({0})")]
    Malformed(String),
    #[error("an SVG with a document type declaration (entities can hide content)")]
    Doctype,
    #[error("an SVG that is not UTF-8")]
    Encoding,
    #[error("the file holds no <svg> element")]
    NoSvg,
}

/// Rewrites an SVG keeping only static drawing.
pub fn sanitize(bytes: &[u8]) -> Result<Cleaned, SvgError> {
    let text = std::str::from_utf8(bytes).map_err(|_| SvgError::Encoding)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut out = String::with_capacity(text.len());
    let mut removed: Vec<String> = Vec::new();
    let note = |what: String, removed: &mut Vec<String>| {
        if !removed.contains(&what) {
            removed.push(what);
        }
    };
    // Depth inside an element being dropped (0: keeping), and whether we are in <style>.
    let mut skipping = 0usize;
    let mut in_style = false;
    let mut seen_svg = false;
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| SvgError::Malformed(e.to_string()))?;
        match ev {
            Event::Eof => break,
            Event::DocType(_) => return Err(SvgError::Doctype),
            Event::Start(_) if skipping > 0 => skipping += 1,
            Event::Empty(_) if skipping > 0 => {}
            Event::End(_) if skipping > 0 => skipping -= 1,
            Event::Start(e) => {
                let name = element_name(&e);
                if !ELEMENTS.contains(&name.as_str()) {
                    note(format!("<{name}>"), &mut removed);
                    skipping = 1;
                    continue;
                }
                seen_svg |= name == "svg";
                in_style = name == "style";
                open_tag(&mut out, &name, &e, &mut removed, false);
            }
            Event::Empty(e) => {
                let name = element_name(&e);
                if !ELEMENTS.contains(&name.as_str()) {
                    note(format!("<{name}>"), &mut removed);
                    continue;
                }
                seen_svg |= name == "svg";
                open_tag(&mut out, &name, &e, &mut removed, true);
            }
            Event::End(e) => {
                let name = e.name().as_ref().to_string();
                let local = name.strip_prefix("svg:").unwrap_or(&name).to_string();
                in_style = false;
                let _ = write!(out, "</{local}>");
            }
            Event::Text(t) if skipping == 0 => {
                let raw: &str = &t;
                if in_style && !safe_css(raw) {
                    note(
                        "a style sheet that loads other resources".into(),
                        &mut removed,
                    );
                    continue;
                }
                out.push_str(raw);
            }
            Event::CData(c) if skipping == 0 => {
                let raw: String = c.to_string();
                if in_style && !safe_css(&raw) {
                    note(
                        "a style sheet that loads other resources".into(),
                        &mut removed,
                    );
                    continue;
                }
                out.push_str(&escape(&raw));
            }
            Event::GeneralRef(r) if skipping == 0 => {
                let name: String = r.to_string();
                let predefined = matches!(name.as_str(), "lt" | "gt" | "amp" | "apos" | "quot");
                let numeric = name.starts_with('#');
                if predefined || numeric {
                    let _ = write!(out, "&{name};");
                } else {
                    note(format!("the entity &{name};"), &mut removed);
                }
            }
            Event::Decl(d) => {
                out.push_str("<?");
                out.push_str(&d);
                out.push_str("?>\n");
            }
            // Processing instructions (`xml-stylesheet` loads a style sheet) and comments go.
            Event::PI(_) => note("a processing instruction".into(), &mut removed),
            Event::Comment(_) => {}
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) => {}
        }
    }
    if !seen_svg {
        return Err(SvgError::NoSvg);
    }
    Ok(Cleaned {
        svg: out.into_bytes(),
        removed,
    })
}

fn element_name(e: &BytesStart<'_>) -> String {
    let name = e.name().as_ref().to_string();
    match name.strip_prefix("svg:") {
        Some(local) => local.to_string(),
        None => name,
    }
}

fn open_tag(
    out: &mut String,
    name: &str,
    e: &BytesStart<'_>,
    removed: &mut Vec<String>,
    empty: bool,
) {
    let mut note = |what: String| {
        if !removed.contains(&what) {
            removed.push(what);
        }
    };
    out.push('<');
    out.push_str(name);
    for a in e.attributes().with_checks(true) {
        let Ok(a) = a else {
            note("a malformed attribute".into());
            continue;
        };
        let key = a.key.as_ref().to_string();
        let Ok(value) = a.normalized_value(quick_xml::XmlVersion::Implicit1_0) else {
            note(format!("the attribute {key}"));
            continue;
        };
        let lower = key.to_ascii_lowercase();
        let local = lower.rsplit(':').next().unwrap_or(&lower);
        let v = value.trim().to_ascii_lowercase();
        // Namespaced attributes other than the SVG ones (inkscape:, sodipodi:) and
        // xlink:href are judged by their local part; xml:base would redirect every href.
        if lower.starts_with("on") || lower == "xml:base" {
            note(format!("the attribute {key}"));
            continue;
        }
        if local == "href" {
            let internal = v.starts_with('#');
            let inline_image = matches!(name, "image" | "feImage")
                && [
                    "data:image/png",
                    "data:image/jpeg",
                    "data:image/gif",
                    "data:image/webp",
                ]
                .iter()
                .any(|p| v.starts_with(p));
            if !(internal || inline_image) {
                note("a reference to another resource".into());
                continue;
            }
        }
        let compact: String = v.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.contains("javascript:")
            || compact.contains("vbscript:")
            || compact.contains("data:text")
            || (compact.contains("url(") && !only_internal_urls(&compact))
            || (local == "style" && !safe_css(&compact))
        {
            note(format!("the attribute {key}"));
            continue;
        }
        if local == "attributename" {
            // Only animation elements carry it, and they are gone; a stray one is dropped.
            continue;
        }
        let _ = write!(out, " {key}=\"{}\"", escape_attr(&value));
    }
    out.push_str(if empty { "/>" } else { ">" });
}

/// Every `url(` in a value points inside the document (`url(#gradient)`).
fn only_internal_urls(v: &str) -> bool {
    v.match_indices("url(").all(|(i, _)| {
        let rest = v[i + 4..].trim_start_matches(['\'', '"']);
        rest.starts_with('#')
    })
}

/// CSS that loads nothing else and runs nothing.
fn safe_css(css: &str) -> bool {
    let c: String = css
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    !(c.contains("@import")
        || c.contains("expression(")
        || c.contains("javascript:")
        || c.contains("-moz-binding")
        || c.contains("behavior:")
        || (c.contains("url(") && !only_internal_urls(&c)))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn escape_attr(s: &str) -> String {
    escape(s).replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(s: &str) -> (String, Vec<String>) {
        let c = sanitize(s.as_bytes()).unwrap();
        (String::from_utf8(c.svg).unwrap(), c.removed)
    }

    #[test]
    fn scripts_handlers_and_external_references_are_removed() {
        let (svg, removed) = clean(
            r##"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)"><script>alert(2)</script><a href="javascript:alert(3)"><rect width="5" height="5"/></a><foreignObject><div xmlns="http://www.w3.org/1999/xhtml"><iframe src="x"/></div></foreignObject><image xlink:href="https://evil.example/t.png"/><use href="#a"/><rect fill="url(https://evil.example/f#x)" style="fill:url(#g)"/><set attributeName="href" to="javascript:alert(4)"/><circle r="3" fill="red"/></svg>"##,
        );
        for bad in [
            "alert",
            "script",
            "javascript",
            "evil.example",
            "foreignObject",
            "iframe",
            "<set",
            "<a ",
        ] {
            assert!(!svg.contains(bad), "{bad} left in {svg}");
        }
        assert!(svg.contains(r#"<circle r="3" fill="red"/>"#), "{svg}");
        assert!(svg.contains(r##"<use href="#a"/>"##), "{svg}");
        assert!(svg.contains(r#"style="fill:url(#g)""#), "{svg}");
        assert!(!removed.is_empty());
    }

    #[test]
    fn a_clean_svg_keeps_its_drawing() {
        let src = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><title>A &amp; B</title><path d="M0 0L10 10"/></svg>"#;
        let (svg, removed) = clean(src);
        assert_eq!(svg, src);
        assert!(removed.is_empty());
    }

    #[test]
    fn malformed_svg_and_entity_declarations_are_refused() {
        assert!(sanitize(b"<svg><g></svg>").is_err());
        assert!(matches!(
            sanitize(b"<!DOCTYPE svg [<!ENTITY x \"y\">]><svg>&x;</svg>"),
            Err(SvgError::Doctype)
        ));
        assert!(matches!(sanitize(b"<html/>"), Err(SvgError::NoSvg)));
    }
}
