//! Post bodies built to make a Markdown renderer or HTML sanitiser do more than linear work, and
//! an ordinary post to compare them with. Shared by the tests and `markdown-bench`; every body is
//! at most `max_chars` characters.

/// Every hostile shape, named, each as long as `max_chars` allows.
pub fn corpus(max_chars: usize) -> Vec<(&'static str, String)> {
    shapes(max_chars)
        .into_iter()
        .map(|(name, body)| (name, truncate(body, max_chars)))
        .collect()
}

fn shapes(n: usize) -> Vec<(&'static str, String)> {
    vec![
        // Containers, one per line: the depth is the number of markers.
        ("quote >", repeat(">", n)),
        ("quote > spaced", repeat("> ", n)),
        ("list -", repeat("- ", n.saturating_sub(1)) + "a"),
        ("list *", repeat("* ", n.saturating_sub(1)) + "a"),
        ("list +", repeat("+ ", n.saturating_sub(1)) + "a"),
        ("list 1.", repeat("1. ", n)),
        ("list 1)", repeat("1) ", n)),
        ("list mixed markers", repeat("- * + 1. 1) ", n)),
        ("task list nested", repeat("- [ ] ", n)),
        ("quote list alternating", repeat("> - ", n)),
        ("list quote 1. alternating", repeat("1. > ", n)),
        // Containers over many lines.
        (
            "list indented staircase",
            staircase(n, |i| format!("{}- a\n", "  ".repeat(i))),
        ),
        (
            "quote staircase",
            staircase(n, |i| format!("{} a\n", ">".repeat(i + 1))),
        ),
        (
            "list tab staircase",
            staircase(n, |i| format!("{}- a\n", "\t".repeat(i))),
        ),
        (
            "list staircase lone CR",
            staircase(n, |i| format!("{}- a\r", "  ".repeat(i))),
        ),
        ("footnote quote alternating", repeat("[^a]: > ", n)),
        ("quote lazy continuation", lazy_quote(n)),
        ("list then many items", list_many_items(n)),
        (
            "quote 31 deep many lines",
            repeat(&format!("{}a\n", "> ".repeat(31)), n),
        ),
        ("footnote definition nested", repeat("[^a]: ", n)),
        // Inline delimiters.
        ("emphasis * run", fill("a", "*", n)),
        ("emphasis _ in word", repeat("a_", n)),
        ("emphasis *a openers", repeat("*a ", n)),
        ("strong **a openers", repeat("**a", n)),
        ("strike ~~a openers", repeat("~~a", n)),
        ("emphasis *_ mixed", repeat("*_a", n)),
        ("emphasis a* closers", repeat("a* ", n)),
        ("emphasis nested closed", nested(n, "*a", "*")),
        ("emphasis nested *_", nested(n, "*_", "_*")),
        ("emphasis nested *a **a", nested(n, "*a **a ", " a** a*")),
        // Links, images and their brackets.
        ("brackets [", repeat("[", n)),
        ("brackets ](", repeat("](", n)),
        ("images ![", repeat("![", n)),
        ("links nested", nested(n, "[a", "](u)")),
        ("images nested", nested(n, "![a", "](u)")),
        ("link destination parens", fill("[a](", "(", n)),
        ("link destination <", repeat("[a](<", n)),
        ("link title unclosed", repeat("[a](u \"", n)),
        ("emphasis in links", repeat("[*a* **b**](u) ", n)),
        ("link references", link_references(n)),
        ("link reference uses undefined", repeat("[a][b] ", n)),
        ("footnotes", footnotes(n)),
        ("footnote references undefined", repeat("[^a] ", n)),
        (
            "images remote",
            repeat("![a](https://evil.example/x.png) ", n),
        ),
        // Code.
        ("backticks increasing runs", backtick_runs(n)),
        ("backticks single", repeat("`a", n)),
        ("fenced code openers", repeat("```\n", n)),
        ("fences in list", repeat("- ```\n", n)),
        // Tables.
        ("table one row many columns", wide_table(n)),
        ("table many columns empty rows", wide_table_empty_rows(n)),
        ("table many rows", tall_table(n)),
        ("pipes", repeat("|", n)),
        (
            "table in deep quote",
            fill(&repeat("> ", n / 4), "|a|\n|-|\n", n),
        ),
        // Raw HTML.
        ("html <div>", repeat("<div>", n)),
        ("html <div> lines", repeat("<div>\n", n)),
        ("html <b> unclosed", fill("a", "<b>", n)),
        ("html <a> unclosed", fill("a", "<a>", n)),
        ("html <b><p> misnested", fill("a", "<b><p>x", n)),
        ("html <b><i><u><s>", fill("a", "<b><i><u><s>x", n)),
        ("html </b> closers", fill("a", "<p><b>x</p>", n)),
        ("html <b> then <p>", fill(&repeat("<b>", n / 2), "<p>x", n)),
        ("html <span></x> mismatched", repeat("<span></x>", n)),
        ("html adoption <b><div></b>", fill("a", "<b><div>x</b>", n)),
        ("html <p> unclosed", repeat("<p>a", n)),
        ("html <li> unclosed", fill("<ul>", "<li>a", n)),
        (
            "html formatting reconstructed 1000",
            reconstructed_formatting(n, 1000),
        ),
        (
            "html formatting reconstructed 20",
            reconstructed_formatting(n, 20),
        ),
        ("html table soup", fill("a", "<table><tr><td>x", n)),
        ("html table foster text", fill("a", "<table>x", n)),
        ("html <!-- runs", repeat("<!--", n)),
        ("html <!-- inline", repeat("a <!-- ", n)),
        ("html unterminated tags", repeat("a <x y=", n)),
        (
            "html <img remote>",
            repeat("<img src=https://evil.example/x.png>", n),
        ),
        ("html cdata declarations", repeat("<![CDATA[ <!X <? ", n)),
        // Entities, autolinks, escapes.
        ("entities &amp;", repeat("&amp;", n)),
        ("entities &# open", repeat("&#", n)),
        ("entities numeric long", repeat("&#1234567;", n)),
        ("autolinks", repeat("<http://a.example> ", n)),
        ("autolinks unclosed", repeat("<http://a", n)),
        ("bare urls", repeat("http://a.example/x ", n)),
        ("escapes", repeat("\\*\\[", n)),
        // Leaf blocks.
        ("headings", repeat("# a\n", n)),
        ("setext headings", repeat("a\n=\n", n)),
        ("thematic breaks", repeat("***\n", n)),
        ("hard breaks", repeat("a  \n", n)),
        ("multibyte emphasis", repeat("*日本*", n)),
    ]
}

/// An ordinary post as long as `max_chars` allows: sections of paragraphs with links and
/// emphasis, nested lists, a table, a quote and a numbered list.
pub fn ordinary(max_chars: usize) -> String {
    const FORCES: [&str; 5] = ["Kent", "Essex", "Sussex", "Surrey", "Thames Valley"];
    staircase(max_chars, |i| {
        let force = FORCES[i % FORCES.len()];
        let (before, after) = (10 + i % 7, 8 + i % 5);
        format!(
            "## {i}. Response times in {force}\n\n\
             Our review of **response times** in {force} found that the median for grade 1 \
             calls fell from {before} to {after} minutes over the year. See the \
             [full report](https://reports.police.example/{i}) and the *summary* prepared by \
             the analysts, which also covers rural areas and the new shift pattern.\n\n\
             - Staffing: the new rota added two officers per shift\n\
             - Technology: mobile data terminals in all response cars\n  \
               - rollout finished in March\n  \
               - training for 240 officers\n\
             - Partnerships with the ambulance service\n\n\
             | Measure | Before | After |\n|---|--:|--:|\n\
             | Grade 1 median | {before} min | {after} min |\n\
             | Grade 2 median | 42 min | 35 min |\n\
             | Calls per day | 820 | 845 |\n\n\
             > The figures are provisional until the annual audit.\n\n\
             1. Publish the dashboard\n2. Review again in six months\n\n"
        )
    })
}

fn truncate(mut body: String, max_chars: usize) -> String {
    if let Some((end, _)) = body.char_indices().nth(max_chars) {
        body.truncate(end);
    }
    body
}

/// `head`, then `unit` repeated while the whole fits in `max_chars` characters.
fn fill(head: &str, unit: &str, max_chars: usize) -> String {
    head.to_string() + &repeat(unit, max_chars.saturating_sub(head.chars().count()))
}

/// `unit` repeated as often as fits in `max_chars` characters.
fn repeat(unit: &str, max_chars: usize) -> String {
    unit.repeat(max_chars / unit.chars().count())
}

/// `open` repeated, a middle `x`, then `close` as often: a fully nested, balanced construct.
fn nested(max_chars: usize, open: &str, close: &str) -> String {
    let depth = max_chars.saturating_sub(1) / (open.chars().count() + close.chars().count());
    format!("{}x{}", open.repeat(depth), close.repeat(depth))
}

/// Lines `line(0)`, `line(1)`, ... while they fit in `max_chars` characters.
fn staircase(max_chars: usize, line: impl Fn(usize) -> String) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for i in 0.. {
        let next = line(i);
        chars += next.chars().count();
        if chars > max_chars {
            break;
        }
        out.push_str(&next);
    }
    out
}

/// A quote 30 deep, then lazy continuation lines that all belong to its paragraph.
fn lazy_quote(max_chars: usize) -> String {
    let head = format!("{}a\n", "> ".repeat(30));
    fill(&head, "b\n", max_chars)
}

/// A list nested 20 deep on one line, then many sibling items of the innermost list.
fn list_many_items(max_chars: usize) -> String {
    let head = "- ".repeat(20);
    let item = format!("{}- a\n", "  ".repeat(20));
    fill(&(head + "a\n"), &item, max_chars)
}

fn link_references(max_chars: usize) -> String {
    let half = max_chars / 2;
    let definitions = staircase(half, |i| format!("[r{i}]: /u{i} \"t\"\n"));
    let uses = staircase(half, |i| format!("[r{i}] [x][r{i}] "));
    format!("{definitions}\n{uses}")
}

fn footnotes(max_chars: usize) -> String {
    let half = max_chars / 2;
    let definitions = staircase(half, |i| format!("[^f{i}]: note [^f{}]\n", i + 1));
    let uses = staircase(half, |i| format!("[^f{i}] "));
    format!("{uses}\n\n{definitions}")
}

/// Runs of 1, 2, 3, ... backticks that never close one another.
fn backtick_runs(max_chars: usize) -> String {
    staircase(max_chars, |i| format!("{}a", "`".repeat(i + 1)))
}

fn wide_table(max_chars: usize) -> String {
    let columns = max_chars.saturating_sub(4) / 6;
    format!(
        "{}|\n{}|\n{}|\n",
        "|a".repeat(columns),
        "|-".repeat(columns),
        "|b".repeat(columns)
    )
}

/// A header row of many columns, then rows of one cell, each padded out to the full width.
fn wide_table_empty_rows(max_chars: usize) -> String {
    let columns = max_chars / 8;
    let head = format!("{}|\n{}|\n", "|a".repeat(columns), "|-".repeat(columns));
    fill(&head, "|\n", max_chars)
}

fn tall_table(max_chars: usize) -> String {
    let head = "| a | b | c |\n|---|:-:|--:|\n";
    fill(head, "| 1 | 2 | 3 |\n", max_chars)
}

/// `count` distinct formatting elements left open in a paragraph, then many paragraphs: an HTML
/// parser reopens every one of them inside each new paragraph.
fn reconstructed_formatting(max_chars: usize, count: usize) -> String {
    let opened: String = (0..count).map(|i| format!("<b id={i}>")).collect();
    let head = format!("<p>{opened}");
    fill(&head, "</p><p>x", max_chars)
}
