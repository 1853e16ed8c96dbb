use crate::ids::{GroupId, PostId, ReplyId, UserId};
use sea_orm::entity::prelude::*;

/// A reply to a post, possibly to a top-level reply (one level of nesting).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "replies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ReplyId,
    pub post_id: PostId,
    pub group_id: GroupId,
    pub author_id: UserId,
    pub parent_reply_id: Option<ReplyId>,
    pub body: String,
    pub idempotency_key: Option<String>,
    pub edited_at: Option<DateTimeUtc>,
    pub deleted_at: Option<DateTimeUtc>,
    pub removed_at: Option<DateTimeUtc>,
    pub removed_reason: Option<String>,
    pub created_at: DateTimeUtc,
    /// Written by the anonymous author of the post, as that anonymous author.
    pub anonymous: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Who replies to which post (in its group), with what, and when.
pub struct NewRow {
    pub id: ReplyId,
    pub post_id: PostId,
    pub group_id: GroupId,
    pub author_id: UserId,
    pub body: String,
    pub at: DateTimeUtc,
}

impl ActiveModel {
    /// A new top-level reply as every writer starts it: listed, unedited, without idempotency key.
    pub fn fresh(row: NewRow) -> Self {
        use sea_orm::ActiveValue::Set;
        ActiveModel {
            id: Set(row.id),
            post_id: Set(row.post_id),
            group_id: Set(row.group_id),
            author_id: Set(row.author_id),
            parent_reply_id: Set(None),
            body: Set(row.body),
            idempotency_key: Set(None),
            edited_at: Set(None),
            deleted_at: Set(None),
            removed_at: Set(None),
            removed_reason: Set(None),
            created_at: Set(row.at),
            anonymous: Set(false),
        }
    }
}
