//! sea-orm entities, one file per table. These are storage rows: GraphQL types live in `api`.
pub mod bans;
pub mod blocks;
pub mod devices;
pub mod groups;
pub mod invite_codes;
pub mod memberships;
pub mod mod_log;
pub mod posts;
pub mod prelude;
pub mod reactions;
pub mod refresh_tokens;
pub mod replies;
pub mod reports;
pub mod sessions;
pub mod users;
