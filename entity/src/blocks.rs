use crate::ids::UserId;
use sea_orm::entity::prelude::*;

/// One person blocking another: content and notifications stop both ways.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "blocks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub blocker_id: UserId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub blocked_id: UserId,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
