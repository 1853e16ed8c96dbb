use crate::ids::UserId;
use sea_orm::entity::prelude::*;

/// A person's private calendar feed: the keyed hash of the secret in its URL (the secret
/// itself is shown once and never kept).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_feeds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub show_group_names: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
