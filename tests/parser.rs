//! The HTML parser's fast path builds exactly the tree html5ever builds, whenever it accepts the
//! markup: over hand-written hard cases, the sample, the shared corpus, and mutations of them.

mod common;

use std::path::Path;
use unpress::read::dom::{Dom, Node, NodeRef};

/// A canonical dump of a tree: names, attributes in order, text, other nodes.
fn dump(n: NodeRef<'_>, out: &mut String) {
    match n.value() {
        Node::Element(e) => {
            out.push('<');
            out.push_str(e.name());
            for (k, v) in e.attrs() {
                out.push_str(&format!(" {k}={v:?}"));
            }
            out.push('>');
            for c in n.children() {
                dump(c, out);
            }
            out.push_str("</>");
        }
        Node::Text(t) => out.push_str(&format!("{:?}", &**t)),
        Node::Other => out.push_str("<!>"),
        Node::Fragment => {
            out.push_str("<#f>");
            for c in n.children() {
                dump(c, out);
            }
            out.push_str("</#f>");
        }
        Node::Document => {
            for c in n.children() {
                dump(c, out);
            }
        }
    }
}

fn tree(dom: &Dom<'_>) -> String {
    let mut s = String::new();
    dump(dom.root(), &mut s);
    s
}

/// Whether the fast path took `html`; panics, naming the input, if its tree differs.
fn check(what: &str, html: &str) -> bool {
    let Some(fast) = Dom::parse_fast(html) else {
        return false;
    };
    let full = Dom::parse_with_html5ever(html);
    let (a, b) = (tree(&fast), tree(&full));
    assert!(
        a == b,
        "{what}: fast path and html5ever differ on {html:?}\nfast: {a}\nfull: {b}"
    );
    true
}

const CASES: &[&str] = &[
    "",
    "plain text",
    "<p>one &amp; two &lt;three&gt; &#8217;&#x2019; &nbsp;&hellip;</p>",
    "<p>&copy2026 &notit; &ampx; &amp &#39 & b &; &#; &#x; &unknown;</p>",
    "<p>&copy2026 &notit; &ampx; &amp &unknown; &; & b</p>",
    "<p>&#0; &#128; &#x9f; &#xD800; &#x110000; &#13; &#x7f; &#9;</p>",
    "<a href='?a=1&b=2&copy=3&amp;c&lt=4&notanentity;'>q</a>",
    "<a href=\"x\" HREF=\"y\" title=a&amp;b data-x = 'z'>dup</a>",
    "<IMG SRC=a.jpg Alt=\"A\"><BR/><br /><hr/>",
    "<p>a<b>b<i>c</b>d</i>e</p>",
    "<p>a<p>b",
    "<p>para<div>block</div></p>",
    "<ul><li>a<li>b</ul>",
    "<ul><li>a<ul><li>b</li></ul></li></ul>",
    "<dl><dt>t<dd>d</dl>",
    "<dl><dt>t</dt><dd>d</dd></dl>",
    "<table><tr><td>1</td></tr></table>",
    "<table><tbody><tr><td>1</td><th>2</th></tr></tbody></table>",
    "<table> <thead> <tr> <th>h</th> </tr> </thead> <tbody> <tr> <td>1</td> </tr> </tbody> </table>",
    "<table>x<tbody><tr><td>1</td></tr></tbody></table>",
    "<table><caption>c</caption><colgroup><col><col span=2></colgroup><tbody></tbody></table>",
    "<table><tbody><tr><td><table><tbody><tr><td>n</td></tr></tbody></table></td></tr></tbody></table>",
    "<table><tbody><tr><td>a<td>b</tr></tbody></table>",
    "<h2>a<h3>b</h3></h2>",
    "<h2>a</h3>",
    "<pre>\nline</pre>",
    "<pre>\n\nline</pre>",
    "<pre>&#10;line</pre>",
    "<PRE>\r\nline</PRE>",
    "<listing>\nx</listing>",
    "<script>if (a < b && c) { x = '</p>'; }</script><p>after</p>",
    "<script><!-- document.write('</script>') --></script>x",
    "<style>p > a { color: red }</style><p>s</p>",
    "<iframe src=\"https://www.youtube.com/embed/x?feature=oembed&amp;rel=0\" allowfullscreen></iframe>",
    "<noscript><img src=a.jpg></noscript>",
    "<script>never closed",
    "<SCRIPT>x</SCRIPT >y",
    "<!-- c --><p>a<!---->b<!-- x --->c</p>",
    "<!-->x",
    "<!--->x",
    "<!-- a --!> b -->",
    "<!DOCTYPE html><p>x</p>",
    "<?php echo 1 ?>",
    "<![CDATA[x]]>",
    "a < b > c <3 </ x",
    "</p>",
    "</>",
    "<p>x</P>",
    "<br></br>",
    "<p>x</p></body></html>",
    "<body><p>x</p></body>",
    "<svg><path d=\"M0\"/></svg><math><mi>x</mi></math>",
    "<a href=a>1<a href=b>2</a></a>",
    "<button>a<button>b</button></button>",
    "<p><button><div>in button</div></button></p>",
    "<ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>",
    "<p><ruby>字<rt>ji</rt></ruby></p>",
    "<select><option>a</select>",
    "<form><input type=text></form>",
    "<template><p>t</p></template>",
    "<textarea>\n<b>x</b></textarea>",
    "<title>t</title>",
    "<b><b><b><b>deep</b></b></b></b>",
    "<custom-element some-attr=1>x</custom-element>",
    "<div/>text after self-closed div",
    "<p a=1 / b=2>x</p>",
    "<p a=>x</p>",
    "<p =a>x</p>",
    "<p a\"b=1>x</p>",
    "<p a=b\"c>x</p>",
    "<p a='unterminated>x</p>",
    "<p",
    "<p class=\"a\"",
    "<p>\u{0}nul</p>",
    "<p>\r\ncr</p>",
    "<p>日本語の段落、<strong>強調</strong>。</p>",
    "<figure class=\"wp-block-image\"><img src=\"a.jpg\" srcset=\"a.jpg 1x, b,c.jpg 2x\"/><figcaption>c</figcaption></figure>",
    "<details><summary>s</summary><p>d</p></details>",
    "<object data=x><param name=a value=b></object>",
    "<marquee>m</marquee>",
    "<video controls><source src=v.mp4><track src=t.vtt></video>",
    "<p>a<wbr>b<embed src=x>c<area></p>",
    "<nobr>x</nobr>",
    "<image src=x>",
    "<xmp><p>raw</p></xmp>",
    "<p><xmp>raw</xmp></p>",
    "<math><annotation-xml encoding=\"text/html\"><p>x</p></annotation-xml></math>",
    "<ul><li><search><li>x</li></search></li></ul>",
    "<dl><dd><search><dt>x</dt></search></dd></dl>",
    "\u{feff}<p>x</p>",
    "<script>x</script>\u{feff}y",
    "<meta charset=utf-8>\u{feff}y",
];

#[test]
fn fast_path_matches_html5ever_on_hard_cases() {
    let mut taken = 0;
    for (i, html) in CASES.iter().enumerate() {
        if check(&format!("case {i}"), html) {
            taken += 1;
        }
    }
    // The cases are mostly ones the fast path must refuse; it must still take the clean ones.
    assert!(
        taken >= 30,
        "only {taken} of {} cases took the fast path",
        CASES.len()
    );
    for must in [
        "<p>one &amp; two &lt;three&gt; &#8217;&#x2019; &nbsp;&hellip;</p>",
        "<table><tbody><tr><td>1</td><th>2</th></tr></tbody></table>",
        "<script>if (a < b && c) { x = '</p>'; }</script><p>after</p>",
        "<pre>\nline</pre>",
        "<p>&copy2026 &notit; &ampx; &amp &unknown; &; & b</p>",
        "<a href='?a=1&b=2&copy=3&amp;c&lt=4&notanentity;'>q</a>",
    ] {
        assert!(
            Dom::parse_fast(must).is_some(),
            "fast path refused {must:?}"
        );
    }
}

#[test]
fn fast_path_refuses_what_needs_error_recovery() {
    for html in [
        "<p>a<b>b<i>c</b>d</i>e</p>",
        "<p>a<p>b",
        "<ul><li>a<li>b</ul>",
        "<table><tr><td>1</td></tr></table>",
        "<table>x<tbody></tbody></table>",
        "<h2>a<h3>b</h3></h2>",
        "<a href=a>1<a href=b>2</a></a>",
        "<p>\r\ncr</p>",
        "<svg></svg>",
    ] {
        assert!(Dom::parse_fast(html).is_none(), "fast path took {html:?}");
    }
}

/// A fixed-seed generator, so that failures reproduce.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

/// Damaged copies of `html`: cut short, a tag removed, a stray `<`, `&` or end tag inserted.
fn mutations(html: &str, rng: &mut Lcg, n: usize) -> Vec<String> {
    let bounds: Vec<usize> = (0..=html.len())
        .filter(|i| html.is_char_boundary(*i))
        .collect();
    let mut out = Vec::new();
    for _ in 0..n {
        let at = bounds[rng.next() % bounds.len()];
        let m = match rng.next() % 5 {
            0 => html[..at].to_string(),
            1 => {
                let Some(lt) = html[at..].find('<') else {
                    continue;
                };
                let s = at + lt;
                let Some(gt) = html[s..].find('>') else {
                    continue;
                };
                format!("{}{}", &html[..s], &html[s + gt + 1..])
            }
            2 => format!("{}<{}", &html[..at], &html[at..]),
            3 => format!("{}&{}", &html[..at], &html[at..]),
            _ => format!("{}</p>{}", &html[..at], &html[at..]),
        };
        out.push(m);
    }
    out
}

#[test]
fn fast_path_takes_the_sample_and_matches_html5ever_on_its_mutations() {
    let raw = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/post-2160.json"))
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    let html = v["content"]["rendered"].as_str().unwrap();
    assert!(check("sample", html), "the sample must take the fast path");
    let mut rng = Lcg(2160);
    let mut taken = 0;
    for (i, m) in mutations(html, &mut rng, 400).iter().enumerate() {
        taken += check(&format!("sample mutation {i}"), m) as usize;
    }
    assert!(taken > 0);
}

/// Random markup from pieces that exercise the tree builder: tags that imply end tags, tables,
/// formatting elements, raw text, comments, references, stray `<` and `&`, broken attributes.
fn random_html(rng: &mut Lcg) -> String {
    const PIECES: &[&str] = &[
        "<p>",
        "</p>",
        "<div>",
        "</div>",
        "<span class=a>",
        "</span>",
        "<b>",
        "</b>",
        "<i>",
        "</i>",
        "<a href='#x'>",
        "<a href=\"/y?a=1&b=2\">",
        "</a>",
        "<ul>",
        "</ul>",
        "<ol start=3>",
        "</ol>",
        "<li>",
        "</li>",
        "<dl>",
        "<dt>",
        "<dd>",
        "</dl>",
        "<table>",
        "</table>",
        "<tbody>",
        "</tbody>",
        "<tr>",
        "</tr>",
        "<td>",
        "</td>",
        "<th>",
        "<caption>",
        "</caption>",
        "<h2>",
        "</h2>",
        "<h3>",
        "</h3>",
        "<pre>",
        "\n",
        "</pre>",
        "<br>",
        "<br/>",
        "<hr>",
        "<img src=a.jpg alt=\"x\">",
        "<figure>",
        "</figure>",
        "<figcaption>",
        "</figcaption>",
        "<script>x<y</script>",
        "<style>p{}</style>",
        "<iframe src=v></iframe>",
        "<!-- c -->",
        "<!--x-->",
        "text",
        " ",
        "日本語",
        "&amp;",
        "&nbsp;",
        "&#8217;",
        "&copy",
        "&",
        "<",
        ">",
        "<sup>",
        "</sup>",
        "<em>",
        "</em>",
        "<strong>",
        "</strong>",
        "<code>",
        "</code>",
        "<blockquote>",
        "</blockquote>",
        "<button>",
        "</button>",
        "<ruby>",
        "<rt>",
        "</rt>",
        "</ruby>",
        "<svg>",
        "</svg>",
        "<select>",
        "<option>",
        "</select>",
        "<p class='x' id=y>",
        "<P>",
        "</P>",
        "<details>",
        "<summary>",
        "</summary>",
        "</details>",
        "<noscript>",
        "</noscript>",
        "<template>",
        "</template>",
        "<xmp>",
        "</xmp>",
        "<wbr>",
        "<math>",
        "</math>",
        "<colgroup>",
        "<col>",
        "</colgroup>",
        "<section>",
        "</section>",
        "\t",
        "<a href=x title='t&amp;u'>",
        "<img srcset=\"a.jpg 1x, b.jpg 2x\">",
    ];
    let n = 1 + rng.next() % 24;
    (0..n).map(|_| PIECES[rng.next() % PIECES.len()]).collect()
}

/// Random well-nested markup: elements (some of which the parser treats specially) holding
/// text, references, comments and void elements, nested a few levels deep.
fn random_tree(rng: &mut Lcg, depth: usize, out: &mut String) {
    const ELEMENTS: &[&str] = &[
        "p",
        "div",
        "span",
        "b",
        "i",
        "em",
        "strong",
        "a",
        "ul",
        "ol",
        "li",
        "h2",
        "h3",
        "blockquote",
        "figure",
        "figcaption",
        "pre",
        "code",
        "sup",
        "sub",
        "table",
        "td",
        "tr",
        "button",
        "dl",
        "dt",
        "dd",
        "section",
        "details",
        "summary",
        "ruby",
        "rt",
        "custom-el",
        "listing",
        "center",
        "mark",
        "del",
        "small",
    ];
    const LEAVES: &[&str] = &[
        "text",
        " ",
        "\n",
        "日本語",
        "&amp;",
        "&lt;",
        "&#x1F600;",
        "&hellip;",
        "<br>",
        "<hr>",
        "<img src=\"a.jpg\" alt=\"a &amp; b\">",
        "<wbr>",
        "<!-- note -->",
        "a < b",
        "Q&A",
        "<script>if (a<b) {}</script>",
        "<iframe src=\"https://v.example/e\"></iframe>",
    ];
    for _ in 0..1 + rng.next() % 4 {
        if depth == 0 || rng.next().is_multiple_of(3) {
            out.push_str(LEAVES[rng.next() % LEAVES.len()]);
            continue;
        }
        let name = ELEMENTS[rng.next() % ELEMENTS.len()];
        out.push('<');
        out.push_str(name);
        if rng.next().is_multiple_of(3) {
            out.push_str(" class=\"c\" data-x='1'");
        }
        out.push('>');
        random_tree(rng, depth - 1, out);
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
}

#[test]
fn fast_path_matches_html5ever_on_random_markup() {
    let mut rng = Lcg(1);
    let (mut flat, mut nested) = (0, 0);
    for i in 0..20_000 {
        let html = random_html(&mut rng);
        flat += check(&format!("random case {i}"), &html) as usize;
        let mut tree = String::new();
        random_tree(&mut rng, 4, &mut tree);
        nested += check(&format!("random tree {i}"), &tree) as usize;
    }
    // Enough of them taken by the fast path for the comparison to mean something.
    println!("{flat} flat and {nested} nested random cases took the fast path and matched");
    assert!(flat > 500, "only {flat} random cases took the fast path");
    assert!(
        nested > 5_000,
        "only {nested} random trees took the fast path"
    );
}

fn strings_in(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if s.contains('<') || s.contains('&') => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings_in(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| strings_in(x, out)),
        _ => {}
    }
}

#[test]
fn fast_path_matches_html5ever_over_the_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !dir.is_dir() {
        common::notice(&format!(
            "{} is absent; parser corpus test skipped",
            dir.display()
        ));
        return;
    }
    let mut inputs: Vec<(String, String)> = Vec::new();
    for p in common::files_under(&dir) {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        match p.extension().and_then(|x| x.to_str()) {
            Some("html") | Some("xml") => inputs.push((p.display().to_string(), text)),
            Some("json") => {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                    let mut strings = Vec::new();
                    strings_in(&v, &mut strings);
                    for (i, s) in strings.into_iter().enumerate() {
                        inputs.push((format!("{}#{i}", p.display()), s));
                    }
                }
            }
            _ => {}
        }
    }
    inputs.sort();
    let mut rng = Lcg(7);
    let (mut taken, mut mutated_taken) = (0, 0);
    for (what, html) in &inputs {
        taken += check(what, html) as usize;
        for m in mutations(html, &mut rng, 3) {
            mutated_taken += check(&format!("{what} (mutated)"), &m) as usize;
        }
    }
    println!(
        "{} corpus strings: {taken} took the fast path and matched html5ever; {mutated_taken} of {} mutations did",
        inputs.len(),
        inputs.len() * 3
    );
    assert!(
        taken * 2 > inputs.len(),
        "the fast path took only {taken} of {}",
        inputs.len()
    );
}
