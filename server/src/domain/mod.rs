//! Values with rules, parsed once at the edge (HTTP body, CLI argument, config) so the rest of
//! the server takes these types, never raw strings.
mod email;
mod marking;
mod org_kind;
pub mod portfolio;
mod role;
mod slug;
mod tag;

pub use email::Email;
pub use marking::Marking;
pub use org_kind::OrgKind;
pub use role::{Role, RoleSet};
pub use slug::Slug;
pub use tag::{Tag, TagList};

/// Why a value was refused; the message is written for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// Defines `as_str`, `FromStr` and `Display` for a closed set of names stored as text.
macro_rules! named_enum {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::domain::ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim() {
                    $($name => Ok($ty::$variant),)+
                    other => Err($crate::domain::ParseError(format!(
                        "unknown {} {:?}; expected one of: {}",
                        $what,
                        other,
                        [$($name),+].join(", ")
                    ))),
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use named_enum;
