//! Turns a `Digest` into the subject, the plain-text part and the HTML part.
use super::content::Digest;
use askama::Template;

/// Where a digest's links point. The thread and space pages come with the web issue.
pub struct Links {
    pub public_url: String,
    pub unsubscribe_url: String,
}

impl Links {
    pub fn home(&self) -> String {
        format!("{}/", self.public_url)
    }

    pub fn thread(&self, id: &i32) -> String {
        format!("{}/threads/{id}", self.public_url)
    }

    /// A page of the site by its path (`/documents/3`).
    pub fn page(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    pub fn space(&self, slug: &str) -> String {
        format!("{}/spaces/{slug}", self.public_url)
    }

    pub fn sensitive(&self, slug: &str) -> String {
        format!(
            "{}/spaces/{slug}?marking=official-sensitive",
            self.public_url
        )
    }

    pub fn preferences(&self) -> String {
        format!("{}/settings/email", self.public_url)
    }

    pub fn unsubscribe(&self) -> &str {
        &self.unsubscribe_url
    }
}

#[derive(Template)]
#[template(path = "mail/digest.txt", whitespace = "preserve")]
struct TextPart<'a> {
    d: &'a Digest,
    links: &'a Links,
    marking: &'a str,
    period: String,
}

#[derive(Template)]
#[template(path = "mail/digest.html", whitespace = "preserve")]
struct HtmlPart<'a> {
    d: &'a Digest,
    links: &'a Links,
    marking: &'a str,
    period: String,
    subject: &'a str,
}

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "OFFICIAL: Roundtable weekly — 12 new threads in IT & Digital, Resilience…"
pub fn subject(d: &Digest) -> String {
    let mut busiest: Vec<_> = d.spaces.iter().filter(|s| !s.threads.is_empty()).collect();
    busiest.sort_by_key(|s| std::cmp::Reverse(s.threads.len() + s.more));
    let mut names: Vec<&str> = busiest.iter().take(2).map(|s| s.name.as_str()).collect();
    if names.is_empty() {
        names = d.spaces.iter().take(2).map(|s| s.name.as_str()).collect();
    }
    let places = if names.is_empty() {
        String::new()
    } else {
        let more = if d.spaces.len() > names.len() {
            "…"
        } else {
            ""
        };
        format!(" in {}{more}", names.join(", "))
    };
    let active: usize = d.spaces.iter().map(|s| s.threads.len() + s.more).sum();
    let summary = if d.new_threads() > 0 {
        format!(
            "{}{places}",
            plural(d.new_threads(), "new thread", "new threads")
        )
    } else if active > 0 {
        format!(
            "{}{places}",
            plural(active, "active thread", "active threads")
        )
    } else if !d.endorsed.is_empty() {
        plural(
            d.endorsed.len(),
            "newly endorsed best practice",
            "newly endorsed best practices",
        )
    } else if !d.replies.is_empty() || d.sensitive_replies > 0 {
        let n: usize = d.replies.iter().map(|r| r.posts).sum::<usize>() + d.sensitive_replies;
        plural(n, "reply to you", "replies to you")
    } else if d.requests_waiting > 0 {
        plural(
            d.requests_waiting,
            "request to join waiting for you",
            "requests to join waiting for you",
        )
    } else {
        let n: usize = d.spaces.iter().map(|s| s.sensitive).sum();
        format!(
            "{}{places}",
            plural(n, "OFFICIAL-SENSITIVE thread", "OFFICIAL-SENSITIVE threads")
        )
    };
    format!("{}: Roundtable weekly — {summary}", d.marking)
}

pub fn render(d: &Digest, links: &Links) -> Result<Rendered, askama::Error> {
    let subject = subject(d);
    let marking = d.marking.as_str();
    let period = format!(
        "week {} ({} to {})",
        d.week,
        d.from.format("%-d %B"),
        d.to.format("%-d %B %Y")
    );
    let text = TextPart {
        d,
        links,
        marking,
        period: period.clone(),
    }
    .render()?;
    let html = HtmlPart {
        d,
        links,
        marking,
        period,
        subject: &subject,
    }
    .render()?;
    Ok(Rendered {
        subject,
        text,
        html,
    })
}
