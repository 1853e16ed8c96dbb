//! sea-orm entities, one file per table. These are storage rows: GraphQL types live in `api`,
//! except the stored enums (`enums`), which are the GraphQL enums of the same name.
pub mod bans;
pub mod blocks;
pub mod devices;
pub mod enums;
pub mod groups;
pub mod ids;
pub mod invite_codes;
pub mod memberships;
pub mod mod_log;
pub mod mood_checkins;
pub mod mood_reminder_days;
pub mod mood_reminders;
pub mod mood_share_accesses;
pub mod mood_shares;
pub mod notifications;
pub mod posts;
pub mod prelude;
pub mod push_jobs;
pub mod push_preferences;
pub mod reactions;
pub mod refresh_tokens;
pub mod replies;
pub mod reports;
pub mod sessions;
pub mod users;
