//! Text fields with limits, parsed once from a request. Errors name the field.
use crate::error::ApiError;

/// A thread title: trimmed, 1..=max characters, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub fn parse(raw: &str, max_chars: usize) -> Result<Self, ApiError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ApiError::validation("title", "title must not be empty"));
        }
        if s.chars().count() > max_chars {
            return Err(ApiError::validation(
                "title",
                format!("title must be at most {max_chars} characters"),
            ));
        }
        if s.chars().any(char::is_control) {
            return Err(ApiError::validation(
                "title",
                "title must be one line of text",
            ));
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
    pub fn parse(raw: &str, max_chars: usize) -> Result<Self, ApiError> {
        if raw.trim().is_empty() {
            return Err(ApiError::validation("body", "body must not be empty"));
        }
        if raw.chars().count() > max_chars {
            return Err(ApiError::validation(
                "body",
                format!("body must be at most {max_chars} characters"),
            ));
        }
        if raw.contains('\0') {
            return Err(ApiError::validation(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_name_the_field() {
        let err = Title::parse(&"x".repeat(201), 200).unwrap_err();
        assert!(matches!(err, ApiError::Validation { field: Some(ref f), .. } if f == "title"));
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
