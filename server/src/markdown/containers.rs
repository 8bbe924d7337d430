//! How deeply block quotes, list items and footnote definitions nest, measured in one pass over
//! the source before pulldown-cmark parses it (its block pass costs lines × depth).
//!
//! [`deepest`] follows CommonMark's container rules as pulldown-cmark applies them, with and
//! without the footnote extension, and is what the policy's depth is checked against. It does
//! not follow leaf blocks, so where it cannot tell it errs high (it reads fenced code and HTML
//! blocks as Markdown, and keeps containers open after any line of text, as a paragraph
//! would), except that a list item which is empty or numbered other than 1, on a line after
//! text, is taken as text, as it would be in a paragraph. After code, that is wrong, and the
//! nesting may be more than reported; the event stream's own count catches it.
//!
//! [`bound`] cannot be fooled, so it is what bounds the parser's work: a line continues a quote
//! only with a `>`, a list item only with two or more columns of indentation (four for a
//! footnote) and opens a container only with a marker, and a line that does none of these
//! (blank, or lazily continuing a paragraph) leaves the nesting as it was. So nothing nests
//! deeper than the `>`s, markers and half the columns of white space that start some line.

/// The deepest nesting of containers in `source`, with the footnote extension or without it
/// (for the plain text), or some depth past `limit` as soon as one is seen. `source` has no
/// lone carriage returns (see `normalise_line_endings`).
pub(super) fn deepest(source: &str, limit: usize) -> usize {
    let with_footnotes = deepest_with(source, limit, true);
    if with_footnotes > limit {
        return with_footnotes;
    }
    with_footnotes.max(deepest_with(source, limit, false))
}

fn deepest_with(source: &str, limit: usize, footnotes: bool) -> usize {
    let mut scan = Scan {
        footnotes,
        ..Scan::default()
    };
    let mut deepest = 0;
    for line in lines(source.as_bytes()) {
        deepest = deepest.max(scan.line(line));
        if deepest > limit {
            break;
        }
    }
    deepest
}

/// No parse of `source` nests containers deeper than this.
pub(super) fn bound(source: &str) -> usize {
    lines(source.as_bytes()).map(line_bound).max().unwrap_or(0)
}

/// The `>`s, markers and half the columns of white space (a tab as four) that start `line`.
fn line_bound(line: &[u8]) -> usize {
    let (mut markers, mut columns, mut at) = (0, 0usize, 0);
    while let Some(&b) = line.get(at) {
        match b {
            b' ' => columns += 1,
            b'\t' => columns += 4,
            _ => match marker_len(&line[at..]) {
                Some(len) => {
                    markers += 1;
                    at += len;
                    continue;
                }
                None => break,
            },
        }
        at += 1;
    }
    markers + columns.div_ceil(2)
}

/// The length of the quote, list item or footnote marker that `rest` starts with.
fn marker_len(rest: &[u8]) -> Option<usize> {
    let spaced = |after: usize| matches!(rest.get(after), None | Some(b' ' | b'\t'));
    match rest.first()? {
        b'>' => Some(1),
        b'-' | b'+' | b'*' => spaced(1).then_some(1),
        b'0'..=b'9' => {
            let digits = rest
                .iter()
                .take(10)
                .take_while(|b| b.is_ascii_digit())
                .count();
            let delimited = matches!(rest.get(digits), Some(b'.' | b')'));
            (digits <= 9 && delimited && spaced(digits + 1)).then_some(digits + 1)
        }
        b'[' if rest.starts_with(b"[^") => {
            let close = 2 + label_end(&rest[2..])?;
            (rest.get(close + 1) == Some(&b':')).then_some(close + 2)
        }
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Container {
    Quote,
    /// A list item whose content starts this many columns past its parent's content.
    Item(usize),
    Footnote,
}

/// Footnote content continues on lines indented this far.
const FOOTNOTE_INDENT: usize = 4;

#[derive(Default)]
struct Scan {
    /// Whether `[^label]:` opens a footnote definition.
    footnotes: bool,
    open: Vec<Container>,
    /// The last line was paragraph text, so an unmatched line may continue it lazily.
    in_paragraph: bool,
}

impl Scan {
    /// Takes one line and returns how many containers are open after it.
    fn line(&mut self, bytes: &[u8]) -> usize {
        let mut line = Line::new(bytes);
        let matched = self.open.iter().take_while(|c| line.continues(**c)).count();
        // On a line that continues every container, a paragraph goes on unless what follows
        // may interrupt it: an empty item or one numbered other than 1 may not.
        let continues_paragraph =
            self.in_paragraph && matched == self.open.len() && !line.interrupts_paragraph();
        let opened = !continues_paragraph && self.open_new(&mut line, matched);
        let lazy = self.in_paragraph && !line.is_blank();
        if !opened && !lazy {
            self.open.truncate(matched);
        }
        self.in_paragraph = line.starts_paragraph(self.in_paragraph && !opened);
        self.open.len()
    }

    /// Opens the containers whose markers start the rest of the line, closing those the line
    /// did not continue; true if there were any.
    fn open_new(&mut self, line: &mut Line, matched: usize) -> bool {
        let mut opened = false;
        while let Some(container) = line.container_marker(self.footnotes) {
            if !opened {
                self.open.truncate(matched);
                opened = true;
            }
            // A footnote definition ends the one it would nest in.
            if container == Container::Footnote && self.open.last() == Some(&Container::Footnote) {
                continue;
            }
            self.open.push(container);
        }
        opened
    }
}

/// Lines of `source`, split at `\n`, `\r\n` or `\r` as CommonMark does.
fn lines(source: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = source;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .unwrap_or(rest.len());
        let line = &rest[..end];
        let skip = match rest[end..] {
            [b'\r', b'\n', ..] => 2,
            [] => 0,
            _ => 1,
        };
        rest = &rest[end + skip..];
        Some(line)
    })
}

/// A position in one line, counting columns with tabs to the next multiple of four. A tab may
/// be taken in part, as CommonMark does when indentation ends inside one.
#[derive(Clone, Copy)]
struct Line<'a> {
    bytes: &'a [u8],
    pos: usize,
    column: usize,
    /// Columns left of a tab taken in part, just before `pos`.
    tab_left: usize,
    /// Everything from here on is spaces or tabs.
    blank_from: usize,
    /// From these positions on, the line is a thematic break made of `-` or `*`.
    dash_break_from: usize,
    star_break_from: usize,
}

impl<'a> Line<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let blank_from = bytes
            .iter()
            .rposition(|&b| b != b' ' && b != b'\t')
            .map_or(0, |i| i + 1);
        Line {
            bytes,
            pos: 0,
            column: 0,
            tab_left: 0,
            blank_from,
            dash_break_from: break_from(bytes, b'-'),
            star_break_from: break_from(bytes, b'*'),
        }
    }

    fn is_blank(&self) -> bool {
        self.pos >= self.blank_from
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    /// Columns of white space ahead, counted up to `max`.
    fn indent(&self, max: usize) -> usize {
        let mut probe = *self;
        probe.skip_columns(max);
        probe.column - self.column
    }

    /// Skips white space, `columns` columns of it at most.
    fn skip_columns(&mut self, columns: usize) {
        let mut left = columns;
        let from_tab = left.min(self.tab_left);
        self.tab_left -= from_tab;
        self.column += from_tab;
        left -= from_tab;
        while left > 0 {
            let width = match self.peek(0) {
                Some(b' ') => 1,
                Some(b'\t') => 4 - self.column % 4,
                _ => return,
            };
            self.pos += 1;
            let taken = width.min(left);
            self.column += taken;
            self.tab_left = width - taken;
            left -= taken;
        }
    }

    fn advance(&mut self, bytes: usize) {
        self.pos += bytes;
        self.column += bytes;
        self.tab_left = 0;
    }

    /// Consumes the continuation of an open container, if this line has it.
    fn continues(&mut self, container: Container) -> bool {
        match container {
            Container::Quote => self.quote_continues(),
            Container::Item(indent) => self.indented(indent),
            Container::Footnote => self.indented(FOOTNOTE_INDENT),
        }
    }

    fn indented(&mut self, columns: usize) -> bool {
        if self.is_blank() {
            return true;
        }
        if self.indent(columns) < columns {
            return false;
        }
        self.skip_columns(columns);
        true
    }

    /// As pulldown-cmark continues a quote: up to three columns of white space, even if that
    /// ends inside a tab, then `>`.
    fn quote_continues(&mut self) -> bool {
        let mut probe = *self;
        probe.skip_columns(3);
        if probe.peek(0) != Some(b'>') {
            return false;
        }
        *self = probe;
        self.quote_marker();
        true
    }

    /// `>` and the one space that may follow it.
    fn quote_marker(&mut self) {
        self.pos += 1;
        self.column += 1;
        self.skip_columns(1);
    }

    /// Consumes the marker of a new container at the start of the rest of the line.
    fn container_marker(&mut self, footnotes: bool) -> Option<Container> {
        let indent = self.indent(4);
        if indent > 3 || self.is_blank() {
            return None;
        }
        let start = *self;
        self.skip_columns(indent);
        if self.peek(0) == Some(b'>') {
            self.quote_marker();
            return Some(Container::Quote);
        }
        if let Some(item) = self.list_marker(indent) {
            return Some(item);
        }
        if footnotes && self.footnote_label() {
            return Some(Container::Footnote);
        }
        *self = start;
        None
    }

    /// Whether the rest of the line may interrupt a paragraph with a new container: anything
    /// but a list item that is empty or numbered other than 1.
    fn interrupts_paragraph(&self) -> bool {
        let mut probe = *self;
        let indent = probe.indent(4);
        probe.skip_columns(indent);
        let start = probe.pos;
        match probe.list_marker(indent) {
            Some(_) => {
                let marker = &probe.bytes[start..];
                let numbered_other = marker[0].is_ascii_digit() && !marker.starts_with(b"1")
                    || marker.len() > 1 && marker[0] == b'1' && marker[1].is_ascii_digit();
                !probe.is_blank() && !numbered_other
            }
            None => true,
        }
    }

    /// Whether what is left of the line leaves a paragraph open after it. Errs towards yes:
    /// only blank lines, indented code, headings and thematic breaks surely do not.
    fn starts_paragraph(&self, in_paragraph: bool) -> bool {
        if self.is_blank() {
            return false;
        }
        let indent = self.indent(4);
        if indent >= 4 {
            return in_paragraph;
        }
        let mut probe = *self;
        probe.skip_columns(indent);
        let rest = &probe.bytes[probe.pos..];
        let hashes = rest.iter().take_while(|&&b| b == b'#').count();
        let heading =
            (1..=6).contains(&hashes) && matches!(rest.get(hashes), None | Some(b' ' | b'\t'));
        let thematic_break = probe.pos >= probe.dash_break_from.min(probe.star_break_from)
            || is_underscore_break(rest);
        let ends_paragraph = heading || thematic_break || in_paragraph && is_setext_underline(rest);
        !ends_paragraph
    }

    /// A bullet or ordered list marker followed by white space or the end of the line.
    fn list_marker(&mut self, indent: usize) -> Option<Container> {
        let width = match self.peek(0)? {
            b'-' if self.pos < self.dash_break_from => 1,
            b'*' if self.pos < self.star_break_from => 1,
            b'+' => 1,
            b'0'..=b'9' => self.ordered_marker_width()?,
            _ => return None,
        };
        if !matches!(self.peek(width), None | Some(b' ' | b'\t')) {
            return None;
        }
        self.advance(width);
        let content = self.indent(5);
        let gap = if self.is_blank() || content > 4 {
            1
        } else {
            content
        };
        self.skip_columns(gap);
        Some(Container::Item(indent + width + gap))
    }

    /// One to nine digits and `.` or `)`.
    fn ordered_marker_width(&self) -> Option<usize> {
        let digits = self.bytes[self.pos..]
            .iter()
            .take(10)
            .take_while(|b| b.is_ascii_digit())
            .count();
        let delimiter = self.peek(digits)?;
        (digits <= 9 && (delimiter == b'.' || delimiter == b')')).then_some(digits + 1)
    }

    /// `[^label]:`, as pulldown-cmark opens a footnote definition.
    fn footnote_label(&mut self) -> bool {
        let rest = &self.bytes[self.pos..];
        if !rest.starts_with(b"[^") {
            return false;
        }
        let Some(close) = label_end(&rest[2..]).map(|i| i + 2) else {
            return false;
        };
        if rest.get(close + 1) != Some(&b':') {
            return false;
        }
        self.advance(close + 2);
        self.skip_columns(usize::MAX / 2);
        // pulldown-cmark reads the rest as a new line: tab stops start again here.
        self.column = 0;
        self.tab_left = 0;
        true
    }
}

/// `=` or `-` repeated, then only white space: under a paragraph, this makes it a heading.
fn is_setext_underline(rest: &[u8]) -> bool {
    let Some(&marker @ (b'=' | b'-')) = rest.first() else {
        return false;
    };
    let run = rest.iter().take_while(|&&b| b == marker).count();
    rest[run..].iter().all(|&b| b == b' ' || b == b'\t')
}

fn is_underscore_break(rest: &[u8]) -> bool {
    rest.iter().all(|&b| matches!(b, b'_' | b' ' | b'\t'))
        && rest.iter().filter(|&&b| b == b'_').count() >= 3
}

/// Where a link label's closing `]` is: the first one not escaped, if no `[` comes before it.
fn label_end(label: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(&b) = label.get(i) {
        match b {
            b']' => return Some(i),
            b'[' => return None,
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// The first position from which `line` is a thematic break of `marker` (three or more of it,
/// with only spaces and tabs between), or the line's length if there is none.
fn break_from(line: &[u8], marker: u8) -> usize {
    let other = |&b: &u8| b != marker && b != b' ' && b != b'\t';
    let after_last_other = line.iter().rposition(other).map_or(0, |i| i + 1);
    let third_from_last = line
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, &b)| b == marker)
        .nth(2)
        .map(|(i, _)| i);
    match third_from_last {
        Some(i) if i >= after_last_other => after_last_other,
        _ => line.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(source: &str) -> usize {
        deepest(source, usize::MAX)
    }

    #[test]
    fn counts_markers_on_one_line() {
        assert_eq!(depth("> > > a"), 3);
        assert_eq!(depth(">>>a"), 3);
        assert_eq!(depth("- * + 1. 1) a"), 5);
        assert_eq!(depth("> - > - a"), 4);
        assert_eq!(depth("[^a]: > [^b]: a"), 3);
        assert_eq!(depth("- a\n[^a]:\n  > b"), 2);
        assert_eq!(depth("[^a]: [^b]: a"), 1);
        assert_eq!(depth(r"[^a\]]: > [^[b]: a"), 2);
    }

    #[test]
    fn counts_nesting_by_indentation() {
        assert_eq!(depth("- a\n  - b\n    - c\n      - d\n"), 4);
        assert_eq!(depth("1. a\n   1. b\n      1. c\n"), 3);
        assert_eq!(depth("- a\n\n  - b\n\n    - c\n"), 3);
        assert_eq!(depth("- a\n- b\n- c\n"), 1);
    }

    #[test]
    fn keeps_containers_through_lazy_lines() {
        assert_eq!(depth("- a\n  - b\nlazy\n    - c\n"), 3);
        assert_eq!(depth("> > a\nlazy\n> > > b\n"), 3);
        assert_eq!(depth("- a\n\nnot lazy\n    - c\n"), 1);
    }

    #[test]
    fn ignores_thematic_breaks_and_indented_code() {
        assert_eq!(depth("- - -\n* * * *\n"), 0);
        assert_eq!(depth("- - - a\n"), 3);
        assert_eq!(depth("    - - - - a\n"), 0);
        assert_eq!(depth("a\n    - - - - a\n"), 0);
    }

    #[test]
    fn reads_fenced_code_as_markdown() {
        assert_eq!(depth("```\n> > > > a\n```\n"), 4);
        assert_eq!(depth("<div>\n```\n\n> > a\n"), 2);
    }

    #[test]
    fn splits_lines_at_any_line_ending() {
        assert_eq!(depth("- a\r  - b\r\n    - c\r"), 3);
    }

    #[test]
    fn stops_once_past_the_limit() {
        let deep = format!("{}{}", "> ".repeat(6), "\n> a".repeat(1000));
        assert_eq!(deepest(&deep, 5), 6);
    }

    use proptest::prelude::*;
    use pulldown_cmark::{Event, Options, Parser};

    /// How deeply pulldown-cmark nests quotes, list items and footnotes in `source`.
    fn parsed_depth(source: &str, options: Options) -> usize {
        let (mut depth, mut deepest) = (0usize, 0);
        for event in Parser::new_ext(source, options) {
            match event {
                Event::Start(tag) if is_container(tag.to_end()) => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                Event::End(end) if is_container(end) => depth -= 1,
                _ => {}
            }
        }
        deepest
    }

    fn is_container(end: pulldown_cmark::TagEnd) -> bool {
        use pulldown_cmark::TagEnd;
        matches!(
            end,
            TagEnd::BlockQuote(_) | TagEnd::Item | TagEnd::FootnoteDefinition
        )
    }

    const PIECES: &[&str] = &[
        "> ",
        ">",
        "- ",
        "* ",
        "+ ",
        "1. ",
        "2) ",
        "123456789. ",
        " ",
        "  ",
        "    ",
        "\t",
        "\n",
        "\n\n",
        "\r",
        "\r\n",
        "a",
        "b\n",
        "[^a]: ",
        "[^\\]]: ",
    ];

    const LEAF_PIECES: &[&str] = &[
        "- [ ] ", "[x] ", "```", "~~~", "---", "* * *", "| a |", "|-|", "<div>", "\\", "#", "=",
    ];

    fn source(pieces: Vec<&str>) -> String {
        super::super::normalise_line_endings(&pieces.concat()).into_owned()
    }

    fn parsed_depths(source: &str) -> [usize; 2] {
        let with_extensions = Options::ENABLE_TABLES
            | Options::ENABLE_STRIKETHROUGH
            | Options::ENABLE_TASKLISTS
            | Options::ENABLE_FOOTNOTES;
        let plain = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
        [
            parsed_depth(source, with_extensions),
            parsed_depth(source, plain),
        ]
    }

    fn any_pieces() -> impl Strategy<Value = Vec<&'static str>> {
        let piece = prop::sample::select([PIECES, LEAF_PIECES].concat());
        prop::collection::vec(piece, 0..60)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn follows_pulldown_on_container_syntax(
            pieces in prop::collection::vec(prop::sample::select(PIECES), 0..60)
        ) {
            let source = source(pieces);
            let scanned = deepest(&source, usize::MAX);
            for parsed in parsed_depths(&source) {
                prop_assert!(scanned >= parsed, "{source:?}: scanned {scanned}, parsed {parsed}");
            }
        }

        #[test]
        fn bound_is_never_less_than_pulldown_builds(pieces in any_pieces()) {
            let source = source(pieces);
            let bound = bound(&source);
            for parsed in parsed_depths(&source) {
                prop_assert!(bound >= parsed, "{source:?}: bound {bound}, parsed {parsed}");
            }
        }
    }
}
