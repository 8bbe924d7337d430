//! What the HTML we hand to ammonia will cost its parser (html5ever), estimated in one pass
//! without building a tree, so that input which would make it slow is refused before it starts.
//!
//! html5ever's work grows with two things:
//! - **Nodes.** Every element and character reference costs one to three microseconds through
//!   parsing, cleaning and serialising. Besides the tags written, the parser adds implied
//!   elements (`<tbody>`, `<tr>`, an empty `<p>` for a stray `</p>`) and re-opens formatting
//!   elements (`<b>`, `<a>`, ...) that a block closed, before each later text or start tag.
//!   A URL in an attribute costs a few more: ammonia parses it, and adds `rel` to links.
//! - **Depth.** Scope checks and end tags walk the stack of open elements, so per token the
//!   cost is its depth.
//!
//! [`tree`] follows the tree builder where ordinary posts take it and, past that, stops closing
//! elements, so that neither figure can come out lower than html5ever's.

mod class;
mod tokens;
mod tree;

use tokens::{Token, Tokens};
use tree::{Then, Tree};

/// Why the HTML is refused.
#[derive(Debug, PartialEq)]
pub(super) enum Overrun {
    Depth,
    Nodes,
}

pub(super) struct Limits {
    pub depth: usize,
    pub nodes: usize,
}

/// What a URL attribute costs beyond its element, in nodes.
const URL_NODES: usize = 3;

pub(super) fn check(html: &str, limits: &Limits) -> Result<(), Overrun> {
    let mut tree = Tree::default();
    tree.nodes = html.bytes().filter(|&b| b == b'&').count();
    let mut tokens = Tokens::new(html);
    while let Some(token) = tokens.next() {
        match token {
            Token::Text(text) => tree.text(text),
            Token::RawText => {}
            Token::Start { name, tag } => {
                tree.nodes += URL_NODES * url_attributes(tag);
                if let Then::RawText(element) = tree.start(name, tag) {
                    tokens.raw_text = Some(element);
                }
            }
            Token::End(name) => tree.end(name),
            Token::Comment => tree.comment(),
        }
        tokens.unhidden = tree.loose;
        if tree.depth() > limits.depth {
            return Err(Overrun::Depth);
        }
        if tree.nodes > limits.nodes {
            return Err(Overrun::Nodes);
        }
    }
    Ok(())
}

/// How many `href` and `src` (in any case) a tag holds: its URL attributes, or more.
fn url_attributes(tag: &str) -> usize {
    let lower = tag.to_ascii_lowercase();
    lower.matches("href").count() + lower.matches("src").count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOOSE: Limits = Limits {
        depth: usize::MAX,
        nodes: usize::MAX,
    };

    fn deepest(html: &str) -> usize {
        (0..)
            .find(|&depth| {
                let limits = Limits {
                    depth,
                    nodes: usize::MAX,
                };
                check(html, &limits).is_ok()
            })
            .unwrap()
    }

    #[test]
    fn balanced_markup_is_as_deep_as_it_nests() {
        assert_eq!(deepest("<div><p><em>a</em></p></div><p>b</p>"), 3);
        assert_eq!(
            deepest("<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul>"),
            4
        );
        let table =
            "<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>b</td></tr></tbody></table>";
        assert_eq!(deepest(table), 4);
    }

    #[test]
    fn closes_what_the_tree_builder_closes() {
        assert_eq!(deepest("<p>a<p>b<p>c<div>d</div>"), 1);
        assert_eq!(deepest("<ul><li>a<li>b<li>c</ul><ul><li>d</ul>"), 2);
        // With the <tbody> the parser adds.
        assert_eq!(deepest("<table><tr><td>a<td>b<tr><td>c</table>"), 4);
        assert_eq!(deepest("<div><span><div>a</div></span></div>"), 3);
    }

    #[test]
    fn keeps_open_what_the_tree_builder_keeps_open() {
        assert_eq!(deepest(&"<span></x>".repeat(10)), 10);
        assert_eq!(deepest(&"<span><div></span>".repeat(5)), 10);
        assert_eq!(deepest(&"<div><textarea></div></textarea>".repeat(5)), 6);
    }

    #[test]
    fn stops_closing_past_what_it_follows() {
        assert_eq!(deepest(&"<div><svg></div>".repeat(5)), 10);
        assert_eq!(deepest("<table>x<div></div><div></div>"), 3);
    }

    #[test]
    fn reopens_formatting_elements_a_block_closed() {
        assert_eq!(deepest("<p><b><i>a</p><p>b</p>"), 3);
        let reopened = "<p><b id=1><b id=2></p>".to_string() + &"<p>x</p>".repeat(100);
        let limits = |nodes| Limits { depth: 10, nodes };
        assert_eq!(check(&reopened, &limits(250)), Err(Overrun::Nodes));
        assert_eq!(check(&reopened, &limits(1000)), Ok(()));
        // Identical formatting elements are kept three times at most.
        assert_eq!(deepest(&"<p><b>a</p>".repeat(10)), 5);
    }

    #[test]
    fn counts_character_references_and_comments_as_nodes() {
        let limits = Limits {
            depth: 10,
            nodes: 5,
        };
        assert_eq!(check("&amp;&lt;&gt;&quot;&#39;", &limits), Ok(()));
        assert_eq!(
            check("&amp;&lt;&gt;&quot;&#39;&", &limits),
            Err(Overrun::Nodes)
        );
        assert_eq!(check(&"<!-- x -->".repeat(6), &limits), Err(Overrun::Nodes));
    }

    #[test]
    fn counts_urls_as_more_than_an_element() {
        let limits = Limits {
            depth: 10,
            nodes: 8,
        };
        assert_eq!(check("<a href=x>a</a><img SRC=y>", &limits), Ok(()));
        assert_eq!(
            check("<a href=x>a</a><img SRC=y><b>", &limits),
            Err(Overrun::Nodes)
        );
    }

    #[test]
    fn reads_quoted_attributes_and_cut_off_markup() {
        assert_eq!(deepest("<div title=\"a>b\" class='c>d'><div>x"), 2);
        assert_eq!(deepest("<div>\"<div>\"<div>"), 3);
        // `="<div` is an attribute name, not a quoted value.
        assert_eq!(deepest("<div =\"<div>\"><div>"), 2);
        assert_eq!(check("<div title=\"never closed>", &LOOSE), Ok(()));
        assert_eq!(check("a <!-- never closed", &LOOSE), Ok(()));
        assert_eq!(check("a < b <3 </ x>", &LOOSE), Ok(()));
    }

    #[test]
    fn hides_only_what_the_tokenizer_hides() {
        assert_eq!(deepest("<!-- <div> --><div>"), 1);
        assert_eq!(deepest("<!--><div><div>"), 2);
        assert_eq!(deepest("<!-- a --!><div><div>"), 2);
        assert_eq!(deepest("<textarea><div><div></textarea><div>"), 1);
        assert_eq!(deepest("<TEXTAREA><div></textareax></TextArea ><div>"), 1);
        // Once loose, nothing is hidden and nothing closes.
        assert_eq!(
            deepest("<svg><!-- <g> --><g title=\"<g>\"></g><style><g>"),
            5
        );
    }
}
