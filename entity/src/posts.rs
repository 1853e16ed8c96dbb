use crate::ids::{GroupId, PostId, UserId};
use sea_orm::entity::prelude::*;

/// A post in a group.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "posts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: PostId,
    pub group_id: GroupId,
    pub author_id: UserId,
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
    /// Shown as "Anonymous member": no field names the author to other people.
    pub anonymous: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Who writes a new post where, and when.
pub struct NewRow {
    pub id: PostId,
    pub group_id: GroupId,
    pub author_id: UserId,
    pub title: String,
    pub body: String,
    pub at: DateTimeUtc,
}

impl ActiveModel {
    /// A new post as every writer starts it (the API, the demo, the benchmarks' seeds): listed,
    /// without replies, flags, edits, content warning or idempotency key.
    pub fn fresh(row: NewRow) -> Self {
        use sea_orm::ActiveValue::Set;
        ActiveModel {
            id: Set(row.id),
            group_id: Set(row.group_id),
            author_id: Set(row.author_id),
            title: Set(row.title),
            body: Set(row.body),
            content_warning: Set(None),
            idempotency_key: Set(None),
            reply_count: Set(0),
            pinned: Set(false),
            locked: Set(false),
            edited_at: Set(None),
            deleted_at: Set(None),
            removed_at: Set(None),
            removed_reason: Set(None),
            last_activity_at: Set(row.at),
            created_at: Set(row.at),
            anonymous: Set(false),
        }
    }
}
