//! Text fields with limits, parsed once from a request. Errors name the field.
use crate::markdown::{self, RenderPolicy, RenderRefusal};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A value that breaks a rule, with the field it came from and a message for the person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InputError {
    pub field: &'static str,
    pub message: String,
}

impl InputError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        InputError {
            field,
            message: message.into(),
        }
    }
}

impl From<RenderRefusal> for InputError {
    fn from(refusal: RenderRefusal) -> Self {
        InputError::new("body", refusal.to_string())
    }
}

/// Why a post's Markdown was not rendered: refused, or the rendering task failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderFailure {
    #[error(transparent)]
    Refused(#[from] RenderRefusal),
    #[error("the rendering task failed")]
    Task(#[source] tokio::task::JoinError),
}

/// A thread title: trimmed, 1..=max characters, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub fn parse(raw: &str, max_chars: usize) -> Result<Self, InputError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(InputError::new("title", "title must not be empty"));
        }
        if s.chars().count() > max_chars {
            return Err(InputError::new(
                "title",
                format!("title must be at most {max_chars} characters"),
            ));
        }
        if s.chars().any(char::is_control) {
            return Err(InputError::new("title", "title must be one line of text"));
        }
        Ok(Title(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A post's Markdown source: not blank, at most `max` characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostBody(String);

impl PostBody {
    pub fn parse(raw: &str, max_chars: usize) -> Result<Self, InputError> {
        if raw.trim().is_empty() {
            return Err(InputError::new("body", "body must not be empty"));
        }
        if raw.chars().count() > max_chars {
            return Err(InputError::new(
                "body",
                format!("body must be at most {max_chars} characters"),
            ));
        }
        if raw.contains('\0') {
            return Err(InputError::new(
                "body",
                "body must not contain NUL characters",
            ));
        }
        Ok(PostBody(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A post's text as it is stored: the Markdown, its sanitised HTML and its plain text. Made
/// before any transaction begins, so no database lock is held while Markdown is rendered.
#[derive(Debug, Clone)]
pub struct RenderedBody {
    pub markdown: String,
    pub html: String,
    pub text: String,
}

impl RenderedBody {
    /// Renders on the calling thread, within `budget` (the CLI, seeding and imports).
    pub fn render_now(
        body: &PostBody,
        policy: &RenderPolicy,
        budget: Duration,
    ) -> Result<Self, RenderRefusal> {
        let rendered = markdown::render_bounded(body.as_str(), policy, Instant::now() + budget)?;
        Ok(RenderedBody {
            markdown: body.as_str().to_string(),
            html: rendered.html,
            text: rendered.text,
        })
    }

    /// Parses and renders with the default policy and a generous budget: for seeding, imports
    /// and benchmarks, where no request waits on a worker. Errors name the field, as for a
    /// request.
    pub fn from_markdown(raw: &str, max_chars: usize) -> Result<Self, InputError> {
        let body = PostBody::parse(raw, max_chars)?;
        Ok(Self::render_now(
            &body,
            &RenderPolicy::default(),
            Duration::from_secs(10),
        )?)
    }

    /// Renders on the blocking pool, never on an HTTP worker, within `budget`. A body that
    /// cannot be rendered in time is refused, and the request answered at once.
    pub async fn render_off_workers(
        body: PostBody,
        policy: Arc<RenderPolicy>,
        budget: Duration,
    ) -> Result<Self, RenderFailure> {
        let work = tokio::task::spawn_blocking(move || Self::render_now(&body, &policy, budget));
        // The deadline inside the renderer is the real bound; this one only guards against a
        // step between its checks running long.
        match tokio::time::timeout(budget * 2, work).await {
            Ok(Ok(result)) => Ok(result?),
            Ok(Err(join)) => Err(RenderFailure::Task(join)),
            Err(_) => Err(RenderRefusal::TooSlow.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_name_the_field() {
        let err = Title::parse(&"x".repeat(201), 200).unwrap_err();
        assert_eq!(err.field, "title");
        assert!(Title::parse("  ", 200).is_err());
        assert!(Title::parse("a\nb", 200).is_err());
        assert_eq!(
            Title::parse(" Mutual aid ", 200).unwrap().as_str(),
            "Mutual aid"
        );
        assert!(PostBody::parse("", 10).is_err());
        assert!(PostBody::parse(&"é".repeat(10), 10).is_ok());
        assert!(PostBody::parse(&"é".repeat(11), 10).is_err());
    }
}
