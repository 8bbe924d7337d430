//! The stack of open elements and the list of active formatting elements, kept as html5ever's
//! tree builder keeps them for the insertion modes ordinary posts use: "in body" (with "in
//! cell" and "in caption"), "in table", "in table body", "in row" and "in column group".
//!
//! Anything else (foreign content, `<select>`, `<template>`, `<form>`, ruby, text or tags that
//! a table would foster-parent, the adoption agency's restructuring, formatting elements whose
//! attributes make identity uncertain) makes the tree *loose*: from then on it closes nothing,
//! so every start tag counts as nested in the one before, which no parser can exceed.

use super::class::{self, is, End, Start};

/// The adoption agency algorithm creates at most 8 × (3 + 1) elements per end tag.
const ADOPTION_NODES: usize = 32;

#[derive(Clone, Copy)]
struct Open<'h> {
    name: &'h str,
    properties: u32,
    id: usize,
}

enum Entry<'h> {
    Marker,
    Element {
        name: &'h str,
        has_attributes: bool,
        id: usize,
    },
}

/// What the tokenizer reads next.
pub(super) enum Then<'h> {
    Markup,
    /// Text up to the end tag of this element.
    RawText(&'h str),
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Body,
    Table,
    TableBody,
    Row,
    ColumnGroup,
}

#[derive(Default)]
pub(super) struct Tree<'h> {
    open: Vec<Open<'h>>,
    /// Whether each element ever created, by id, is still open.
    is_open: Vec<bool>,
    formatting: Vec<Entry<'h>>,
    pub nodes: usize,
    pub loose: bool,
}

impl<'h> Tree<'h> {
    /// The deepest the parser's stack of open elements can be here.
    pub fn depth(&self) -> usize {
        if self.loose {
            self.open.len() + self.formatting_elements()
        } else {
            self.open.len()
        }
    }

    pub fn comment(&mut self) {
        self.nodes += 1;
    }

    pub fn text(&mut self, text: &str) {
        self.text_followed(text);
        if self.loose {
            self.nodes += self.formatting_elements();
        }
    }

    fn text_followed(&mut self, text: &str) {
        let blank = text.bytes().all(|b| b" \t\n\x0c\r".contains(&b));
        match self.mode() {
            _ if self.loose => {}
            Mode::Body => self.reconstruct(),
            _ if blank => {}
            Mode::ColumnGroup => {
                self.pop();
                self.text_followed(text);
            }
            // A table puts text before itself, where formatting elements are re-opened for it.
            _ => self.loosen(),
        }
    }

    pub fn start(&mut self, name: &'h str, tag: &'h str) -> Then<'h> {
        let then = self.start_followed(name, tag);
        if self.loose {
            self.start_loose(name, tag);
            return Then::Markup;
        }
        then
    }

    pub fn end(&mut self, name: &'h str) {
        self.end_followed(name);
        if self.loose {
            self.end_loose(name);
        }
    }

    /// A start tag by the rules of the current insertion mode; also for a tag read again after
    /// the mode changed.
    fn start_followed(&mut self, name: &'h str, tag: &'h str) -> Then<'h> {
        match self.mode() {
            _ if self.loose => Then::Markup,
            Mode::Body => self.start_in_body(name, tag),
            Mode::Table => self.start_in_table(name, tag),
            Mode::TableBody => self.start_in_table_body(name, tag),
            Mode::Row => self.start_in_row(name, tag),
            Mode::ColumnGroup => self.start_in_column_group(name, tag),
        }
    }

    fn end_followed(&mut self, name: &'h str) {
        match self.mode() {
            _ if self.loose => {}
            Mode::Body => self.end_in_body(name),
            Mode::Table => self.end_in_table(name),
            Mode::TableBody => self.end_in_table_body(name),
            Mode::Row => self.end_in_row(name),
            Mode::ColumnGroup => self.end_in_column_group(name),
        }
    }

    fn mode(&self) -> Mode {
        let Some(current) = self.open.last() else {
            return Mode::Body;
        };
        if is(current.name, "table") {
            Mode::Table
        } else if current.properties & class::TABLE_SECTION != 0 {
            Mode::TableBody
        } else if is(current.name, "tr") {
            Mode::Row
        } else if is(current.name, "colgroup") {
            Mode::ColumnGroup
        } else {
            Mode::Body
        }
    }

    fn loosen(&mut self) {
        self.loose = true;
    }

    fn start_loose(&mut self, name: &'h str, tag: &'h str) {
        self.nodes += self.formatting_elements();
        if class::start(name) == Start::TablePart {
            // A row and a table body the parser may add around it.
            self.push("");
            self.push("");
        }
        if matches!(
            class::start(name),
            Start::HeadVoid | Start::InlineVoid | Start::PlainVoid | Start::Hr
        ) {
            self.nodes += 1;
        } else if class::properties(name) & class::FORMATTING != 0 {
            self.push_formatting(name, tag);
        } else {
            self.push(name);
        }
    }

    fn end_loose(&mut self, name: &str) {
        match class::end(name) {
            End::Formatting => self.nodes += ADOPTION_NODES,
            End::Br => self.nodes += 1 + self.formatting_elements(),
            End::P => self.nodes += 1,
            _ => {}
        }
    }

    fn start_in_body(&mut self, name: &'h str, tag: &'h str) -> Then<'h> {
        match class::start(name) {
            Start::Ignored => {}
            Start::HeadVoid | Start::PlainVoid => self.nodes += 1,
            Start::RawText => {
                self.push(name);
                return Then::RawText(name);
            }
            Start::Xmp => {
                self.close_p();
                self.reconstruct();
                self.push(name);
                return Then::RawText(name);
            }
            Start::Plaintext => {
                self.close_p();
                self.push(name);
                return Then::RawText(name);
            }
            Start::Block | Start::Table => {
                self.close_p();
                self.push(name);
            }
            Start::Heading => {
                self.close_p();
                if self.current_has(class::HEADING) {
                    self.pop();
                }
                self.push(name);
            }
            Start::ListItem | Start::Definition => {
                self.close_list_item(name);
                self.close_p();
                self.push(name);
            }
            Start::Button => {
                self.pop_to_named(name, class::DEFAULT_SCOPE);
                self.reconstruct();
                self.push(name);
            }
            Start::A => self.start_a(tag),
            Start::Nobr => {
                self.reconstruct();
                if self
                    .in_scope(|o| is(o.name, name), class::DEFAULT_SCOPE)
                    .is_some()
                {
                    self.adoption_agency(name);
                    self.reconstruct();
                }
                self.push_formatting(name, tag);
            }
            Start::Formatting => {
                self.reconstruct();
                self.push_formatting(name, tag);
            }
            Start::Marker => {
                self.reconstruct();
                self.push(name);
                self.formatting.push(Entry::Marker);
            }
            Start::InlineVoid => {
                self.reconstruct();
                self.nodes += 1;
            }
            Start::Hr => {
                self.close_p();
                self.nodes += 1;
            }
            Start::Option => {
                if self.current_is("option") {
                    self.pop();
                }
                self.reconstruct();
                self.push(name);
            }
            Start::TablePart => {
                // In a cell or caption, a table part closes it and is read again.
                let cell = self.in_scope(
                    |o| o.properties & class::CELL_OR_CAPTION != 0,
                    class::TABLE_SCOPE,
                );
                if let Some(at) = cell {
                    self.pop_to(at);
                    self.clear_formatting_to_marker();
                    return self.start_followed(name, tag);
                }
            }
            Start::Unfollowed => self.loosen(),
            Start::Ordinary => {
                self.reconstruct();
                self.push(name);
            }
        }
        Then::Markup
    }

    /// `<a>` while another `<a>` is active closes that one first.
    fn start_a(&mut self, tag: &'h str) {
        if let Some(entry) = self.last_formatting_named("a") {
            let Entry::Element { id, .. } = self.formatting[entry] else {
                unreachable!("last_formatting_named finds elements")
            };
            self.adoption_agency("a");
            if self.loose {
                return;
            }
            self.formatting
                .retain(|e| !matches!(e, Entry::Element { id: other, .. } if *other == id));
            if let Some(at) = self.open.iter().rposition(|o| o.id == id) {
                self.open.remove(at);
                self.is_open[id] = false;
            }
        }
        self.reconstruct();
        self.push_formatting("a", tag);
    }

    fn start_in_table(&mut self, name: &'h str, tag: &'h str) -> Then<'h> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "caption" => {
                self.push(name);
                self.formatting.push(Entry::Marker);
            }
            "colgroup" | "tbody" | "thead" | "tfoot" => self.push(name),
            "col" => {
                self.push("colgroup");
                return self.start_followed(name, tag);
            }
            "td" | "th" | "tr" => {
                self.push("tbody");
                return self.start_followed(name, tag);
            }
            "table" => {
                self.pop();
                return self.start_followed(name, tag);
            }
            "style" | "script" => {
                self.push(name);
                return Then::RawText(name);
            }
            _ => self.loosen(),
        }
        Then::Markup
    }

    fn start_in_table_body(&mut self, name: &'h str, tag: &'h str) -> Then<'h> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "tr" => self.push(name),
            "td" | "th" => {
                self.push("tr");
                return self.start_followed(name, tag);
            }
            "caption" | "col" | "colgroup" | "tbody" | "tfoot" | "thead" | "table" => {
                self.pop();
                return self.start_followed(name, tag);
            }
            _ => return self.start_in_table(name, tag),
        }
        Then::Markup
    }

    fn start_in_row(&mut self, name: &'h str, tag: &'h str) -> Then<'h> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "td" | "th" => {
                self.push(name);
                self.formatting.push(Entry::Marker);
            }
            "caption" | "col" | "colgroup" | "tbody" | "tfoot" | "thead" | "tr" | "table" => {
                self.pop();
                return self.start_followed(name, tag);
            }
            _ => return self.start_in_table(name, tag),
        }
        Then::Markup
    }

    fn start_in_column_group(&mut self, name: &'h str, tag: &'h str) -> Then<'h> {
        if is(name, "col") {
            self.nodes += 1;
        } else if is(name, "template") {
            self.loosen();
        } else {
            self.pop();
            return self.start_followed(name, tag);
        }
        Then::Markup
    }

    fn end_in_body(&mut self, name: &'h str) {
        match class::end(name) {
            End::Ignored => {}
            End::Unfollowed => self.loosen(),
            End::Block => {
                self.pop_to_named(name, class::DEFAULT_SCOPE);
            }
            End::Marker => {
                if self.pop_to_named(name, class::DEFAULT_SCOPE) {
                    self.clear_formatting_to_marker();
                }
            }
            End::P => {
                if !self.close_p() {
                    // `</p>` with no paragraph open makes an empty one.
                    self.nodes += 1;
                }
            }
            End::ListItem => {
                self.pop_to_named(name, class::LIST_ITEM_SCOPE);
            }
            End::Definition => {
                self.pop_to_named(name, class::DEFAULT_SCOPE);
            }
            End::Heading => {
                let heading =
                    self.in_scope(|o| o.properties & class::HEADING != 0, class::DEFAULT_SCOPE);
                if let Some(at) = heading {
                    self.pop_to(at);
                }
            }
            End::Formatting => self.adoption_agency(name),
            End::Br => {
                // `</br>` is read as `<br>`.
                self.reconstruct();
                self.nodes += 1;
            }
            End::TablePart => self.end_table_part(name),
            End::Other => self.end_other(name),
        }
    }

    fn end_in_table(&mut self, name: &'h str) {
        match class::end(name) {
            End::TablePart if is(name, "table") => self.pop(),
            End::TablePart | End::Ignored => {}
            // An empty paragraph, inserted before the table and closed at once.
            End::P => self.nodes += 1,
            // Formatting elements re-opened before a `<br>` would be inserted before the table
            // yet stay open above it.
            End::Br | End::Unfollowed => self.loosen(),
            _ => self.end_in_body(name),
        }
    }

    fn end_in_table_body(&mut self, name: &'h str) {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "tbody" | "tfoot" | "thead" => {
                self.pop_to_named(name, class::TABLE_SCOPE);
            }
            "table" => {
                self.pop();
                self.end_followed(name);
            }
            _ => self.end_in_table(name),
        }
    }

    fn end_in_row(&mut self, name: &'h str) {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "tr" => self.pop(),
            "table" => {
                self.pop();
                self.end_followed(name);
            }
            "tbody" | "tfoot" | "thead" => {
                if self
                    .in_scope(|o| is(o.name, name), class::TABLE_SCOPE)
                    .is_some()
                {
                    self.pop();
                    self.end_followed(name);
                }
            }
            _ => self.end_in_table(name),
        }
    }

    fn end_in_column_group(&mut self, name: &'h str) {
        if is(name, "colgroup") {
            self.pop();
        } else if is(name, "template") {
            self.loosen();
        } else if !is(name, "col") {
            self.pop();
            self.end_followed(name);
        }
    }

    /// Closes the table part if it is in table scope; closing a cell or caption on the way
    /// clears the formatting elements opened in it.
    fn end_table_part(&mut self, name: &str) {
        let Some(at) = self.in_scope(|o| is(o.name, name), class::TABLE_SCOPE) else {
            return;
        };
        let closes_cell = self.open[at..]
            .iter()
            .any(|o| o.properties & class::CELL_OR_CAPTION != 0);
        self.pop_to(at);
        if closes_cell {
            self.clear_formatting_to_marker();
        }
    }

    /// The adoption agency algorithm where it only pops; where it would move elements, the tree
    /// turns loose.
    fn adoption_agency(&mut self, name: &str) {
        if let Some(current) = self.open.last() {
            if is(current.name, name) && !self.is_formatting_entry(current.id) {
                self.pop();
                return;
            }
        }
        let Some(entry) = self.last_formatting_named(name) else {
            self.end_other(name);
            return;
        };
        let Entry::Element { id, .. } = self.formatting[entry] else {
            unreachable!("last_formatting_named finds elements")
        };
        let Some(at) = self.open.iter().rposition(|o| o.id == id) else {
            self.formatting.remove(entry);
            return;
        };
        if self
            .in_scope(|o| o.id == id, class::DEFAULT_SCOPE)
            .is_none()
        {
            return;
        }
        if self.open[at..]
            .iter()
            .any(|o| o.properties & class::SPECIAL != 0)
        {
            self.nodes += ADOPTION_NODES;
            self.loosen();
            return;
        }
        self.pop_to(at);
        self.formatting.remove(entry);
    }

    /// Any other end tag closes the nearest open element of its name, unless a special element
    /// comes first.
    fn end_other(&mut self, name: &str) {
        for at in (0..self.open.len()).rev() {
            let node = self.open[at];
            if is(node.name, name) {
                self.pop_to(at);
                return;
            }
            if node.properties & class::SPECIAL != 0 {
                return;
            }
        }
    }

    /// A new `<li>` closes the open one (a new `<dd>` or `<dt>` either of those), unless a
    /// special element other than `<address>`, `<div>` or `<p>` comes first.
    fn close_list_item(&mut self, name: &str) {
        let closes = |other: &str| {
            if is(name, "li") {
                is(other, "li")
            } else {
                is(other, "dd") || is(other, "dt")
            }
        };
        for at in (0..self.open.len()).rev() {
            let node = self.open[at];
            if closes(node.name) {
                self.pop_to(at);
                return;
            }
            if node.properties & class::SPECIAL != 0
                && node.properties & class::LIST_ITEM_PASSES == 0
            {
                return;
            }
        }
    }

    fn close_p(&mut self) -> bool {
        self.pop_to_named("p", class::BUTTON_SCOPE)
    }

    fn pop_to_named(&mut self, name: &str, scope: u32) -> bool {
        match self.in_scope(|o| is(o.name, name), scope) {
            Some(at) => {
                self.pop_to(at);
                true
            }
            None => false,
        }
    }

    /// Where the nearest open element that `wanted` picks is, if no element ending `scope`
    /// comes before it.
    fn in_scope(&self, wanted: impl Fn(&Open) -> bool, scope: u32) -> Option<usize> {
        for at in (0..self.open.len()).rev() {
            let node = &self.open[at];
            if wanted(node) {
                return Some(at);
            }
            if node.properties & scope != 0 {
                return None;
            }
        }
        None
    }

    fn current_is(&self, name: &str) -> bool {
        self.open.last().is_some_and(|o| is(o.name, name))
    }

    fn current_has(&self, properties: u32) -> bool {
        self.open
            .last()
            .is_some_and(|o| o.properties & properties != 0)
    }

    /// Opens an element; returns its id.
    fn open_element(&mut self, name: &'h str) -> usize {
        let id = self.is_open.len();
        self.is_open.push(true);
        self.open.push(Open {
            name,
            properties: class::properties(name),
            id,
        });
        self.nodes += 1;
        id
    }

    fn push(&mut self, name: &'h str) {
        self.open_element(name);
    }

    /// Pops the current node. Its marker, if it pushed one, stays: the parser clears markers
    /// only where a cell, caption, `<applet>`, `<marquee>` or `<object>` is closed on purpose.
    fn pop(&mut self) {
        if let Some(node) = self.open.pop() {
            self.is_open[node.id] = false;
        }
    }

    /// Pops the element at `at` and everything opened after it.
    fn pop_to(&mut self, at: usize) {
        while self.open.len() > at {
            self.pop();
        }
    }

    fn clear_formatting_to_marker(&mut self) {
        while let Some(entry) = self.formatting.pop() {
            if matches!(entry, Entry::Marker) {
                return;
            }
        }
    }

    fn formatting_elements(&self) -> usize {
        self.formatting
            .iter()
            .filter(|e| matches!(e, Entry::Element { .. }))
            .count()
    }

    /// The entries after the last marker, as a range of `formatting`.
    fn since_marker(&self) -> std::ops::Range<usize> {
        let start = self
            .formatting
            .iter()
            .rposition(|e| matches!(e, Entry::Marker))
            .map_or(0, |i| i + 1);
        start..self.formatting.len()
    }

    fn last_formatting_named(&self, name: &str) -> Option<usize> {
        self.since_marker()
            .rev()
            .find(|&i| matches!(self.formatting[i], Entry::Element { name: n, .. } if is(n, name)))
    }

    fn is_formatting_entry(&self, element: usize) -> bool {
        self.formatting
            .iter()
            .any(|e| matches!(e, Entry::Element { id, .. } if *id == element))
    }

    /// Opens a formatting element. Noah's Ark: a fourth one identical to three since the last
    /// marker drops the earliest of them. Identity is certain only without attributes (with
    /// them, html5ever compares decoded, sorted attributes), so a fourth with attributes turns
    /// the tree loose.
    fn push_formatting(&mut self, name: &'h str, tag: &'h str) {
        let has_attributes = tag[1 + name.len()..tag.len() - 1]
            .bytes()
            .any(|b| !b" \t\n\x0c\r/".contains(&b));
        let same: Vec<usize> = self
            .since_marker()
            .filter(|&i| {
                matches!(self.formatting[i], Entry::Element { name: n, has_attributes: a, .. }
                    if is(n, name) && a == has_attributes)
            })
            .collect();
        if same.len() >= 3 {
            if has_attributes {
                self.loosen();
            } else if !self.loose {
                self.formatting.remove(same[0]);
            }
        }
        let id = self.open_element(name);
        self.formatting.push(Entry::Element {
            name,
            has_attributes,
            id,
        });
    }

    /// Re-opens the formatting elements after the last marker that were closed, as the parser
    /// does before text and most start tags.
    fn reconstruct(&mut self) {
        let mut first = self.formatting.len();
        while first > 0 {
            match self.formatting[first - 1] {
                Entry::Element { id, .. } if !self.is_open[id] => first -= 1,
                _ => break,
            }
        }
        for at in first..self.formatting.len() {
            if let Entry::Element { name, .. } = self.formatting[at] {
                let new = self.open_element(name);
                if let Entry::Element { id, .. } = &mut self.formatting[at] {
                    *id = new;
                }
            }
        }
    }
}
