//! The vocabularies of groups. They are stored enums, defined with the entities.
pub use entity::enums::{LedBy, MemberState, NotificationLevel, Role, Topic, Visibility};

use crate::ids::UserId;

/// How a member shows in a group: their alias there (if any) and their role.
#[derive(Clone, Debug)]
pub struct Standing {
    pub alias: Option<String>,
    pub role: Role,
}

/// A person as a group shows them: their pseudonym, and their standing there while an active
/// member.
#[derive(Clone, Debug)]
pub struct PersonInGroup {
    pub id: UserId,
    pub display_name: String,
    pub standing: Option<Standing>,
}
