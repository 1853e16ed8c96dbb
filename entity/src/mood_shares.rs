use crate::ids::{MoodShareId, UserId};
use sea_orm::entity::prelude::*;

/// A read-only window on someone's check-ins for a clinician or someone trusted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mood_shares")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: MoodShareId,
    pub user_id: UserId,
    pub label: String,
    /// SHA-256 of the token, hex. The token is shown to the owner once.
    #[sea_orm(unique)]
    pub token_hash: String,
    pub include_notes: bool,
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    pub last_accessed_at: Option<DateTimeUtc>,
    pub access_count: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
