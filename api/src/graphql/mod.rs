//! The GraphQL API: the schema, its context and loaders, the guard on every document, and the
//! object types and roots of every feature. One room above the features, because object types
//! refer to each other both ways (a group lists its posts, a post names its group): kept in the
//! feature folders they would tie those folders into one loop. Resolvers stay thin over the
//! features' services.
pub mod accounts;
pub mod context;
pub mod delivery;
pub(crate) mod document_guard;
pub mod groups;
pub mod loaders;
pub mod meetings;
pub mod moderation;
pub mod mood_shares;
pub mod moods;
pub mod nodes;
pub mod notifications;
pub mod posts;
pub mod push;
pub mod query_cost;
pub mod questions;
pub mod schema;
pub mod subscriptions;

pub use accounts::{Account, AccountMutation, AccountQuery};
pub use groups::{
    ExpertStanding, GroupMutation, GroupObject, GroupQuery, MemberObject, UserObject,
};
pub use meetings::{MeetingMutation, MeetingObject, MeetingQuery, MeetingSeriesObject};
pub use moderation::{ModLogEntryObject, ModerationMutation, ModerationQuery};
pub use mood_shares::{ShareMutation, ShareQuery};
pub use moods::{MoodMutation, MoodQuery};
pub use nodes::{Deletion, Node, NodeQuery};
pub use notifications::{NotificationMutation, NotificationObject, NotificationQuery};
pub use posts::{
    authors_asked, crisis_resources, PostMutation, PostObject, PostQuery, ReplyObject,
};
pub use push::{PushMutation, PushPreferencesObject};
pub(crate) use questions::person;
pub use questions::{AnswerObject, QuestionMutation, QuestionObject, QuestionQuery};
pub use subscriptions::LiveSubscription;
