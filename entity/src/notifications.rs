use crate::enums::NotificationKind;
use crate::ids::{
    AnswerId, GroupId, MeetingId, NotificationId, PostId, QuestionId, ReplyId, UserId,
};
use sea_orm::entity::prelude::*;

/// An entry in someone's notification inbox. Reactions to one item batch into one entry.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: NotificationId,
    pub user_id: UserId,
    pub kind: NotificationKind,
    pub group_id: Option<GroupId>,
    pub post_id: Option<PostId>,
    pub reply_id: Option<ReplyId>,
    pub actor_id: Option<UserId>,
    pub question_id: Option<QuestionId>,
    pub answer_id: Option<AnswerId>,
    pub meeting_id: Option<MeetingId>,
    pub detail: Option<String>,
    pub count: i32,
    pub read_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
