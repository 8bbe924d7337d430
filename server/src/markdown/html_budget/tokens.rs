//! The HTML tokenizer's view of the input: tags, comments and text, in one pass.

use super::class::is;

pub(super) enum Token<'h> {
    Text(&'h str),
    /// The content of a raw text element, such as `<textarea>`.
    RawText,
    Start {
        name: &'h str,
        tag: &'h str,
    },
    End(&'h str),
    Comment,
}

/// Markup cut off by the end of the input ends the tokens, as html5ever drops it too.
pub(super) struct Tokens<'h> {
    html: &'h str,
    pos: usize,
    /// Set by the tree after a start tag whose content is text up to its own end tag.
    pub raw_text: Option<&'h str>,
    /// Set by the tree once it no longer follows the HTML: from then on nothing is hidden in
    /// comments, quoted attributes or raw text; every `<` and letter starts a tag, ending at
    /// the first `>`.
    pub unhidden: bool,
}

impl<'h> Tokens<'h> {
    pub fn new(html: &'h str) -> Self {
        Tokens {
            html,
            pos: 0,
            raw_text: None,
            unhidden: false,
        }
    }

    /// Where the text of a raw text element ends: at `</name` followed by white space, `/` or
    /// `>`; for `<plaintext>`, never.
    fn raw_text_end(&self, name: &str) -> usize {
        if is(name, "plaintext") {
            return self.html.len();
        }
        let rest = &self.html[self.pos..];
        let mut from = 0;
        while let Some(at) = rest[from..].find("</").map(|i| from + i) {
            let after = &rest[at + 2..];
            let same_name = after.get(..name.len()).is_some_and(|n| is(n, name));
            let ends = matches!(
                after.as_bytes().get(name.len()),
                Some(b'/' | b'>' | b' ' | b'\t' | b'\n' | b'\x0c' | b'\r')
            );
            if same_name && ends {
                return self.pos + at;
            }
            from = at + 2;
        }
        self.html.len()
    }

    fn markup(&self, rest: &'h str) -> Option<(Token<'h>, usize)> {
        let bytes = rest.as_bytes();
        match bytes.get(1) {
            Some(b) if b.is_ascii_alphabetic() => {
                let name = tag_name(&rest[1..]);
                let len = self.tag_end(rest, 1 + name.len())?;
                let tag = &rest[..len];
                Some((Token::Start { name, tag }, len))
            }
            Some(b'/') if bytes.get(2).is_some_and(u8::is_ascii_alphabetic) => {
                let name = tag_name(&rest[2..]);
                let len = self.tag_end(rest, 2 + name.len())?;
                Some((Token::End(name), len))
            }
            _ if self.unhidden => Some((Token::Text(&rest[..1]), 1)),
            Some(b'!') if rest.starts_with("<!--") => Some((Token::Comment, comment_end(rest)?)),
            Some(b'/') if bytes.get(2) == Some(&b'>') => Some((Token::Comment, 3)),
            Some(b'!' | b'?' | b'/') => Some((Token::Comment, rest.find('>')? + 1)),
            _ => Some((Token::Text(&rest[..1]), 1)),
        }
    }

    /// Length of a tag up to and including its `>`, following the tokenizer's attribute states
    /// (a quoted value may hold a `>`), or at the first `>` once nothing may be hidden.
    fn tag_end(&self, tag: &str, from: usize) -> Option<usize> {
        if self.unhidden {
            return Some(from + tag[from..].find('>')? + 1);
        }
        let bytes = tag.as_bytes();
        let mut state = Attribute::BeforeName;
        let mut i = from;
        while let Some(&b) = bytes.get(i) {
            if b == b'>' {
                return Some(i + 1);
            }
            let space = matches!(b, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r');
            state = match (state, b) {
                (Attribute::BeforeValue, b'"' | b'\'') => {
                    i += 1 + bytes[i + 1..].iter().position(|&q| q == b)?;
                    Attribute::BeforeName
                }
                (Attribute::BeforeValue, _) if space => Attribute::BeforeValue,
                (Attribute::BeforeValue, _) => Attribute::Unquoted,
                (Attribute::Unquoted, _) if space => Attribute::BeforeName,
                (Attribute::Unquoted, _) => Attribute::Unquoted,
                (Attribute::Name | Attribute::AfterName, b'=') => Attribute::BeforeValue,
                (Attribute::Name, _) if space => Attribute::AfterName,
                (_, b'/') => Attribute::BeforeName,
                (Attribute::BeforeName | Attribute::AfterName, _) if space => state,
                _ => Attribute::Name,
            };
            i += 1;
        }
        None
    }
}

#[derive(Clone, Copy)]
enum Attribute {
    BeforeName,
    Name,
    AfterName,
    /// A quoted value that follows is skipped whole.
    BeforeValue,
    Unquoted,
}

impl<'h> Iterator for Tokens<'h> {
    type Item = Token<'h>;

    fn next(&mut self) -> Option<Token<'h>> {
        if let Some(name) = self.raw_text.take() {
            let end = self.raw_text_end(name);
            if end > self.pos {
                let text = &self.html[self.pos..end];
                self.pos = end;
                // The parser stays in the "in body" mode for `<plaintext>` only.
                return Some(if is(name, "plaintext") {
                    Token::Text(text)
                } else {
                    Token::RawText
                });
            }
        }
        let rest = &self.html[self.pos..];
        if rest.is_empty() {
            return None;
        }
        let lt = rest.find('<').unwrap_or(rest.len());
        if lt > 0 {
            self.pos += lt;
            return Some(Token::Text(&rest[..lt]));
        }
        let (token, len) = self.markup(rest)?;
        self.pos += len;
        Some(token)
    }
}

fn tag_name(from: &str) -> &str {
    let end = from
        .find([' ', '\t', '\n', '\x0c', '\r', '/', '>'])
        .unwrap_or(from.len());
    &from[..end]
}

/// Length of a comment starting `<!--`: it ends at `-->` or `--!>`, or at once with `<!-->`
/// or `<!--->`; None if it runs to the end.
fn comment_end(rest: &str) -> Option<usize> {
    let body = &rest[4..];
    if body.starts_with('>') {
        return Some(5);
    }
    if body.starts_with("->") {
        return Some(6);
    }
    let mut from = 0;
    loop {
        let dashes = from + body[from..].find("--")?;
        let after = &body[dashes + 2..];
        if after.starts_with('>') {
            return Some(4 + dashes + 3);
        }
        if after.starts_with("!>") {
            return Some(4 + dashes + 4);
        }
        from = dashes + 1;
    }
}
