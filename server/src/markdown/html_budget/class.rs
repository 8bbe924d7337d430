//! What the HTML standard's tree builder makes of an element, by its name: the tag sets of
//! html5ever's `tree_builder/tag_sets.rs` and the rule groups of its "in body" insertion mode.

pub(super) fn is(name: &str, other: &str) -> bool {
    name.eq_ignore_ascii_case(other)
}

pub(super) const SPECIAL: u32 = 1;
const DEFAULT_BOUNDARY: u32 = 1 << 1;
const BUTTON_BOUNDARY: u32 = 1 << 2;
const LIST_ITEM_BOUNDARY: u32 = 1 << 3;
const TABLE_BOUNDARY: u32 = 1 << 4;
/// The elements that end each scope, as masks.
pub(super) const DEFAULT_SCOPE: u32 = DEFAULT_BOUNDARY;
pub(super) const BUTTON_SCOPE: u32 = DEFAULT_BOUNDARY | BUTTON_BOUNDARY;
pub(super) const LIST_ITEM_SCOPE: u32 = DEFAULT_BOUNDARY | LIST_ITEM_BOUNDARY;
pub(super) const TABLE_SCOPE: u32 = TABLE_BOUNDARY;
/// A new list item looks past these special elements for the item to close.
pub(super) const LIST_ITEM_PASSES: u32 = 1 << 5;
pub(super) const HEADING: u32 = 1 << 6;
pub(super) const FORMATTING: u32 = 1 << 7;
pub(super) const CELL_OR_CAPTION: u32 = 1 << 8;
pub(super) const TABLE_SECTION: u32 = 1 << 9;

/// The properties of an open element named `name`.
pub(super) fn properties(name: &str) -> u32 {
    let mut buffer = [0; 16];
    let Some(lower) = lowercase(name, &mut buffer) else {
        return 0;
    };
    let mut properties = 0;
    if SPECIAL_TAGS.contains(&lower) {
        properties |= SPECIAL;
    }
    properties |= match lower {
        b"applet" | b"marquee" | b"object" => DEFAULT_BOUNDARY,
        b"caption" | b"td" | b"th" => DEFAULT_BOUNDARY | CELL_OR_CAPTION,
        b"html" | b"table" => DEFAULT_BOUNDARY | TABLE_BOUNDARY,
        b"template" => DEFAULT_BOUNDARY | TABLE_BOUNDARY,
        b"select" => DEFAULT_BOUNDARY,
        b"button" => BUTTON_BOUNDARY,
        b"ol" | b"ul" => LIST_ITEM_BOUNDARY,
        b"address" | b"div" | b"p" => LIST_ITEM_PASSES,
        b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" => HEADING,
        b"tbody" | b"thead" | b"tfoot" => TABLE_SECTION,
        b"a" | b"b" | b"big" | b"code" | b"em" | b"font" | b"i" | b"nobr" | b"s" | b"small"
        | b"strike" | b"strong" | b"tt" | b"u" => FORMATTING,
        _ => 0,
    };
    properties
}

const SPECIAL_TAGS: &[&[u8]] = &[
    b"address",
    b"applet",
    b"area",
    b"article",
    b"aside",
    b"base",
    b"basefont",
    b"bgsound",
    b"blockquote",
    b"body",
    b"br",
    b"button",
    b"caption",
    b"center",
    b"col",
    b"colgroup",
    b"dd",
    b"details",
    b"dir",
    b"div",
    b"dl",
    b"dt",
    b"embed",
    b"fieldset",
    b"figcaption",
    b"figure",
    b"footer",
    b"form",
    b"frame",
    b"frameset",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"head",
    b"header",
    b"hgroup",
    b"hr",
    b"html",
    b"iframe",
    b"img",
    b"input",
    b"isindex",
    b"li",
    b"link",
    b"listing",
    b"main",
    b"marquee",
    b"menu",
    b"meta",
    b"nav",
    b"noembed",
    b"noframes",
    b"noscript",
    b"object",
    b"ol",
    b"p",
    b"param",
    b"plaintext",
    b"pre",
    b"script",
    b"section",
    b"select",
    b"source",
    b"style",
    b"summary",
    b"table",
    b"tbody",
    b"td",
    b"template",
    b"textarea",
    b"tfoot",
    b"th",
    b"thead",
    b"title",
    b"tr",
    b"track",
    b"ul",
    b"wbr",
    b"xmp",
];

/// How the "in body" insertion mode treats a start tag.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Start {
    Ignored,
    /// Inserted and popped at once, as in the "in head" mode.
    HeadVoid,
    /// Its content is text up to its end tag.
    RawText,
    Xmp,
    Plaintext,
    /// Closes an open `<p>`.
    Block,
    Heading,
    ListItem,
    Definition,
    Button,
    A,
    Nobr,
    Formatting,
    Marker,
    Table,
    InlineVoid,
    PlainVoid,
    Hr,
    Option,
    TablePart,
    /// Parsed by rules this model does not follow.
    Unfollowed,
    Ordinary,
}

pub(super) fn start(name: &str) -> Start {
    let mut buffer = [0; 16];
    let Some(lower) = lowercase(name, &mut buffer) else {
        return Start::Ordinary;
    };
    match lower {
        b"html" | b"body" | b"frameset" | b"frame" | b"head" => Start::Ignored,
        b"base" | b"basefont" | b"bgsound" | b"link" | b"meta" => Start::HeadVoid,
        b"noframes" | b"script" | b"style" | b"title" | b"textarea" | b"iframe" | b"noembed"
        | b"noscript" => Start::RawText,
        b"xmp" => Start::Xmp,
        b"plaintext" => Start::Plaintext,
        b"address" | b"article" | b"aside" | b"blockquote" | b"center" | b"details" | b"dialog"
        | b"dir" | b"div" | b"dl" | b"fieldset" | b"figcaption" | b"figure" | b"footer"
        | b"header" | b"hgroup" | b"main" | b"nav" | b"ol" | b"p" | b"search" | b"section"
        | b"summary" | b"ul" | b"menu" | b"pre" | b"listing" => Start::Block,
        b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" => Start::Heading,
        b"li" => Start::ListItem,
        b"dd" | b"dt" => Start::Definition,
        b"button" => Start::Button,
        b"a" => Start::A,
        b"nobr" => Start::Nobr,
        b"b" | b"big" | b"code" | b"em" | b"font" | b"i" | b"s" | b"small" | b"strike"
        | b"strong" | b"tt" | b"u" => Start::Formatting,
        b"applet" | b"marquee" | b"object" => Start::Marker,
        b"table" => Start::Table,
        b"area" | b"br" | b"embed" | b"img" | b"keygen" | b"wbr" | b"input" | b"image" => {
            Start::InlineVoid
        }
        b"param" | b"source" | b"track" => Start::PlainVoid,
        b"hr" => Start::Hr,
        b"option" | b"optgroup" => Start::Option,
        b"caption" | b"col" | b"colgroup" | b"tbody" | b"td" | b"tfoot" | b"th" | b"thead"
        | b"tr" => Start::TablePart,
        b"select" | b"svg" | b"math" | b"template" | b"form" | b"rb" | b"rtc" | b"rp" | b"rt" => {
            Start::Unfollowed
        }
        _ => Start::Ordinary,
    }
}

/// How the "in body" insertion mode treats an end tag.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum End {
    Ignored,
    Unfollowed,
    /// Closes the element if it is in the default scope.
    Block,
    /// As `Block`, and clears the formatting elements opened in it.
    Marker,
    P,
    ListItem,
    Definition,
    Heading,
    Formatting,
    Br,
    /// Closes the element if it is in the table scope.
    TablePart,
    Other,
}

pub(super) fn end(name: &str) -> End {
    let mut buffer = [0; 16];
    let Some(lower) = lowercase(name, &mut buffer) else {
        return End::Other;
    };
    match lower {
        b"body" | b"html" => End::Ignored,
        b"template" | b"form" => End::Unfollowed,
        b"address" | b"article" | b"aside" | b"blockquote" | b"button" | b"center" | b"details"
        | b"dialog" | b"dir" | b"div" | b"dl" | b"fieldset" | b"figcaption" | b"figure"
        | b"footer" | b"header" | b"hgroup" | b"listing" | b"main" | b"menu" | b"nav" | b"ol"
        | b"pre" | b"search" | b"section" | b"select" | b"summary" | b"ul" => End::Block,
        b"applet" | b"marquee" | b"object" => End::Marker,
        b"p" => End::P,
        b"li" => End::ListItem,
        b"dd" | b"dt" => End::Definition,
        b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" => End::Heading,
        b"a" | b"b" | b"big" | b"code" | b"em" | b"font" | b"i" | b"nobr" | b"s" | b"small"
        | b"strike" | b"strong" | b"tt" | b"u" => End::Formatting,
        b"br" => End::Br,
        b"caption" | b"col" | b"colgroup" | b"table" | b"tbody" | b"td" | b"tfoot" | b"th"
        | b"thead" | b"tr" => End::TablePart,
        _ => End::Other,
    }
}

/// `name` in ASCII lower case, if it is short enough to be one the tree builder knows.
fn lowercase<'b>(name: &str, buffer: &'b mut [u8; 16]) -> Option<&'b [u8]> {
    let lower = buffer.get_mut(..name.len())?;
    lower.copy_from_slice(name.as_bytes());
    lower.make_ascii_lowercase();
    Some(lower)
}
