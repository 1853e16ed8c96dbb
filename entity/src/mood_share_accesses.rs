use crate::ids::{MoodShareId, ShareAccessId};
use sea_orm::entity::prelude::*;

/// One use of a share: when, and which share. Never what was seen.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mood_share_accesses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ShareAccessId,
    pub share_id: MoodShareId,
    pub accessed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
