//! Markdown to sanitised HTML, done once at write time; the HTML is stored beside the source.
use pulldown_cmark::{html, Options, Parser};
use std::collections::HashSet;
use std::sync::OnceLock;

fn sanitiser() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
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
    })
}

pub fn render(source: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let parser = Parser::new_ext(source, options);
    let mut unsafe_html = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut unsafe_html, parser);
    sanitiser().clean(&unsafe_html).to_string()
}

/// The plain text of a post, for search and email: Markdown syntax removed.
pub fn plain_text(source: &str) -> String {
    use pulldown_cmark::Event;
    let mut out = String::with_capacity(source.len());
    for event in Parser::new_ext(
        source,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    ) {
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
}
