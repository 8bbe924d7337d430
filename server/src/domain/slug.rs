use super::ParseError;
use std::fmt;

/// A space's URL name: 2–64 characters of lower-case letters, digits and single hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let ok = (2..=64).contains(&raw.len())
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !raw.starts_with('-')
            && !raw.ends_with('-')
            && !raw.contains("--");
        if ok {
            Ok(Slug(raw.to_string()))
        } else {
            Err(ParseError(format!(
                "{raw:?} is not a valid slug: use 2-64 lower-case letters, digits and single hyphens"
            )))
        }
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_refuses() {
        assert!(Slug::parse("it-digital").is_ok());
        for bad in ["", "a", "IT", "it--x", "-it", "it-", "it digital", "it/x"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn accepted_slugs_are_url_safe(s in "\\PC{0,70}") {
            if let Ok(slug) = Slug::parse(&s) {
                prop_assert!(slug.as_ref().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
            }
        }
    }
}
