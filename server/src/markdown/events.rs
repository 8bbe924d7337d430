//! The event stream between pulldown-cmark and the HTML writer: it stops when the deadline
//! passes or nesting goes past the policy's depth, and writes images from hosts the policy does
//! not allow as links to them.

use super::{RenderPolicy, RenderRefusal};
use pulldown_cmark::{CowStr, Event, Tag, TagEnd};
use std::collections::VecDeque;
use std::time::Instant;

/// Events between looks at the clock.
const CLOCK_EVERY: usize = 1024;

/// Ends the events early once `deadline` has passed.
pub(super) struct Deadline<I> {
    events: I,
    deadline: Instant,
    seen: usize,
    pub passed: bool,
}

impl<I> Deadline<I> {
    pub fn new(events: I, deadline: Instant) -> Self {
        Deadline {
            events,
            deadline,
            seen: 0,
            passed: false,
        }
    }
}

impl<'a, I: Iterator<Item = Event<'a>>> Iterator for Deadline<I> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        self.seen += 1;
        if self.seen.is_multiple_of(CLOCK_EVERY) && Instant::now() > self.deadline {
            self.passed = true;
        }
        if self.passed {
            return None;
        }
        self.events.next()
    }
}

/// The events to write as HTML; after them, [`Guard::finish`] says whether they were all.
pub(super) struct Guard<'a, 'p, I> {
    events: Deadline<I>,
    policy: &'p RenderPolicy,
    containers: usize,
    inline: usize,
    /// For each image open: whether it is written as a link.
    images: Vec<bool>,
    /// Read ahead, not yet looked at.
    ahead: Option<Event<'a>>,
    /// Looked at and rewritten, to hand out as they are.
    ready: VecDeque<Event<'a>>,
    refusal: Option<RenderRefusal>,
}

impl<'a, 'p, I: Iterator<Item = Event<'a>>> Guard<'a, 'p, I> {
    pub fn new(events: I, policy: &'p RenderPolicy, deadline: Instant) -> Self {
        Guard {
            events: Deadline::new(events, deadline),
            policy,
            containers: 0,
            inline: 0,
            images: Vec::new(),
            ahead: None,
            ready: VecDeque::new(),
            refusal: None,
        }
    }

    pub fn finish(self) -> Result<(), RenderRefusal> {
        match self.refusal {
            Some(refusal) => Err(refusal),
            None if self.events.passed => Err(RenderRefusal::TooSlow),
            None => Ok(()),
        }
    }

    fn track(&mut self, event: &Event) -> Result<(), RenderRefusal> {
        let limit = self.policy.max_depth;
        match event {
            Event::Start(tag) => match nesting(&tag.to_end()) {
                Nesting::Container => {
                    self.containers += 1;
                    if self.containers > limit {
                        return Err(RenderRefusal::NestedTooDeep { limit });
                    }
                }
                Nesting::Inline => {
                    self.inline += 1;
                    if self.inline > limit {
                        return Err(RenderRefusal::FormattingTooDeep { limit });
                    }
                }
                Nesting::None => {}
            },
            Event::End(end) => match nesting(end) {
                Nesting::Container => self.containers -= 1,
                Nesting::Inline => self.inline -= 1,
                Nesting::None => {}
            },
            _ => {}
        }
        Ok(())
    }

    fn rewrite(&mut self, event: Event<'a>) -> Event<'a> {
        match event {
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) if !image_allowed(&dest_url, &self.policy.allowed_image_hosts) => {
                self.image_as_link(&dest_url);
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            Event::Start(Tag::Image { .. }) => {
                self.images.push(false);
                event
            }
            Event::End(TagEnd::Image) if self.images.pop() == Some(true) => {
                Event::End(TagEnd::Link)
            }
            event => event,
        }
    }

    /// An image written as a link shows its alt text, or its address if it has none.
    fn image_as_link(&mut self, url: &CowStr<'a>) {
        match self.events.next() {
            Some(Event::End(TagEnd::Image)) => {
                self.inline -= 1;
                self.ready.push_back(Event::Text(url.clone()));
                self.ready.push_back(Event::End(TagEnd::Link));
            }
            next => {
                self.images.push(true);
                self.ahead = next;
            }
        }
    }
}

impl<'a, I: Iterator<Item = Event<'a>>> Iterator for Guard<'a, '_, I> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        if self.refusal.is_some() {
            return None;
        }
        if let Some(event) = self.ready.pop_front() {
            return Some(event);
        }
        let event = self.ahead.take().or_else(|| self.events.next())?;
        if let Err(refusal) = self.track(&event) {
            self.refusal = Some(refusal);
            return None;
        }
        Some(self.rewrite(event))
    }
}

enum Nesting {
    /// Counts towards the depth of quotes and lists.
    Container,
    /// Counts towards the depth of emphasis, links and images.
    Inline,
    None,
}

fn nesting(end: &TagEnd) -> Nesting {
    match end {
        TagEnd::BlockQuote(_) | TagEnd::Item | TagEnd::FootnoteDefinition => Nesting::Container,
        TagEnd::Emphasis
        | TagEnd::Strong
        | TagEnd::Strikethrough
        | TagEnd::Superscript
        | TagEnd::Subscript
        | TagEnd::Link
        | TagEnd::Image => Nesting::Inline,
        _ => Nesting::None,
    }
}

/// An `http` or `https` URL whose host is one of `hosts`, compared without case.
pub(super) fn image_allowed(url: &str, hosts: &[String]) -> bool {
    if hosts.is_empty() {
        return false;
    }
    let Ok(url) = url::Url::parse(url) else {
        return false;
    };
    matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|host| {
            hosts
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(host))
        })
}
