//! Markdown to sanitised HTML, done once at write time; the HTML is stored beside the source.
//!
//! What users write goes through [`render_bounded`], whose work is bounded: a linear pre-scan
//! refuses nesting deeper than the policy allows before pulldown-cmark parses anything (its
//! block pass costs lines × depth), the event stream is cut off at the same depth and at the
//! deadline, and the HTML is measured for what html5ever would make of it before ammonia parses
//! it (html5ever's scope checks cost tokens × depth, and it re-creates formatting elements).
//! [`render`] and [`plain_text`] do no such checks, for text that is already stored.

mod containers;
mod events;
pub mod hostile;
mod html_budget;

use pulldown_cmark::{html, Event, Options, Parser};
use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::Instant;

/// A post's sanitised HTML and its plain text (as [`plain_text`] gives it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    pub text: String,
}

/// Why a text was not rendered, in words for the person who wrote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderRefusal {
    #[error("the text nests quotes or lists more than {limit} levels deep")]
    NestedTooDeep { limit: usize },
    #[error(
        "the text nests emphasis, links or images inside one another more than {limit} levels deep"
    )]
    FormattingTooDeep { limit: usize },
    #[error(
        "the text nests HTML tags more than {limit} levels deep or leaves them open; \
         close the HTML tags you open"
    )]
    HtmlTooDeep { limit: usize },
    #[error(
        "the text has too much formatting to display (more than {limit} tags, list items, table \
         cells, links and characters such as & or <); split it into several posts"
    )]
    TooMuchFormatting { limit: usize },
    #[error("the text is too complex to display; simplify its formatting")]
    TooSlow,
}

/// What [`render_bounded`] allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderPolicy {
    /// How deeply quotes, list items and footnotes may nest, and (separately) emphasis, links
    /// and images. HTML tags may nest four times as deep, as a Markdown list level is two.
    pub max_depth: usize,
    /// Hosts (compared without case) whose images are shown; any other image is a link.
    pub allowed_image_hosts: Vec<String>,
}

impl Default for RenderPolicy {
    /// 32 levels is far beyond what people write (a reply quoting a reply quoting ... is rarely
    /// ten deep, an outline rarely six) and keeps the worst case cheap: html5ever's cost per
    /// token grows with the depth, and a 100,000-character post 32 deep renders in a few
    /// milliseconds.
    fn default() -> Self {
        RenderPolicy {
            max_depth: 32,
            allowed_image_hosts: Vec::new(),
        }
    }
}

/// The most nodes (elements, character references, and three more per URL) the HTML may hand
/// ammonia. Each costs html5ever and ammonia one to three microseconds, so this bounds
/// sanitising at roughly 25 ms; an ordinary 100,000-character post has some 5,000.
pub const MAX_HTML_NODES: usize = 12_000;

/// HTML tags may nest this many times as deep as Markdown containers.
const HTML_DEPTH_PER_LEVEL: usize = 4;

/// Where the pre-scan's exact count might be fooled, the parser's work is still bounded by
/// refusing a bound on the nesting this many times the policy's depth.
const PARSE_DEPTH_PER_LEVEL: usize = 4;

/// Renders what a user wrote, or refuses it, with bounded work: see the module's description.
/// Past `deadline` (checked between stages and every thousand or so Markdown events) the text
/// is refused as [`RenderRefusal::TooSlow`].
pub fn render_bounded(
    source: &str,
    policy: &RenderPolicy,
    deadline: Instant,
) -> Result<Rendered, RenderRefusal> {
    let source = &*normalise_line_endings(source);
    let limit = policy.max_depth;
    if containers::deepest(source, limit) > limit
        || containers::bound(source) > limit.saturating_mul(PARSE_DEPTH_PER_LEVEL)
    {
        return Err(RenderRefusal::NestedTooDeep { limit });
    }
    before(deadline)?;
    let unsafe_html = markdown_html(source, policy, deadline)?;
    before(deadline)?;
    check_html(&unsafe_html, policy)?;
    before(deadline)?;
    let html = sanitise(&unsafe_html, policy);
    before(deadline)?;
    let mut events = events::Deadline::new(text_parser(source), deadline);
    let text = text_of_events(&mut events);
    if events.passed {
        return Err(RenderRefusal::TooSlow);
    }
    before(deadline)?;
    Ok(Rendered { html, text })
}

/// `source` with each lone carriage return made a line feed. CommonMark ends lines at either,
/// but pulldown-cmark ends a line of code or HTML only at a line feed, and so would read the
/// same text as one line or two depending on what it is in.
fn normalise_line_endings(source: &str) -> Cow<'_, str> {
    let bytes = source.as_bytes();
    let lone = |at: usize| bytes[at] == b'\r' && bytes.get(at + 1) != Some(&b'\n');
    if !(0..bytes.len()).any(lone) {
        return Cow::Borrowed(source);
    }
    let normalised = (0..bytes.len())
        .map(|at| if lone(at) { b'\n' } else { bytes[at] })
        .collect();
    Cow::Owned(String::from_utf8(normalised).expect("one ASCII byte for another keeps UTF-8"))
}

fn before(deadline: Instant) -> Result<(), RenderRefusal> {
    if Instant::now() > deadline {
        Err(RenderRefusal::TooSlow)
    } else {
        Ok(())
    }
}

fn markdown_html(
    source: &str,
    policy: &RenderPolicy,
    deadline: Instant,
) -> Result<String, RenderRefusal> {
    let mut events = events::Guard::new(html_parser(source), policy, deadline);
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, &mut events);
    events.finish()?;
    Ok(out)
}

fn check_html(html: &str, policy: &RenderPolicy) -> Result<(), RenderRefusal> {
    let limits = html_budget::Limits {
        depth: policy.max_depth.saturating_mul(HTML_DEPTH_PER_LEVEL),
        nodes: MAX_HTML_NODES,
    };
    html_budget::check(html, &limits).map_err(|overrun| match overrun {
        html_budget::Overrun::Depth => RenderRefusal::HtmlTooDeep {
            limit: limits.depth,
        },
        html_budget::Overrun::Nodes => RenderRefusal::TooMuchFormatting {
            limit: limits.nodes,
        },
    })
}

/// Sanitises with what every post gets, and images only from the policy's hosts.
fn sanitise(html: &str, policy: &RenderPolicy) -> String {
    static NO_IMAGES: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    if policy.allowed_image_hosts.is_empty() {
        let builder = NO_IMAGES.get_or_init(|| {
            let mut b = base_sanitiser();
            b.rm_tags(&["img"]);
            b
        });
        return builder.clean(html).to_string();
    }
    let hosts = policy.allowed_image_hosts.clone();
    let mut builder = base_sanitiser();
    builder.attribute_filter(move |element, attribute, value| {
        let remote = element == "img" && attribute == "src";
        if remote && !events::image_allowed(value, &hosts) {
            None
        } else {
            Some(value.into())
        }
    });
    builder.clean(html).to_string()
}

fn base_sanitiser() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    // Task-list checkboxes, and nothing else of <input>.
    b.add_tags(&["input"]);
    b.add_tag_attributes("input", &["checked"]);
    b.set_tag_attribute_value("input", "type", "checkbox");
    b.set_tag_attribute_value("input", "disabled", "");
    b.add_tag_attributes("th", &["align"]);
    b.add_tag_attributes("td", &["align"]);
    b.url_schemes(HashSet::from(["http", "https", "mailto"]));
    b.link_rel(Some("noopener noreferrer nofollow"));
    b
}

fn html_parser(source: &str) -> Parser<'_> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    Parser::new_ext(source, options)
}

fn text_parser(source: &str) -> Parser<'_> {
    Parser::new_ext(
        source,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    )
}

/// Renders and sanitises without bounds: for text already stored, or from trusted sources.
/// What users write goes through [`render_bounded`].
pub fn render(source: &str) -> String {
    static SANITISER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    let mut unsafe_html = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut unsafe_html, html_parser(source));
    SANITISER
        .get_or_init(base_sanitiser)
        .clean(&unsafe_html)
        .to_string()
}

/// The plain text of a post, for search and email: Markdown syntax removed.
pub fn plain_text(source: &str) -> String {
    text_of_events(text_parser(source))
}

fn text_of_events<'a>(events: impl Iterator<Item = Event<'a>>) -> String {
    let mut out = String::new();
    for event in events {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            // Imported posts keep their HTML: take its text.
            Event::Html(h) | Event::InlineHtml(h) => {
                out.push_str(&text_of_html(&h));
                out.push(' ');
            }
            Event::SoftBreak | Event::HardBreak | Event::End(_) => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text inside an HTML fragment: tags dropped, common entities decoded.
fn text_of_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    for (entity, plain) in [
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&nbsp;", " "),
        ("&amp;", "&"),
    ] {
        out = out.replace(entity, plain);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_gfm() {
        let html = render("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ **new**\n\n- [x] done");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<del>old</del>"));
        assert!(html.contains("type=\"checkbox\""));
    }

    #[test]
    fn strips_script_and_js_links() {
        let html = render(
            "<script>alert(1)</script>[x](javascript:alert(1)) <img src=x onerror=alert(1)>",
        );
        assert!(!html.contains("<script"));
        assert!(!html.contains("href=\"javascript:"), "{html}");
        let link = render("[x](javascript:alert(1))");
        assert!(!link.contains("javascript:"), "{link}");
        assert!(!html.contains("onerror"));
    }

    #[test]
    fn plain_text_of_imported_html() {
        assert_eq!(
            plain_text("<p>Use <code>a &lt; b</code> here</p>"),
            "Use a < b here"
        );
    }

    #[test]
    fn plain_text_drops_markup() {
        assert_eq!(
            plain_text("# Title\n\nSome **bold** `code`"),
            "Title Some bold code"
        );
    }

    use std::time::Duration;

    fn bounded(source: &str) -> Result<Rendered, RenderRefusal> {
        render_bounded(source, &RenderPolicy::default(), far_deadline())
    }

    fn far_deadline() -> Instant {
        Instant::now() + Duration::from_secs(3600)
    }

    const ORDINARY: &[&str] = &[
        "| Force | Officers | Change |\n|:--|--:|:-:|\n| Kent | 3,900 | +2% |\n| Essex | 3,500 | -1% |",
        "- one\n  - two\n    - three\n      - four\n        - five\n- back",
        "1. first\n2. second\n   1) inner\n   2) inner\n3. third",
        "> quoted\n> > twice\n> > > three times\n\nand back",
        "```rust\nfn main() { println!(\"<&>\"); }\n```\n\n    indented code\n\n`inline < code`",
        "[a link](https://example.org/x?a=1&b=2 \"title\") and <https://example.org> and [ref]\n\n[ref]: https://example.org/ref",
        "- [x] done\n- [ ] to do\n  - [x] nested",
        "# Title\n\nSome *emphasis*, **strong**, ~~struck~~ and a footnote[^1].\n\n[^1]: The note.",
        "Line one  \nline two\\\nline three\n\n---\n\n<b>raw</b> <kbd>Ctrl</kbd> &amp; &copy;",
        "<details><summary>More</summary>\n\nHidden *text*\n\n</details>",
        "<table><tr><td>raw</td><td>table</td></tr></table>\n\n<p>a<p>b",
    ];

    #[test]
    fn ordinary_posts_render_as_render_does() {
        for source in ORDINARY {
            let rendered = bounded(source).unwrap_or_else(|e| panic!("{source}: {e}"));
            assert_eq!(
                sorted_attributes(&rendered.html),
                sorted_attributes(&render(source)),
                "{source}"
            );
            assert_eq!(rendered.text, plain_text(source), "{source}");
        }
    }

    /// `html` with each tag's attributes in order: ammonia writes the ones it sets (a
    /// checkbox's `type` and `disabled`) in its hash map's order, which differs between builders.
    fn sorted_attributes(html: &str) -> String {
        html.split('<')
            .map(|piece| match piece.split_once('>') {
                Some((tag, rest)) => {
                    let mut words: Vec<&str> = tag.split(' ').collect();
                    words[1..].sort_unstable();
                    format!("{}>{rest}", words.join(" "))
                }
                None => piece.to_string(),
            })
            .collect::<Vec<_>>()
            .join("<")
    }

    #[test]
    fn every_hostile_shape_renders_or_is_refused() {
        for (shape, body) in hostile::corpus(100_000) {
            assert!(body.chars().count() <= 100_000, "{shape}");
            match bounded(&body) {
                Ok(rendered) => assert!(!rendered.html.contains("<script"), "{shape}"),
                Err(refusal) => assert!(!refusal.to_string().is_empty(), "{shape}"),
            }
        }
    }

    #[test]
    fn deep_containers_are_refused_before_parsing() {
        let corpus = hostile::corpus(100_000);
        let deep = [
            "quote >",
            "list -",
            "list *",
            "list +",
            "list 1.",
            "list 1)",
            "list mixed markers",
            "quote list alternating",
            "list quote 1. alternating",
            "list indented staircase",
            "quote staircase",
            "table in deep quote",
        ];
        for shape in deep {
            let (_, body) = corpus.iter().find(|(name, _)| *name == shape).unwrap();
            // A deadline already past: only the pre-scan runs before it is looked at.
            let refusal = render_bounded(body, &RenderPolicy::default(), Instant::now());
            assert_eq!(
                refusal,
                Err(RenderRefusal::NestedTooDeep { limit: 32 }),
                "{shape}"
            );
        }
    }

    #[test]
    fn nesting_up_to_the_limit_renders() {
        let quotes = |depth| format!("{}a", "> ".repeat(depth));
        assert!(bounded(&quotes(32)).is_ok());
        assert_eq!(
            bounded(&quotes(33)),
            Err(RenderRefusal::NestedTooDeep { limit: 32 })
        );
        let list: String = (0..33)
            .map(|i| format!("{}- a\n", "  ".repeat(i)))
            .collect();
        assert_eq!(
            bounded(&list),
            Err(RenderRefusal::NestedTooDeep { limit: 32 })
        );
        let emphasis = |depth| format!("{}y{}", "*a **a ".repeat(depth), " a** a*".repeat(depth));
        assert!(bounded(&emphasis(16)).is_ok());
        assert_eq!(
            bounded(&emphasis(17)),
            Err(RenderRefusal::FormattingTooDeep { limit: 32 })
        );
        assert_eq!(
            bounded(&"<div>".repeat(129)),
            Err(RenderRefusal::HtmlTooDeep { limit: 128 })
        );
        let policy = RenderPolicy {
            max_depth: 3,
            ..RenderPolicy::default()
        };
        assert_eq!(
            render_bounded("> > > > a", &policy, far_deadline()),
            Err(RenderRefusal::NestedTooDeep { limit: 3 })
        );
    }

    #[test]
    fn too_much_markup_is_refused() {
        assert_eq!(
            bounded(&"&".repeat(MAX_HTML_NODES + 1)),
            Err(RenderRefusal::TooMuchFormatting {
                limit: MAX_HTML_NODES
            })
        );
        assert!(bounded(&"&".repeat(MAX_HTML_NODES / 2)).is_ok());
    }

    #[test]
    fn a_passed_deadline_is_too_slow() {
        let past = Instant::now()
            .checked_sub(Duration::from_secs(1))
            .expect("the clock started a second ago");
        assert_eq!(
            render_bounded("plain", &RenderPolicy::default(), past),
            Err(RenderRefusal::TooSlow)
        );
    }

    #[test]
    fn remote_images_become_links() {
        let html = bounded("![a chart](https://evil.example/pixel.png \"t\")")
            .unwrap()
            .html;
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("<a href=\"https://evil.example/pixel.png\" title=\"t\" rel=\"noopener noreferrer nofollow\">a chart</a>"),
            "{html}"
        );
        let html = bounded("![](https://evil.example/pixel.png)").unwrap().html;
        assert!(
            html.contains(">https://evil.example/pixel.png</a>"),
            "{html}"
        );
        let html = bounded("<img src=\"https://evil.example/p.png\" alt=x> ![x](/local.png) ![y](data:image/png;base64,AA)").unwrap().html;
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("data:"), "{html}");
    }

    #[test]
    fn images_on_allowed_hosts_are_shown() {
        let policy = RenderPolicy {
            allowed_image_hosts: vec!["Images.Police.example".into()],
            ..RenderPolicy::default()
        };
        let show = |source: &str| {
            render_bounded(source, &policy, far_deadline())
                .unwrap()
                .html
        };
        let html = show("![chart](https://images.police.example/c.png)");
        assert!(
            html.contains("<img src=\"https://images.police.example/c.png\" alt=\"chart\">"),
            "{html}"
        );
        let html = show("<img src=\"https://images.police.example/c.png\"><img src=\"https://evil.example/p.png\">");
        assert!(
            html.contains("src=\"https://images.police.example/c.png\""),
            "{html}"
        );
        assert!(!html.contains("evil.example"), "{html}");
        let html = show("![x](http://images.police.example.evil.example/c.png) ![y](/c.png)");
        assert!(!html.contains("<img"), "{html}");
    }

    #[test]
    fn xss_payloads_are_neutralised() {
        let payloads = [
            "<script>alert('x')</script>",
            "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
            "[click](javascript:alert(1))",
            "[click](JaVaScRiPt:alert(1))",
            "![img](javascript:alert(1))",
            "<a href=\"&#106;avascript:alert(1)\">x</a>",
            "<img src=x onerror=alert(1)>",
            "<svg><script>alert(1)</script></svg>",
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
            "<details open ontoggle=alert(1)>",
            "<p style=\"background:url(javascript:alert(1))\">x</p>",
        ];
        for payload in payloads {
            let html = bounded(payload).unwrap().html;
            for forbidden in [
                "<script",
                "javascript:",
                "onerror",
                "ontoggle",
                "<svg",
                "<iframe",
                "<style",
                "style=",
                "data:text",
            ] {
                assert!(!html.contains(forbidden), "{payload} gave {html}");
            }
        }
    }
}
