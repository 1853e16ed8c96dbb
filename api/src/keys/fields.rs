//! Every column that holds sealed values, in one place: the services seal and open through
//! these, and the backfill and the rotation walk them.
use super::ring::Indexed;
use super::vault::Field;

/// The note of a mood check-in.
pub const MOOD_NOTE: Field = Field::new("mood_checkins", "note");
/// A person's email address.
pub const EMAIL: Field = Field::new("users", "email");
/// A device's FCM registration token.
pub const DEVICE_TOKEN: Field = Field::new("devices", "token");
/// A data export's document while it waits to be downloaded.
pub const EXPORT_DOCUMENT: Field = Field::new("export_jobs", "document");
/// The label a person gave a share of their moods ("Dr Okafor").
pub const SHARE_LABEL: Field = Field::new("mood_shares", "label");
/// The address of a mail in the outbox, sealed under the server's key.
pub const MAIL_TO: Field = Field::new("mail_jobs", "to_address");

/// A column sealed under its owner's data key.
pub struct PersonField {
    pub field: Field,
    /// The column naming the owner.
    pub owner: &'static str,
    /// The blind index kept beside it, if it is looked up by value.
    pub index: Option<(&'static str, Indexed)>,
}

pub const PERSON_FIELDS: &[PersonField] = &[
    PersonField {
        field: EMAIL,
        owner: "id",
        index: Some(("email_index", Indexed::Email)),
    },
    PersonField {
        field: MOOD_NOTE,
        owner: "user_id",
        index: None,
    },
    PersonField {
        field: DEVICE_TOKEN,
        owner: "user_id",
        index: Some(("token_index", Indexed::DeviceToken)),
    },
    PersonField {
        field: EXPORT_DOCUMENT,
        owner: "user_id",
        index: None,
    },
    PersonField {
        field: SHARE_LABEL,
        owner: "user_id",
        index: None,
    },
];
