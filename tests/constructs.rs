//! One test per HTML construct the reader must handle, named after it: HTML in, Markdown
//! (and where it matters the model) out.

use unpress::diag::{Diag, Warning};
use unpress::model::{Block, Inline};
use unpress::read::html::{parse_srcset, read_html};
use unpress::write::markdown::blocks;

fn model(html: &str) -> (Vec<Block>, Vec<Warning>) {
    let mut d = Diag::default();
    let b = read_html(html, &mut d);
    (b, d.warnings)
}

fn md(html: &str) -> String {
    blocks(&model(html).0)
}

#[test]
fn headings_h1_to_h6_become_atx() {
    assert_eq!(md("<h1>A</h1><h6>F</h6>"), "# A\n\n###### F");
}

#[test]
fn heading_wrapped_whole_in_strong_is_not_bold() {
    assert_eq!(
        md("<h2 class=\"wp-block-heading\"><strong>Title</strong></h2>"),
        "## Title"
    );
    assert_eq!(md("<h3><b>Title</b> more</h3>"), "### **Title** more");
}

#[test]
fn fullwidth_numbering_in_headings_stays_as_written() {
    assert_eq!(md("<h3>1．Focus</h3>"), "### 1．Focus");
}

#[test]
fn inline_markup_strong_em_code_del_links() {
    assert_eq!(
        md(
            "<p>a <strong>b</strong> <em>c</em> <code>d</code> <del>e</del> <a href=\"https://x.org/\" title=\"T\">f</a></p>"
        ),
        "a **b** *c* `d` ~~e~~ [f](https://x.org/ \"T\")"
    );
}

#[test]
fn line_breaks_are_hard_breaks() {
    assert_eq!(md("<p>a<br>b</p>"), "a\\\nb");
}

#[test]
fn sup_and_sub_use_unicode_forms_or_plain_text() {
    assert_eq!(
        md("<p>m<sup>2</sup> H<sub>2</sub>O x<sup>th</sup></p>"),
        "m² H₂O xth"
    );
}

#[test]
fn mark_and_spans_are_unwrapped() {
    assert_eq!(
        md("<p><span style=\"color:red\">a</span> <mark>b</mark></p>"),
        "a b"
    );
}

#[test]
fn entities_are_decoded() {
    assert_eq!(md("<p>&#8220;a&#8221; &amp; &hellip;</p>"), "“a” & …");
}

#[test]
fn japanese_pseudo_list_paragraphs_become_one_list() {
    let html = "<p>前置き</p><p>・一つ目</p><p>・二つ目</p><p>・ 三つ目</p><p>後書き</p>";
    assert_eq!(md(html), "前置き\n\n- 一つ目\n- 二つ目\n- 三つ目\n\n後書き");
}

#[test]
fn pseudo_list_lines_inside_one_paragraph_become_a_list() {
    assert_eq!(
        md("<p>原因：<br>・ストレス<br>・睡眠不足<br>・ 飲酒</p>"),
        "原因：\n\n- ストレス\n- 睡眠不足\n- 飲酒"
    );
}

#[test]
fn nested_lists_with_start() {
    assert_eq!(
        md("<ol start=\"3\"><li>a<ul><li>b</li></ul></li><li>c</li></ol>"),
        "3. a\n   - b\n4. c"
    );
}

#[test]
fn image_block_with_srcset_picks_the_widest_candidate() {
    let html = r#"<figure class="wp-block-image"><img src="https://x/a-300.jpg" srcset="https://x/a-300.jpg 300w, https://x/a.jpg 1024w, https://x/a-768.jpg 768w" alt="Alt"><figcaption>Cap</figcaption></figure>"#;
    assert_eq!(md(html), "![Alt](https://x/a.jpg)\n\nCap");
}

#[test]
fn srcset_urls_may_contain_commas() {
    let c = parse_srcset("https://x/a,b.jpg 1x, https://x/c.jpg?w=2,3 2x, https://x/d.jpg");
    let urls: Vec<&str> = c.iter().map(|c| c.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://x/a,b.jpg",
            "https://x/c.jpg?w=2,3",
            "https://x/d.jpg"
        ]
    );
    assert_eq!(c[1].density, Some(2.0));
}

#[test]
fn lazy_loading_attributes_win_over_placeholders() {
    let (b, _) = model(
        r#"<p><img src="data:image/gif;base64,R0lGOD" data-lazy-src="https://x/real.jpg" data-srcset="https://x/real-2.jpg 2x" alt="r"></p>"#,
    );
    let Block::Figure(f) = &b[0] else {
        panic!("{b:?}")
    };
    assert_eq!(f.images[0].image.src, "https://x/real.jpg");
    assert_eq!(f.images[0].image.best_url(), "https://x/real-2.jpg");
}

#[test]
fn linked_image_keeps_its_link() {
    assert_eq!(
        md(
            r#"<figure><a href="https://x/full.jpg"><img src="https://x/t.jpg" alt=""></a></figure>"#
        ),
        "[![](https://x/t.jpg)](https://x/full.jpg)"
    );
}

#[test]
fn classic_wp_caption_is_a_figure_with_caption() {
    let html = r#"<div class="wp-caption"><a href="/p"><img src="https://x/i.jpg" alt="i"></a><p class="wp-caption-text">The caption</p></div>"#;
    assert_eq!(md(html), "[![i](https://x/i.jpg)](/p)\n\nThe caption");
}

#[test]
fn gallery_keeps_every_image_and_caption() {
    let html = r#"<figure class="wp-block-gallery"><figure class="wp-block-image"><img src="https://x/1.jpg" alt="1"><figcaption>one</figcaption></figure><figure class="wp-block-image"><img src="https://x/2.jpg" alt="2"></figure><figcaption>All</figcaption></figure>"#;
    assert_eq!(
        md(html),
        "![1](https://x/1.jpg)\n\none\n\n![2](https://x/2.jpg)\n\nAll"
    );
}

#[test]
fn tables_with_header_caption_and_inline_markup() {
    let html = r#"<figure class="wp-block-table"><table><thead><tr><th>A</th><th>B|C</th></tr></thead><tbody><tr><td><strong>1</strong></td><td>2</td></tr></tbody></table><figcaption>T</figcaption></figure>"#;
    assert_eq!(md(html), "| A | B\\|C |\n| --- | --- |\n| **1** | 2 |\n\nT");
}

#[test]
fn table_without_header_uses_its_first_row() {
    assert_eq!(
        md("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>"),
        "| a | b |\n| --- | --- |\n| c |  |"
    );
}

#[test]
fn blockquote_and_pullquote_keep_their_citation() {
    assert_eq!(
        md("<blockquote class=\"wp-block-quote\"><p>Q</p><cite>Who</cite></blockquote>"),
        "> Q\n>\n> — Who"
    );
    assert_eq!(
        md(
            "<figure class=\"wp-block-pullquote\"><blockquote><p>P</p><cite>C</cite></blockquote></figure>"
        ),
        "> P\n>\n> — C"
    );
}

#[test]
fn code_blocks_keep_whitespace_and_language() {
    assert_eq!(
        md(
            "<pre class=\"wp-block-code\"><code class=\"language-rust\">fn main() {\n    x &lt; 1;\n}</code></pre>"
        ),
        "```rust\nfn main() {\n    x < 1;\n}\n```"
    );
    assert_eq!(md("<pre>a ``` b</pre>"), "````\na ``` b\n````");
}

#[test]
fn separators_become_rules() {
    assert_eq!(
        md("<p>a</p><hr class=\"wp-block-separator\"><p>b</p>"),
        "a\n\n* * *\n\nb"
    );
}

#[test]
fn details_keep_summary_and_body() {
    assert_eq!(
        md("<details><summary>More</summary><p>Body</p></details>"),
        "**More**\n\nBody"
    );
}

#[test]
fn footnotes_become_markdown_footnotes() {
    let html = r##"<p>Text<sup data-fn="abc" class="fn"><a href="#abc" id="abc-link">1</a></sup></p><ol class="wp-block-footnotes"><li id="abc">Note. <a href="#abc-link" aria-label="Jump to footnote reference 1">↩︎</a></li></ol>"##;
    assert_eq!(md(html), "Text[^1]\n\n[^1]: Note.");
}

#[test]
fn hand_written_footnotes_become_markdown_footnotes() {
    // As Markdown processors and many themes write them: the mark in a `sup`, notes in a list.
    let html = r##"<p>Claim<sup id="fnref1"><a href="#fn1">1</a></sup> and more<sup id="fnref2"><a href="#fn2">2</a></sup>.</p><hr><ol class="footnotes"><li id="fn1"><p>First source. <a href="#fnref1">↩</a></p></li><li id="fn2"><p>Second.</p></li></ol>"##;
    assert_eq!(
        md(html),
        "Claim[^1] and more[^2].\n\n* * *\n\n[^1]: First source.\n\n[^2]: Second."
    );
}

#[test]
fn footnote_plugins_marks_and_back_links_are_read() {
    // Footnotes Made Easy: a bracketed back-link after each note.
    let made_easy = r##"<p>Text<sup class="footnote"><a href="#footnote_0_12" id="identifier_0_12" class="adjust-footnote" title="Note">1</a></sup></p><ol class="footnotes"><li id="footnote_0_12" class="footnote">Note [<a href="#identifier_0_12" class="footnote-link footnote-back-link">&#8617;</a>]</li></ol>"##;
    assert_eq!(md(made_easy), "Text[^1]\n\n[^1]: Note");
    // Easy Footnotes: the mark wraps a `sup`, the target is a span inside the note.
    let easy = r##"<p>Text<span class="easy-footnote-margin-adjust" id="easy-footnote-1-5"></span><span class="easy-footnote"><a href="#easy-footnote-bottom-1-5" title="Note"><sup>1</sup></a></span> end.</p><ol class="easy-footnotes-wrapper"><li class="easy-footnote-single"><span id="easy-footnote-bottom-1-5" class="easy-footnote-margin-adjust"></span>Note<a class="easy-footnote-to-top" href="#easy-footnote-1-5"></a></li></ol>"##;
    assert_eq!(md(easy), "Text[^1] end.\n\n[^1]: Note");
}

#[test]
fn footnote_back_links_and_unreferenced_notes_keep_their_place() {
    // markdown-it: the back-link has a footnote class and points at the mark, inside a list.
    let html = r##"<ul><li>Point one<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup></li><li>Point two</li></ul><section class="footnotes"><ol><li id="fn1"><p>The note. <a href="#fnref1" class="footnote-backref">↩︎</a></p></li></ol></section>"##;
    assert_eq!(md(html), "- Point one[^1]\n- Point two\n\n[^1]: The note.");
    // A note no mark points to does not take the label of one that is pointed to.
    let html = r##"<p>Claim<sup><a href="#n-b">†</a></sup>.</p><ol><li id="n-a">First, never referenced</li><li id="n-b">Second, referenced</li></ol>"##;
    assert_eq!(
        md(html),
        "Claim[^1].\n\n[^2]: First, never referenced\n\n[^1]: Second, referenced"
    );
    // Stray content inside the notes list stays, with the note before it.
    let html = r##"<p>a<sup><a href="#fn1">1</a></sup></p><ol><li id="fn1">Note one</li><p>More of it</p></ol>"##;
    assert_eq!(md(html), "a[^1]\n\n[^1]: Note one\n\n    More of it");
}

#[test]
fn headings_that_in_page_links_point_to_keep_their_ids() {
    // The post's own id on the heading, or a table-of-contents plugin's span inside it.
    let html = r##"<p><a href="#intro">Go</a> <a href="#Setup">Set</a></p><h2 id="intro">Introduction</h2><h2><span class="ez-toc-section" id="Setup"></span>Setting up</h2><h2 id="unused">Other</h2>"##;
    assert_eq!(
        md(html),
        "[Go](#intro) [Set](#Setup)\n\n## Introduction {#intro}\n\n## Setting up {#Setup}\n\n## Other"
    );
    // Braces ending a heading's own text are not taken for attributes.
    assert_eq!(md("<h3>Using {braces}</h3>"), "### Using {braces\\}");
}

#[test]
fn in_page_links_without_notes_stay_links() {
    // A table of contents links to headings, and a lone `sup` link has no note to point to.
    let html = r##"<ul><li><a href="#intro">1</a></li></ul><h2 id="intro">Intro</h2><p>See<sup><a href="#nowhere">3</a></sup></p>"##;
    assert_eq!(
        md(html),
        "- [1](#intro)\n\n## Intro {#intro}\n\nSee[3](#nowhere)"
    );
}

#[test]
fn math_keeps_its_latex_source() {
    let block = r#"<math class="wp-block-math" display="block"><semantics><mrow><mi>x</mi><mo>=</mo><msup><mi>b</mi><mn>2</mn></msup></mrow><annotation encoding="application/x-tex">x = b^2</annotation></semantics></math>"#;
    let (b, warnings) = model(block);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(blocks(&b), "```math\nx = b^2\n```");
    let inline = r#"<p>So <math><semantics><mi>a</mi><annotation encoding="application/x-tex">\alpha_1</annotation></semantics></math> holds.</p>"#;
    assert_eq!(md(inline), "So `\\alpha_1` holds.");
    // KaTeX's visual copy is not read a second time.
    let katex = r#"<p><span class="katex"><span class="katex-mathml"><math><semantics><mi>r</mi><annotation encoding="application/x-tex">r^2</annotation></semantics></math></span><span class="katex-html" aria-hidden="true"><span class="base">r2</span></span></span></p>"#;
    assert_eq!(md(katex), "`r^2`");
    // Without a LaTeX source the letters are kept, with a warning.
    let (b, warnings) = model("<p><math><mi>x</mi><mo>+</mo><mn>1</mn></math></p>");
    assert_eq!(blocks(&b), "x+1");
    assert!(!warnings.is_empty());
}

#[test]
fn youtube_embed_becomes_a_link_with_provider_and_caption() {
    let html = r#"<figure class="wp-block-embed is-type-video is-provider-youtube"><div class="wp-block-embed__wrapper">
https://www.youtube.com/watch?v=abc
</div><figcaption>Watch</figcaption></figure>"#;
    assert_eq!(
        md(html),
        "[YouTube: https://www.youtube.com/watch?v=abc](https://www.youtube.com/watch?v=abc)\n\nWatch"
    );
    assert_eq!(
        md(
            r#"<p><iframe src="https://www.youtube.com/embed/xyz?feature=oembed" title="Clip"></iframe></p>"#
        ),
        "[YouTube: Clip](https://www.youtube.com/watch?v=xyz)"
    );
}

#[test]
fn audio_video_and_buttons_become_links() {
    assert_eq!(
        md(r#"<figure class="wp-block-audio"><audio src="https://x/a.mp3"></audio></figure>"#),
        "[Audio: https://x/a.mp3](https://x/a.mp3)"
    );
    assert_eq!(
        md(
            r#"<div class="wp-block-buttons"><div class="wp-block-button"><a class="wp-block-button__link" href="https://x/">Go</a></div></div>"#
        ),
        "[Go](https://x/)"
    );
}

#[test]
fn columns_and_groups_flatten_in_reading_order() {
    assert_eq!(
        md(
            r#"<div class="wp-block-columns"><div class="wp-block-column"><p>1</p></div><div class="wp-block-column"><p>2</p></div></div>"#
        ),
        "1\n\n2"
    );
}

#[test]
fn scripts_styles_forms_and_noscript_are_dropped_with_a_warning() {
    let (b, w) = model(
        "<p>a</p><script>x()</script><style>p{}</style><form><input></form><noscript>n</noscript>",
    );
    assert_eq!(blocks(&b), "a");
    for el in ["script", "style", "form", "noscript"] {
        assert!(
            w.contains(&Warning::Dropped { element: el.into() }),
            "{el}: {w:?}"
        );
    }
}

#[test]
fn javascript_links_keep_their_text_only() {
    let (b, w) = model("<p><a href=\"javascript:alert(1)\">click</a></p>");
    assert_eq!(blocks(&b), "click");
    assert!(matches!(w[0], Warning::UnsafeUrl { .. }));
}

#[test]
fn whitespace_collapses_without_spaces_between_cjk() {
    assert_eq!(
        md("<p>日本語の\n文章です。  English\n text</p>"),
        "日本語の文章です。 English text"
    );
}

#[test]
fn emphasis_next_to_cjk_punctuation_renders() {
    assert_eq!(md("<p><strong>注意：</strong>本文</p>"), "**注意**：本文");
    assert_eq!(
        md("<p>本文<strong>「重要」</strong>です</p>"),
        "本文「**重要**」です"
    );
}

#[test]
fn text_that_looks_like_markdown_stays_text() {
    assert_eq!(
        md("<p># 1. *a* _b_ [c](d) &lt;e&gt; `f`</p>"),
        "\\# 1. \\*a\\* \\_b\\_ \\[c\\](d) \\<e> \\`f\\`"
    );
    assert_eq!(md("<p>1. first</p>"), "1\\. first");
    assert_eq!(md("<p>- dash</p>"), "\\- dash");
}

#[test]
fn ruby_annotations_keep_the_reading() {
    assert_eq!(
        md("<p><ruby>漢字<rt>かんじ</rt></ruby></p>"),
        "漢字（かんじ）"
    );
}

#[test]
fn emphasis_nested_in_itself_is_flattened() {
    let (b, _) = model("<p><strong>a <b>b</b> c</strong></p>");
    assert_eq!(
        b,
        vec![Block::Para {
            content: vec![Inline::Strong(vec![Inline::Text("a b c".into())])]
        }]
    );
}

#[test]
fn deeply_nested_markup_does_not_overflow() {
    let html = "<div>".repeat(5000) + "deep" + &"</div>".repeat(5000);
    assert_eq!(md(&html), "deep");
}

#[test]
fn a_change_of_bullet_starts_a_new_pseudo_list() {
    assert_eq!(
        md("<p>・a<br>・b</p><p>■ c</p><p>■ d</p>"),
        "- a\n- b\n\n* c\n* d"
    );
}

#[test]
fn bullet_lines_in_the_middle_of_a_paragraph_become_a_list_between_paragraphs() {
    assert_eq!(
        md("<p>持ち物：<br>・水<br>・地図<br>以上です。</p>"),
        "持ち物：\n\n- 水\n- 地図\n\n以上です。"
    );
}

#[test]
fn neighbouring_markup_and_stray_markers_stay_what_they_were() {
    assert_eq!(
        md("<p><strong>a</strong><strong>b</strong> <code>x</code><code>y</code></p>"),
        "**ab** `xy`"
    );
    assert_eq!(
        md("<p>Wow!<a href=\"https://x/\">link</a></p>"),
        "Wow\\![link](https://x/)"
    );
    assert_eq!(md("<p>x<strong>😀</strong>y</p>"), "x😀y");
    assert_eq!(
        md("<ol start=\"18446744073709551615\"><li>a</li><li>b</li></ol>"),
        "999999000. a\n999999001. b"
    );
}

#[test]
fn line_breaks_in_code_spans_and_alt_text_cannot_start_blocks() {
    let out = md("<p>a <code>x\n# b</code> <img src=\"https://e/x.jpg\" alt=\"y\n- z\"></p>");
    assert!(
        !out.lines()
            .any(|l| l.starts_with('#') || l.starts_with("- ")),
        "{out}"
    );
}
