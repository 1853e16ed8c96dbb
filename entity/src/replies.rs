use sea_orm::entity::prelude::*;

/// A reply to a post, possibly to a top-level reply (one level of nesting).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "replies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub post_id: String,
    pub group_id: String,
    pub author_id: String,
    pub parent_reply_id: Option<String>,
    pub body: String,
    pub idempotency_key: Option<String>,
    pub edited_at: Option<DateTimeUtc>,
    pub deleted_at: Option<DateTimeUtc>,
    pub removed_at: Option<DateTimeUtc>,
    pub removed_reason: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
