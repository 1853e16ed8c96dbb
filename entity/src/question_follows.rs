use crate::ids::{QuestionId, UserId};
use sea_orm::entity::prelude::*;

/// Someone who hears of new answers to a question (the asker follows their own).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "question_follows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub question_id: QuestionId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
