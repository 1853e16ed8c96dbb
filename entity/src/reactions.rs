use crate::enums::{ContentType, ReactionKind};
use crate::ids::UserId;
use sea_orm::entity::prelude::*;

/// One person's reaction of one kind to a post or reply.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub target_type: ContentType,
    #[sea_orm(primary_key, auto_increment = false)]
    pub target_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: ReactionKind,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
