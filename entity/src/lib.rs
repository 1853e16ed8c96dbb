//! sea-orm entities, one file per table. These are storage rows: GraphQL types live in `api`.
pub mod devices;
pub mod prelude;
pub mod refresh_tokens;
pub mod sessions;
pub mod users;
