use super::ParseError;
use std::fmt;

/// A thread tag: 1–40 characters of letters, digits, hyphens and dots, no spaces.
/// Case is kept for display ("M365"); comparison is by the stored name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tag(String);

pub const MAX_TAG_CHARS: usize = 40;

impl Tag {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let s = raw.trim();
        let count = s.chars().count();
        if count == 0 || count > MAX_TAG_CHARS {
            return Err(ParseError(format!(
                "tag {s:?} must be 1 to {MAX_TAG_CHARS} characters"
            )));
        }
        if !s
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.' || c == '_')
        {
            return Err(ParseError(format!(
                "tag {s:?} may hold only letters, digits, '-', '_' and '.'"
            )));
        }
        Ok(Tag(s.to_string()))
    }
}

impl AsRef<str> for Tag {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The tags of one thread: distinct, at most `max` of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagList(Vec<Tag>);

impl TagList {
    pub fn parse(raw: &[String], max: usize) -> Result<Self, ParseError> {
        if raw.len() > max {
            return Err(ParseError(format!("at most {max} tags are allowed")));
        }
        let mut tags: Vec<Tag> = Vec::with_capacity(raw.len());
        for r in raw {
            let tag = Tag::parse(r)?;
            if !tags.iter().any(|t| t.0.eq_ignore_ascii_case(&tag.0)) {
                tags.push(tag);
            }
        }
        Ok(TagList(tags))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Tag> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(Tag::parse(&"x".repeat(41)).is_err());
        assert!(Tag::parse("mutual-aid").is_ok());
        assert!(Tag::parse("two words").is_err());
        let many: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        assert!(TagList::parse(&many, 10).is_err());
        let dupes = vec!["cloud".to_string(), "Cloud".to_string()];
        assert_eq!(TagList::parse(&dupes, 10).unwrap().iter().count(), 1);
    }
}
