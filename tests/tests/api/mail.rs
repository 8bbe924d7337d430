//! Reading what the SMTP sink received: decoded headers and parts.
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc, Weekday};
use roundtable_tests::smtp_sink::Received;

#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub raw: String,
    pub message_id: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub list_id: String,
    pub list_unsubscribe: String,
    pub list_unsubscribe_post: String,
}

impl Mail {
    pub fn parse(r: &Received) -> Mail {
        let raw = String::from_utf8_lossy(&r.raw).to_string();
        let msg = mail_parser::MessageParser::default()
            .parse(&r.raw)
            .expect("a parseable message");
        let header = |name: &str| {
            msg.header_raw(name)
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        Mail {
            to: r.to.clone(),
            message_id: msg.message_id().unwrap_or_default().to_string(),
            subject: msg.subject().unwrap_or_default().to_string(),
            text: msg.body_text(0).map(|t| t.to_string()).unwrap_or_default(),
            html: msg.body_html(0).map(|t| t.to_string()).unwrap_or_default(),
            list_id: header("List-Id"),
            list_unsubscribe: header("List-Unsubscribe"),
            list_unsubscribe_post: header("List-Unsubscribe-Post"),
            raw,
        }
    }

    /// Every readable form of the message: raw bytes, decoded subject and both decoded parts.
    pub fn everything(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}",
            self.raw, self.subject, self.text, self.html
        )
    }

    /// Links to `prefix…` in the text part.
    pub fn links(&self, prefix: &str) -> Vec<String> {
        self.text
            .split_whitespace()
            .filter(|w| w.starts_with(prefix))
            .map(|w| w.trim_end_matches(['.', ',', ')']).to_string())
            .collect()
    }
}

pub fn parse_all(received: &[Received]) -> Vec<Mail> {
    received.iter().map(Mail::parse).collect()
}

/// The next Monday 07:00 in London strictly after `now`: when default digests fall due.
pub fn next_default_due(now: DateTime<Utc>) -> DateTime<Utc> {
    let london = chrono_tz::Europe::London;
    let mut day = now.with_timezone(&london).date_naive();
    loop {
        if day.weekday() == Weekday::Mon {
            let at = london
                .from_local_datetime(&day.and_hms_opt(7, 0, 0).unwrap())
                .earliest()
                .unwrap()
                .with_timezone(&Utc);
            if at > now {
                return at;
            }
        }
        day += Duration::days(1);
    }
}

/// "2026-W49" for a moment, as London sees it.
pub fn iso_week(at: DateTime<Utc>) -> String {
    let w = at
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive()
        .iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}
