//! Entity ids as types (defined with the entities, in `entity::ids`).
pub use entity::ids::*;

/// The "Deleted member" account: what posts kept after their author deleted their account point
/// to, so nothing links them back (made by a migration; nobody can sign in as it).
pub fn deleted_member() -> UserId {
    UserId::from(migration::DELETED_MEMBER_ID)
}
