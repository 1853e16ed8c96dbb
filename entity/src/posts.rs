use sea_orm::entity::prelude::*;

/// A post in a group.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "posts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub group_id: String,
    pub author_id: String,
    pub title: String,
    pub body: String,
    pub content_warning: Option<String>,
    pub idempotency_key: Option<String>,
    pub reply_count: i32,
    pub pinned: bool,
    pub locked: bool,
    pub edited_at: Option<DateTimeUtc>,
    pub deleted_at: Option<DateTimeUtc>,
    pub removed_at: Option<DateTimeUtc>,
    pub removed_reason: Option<String>,
    pub last_activity_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
