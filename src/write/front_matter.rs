//! Front matter for static-site generators: YAML for Hugo, Jekyll and Astro; TOML laid out the
//! way Zola requires (unknown keys under `[extra]`, terms under `[taxonomies]`).

use crate::model::Meta;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Style {
    Yaml,
    Toml,
    None,
}

/// A double-quoted string that YAML and TOML both read back exactly: escapes for `"`, `\`,
/// every control character and the line/paragraph separators YAML treats as breaks.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{85}') => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", inner.join(", "))
}

fn ids(items: &[u64]) -> String {
    let inner: Vec<String> = items.iter().map(u64::to_string).collect();
    format!("[{}]", inner.join(", "))
}

/// A date written bare (a real timestamp) when it is well formed, quoted otherwise.
fn date(d: &str) -> String {
    let b = d.as_bytes();
    let num = |r: std::ops::Range<usize>| d.get(r).and_then(|x| x.parse::<u32>().ok());
    // Bare only when it is a real date and time; YAML and TOML reject `0000-00-00` or month 13.
    let valid = (|| {
        let (y, m, dd, h, mi, s) = (
            num(0..4)?,
            num(5..7)?,
            num(8..10)?,
            num(11..13)?,
            num(14..16)?,
            num(17..19)?,
        );
        Some(
            y > 0 && (1..=12).contains(&m) && (1..=31).contains(&dd) && h < 24 && mi < 60 && s < 61,
        )
    })()
    .unwrap_or(false);
    let ok = valid
        && b.len() >= 19
        && d.chars().all(|c| c.is_ascii_digit() || "-:T+Z".contains(c))
        && b[4] == b'-'
        && b[10] == b'T';
    if ok { d.to_string() } else { quote(d) }
}

/// The path of the post's old URL, for `aliases` (Hugo and Zola write redirects from it).
/// Percent-decoded (Hugo writes aliases as they are, and a server matches the decoded path);
/// none for `?p=123` links, which are not paths a static site can redirect from.
fn old_path(link: &str) -> Option<String> {
    let rest = link.split("://").nth(1)?;
    let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("/");
    let path = path.split('#').next().unwrap_or(path);
    if path.contains('?') {
        return None;
    }
    let path = percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned();
    (path != "/" && !path.is_empty()).then_some(path)
}

pub fn write(meta: &Meta, featured: Option<&str>, style: Style) -> String {
    match style {
        Style::Yaml => yaml(meta, featured),
        Style::Toml => toml(meta, featured),
        Style::None => String::new(),
    }
}

/// Not for everyone's eyes: unpublished, or password-protected on the site.
fn draft(meta: &Meta) -> bool {
    meta.protected || meta.status.as_deref().is_some_and(|s| s != "publish")
}

fn yaml(m: &Meta, featured: Option<&str>) -> String {
    let mut o = String::from("---\n");
    let mut kv = |k: &str, v: String| {
        o.push_str(k);
        o.push_str(": ");
        o.push_str(&v);
        o.push('\n');
    };
    kv("title", quote(&m.title));
    if !m.slug.is_empty() {
        kv("slug", quote(&m.slug));
    }
    if let Some(d) = &m.date {
        kv("date", date(d));
    }
    if let Some(d) = &m.modified {
        kv("lastmod", date(d));
    }
    kv("draft", draft(m).to_string());
    if !m.authors.is_empty() {
        kv("author", quote(&m.authors.join(", ")));
    }
    if m.embedded {
        kv("categories", list(&m.categories));
        kv("tags", list(&m.tags));
    }
    if !m.excerpt.is_empty() {
        kv("description", quote(&m.excerpt));
    }
    if let Some(p) = m.link.as_deref().and_then(old_path) {
        kv("aliases", list(&[p]));
    }
    if let Some(f) = featured {
        kv("featured_image", quote(f));
    }
    o.push_str("wordpress:\n");
    let mut sub = |k: &str, v: String| {
        o.push_str("  ");
        o.push_str(k);
        o.push_str(": ");
        o.push_str(&v);
        o.push('\n');
    };
    if let Some(id) = m.id {
        sub("id", id.to_string());
    }
    sub("type", quote(&m.kind));
    if let Some(l) = &m.link {
        sub("link", quote(l));
    }
    if let Some(s) = &m.status {
        sub("status", quote(s));
    }
    if let Some(f) = &m.format {
        sub("format", quote(f));
    }
    sub("sticky", m.sticky.to_string());
    if m.protected {
        sub("protected", "true".into());
    }
    sub("author_ids", ids(&m.author_ids));
    sub("category_ids", ids(&m.category_ids));
    sub("tag_ids", ids(&m.tag_ids));
    if let Some(f) = m.featured_media_id {
        sub("featured_media", f.to_string());
    }
    if !m.embedded {
        o.push_str("  # no _embedded in the source: author, categories and tags are ids only\n");
    }
    o.push_str("---\n");
    o
}

fn toml(m: &Meta, featured: Option<&str>) -> String {
    let mut o = String::from("+++\n");
    let kv = |o: &mut String, k: &str, v: String| {
        o.push_str(k);
        o.push_str(" = ");
        o.push_str(&v);
        o.push('\n');
    };
    kv(&mut o, "title", quote(&m.title));
    if !m.excerpt.is_empty() {
        kv(&mut o, "description", quote(&m.excerpt));
    }
    if let Some(d) = &m.date {
        kv(&mut o, "date", date(d));
    }
    if let Some(d) = &m.modified {
        kv(&mut o, "updated", date(d));
    }
    if !m.slug.is_empty() {
        kv(&mut o, "slug", quote(&m.slug));
    }
    kv(&mut o, "draft", draft(m).to_string());
    if let Some(p) = m.link.as_deref().and_then(old_path) {
        kv(&mut o, "aliases", list(&[p]));
    }
    if !m.authors.is_empty() {
        kv(&mut o, "authors", list(&m.authors));
    }
    if m.embedded {
        o.push_str("\n[taxonomies]\n");
        kv(&mut o, "categories", list(&m.categories));
        kv(&mut o, "tags", list(&m.tags));
    }
    o.push_str("\n[extra]\n");
    if let Some(f) = featured {
        kv(&mut o, "featured_image", quote(f));
    }
    if let Some(id) = m.id {
        kv(&mut o, "wordpress_id", id.to_string());
    }
    kv(&mut o, "wordpress_type", quote(&m.kind));
    if let Some(l) = &m.link {
        kv(&mut o, "wordpress_link", quote(l));
    }
    if let Some(s) = &m.status {
        kv(&mut o, "wordpress_status", quote(s));
    }
    if let Some(f) = &m.format {
        kv(&mut o, "wordpress_format", quote(f));
    }
    kv(&mut o, "sticky", m.sticky.to_string());
    if m.protected {
        kv(&mut o, "protected", "true".into());
    }
    kv(&mut o, "author_ids", ids(&m.author_ids));
    kv(&mut o, "category_ids", ids(&m.category_ids));
    kv(&mut o, "tag_ids", ids(&m.tag_ids));
    if let Some(f) = m.featured_media_id {
        kv(&mut o, "featured_media", f.to_string());
    }
    if !m.embedded {
        o.push_str("# no _embedded in the source: author, categories and tags are ids only\n");
    }
    o.push_str("+++\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_everything_yaml_would_misread() {
        assert_eq!(quote("a \"b\" \\ c"), r#""a \"b\" \\ c""#);
        assert_eq!(quote("x\u{2028}y\u{1}"), "\"x\\u2028y\\u0001\"");
        assert_eq!(quote("日本語: #タグ"), "\"日本語: #タグ\"");
    }

    #[test]
    fn aliases_are_the_old_path() {
        assert_eq!(
            old_path("https://ex.org/blog/a-post/").as_deref(),
            Some("/blog/a-post/")
        );
        assert_eq!(old_path("https://ex.org/?p=12"), None);
        assert_eq!(
            old_path("https://ex.org/%e6%97%a5/").as_deref(),
            Some("/日/")
        );
        assert_eq!(old_path("https://ex.org/"), None);
    }
}
