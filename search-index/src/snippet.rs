//! Snippets as HTML: everything escaped except the `<mark>` around matched words.
use tantivy::snippet::Snippet;

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn to_html(snippet: &Snippet) -> String {
    let fragment = snippet.fragment();
    let mut out = String::new();
    let mut at = 0;
    for range in snippet.highlighted() {
        if range.start < at || range.end > fragment.len() {
            continue;
        }
        out.push_str(&escape_html(&fragment[at..range.start]));
        out.push_str("<mark>");
        out.push_str(&escape_html(&fragment[range.clone()]));
        out.push_str("</mark>");
        at = range.end;
    }
    out.push_str(&escape_html(&fragment[at..]));
    out
}

/// The opening of a text, cut at a word boundary, escaped (when nothing was matched).
pub fn opening(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return escape_html(text);
    }
    let cut: String = text.chars().take(max_chars).collect();
    let cut = cut.rsplit_once(' ').map(|(head, _)| head).unwrap_or(&cut);
    format!("{}…", escape_html(cut))
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_everything() {
        assert_eq!(
            super::escape_html("<b>\"x\" & 'y'</b>"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
        assert_eq!(super::opening("one two three", 8), "one two…");
    }
}
