//! Typed identifiers. The spec requires path IDs to be *lowercase* hyphenated UUIDs, which is
//! stricter than `Uuid::parse_str` (it also takes upper case, braces and URNs), so parsing is
//! done here and every other layer only ever sees an ID that is already valid.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// True when `s` matches `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`.
pub fn is_canonical_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh random (v4) identifier: IDs are bearer capabilities for the payer's
            /// page, so they carry 122 random bits rather than a guessable time prefix.
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }

            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                if !is_canonical_uuid(s) {
                    return Err(InvalidId);
                }
                Uuid::parse_str(s).map(Self).map_err(|_| InvalidId)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                // Rendered on the stack: every answer and stored document carries IDs.
                let mut buffer = Uuid::encode_buffer();
                serializer.serialize_str(self.0.hyphenated().encode_lower(&mut buffer))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

uuid_id!(
    /// A tenant: its own tokens, origins, chains and deny list.
    EnvironmentId
);
uuid_id!(
    /// One payment, deposit or withdrawal.
    FlowId
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a lowercase hyphenated UUID")]
pub struct InvalidId;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_only_lowercase_hyphenated() {
        assert!(
            "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
                .parse::<FlowId>()
                .is_ok()
        );
        assert!(
            "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"
                .parse::<FlowId>()
                .is_err()
        );
        assert!(
            "0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d"
                .parse::<FlowId>()
                .is_err()
        );
        assert!(
            "{0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d}"
                .parse::<FlowId>()
                .is_err()
        );
        assert!("".parse::<FlowId>().is_err());
    }

    proptest! {
        #[test]
        fn display_parse_round_trips(bytes in any::<[u8; 16]>()) {
            let id = FlowId::from_uuid(Uuid::from_bytes(bytes));
            prop_assert_eq!(id.to_string().parse::<FlowId>().unwrap(), id);
        }

        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = s.parse::<EnvironmentId>();
        }
    }
}
