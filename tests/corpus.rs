//! Properties over the shared corpus of real WordPress content: the Markdown of every post reads
//! back (through pulldown-cmark, an independent parser) as the same text and block structure as
//! the model, shows every visible word of the source HTML, and contains no raw HTML.
//! Skipped with a notice when `../shared/corpus` is absent, so a bare clone still passes.

mod common;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::path::{Path, PathBuf};
use unpress::model::{Block, Document, plain_text};
use unpress::read::input::read_source;
use unpress::write::{WriteOptions, front_matter, markdown};

fn corpus(sub: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(sub);
    if p.is_dir() {
        Some(p)
    } else {
        common::notice(&format!("{} is absent; corpus test skipped", p.display()));
        None
    }
}

/// Every post object in the folder, with where it came from.
fn posts(dir: &Path) -> Vec<(String, serde_json::Value)> {
    let files: Vec<PathBuf> = common::files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    let mut out = Vec::new();
    for f in files {
        // all-posts.json repeats the single files of gutenberg-rest.
        if f.ends_with("all-posts.json") {
            continue;
        }
        read_source(&f, &mut |item| {
            if let Ok(v) = item.value
                && unpress::read::wp_json::head(&v).is_ok()
            {
                let name = format!("{}#{}", f.display(), item.index.unwrap_or(0));
                out.push((name, v));
            }
            true
        });
    }
    out
}

fn md_of(doc: &Document) -> String {
    let opts = WriteOptions {
        front_matter: front_matter::Style::None,
        links_in_text: false,
    };
    markdown::write(doc, &opts)
}

fn md_options() -> Options {
    // Heading attributes as Hugo, Zola and Jekyll read them (`## Title {#id}`).
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Text as compared: whitespace collapsed, Unicode super/subscripts as their plain characters.
fn norm(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| match c {
            '⁰' | '₀' => '0',
            '¹' | '₁' => '1',
            '²' | '₂' => '2',
            '³' | '₃' => '3',
            '⁴' | '₄' => '4',
            '⁵' | '₅' => '5',
            '⁶' | '₆' => '6',
            '⁷' | '₇' => '7',
            '⁸' | '₈' => '8',
            '⁹' | '₉' => '9',
            '⁺' | '₊' => '+',
            '⁻' | '₋' => '-',
            '⁼' | '₌' => '=',
            '⁽' | '₍' => '(',
            '⁾' | '₎' => ')',
            'ⁿ' => 'n',
            'ⁱ' => 'i',
            c => c,
        })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The block outline the model promises: the documented mapping of each block to Markdown.
fn outline_model(blocks: &[Block], out: &mut Vec<String>) {
    for b in blocks {
        match b {
            Block::Para { content } => out.push(format!("P:{}", norm(&plain_text(content)))),
            Block::Heading { level, content, .. } => {
                out.push(format!("H{level}:{}", norm(&plain_text(content))))
            }
            Block::List { ordered, items, .. } => {
                out.push(format!("L{ordered}["));
                for item in items {
                    out.push("I[".into());
                    outline_model(item, out);
                    out.push("]".into());
                }
                out.push("]".into());
            }
            Block::Quote {
                blocks,
                attribution,
            } => {
                out.push("Q[".into());
                outline_model(blocks, out);
                if !attribution.is_empty() {
                    out.push(format!("P:— {}", norm(&plain_text(attribution))));
                }
                out.push("]".into());
            }
            Block::Code { text, .. } => out.push(format!("C:{}", text.trim_end_matches('\n'))),
            Block::Table(t) => {
                let cols = t.columns();
                if cols > 0 {
                    out.push("T[".into());
                    for row in t.head.iter().chain(&t.body) {
                        let cells: Vec<String> = (0..cols)
                            .map(|i| row.get(i).map(|c| norm(&plain_text(c))).unwrap_or_default())
                            .collect();
                        out.push(format!("R:{}", cells.join("|")));
                    }
                    out.push("]".into());
                }
                if !t.caption.is_empty() {
                    out.push(format!("P:{}", norm(&plain_text(&t.caption))));
                }
            }
            Block::Figure(f) => {
                for fi in &f.images {
                    out.push(format!("P:{}", norm(&fi.image.alt)));
                    if !fi.caption.is_empty() {
                        out.push(format!("P:{}", norm(&plain_text(&fi.caption))));
                    }
                }
                if !f.caption.is_empty() {
                    out.push(format!("P:{}", norm(&plain_text(&f.caption))));
                }
            }
            Block::Embed(e) => {
                let unpress::model::Embed {
                    url,
                    provider,
                    title,
                    caption,
                } = &**e;
                let label = match (provider, title) {
                    (Some(p), Some(t)) => format!("{p}: {t}"),
                    (Some(p), None) => format!("{p}: {url}"),
                    (None, Some(t)) => t.clone(),
                    (None, None) => url.clone(),
                };
                out.push(format!("P:{}", norm(&label)));
                if !caption.is_empty() {
                    out.push(format!("P:{}", norm(&plain_text(caption))));
                }
            }
            Block::Details { summary, blocks } => {
                if !summary.is_empty() {
                    out.push(format!("P:{}", norm(&plain_text(summary))));
                }
                outline_model(blocks, out);
            }
            Block::Footnotes { notes } => {
                for n in notes {
                    out.push("F[".into());
                    outline_model(&n.blocks, out);
                    out.push("]".into());
                }
            }
            Block::Rule => out.push("R".into()),
        }
    }
}

/// The block outline pulldown-cmark reads from the Markdown; also counts raw HTML events.
fn outline_md(md: &str) -> (Vec<String>, usize, String) {
    let mut out = Vec::new();
    let mut raw = 0;
    let mut shown = String::new();
    let mut text: Option<String> = None;
    let mut cells: Vec<String> = Vec::new();
    // Tight list items hold inline text with no paragraph: track item depth to wrap it.
    let mut item_text: Vec<Option<String>> = Vec::new();
    for ev in Parser::new_ext(md, md_options()) {
        match ev {
            Event::Start(Tag::Paragraph) => text = Some(String::new()),
            Event::End(TagEnd::Paragraph) => {
                out.push(format!("P:{}", norm(&text.take().unwrap_or_default())));
            }
            Event::Start(Tag::Heading { .. }) => text = Some(String::new()),
            Event::End(TagEnd::Heading(level)) => {
                out.push(format!(
                    "H{}:{}",
                    level as u8,
                    norm(&text.take().unwrap_or_default())
                ));
            }
            Event::Start(Tag::List(start)) => {
                flush_item(&mut item_text, &mut out);
                out.push(format!("L{}[", start.is_some()));
            }
            Event::End(TagEnd::List(_)) => out.push("]".into()),
            Event::Start(Tag::Item) => {
                out.push("I[".into());
                item_text.push(None);
            }
            Event::End(TagEnd::Item) => {
                flush_item(&mut item_text, &mut out);
                item_text.pop();
                out.push("]".into());
            }
            Event::Start(Tag::BlockQuote(_)) => {
                flush_item(&mut item_text, &mut out);
                out.push("Q[".into());
            }
            Event::End(TagEnd::BlockQuote(_)) => out.push("]".into()),
            Event::Start(Tag::CodeBlock(_)) => {
                flush_item(&mut item_text, &mut out);
                text = Some(String::new());
            }
            Event::End(TagEnd::CodeBlock) => {
                out.push(format!(
                    "C:{}",
                    text.take().unwrap_or_default().trim_end_matches('\n')
                ));
            }
            Event::Start(Tag::Table(_)) => out.push("T[".into()),
            Event::End(TagEnd::Table) => out.push("]".into()),
            Event::Start(Tag::TableCell) => text = Some(String::new()),
            Event::End(TagEnd::TableCell) => cells.push(norm(&text.take().unwrap_or_default())),
            Event::End(TagEnd::TableHead) | Event::End(TagEnd::TableRow) => {
                out.push(format!("R:{}", cells.join("|")));
                cells.clear();
            }
            Event::Start(Tag::FootnoteDefinition(_)) => out.push("F[".into()),
            Event::End(TagEnd::FootnoteDefinition) => out.push("]".into()),
            Event::Rule => out.push("R".into()),
            Event::Text(t) | Event::Code(t) => {
                shown.push_str(&t);
                push_text(&mut text, &mut item_text, &t);
            }
            Event::FootnoteReference(l) => {
                let s = format!("[{l}]");
                shown.push_str(&s);
                push_text(&mut text, &mut item_text, &s);
            }
            Event::SoftBreak | Event::HardBreak => {
                shown.push(' ');
                push_text(&mut text, &mut item_text, " ");
            }
            Event::Html(_) | Event::InlineHtml(_) => raw += 1,
            Event::End(TagEnd::Image) => shown.push(' '),
            _ => {}
        }
    }
    (out, raw, shown)
}

fn push_text(text: &mut Option<String>, item_text: &mut [Option<String>], t: &str) {
    if let Some(s) = text.as_mut() {
        s.push_str(t);
    } else if let Some(slot) = item_text.last_mut() {
        slot.get_or_insert_with(String::new).push_str(t);
    }
}

fn flush_item(item_text: &mut [Option<String>], out: &mut Vec<String>) {
    if let Some(slot) = item_text.last_mut()
        && let Some(t) = slot.take()
    {
        out.push(format!("P:{}", norm(&t)));
    }
}

/// Words a reader sees in the source HTML (scripts, styles and dropped form controls aside).
fn visible_words(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_fragment(html);
    let mut text = String::new();
    for node in doc.tree.root().descendants() {
        if let scraper::Node::Text(t) = node.value() {
            let hidden = node.ancestors().any(|a| {
                a.value().as_element().is_some_and(|e| {
                    matches!(
                        e.name(),
                        "script"
                            | "style"
                            | "noscript"
                            | "template"
                            | "form"
                            | "object"
                            | "embed"
                            | "canvas"
                            | "select"
                            | "textarea"
                            | "iframe"
                            | "video"
                            | "audio"
                            | "title"
                    )
                })
            });
            if !hidden {
                text.push_str(t);
                text.push(' ');
            }
        }
    }
    norm(&text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn check_folder(sub: &str) {
    let Some(dir) = corpus(sub) else { return };
    let posts = posts(&dir);
    assert!(!posts.is_empty(), "no posts found in {}", dir.display());
    let mut failures = Vec::new();
    for (name, v) in &posts {
        let (doc, _diag) = unpress::read_post(v).unwrap();
        let md = md_of(&doc);
        let mut expected = Vec::new();
        outline_model(&doc.blocks, &mut expected);
        let (actual, raw, shown) = outline_md(&md);
        if raw > 0 {
            failures.push(format!("{name}: {raw} raw HTML events in\n{md}"));
        }
        if expected != actual {
            let first = expected
                .iter()
                .zip(&actual)
                .position(|(a, b)| a != b)
                .unwrap_or(expected.len().min(actual.len()));
            failures.push(format!(
                "{name}: structure differs at {first}:\n model: {:?}\n md:    {:?}\n--- md ---\n{md}",
                expected.get(first.saturating_sub(1)..(first + 3).min(expected.len())),
                actual.get(first.saturating_sub(1)..(first + 3).min(actual.len())),
            ));
        }
        let html = v["content"]["rendered"].as_str().unwrap_or("");
        let shown_norm = norm(&shown);
        let missing: Vec<String> = visible_words(html)
            .into_iter()
            .filter(|w| !shown_norm.contains(w.as_str()))
            .collect();
        if !missing.is_empty() {
            failures.push(format!(
                "{name}: words missing from the Markdown: {missing:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} posts failed:\n{}",
        failures.len(),
        posts.len(),
        failures.join("\n\n")
    );
    eprintln!(
        "{sub}: {} posts read back with the same structure, every word and no raw HTML",
        posts.len()
    );
}

#[test]
fn rest_fixtures_markdown_round_trips_with_every_word_and_no_raw_html() {
    check_folder("rest-fixtures");
}

#[test]
fn gutenberg_blocks_markdown_round_trips_with_every_word_and_no_raw_html() {
    check_folder("gutenberg-rest");
}
