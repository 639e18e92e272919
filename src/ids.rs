//! Resource ids: UUIDs in canonical lower-case text, one type per kind, so
//! a post id cannot be passed where a user id is meant. Parsed once, at the
//! edge; storage hands back ids it stored.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh, time-ordered id (UUID v7).
            pub fn new() -> Self {
                $name(uuid::Uuid::now_v7().hyphenated().to_string())
            }

            /// The id in `raw`, in canonical form; `None` when it is not a UUID.
            pub fn parse(raw: &str) -> Option<Self> {
                uuid::Uuid::parse_str(raw)
                    .ok()
                    .map(|u| $name(u.hyphenated().to_string()))
            }

            /// An id as storage holds it (written by [`Self::new`] or
            /// [`Self::parse`]), taken without checking again.
            pub fn from_stored(text: String) -> Self {
                $name(text)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

        }

        /// Only a UUID deserialises: an import or a cursor cannot carry
        /// anything else as an id.
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).ok_or_else(|| {
                    serde::de::Error::custom(format!("{raw:?} is not a UUID"))
                })
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
    };
}

/// A fresh UUID v7 for the resources without an id type of their own
/// (webhooks, deliveries, API keys, token families).
pub fn new_uuid() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}

/// `raw` as a canonical UUID, for those same resources.
pub fn parse_uuid(raw: &str) -> Option<String> {
    uuid::Uuid::parse_str(raw)
        .ok()
        .map(|u| u.hyphenated().to_string())
}

id_type!(
    /// A user's id.
    UserId
);
id_type!(
    /// A post's id.
    PostId
);
id_type!(
    /// An event's id (also its SSE id and webhook delivery's event).
    EventId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_to_one_canonical_form() {
        let upper = "0190A4B2-7C3D-7E8F-9A0B-1C2D3E4F5A6B";
        let id = UserId::parse(upper).expect("a UUID");
        assert_eq!(id.as_str(), "0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b");
        assert_eq!(UserId::parse(&format!("{{{upper}}}")), Some(id.clone()));
        for bad in ["", "x", "0190a4b2-7c3d-7e8f-9a0b", "../etc/passwd"] {
            assert_eq!(PostId::parse(bad), None, "{bad:?}");
        }
        let fresh = PostId::new();
        assert_eq!(PostId::parse(&fresh), Some(fresh));
        assert_eq!(
            serde_json::to_string(&id).ok().as_deref(),
            Some("\"0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b\"")
        );
    }
}
