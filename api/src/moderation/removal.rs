//! A moderator removes a post, reply, question or answer: it leaves every list, the removal goes
//! into the group's mod log (for a platform-wide question, the server's audit log), and its
//! author is told. Removing what is already removed changes nothing.
use super::reports::{reason_text, require_moderator};
use crate::auth::Viewer;
use crate::broker::Committed;
use crate::clock::now;
use crate::community::access::group_access;
use crate::community::mod_log::log_action;
use crate::db::{begin_write, count_change};
use crate::error::{AppError, AppResult};
use crate::ids::{AnswerId, GroupId, PostId, QuestionId, ReplyId, UserId};
use crate::notifications::service::{notify_person, About, NotificationKind};
use crate::questions::answers::{take_from_question, visible_answer};
use crate::questions::crisis::about as about_question;
use crate::questions::service::visible_question;
use entity::enums::{ModAction, ModTarget};
use entity::{answers, groups, posts, questions, replies};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

/// What a moderator removes.
#[derive(Clone, Debug)]
pub enum Item {
    Post(PostId),
    Reply(ReplyId),
    Question(QuestionId),
    Answer(AnswerId),
}

/// The item as it is once removed.
#[derive(Clone, Debug)]
pub enum Removed {
    Post(posts::Model),
    Reply(replies::Model),
    Question(questions::Model),
    Answer(answers::Model),
}

/// What removing an item wrote, for the record beside it.
struct TakenDown {
    removed: Removed,
    group_id: Option<GroupId>,
    action: ModAction,
    target: (ModTarget, String),
    author_id: UserId,
    about: About,
}

pub async fn remove(
    db: &DatabaseConnection,
    viewer: &Viewer,
    item: &Item,
    reason: &str,
) -> AppResult<Committed<Removed>> {
    let reason = reason_text(reason)?;
    let txn = begin_write(db).await?;
    let taken = match item {
        Item::Post(id) => take_down_post(&txn, viewer, id, &reason).await?,
        Item::Reply(id) => take_down_reply(&txn, viewer, id, &reason).await?,
        Item::Question(id) => take_down_question(&txn, viewer, id, &reason).await?,
        Item::Answer(id) => take_down_answer(&txn, viewer, id, &reason).await?,
    };
    let taken = match taken {
        Ok(taken) => taken,
        Err(already) => return Ok(Committed::quiet(already)),
    };
    let (action, target) = (taken.action, (taken.target.0, taken.target.1.as_str()));
    match &taken.group_id {
        Some(group_id) => {
            log_action(
                &txn,
                group_id,
                &viewer.user_id,
                action,
                Some(target),
                Some(&reason),
            )
            .await?;
        }
        None => {
            tracing::info!(admin = %viewer.user_id, item = target.1, action = action.as_str(), "audit: a platform-wide item removed");
        }
    }
    let about = About {
        detail: Some(action.as_str().into()),
        ..taken.about
    };
    let kind = NotificationKind::Moderation;
    let notified = notify_person(&txn, &taken.author_id, kind, &viewer.user_id, about).await?;
    txn.commit().await?;
    Ok(Committed::new(taken.removed, notified.into()))
}

/// A post (or the post of a reply) with its group's moderator acting on it.
pub(super) async fn moderated_post(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    post_id: &PostId,
) -> AppResult<posts::Model> {
    let post = posts::Entity::find_by_id(post_id.to_owned())
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let access = group_access(txn, viewer, &post.group_id).await?;
    if !access.can_read_content() {
        return Err(AppError::NotFound);
    }
    access.require_moderator()?;
    Ok(post)
}

/// Each kind's own step: `Err` holds an item removed before, which is left as it is.
type TakeDown = AppResult<Result<TakenDown, Removed>>;

async fn take_down_post(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: &PostId,
    reason: &str,
) -> TakeDown {
    let post = moderated_post(txn, viewer, id).await?;
    if post.removed_at.is_some() {
        return Ok(Err(Removed::Post(post)));
    }
    let was_listed = post.deleted_at.is_none();
    let mut active: posts::ActiveModel = post.into();
    active.removed_at = Set(Some(now()));
    active.removed_reason = Set(Some(reason.to_owned()));
    let post = active.update(txn).await?;
    if was_listed {
        count_change::<groups::Entity>(groups::Column::PostCount, -1)
            .filter(groups::Column::Id.eq(post.group_id.as_str()))
            .exec(txn)
            .await?;
    }
    Ok(Ok(TakenDown {
        group_id: Some(post.group_id.clone()),
        action: ModAction::RemovePost,
        target: (ModTarget::Post, post.id.to_string()),
        author_id: post.author_id.clone(),
        about: About {
            group_id: Some(post.group_id.clone()),
            post_id: Some(post.id.clone()),
            ..Default::default()
        },
        removed: Removed::Post(post),
    }))
}

async fn take_down_reply(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: &ReplyId,
    reason: &str,
) -> TakeDown {
    let reply = replies::Entity::find_by_id(id.to_owned())
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    moderated_post(txn, viewer, &reply.post_id).await?;
    if reply.removed_at.is_some() {
        return Ok(Err(Removed::Reply(reply)));
    }
    let was_listed = reply.deleted_at.is_none();
    let mut active: replies::ActiveModel = reply.into();
    active.removed_at = Set(Some(now()));
    active.removed_reason = Set(Some(reason.to_owned()));
    let reply = active.update(txn).await?;
    if was_listed {
        count_change::<posts::Entity>(posts::Column::ReplyCount, -1)
            .filter(posts::Column::Id.eq(reply.post_id.as_str()))
            .exec(txn)
            .await?;
    }
    Ok(Ok(TakenDown {
        group_id: Some(reply.group_id.clone()),
        action: ModAction::RemoveReply,
        target: (ModTarget::Reply, reply.id.to_string()),
        author_id: reply.author_id.clone(),
        about: About {
            group_id: Some(reply.group_id.clone()),
            post_id: Some(reply.post_id.clone()),
            reply_id: Some(reply.id.clone()),
            ..Default::default()
        },
        removed: Removed::Reply(reply),
    }))
}

async fn take_down_question(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: &QuestionId,
    reason: &str,
) -> TakeDown {
    let question = visible_question(txn, viewer, id).await?;
    require_moderator(txn, viewer, question.group_id.as_ref()).await?;
    if question.removed_at.is_some() {
        return Ok(Err(Removed::Question(question)));
    }
    let about = about_question(&question, None);
    let mut active: questions::ActiveModel = question.into();
    active.removed_at = Set(Some(now()));
    active.removed_reason = Set(Some(reason.to_owned()));
    let question = active.update(txn).await?;
    Ok(Ok(TakenDown {
        group_id: question.group_id.clone(),
        action: ModAction::RemoveQuestion,
        target: (ModTarget::Question, question.id.to_string()),
        author_id: question.author_id.clone(),
        about,
        removed: Removed::Question(question),
    }))
}

async fn take_down_answer(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: &AnswerId,
    reason: &str,
) -> TakeDown {
    let (answer, question) = visible_answer(txn, viewer, id).await?;
    require_moderator(txn, viewer, question.group_id.as_ref()).await?;
    if answer.removed_at.is_some() {
        return Ok(Err(Removed::Answer(answer)));
    }
    take_from_question(txn, &question, &answer).await?;
    let about = about_question(&question, Some(&answer));
    let mut active: answers::ActiveModel = answer.into();
    active.removed_at = Set(Some(now()));
    active.removed_reason = Set(Some(reason.to_owned()));
    active.accepted = Set(false);
    let answer = active.update(txn).await?;
    Ok(Ok(TakenDown {
        group_id: question.group_id.clone(),
        action: ModAction::RemoveAnswer,
        target: (ModTarget::Answer, answer.id.to_string()),
        author_id: answer.author_id.clone(),
        about,
        removed: Removed::Answer(answer),
    }))
}
