use crate::ids::{AnswerId, UserId};
use sea_orm::entity::prelude::*;

/// One person found one answer helpful.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "answer_helpful")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub answer_id: AnswerId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
