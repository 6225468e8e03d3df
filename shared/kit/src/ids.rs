//! Typed identifiers.
//!
//! In the database and inside the fleet an id is a UUIDv7 (time-ordered, so
//! B-tree inserts stay local). At the public edge it is shown with a type
//! prefix and the 128 bits in Crockford base32, e.g.
//! `contact_01jd3k6w9x4r2t8v5m7n0p1q2s`: short, unambiguous when read aloud,
//! sortable like the UUID, and impossible to pass where another kind of id is
//! expected. Each kind is its own type, so a `BookingId` can't be given where
//! a `ContactId` is wanted.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// Why a public id could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("expected an id starting with {expected:?}")]
    WrongPrefix { expected: &'static str },
    #[error("is not a valid {expected} id")]
    Malformed { expected: &'static str },
}

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// 128 bits as 26 Crockford base32 characters (the first carries 3 bits).
pub fn encode_base32(value: u128) -> String {
    let mut out = [0u8; 26];
    for (i, slot) in out.iter_mut().enumerate() {
        let shift = 5 * (25 - i);
        *slot = ALPHABET[((value >> shift) & 0x1f) as usize];
    }
    out.iter().map(|&b| char::from(b)).collect()
}

/// Inverse of [`encode_base32`]; accepts upper case and Crockford's
/// look-alikes (`i`/`l` as 1, `o` as 0).
pub fn decode_base32(text: &str) -> Option<u128> {
    if text.len() != 26 {
        return None;
    }
    let mut value: u128 = 0;
    for (i, byte) in text.bytes().enumerate() {
        let digit = match byte.to_ascii_lowercase() {
            b'o' => 0,
            b'i' | b'l' => 1,
            c => ALPHABET.iter().position(|&a| a == c)? as u128,
        };
        // 26 * 5 = 130 bits: the first character may only carry 3.
        if i == 0 && digit > 7 {
            return None;
        }
        value = (value << 5) | digit;
    }
    Some(value)
}

/// Common behaviour of every typed id.
pub trait TypedId: Copy + Sized {
    const PREFIX: &'static str;
    fn from_uuid(uuid: Uuid) -> Self;
    fn uuid(&self) -> Uuid;

    /// Reads the public form (`prefix_base32`).
    fn parse_public(text: &str) -> Result<Self, IdError> {
        let rest = text
            .strip_prefix(Self::PREFIX)
            .and_then(|r| r.strip_prefix('_'))
            .ok_or(IdError::WrongPrefix { expected: Self::PREFIX })?;
        decode_base32(rest)
            .map(|bits| Self::from_uuid(Uuid::from_u128(bits)))
            .ok_or(IdError::Malformed { expected: Self::PREFIX })
    }

    /// Reads a plain UUID, as carried inside the fleet (protobuf, events).
    fn parse_uuid(text: &str) -> Result<Self, IdError> {
        Uuid::parse_str(text)
            .map(Self::from_uuid)
            .map_err(|_| IdError::Malformed { expected: Self::PREFIX })
    }

    /// [`TypedId::parse_uuid`] for a request field: the error names `field`
    /// ("contact_id: is not a contact id").
    fn parse_uuid_at(field: &str, text: &str) -> Result<Self, crate::Error> {
        Self::parse_uuid(text).map_err(|_| crate::Error::invalid(field, format!("is not {}", Self::ARTICLE_NAME)))
    }

    /// [`TypedId::parse_public`] for a request field or path segment.
    fn parse_public_at(field: &str, text: &str) -> Result<Self, crate::Error> {
        Self::parse_public(text).map_err(|e| crate::Error::invalid(field, e.to_string()))
    }

    /// "a contact id", for messages.
    const ARTICLE_NAME: &'static str;
}

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident, $prefix:literal) => {
        typed_id!($(#[$meta])* $name, $prefix, concat!("a ", $prefix, " id"));
    };
    ($(#[$meta:meta])* $name:ident, $prefix:literal, $article_name:expr) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type)]
        #[sqlx(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl TypedId for $name {
            const PREFIX: &'static str = $prefix;
            const ARTICLE_NAME: &'static str = $article_name;
            fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
            fn uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        /// The public form, `prefix_base32`.
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}_{}", $prefix, encode_base32(self.0.as_u128()))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <Self as TypedId>::parse_public(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

typed_id!(
    /// An organisation (tenant).
    OrgId,
    "org",
    "an organisation id"
);
typed_id!(
    /// A staff or portal user.
    UserId,
    "user"
);
typed_id!(
    /// A person: lead, patient, client, family member or partner.
    ContactId,
    "contact"
);
typed_id!(
    /// An appointment.
    BookingId,
    "booking"
);
typed_id!(
    /// A staff task.
    TaskId,
    "task"
);
typed_id!(
    /// A timeline entry on a contact.
    TouchpointId,
    "touchpoint"
);
typed_id!(
    /// A domain event (also its JetStream message id).
    EventId,
    "evt",
    "an event id"
);
typed_id!(
    /// One merge of two contacts (undoable).
    MergeId,
    "merge"
);
typed_id!(
    /// When a patient is due back (booking's recalls).
    RecallId,
    "recall"
);
typed_id!(
    /// A care recipient (care's clients).
    ClientId,
    "client"
);
typed_id!(
    /// A family member's link to a client.
    FamilyMemberId,
    "family",
    "a family member id"
);
typed_id!(
    /// A care update (progress note).
    NoteId,
    "note"
);
typed_id!(
    /// A client's appointment (care's, not booking's).
    AppointmentId,
    "appt",
    "an appointment id"
);
typed_id!(
    /// A message between a client's family and the care team.
    MessageId,
    "msg",
    "a message id"
);
typed_id!(
    /// A document in a client's record.
    DocumentId,
    "doc",
    "a document id"
);
typed_id!(
    /// One day's health log of a client.
    HealthLogId,
    "healthlog",
    "a health log id"
);
typed_id!(
    /// An SMS, either way.
    SmsId,
    "sms",
    "an SMS id"
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn public_form_has_the_prefix_and_26_characters() {
        let id = ContactId::new();
        let text = id.to_string();
        assert!(text.starts_with("contact_"), "{text}");
        assert_eq!(text.len(), "contact_".len() + 26);
        assert_eq!(text.parse::<ContactId>().unwrap(), id);
    }

    #[test]
    fn an_id_of_another_kind_is_refused() {
        let booking = BookingId::new().to_string();
        assert_eq!(
            booking.parse::<ContactId>(),
            Err(IdError::WrongPrefix { expected: "contact" })
        );
    }

    #[test]
    fn garbage_after_the_prefix_is_refused() {
        for text in [
            "contact_",
            "contact_xyz",
            "contact_zzzzzzzzzzzzzzzzzzzzzzzzzz",
            "contactx_0",
        ] {
            assert!(text.parse::<ContactId>().is_err(), "{text}");
        }
    }

    #[test]
    fn order_of_public_ids_follows_creation_order() {
        let a = EventId::new();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = EventId::new();
        assert!(a.to_string() < b.to_string());
    }

    #[test]
    fn serde_uses_the_public_form() {
        let id = TaskId::new();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<TaskId>(&json).unwrap(), id);
    }

    proptest! {
        #[test]
        fn base32_round_trips_every_value(value: u128) {
            prop_assert_eq!(decode_base32(&encode_base32(value)), Some(value));
        }

        #[test]
        fn base32_preserves_order(a: u128, b: u128) {
            prop_assert_eq!(a.cmp(&b), encode_base32(a).cmp(&encode_base32(b)));
        }

        #[test]
        fn decoding_is_case_insensitive(value: u128) {
            prop_assert_eq!(decode_base32(&encode_base32(value).to_uppercase()), Some(value));
        }
    }
}
