//! GraphQL types and resolvers of the notification inbox.
use crate::graphql::context::ContextExt;
use crate::graphql::{GroupObject, UserObject};
use crate::ids::{AnswerId, NotificationId, QuestionId};
use crate::notifications::service::{self, NotificationKind};
use crate::pagination::{connection, Cursor, ListInfo, PageArgs};
use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::notifications;

pub struct NotificationObject(pub notifications::Model);

impl NotificationObject {
    fn cursor(&self) -> Cursor {
        Cursor {
            at: self.0.updated_at,
            id: self.0.id.to_string(),
        }
    }

    async fn actor_name(&self, ctx: &Context<'_>) -> Result<String> {
        let (Some(actor), Some(group)) = (&self.0.actor_id, &self.0.group_id) else {
            return Ok("Someone".into());
        };
        Ok(UserObject::in_group(ctx, actor, group)
            .await?
            .map_or_else(|| "Someone".into(), |u| u.display_name))
    }
}

/// Something in my inbox: what happened, where, and who was behind it. Never the content.
#[Object(name = "Notification")]
impl NotificationObject {
    /// Names this notification across the whole API.
    pub(crate) async fn id(&self) -> ID {
        ID::from(self.0.id.clone())
    }
    /// What it is about. Always set; nullable for apps built when unknown kinds were possible.
    async fn kind(&self) -> Option<NotificationKind> {
        Some(self.0.kind)
    }
    /// The group it happened in; null when there is none or it is hidden from me.
    async fn group(&self, ctx: &Context<'_>) -> Result<Option<GroupObject>> {
        let Some(group_id) = &self.0.group_id else {
            return Ok(None);
        };
        Ok(GroupObject::reachable(ctx, group_id).await?)
    }
    /// The post it is about, if any.
    async fn post_id(&self) -> Option<ID> {
        self.0.post_id.clone().map(ID::from)
    }
    /// The reply it is about, if any.
    async fn reply_id(&self) -> Option<ID> {
        self.0.reply_id.clone().map(ID::from)
    }
    /// The question it is about, if any.
    async fn question_id(&self) -> Option<&QuestionId> {
        self.0.question_id.as_ref()
    }
    /// The answer it is about, if any.
    async fn answer_id(&self) -> Option<&AnswerId> {
        self.0.answer_id.as_ref()
    }
    /// The meeting it is about (a reminder, a cancellation, a place freed).
    async fn meeting_id(&self) -> Option<ID> {
        self.0.meeting_id.clone().map(ID::from)
    }
    /// The latest person behind it, as shown in that group.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<UserObject>> {
        let (Some(actor), Some(group)) = (&self.0.actor_id, &self.0.group_id) else {
            return Ok(None);
        };
        Ok(UserObject::in_group(ctx, actor, group).await?)
    }
    /// How many actions it gathers (reactions batch while unread).
    async fn count(&self) -> i32 {
        self.0.count
    }
    /// A short line to show, e.g. "3 people sent support". Never the content itself.
    async fn text(&self, ctx: &Context<'_>) -> Result<String> {
        let actor = self.actor_name(ctx).await?;
        let count = self.0.count;
        let detail = self.0.detail.as_deref().unwrap_or_default();
        Ok(match self.0.kind {
            NotificationKind::Reply => format!("{actor} replied to your post"),
            NotificationKind::ThreadReply => {
                format!("{actor} replied in a thread you follow")
            }
            NotificationKind::Reaction => {
                let verb = match detail {
                    "RELATE" => "relate to what you wrote",
                    "THANKS" => "said thanks",
                    _ => "sent support",
                };
                if count > 1 {
                    format!("{count} people {verb}")
                } else {
                    format!("{actor} {verb}")
                }
            }
            NotificationKind::NewPost => format!("{actor} posted in one of your groups"),
            NotificationKind::JoinRequest => format!("{actor} asked to join your group"),
            NotificationKind::JoinApproved => "Your request to join a group was approved".into(),
            NotificationKind::Moderation => match detail {
                "BAN" => "A moderator banned you from a group".into(),
                "REMOVE_REPLY" => "A moderator removed your reply".into(),
                "REMOVE_QUESTION" => "A moderator removed your question".into(),
                "REMOVE_ANSWER" => "A moderator removed your answer".into(),
                _ => "A moderator removed your post".into(),
            },
            NotificationKind::MoodReminder => "How are you feeling today?".into(),
            NotificationKind::CrisisFlag => {
                "Something written in your group may need a moderator's care".into()
            }
            NotificationKind::Answer => format!("{actor} answered a question you follow"),
            NotificationKind::ExpertAnswer => "An expert answered your question".into(),
            NotificationKind::AnswerAccepted => "Your answer was accepted".into(),
            NotificationKind::QuestionReminder => {
                "Your question has answers: did one help? You can accept it".into()
            }
            NotificationKind::MeetingReminder => match detail {
                "DAY_BEFORE" => "A meeting in one of your groups is tomorrow".into(),
                _ => "A meeting in one of your groups starts in 1 hour".into(),
            },
            NotificationKind::MeetingCancelled => {
                "A meeting you were coming to was cancelled".into()
            }
            NotificationKind::MeetingMoved => "A meeting you are coming to was moved".into(),
            NotificationKind::MeetingPlace => {
                "A place opened up: you are going to the meeting".into()
            }
        })
    }
    /// Whether I marked it read.
    async fn read(&self) -> bool {
        self.0.read_at.is_some()
    }
    /// When it was first written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed (a batch grew): the inbox runs by it, latest first.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// My notifications, latest activity first.
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return, at most 100 (20 if not given).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last item already shown (`pageInfo.endCursor`).")]
        after: Option<String>,
        #[graphql(desc = "True: only those I have not read.")] unread_only: Option<bool>,
    ) -> Result<Connection<String, NotificationObject, ListInfo>> {
        let page = PageArgs::new(first, after)?;
        let unread_only = unread_only.unwrap_or(false);
        let rows =
            service::list(&ctx.app()?.db, &ctx.viewer()?.user_id, unread_only, &page).await?;
        Ok(connection(
            rows.map(NotificationObject),
            NotificationObject::cursor,
            page.after.is_some(),
            None,
        ))
    }
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks notifications of mine read: those in `ids` (at most 100), or all with `all: true`.
    /// Answers the ones named in `ids` as they are now, and my account with its new unread
    /// count (the app's badge), for an app's cache.
    async fn read_notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Notifications of mine to mark, at most 100.")] ids: Option<
            Vec<NotificationId>,
        >,
        #[graphql(desc = "True marks every notification of mine, whatever `ids` holds.")]
        all: Option<bool>,
    ) -> Result<NotificationsRead> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let ids = ids.unwrap_or_default();
        let marked = mark(app, viewer, &ids, all.unwrap_or(false)).await?;
        let rows = service::mine_among(&app.db, &viewer.user_id, &ids).await?;
        let me = crate::accounts::service::find_user(&app.db, &viewer.user_id).await?;
        Ok(NotificationsRead {
            marked,
            notifications: rows.into_iter().map(NotificationObject).collect(),
            account: crate::graphql::Account(me),
        })
    }

    /// Marks the given notifications (or with `all`, every one) read; returns how many changed.
    #[graphql(
        deprecation = "Use `readNotifications`, which answers the notifications and my unread count."
    )]
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Notifications of mine to mark, at most 100.")] ids: Option<
            Vec<NotificationId>,
        >,
        #[graphql(desc = "True marks every notification of mine, whatever `ids` holds.")]
        all: Option<bool>,
    ) -> Result<u64> {
        let ids = ids.unwrap_or_default();
        Ok(mark(ctx.app()?, ctx.viewer()?, &ids, all.unwrap_or(false)).await?)
    }
}

/// Marks mine read; at most 100 named at once.
async fn mark(
    app: &crate::state::AppContext,
    viewer: &crate::auth::Viewer,
    ids: &[NotificationId],
    all: bool,
) -> Result<u64, crate::error::AppError> {
    if ids.len() > 100 {
        return Err(crate::error::AppError::bad_input(
            "ids",
            "at most 100 at a time; use all: true",
        ));
    }
    service::mark_read(&app.db, &viewer.user_id, ids, all).await
}

/// What marking notifications read changed, for an app's cache.
#[derive(async_graphql::SimpleObject)]
pub struct NotificationsRead {
    /// How many were unread and are read now.
    marked: u64,
    /// The notifications named in `ids`, as they are now (with `all`, only those named).
    notifications: Vec<NotificationObject>,
    /// My account, for its `unreadNotificationCount`.
    account: crate::graphql::Account,
}
