use crate::ids::{CheckinId, UserId};
use sea_orm::entity::prelude::*;

/// One mood check-in. Its owner's alone: no other person reads it unless the owner shares.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mood_checkins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: CheckinId,
    pub user_id: UserId,
    pub score: i16,
    /// Comma-separated names from the emotion vocabulary.
    pub emotions: String,
    pub note: Option<String>,
    /// Hours of sleep times four.
    pub sleep_quarters: Option<i16>,
    pub logged_at: DateTimeUtc,
    pub idempotency_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
