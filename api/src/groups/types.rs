//! The vocabularies of groups. They are stored enums, defined with the entities.
pub use entity::enums::{LedBy, MemberState, NotificationLevel, Role, Topic, Visibility};
