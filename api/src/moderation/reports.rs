//! One report queue for posts, replies, questions and answers. A report is handled by the
//! moderators of the group the item was written in, or for a platform-wide question (and its
//! answers) by the platform admins; platform admins handle every report. Handling one (resolving
//! it, revealing who wrote the item) goes into the group's mod log, or for a platform-wide
//! question into the server's audit log.
use crate::auth::Viewer;
use crate::clock::now;
use crate::community::access::{group_access, is_admin};
use crate::community::mod_log::log_action;
use crate::community::reports::{self as rows, Filer, Target};
use crate::content::{ContentType, ReportStatus};
use crate::db::begin_write;
use crate::error::{text_between, AppError, AppResult};
use crate::ids::{AnswerId, GroupId, PostId, QuestionId, ReplyId, ReportId, UserId};
use crate::pagination::{keyset_page, Order, Page, PageArgs};
use crate::posts::replies::visible_reply;
use crate::posts::service::visible_post;
use crate::questions::answers::visible_answer;
use crate::questions::service::visible_question;
use entity::enums::{ModAction, ModTarget};
use entity::{answers, posts, questions, replies, reports};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

pub(crate) fn reason_text(raw: &str) -> AppResult<String> {
    text_between("reason", raw, 1, 1_000)
}

/// Whether the caller handles what is written in this group (`None`: platform-wide): its
/// moderators and the platform admins do. A group the caller cannot see is not found.
pub async fn moderates(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    group_id: Option<&GroupId>,
) -> AppResult<bool> {
    Ok(match group_id {
        Some(group_id) => match group_access(db, viewer, group_id).await {
            Ok(access) => access.require_moderator().is_ok(),
            Err(AppError::NotFound | AppError::Forbidden) => false,
            Err(e) => return Err(e),
        },
        None => is_admin(db, &viewer.user_id).await?,
    })
}

/// The caller handles what is written there, or is refused.
pub async fn require_moderator(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    group_id: Option<&GroupId>,
) -> AppResult<()> {
    if moderates(db, viewer, group_id).await? {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Where an item the caller can read was written; an item they cannot read is not found.
async fn readable(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    kind: ContentType,
    id: &str,
) -> AppResult<Option<GroupId>> {
    Ok(match kind {
        ContentType::Post => Some(
            visible_post(db, viewer, &PostId::from(id))
                .await?
                .0
                .group_id,
        ),
        ContentType::Reply => Some(
            visible_reply(db, viewer, &ReplyId::from(id))
                .await?
                .0
                .group_id,
        ),
        ContentType::Question => {
            visible_question(db, viewer, &QuestionId::from(id))
                .await?
                .group_id
        }
        ContentType::Answer => {
            visible_answer(db, viewer, &AnswerId::from(id))
                .await?
                .1
                .group_id
        }
    })
}

/// A reader reports an item they can read. A second report of the same item by the same reader
/// while the first is open returns the first.
pub async fn report(
    db: &DatabaseConnection,
    viewer: &Viewer,
    kind: ContentType,
    id: &str,
    reason: &str,
) -> AppResult<reports::Model> {
    let reason = reason_text(reason)?;
    let group_id = readable(db, viewer, kind, id).await?;
    let target = Target {
        kind,
        id,
        group_id: group_id.as_ref(),
    };
    let txn = begin_write(db).await?;
    let (report, _) = rows::file(&txn, target, Filer::Reader(&viewer.user_id, &reason)).await?;
    txn.commit().await?;
    Ok(report)
}

/// What a report is about, read as stored, even once deleted or removed: for those who handle
/// it. The item, and for a reply or an answer also the post or question it belongs to.
#[derive(Clone, Debug, Default)]
pub struct Reported {
    pub post: Option<posts::Model>,
    pub reply: Option<replies::Model>,
    pub question: Option<questions::Model>,
    pub answer: Option<answers::Model>,
}

impl Reported {
    /// Who wrote the reported item, and whether they wrote it anonymously.
    pub fn author(&self) -> Option<(&UserId, bool)> {
        match (&self.reply, &self.answer, &self.post, &self.question) {
            (Some(reply), ..) => Some((&reply.author_id, reply.anonymous)),
            (_, Some(answer), ..) => Some((&answer.author_id, answer.anonymous)),
            (_, _, Some(post), _) => Some((&post.author_id, post.anonymous)),
            (_, _, _, Some(question)) => Some((&question.author_id, question.anonymous)),
            _ => None,
        }
    }
}

pub async fn reported(db: &impl ConnectionTrait, report: &reports::Model) -> AppResult<Reported> {
    let id = report.target_id.clone();
    let mut found = Reported::default();
    match report.target_type {
        ContentType::Post => found.post = posts::Entity::find_by_id(id).one(db).await?,
        ContentType::Reply => {
            found.reply = replies::Entity::find_by_id(id).one(db).await?;
            if let Some(reply) = &found.reply {
                let post = reply.post_id.clone();
                found.post = posts::Entity::find_by_id(post).one(db).await?;
            }
        }
        ContentType::Question => found.question = questions::Entity::find_by_id(id).one(db).await?,
        ContentType::Answer => {
            found.answer = answers::Entity::find_by_id(id).one(db).await?;
            if let Some(answer) = &found.answer {
                let question = answer.question_id.clone();
                found.question = questions::Entity::find_by_id(question).one(db).await?;
            }
        }
    }
    Ok(found)
}

/// Which reports a queue holds.
#[derive(Clone, Copy, Debug)]
pub enum Queue<'a> {
    /// One group's: its moderators (and the platform admins).
    Group(&'a GroupId),
    /// Every report: the platform admins.
    Everything,
    /// Reports of platform-wide questions and answers: the platform admins.
    PlatformWide,
}

/// What a queue lists: by status, priority and the kinds of item.
#[derive(Clone, Copy, Debug, Default)]
pub struct QueueFilter<'a> {
    pub status: Option<ReportStatus>,
    /// `true`: only the priority queue (crisis words); `false`: only the rest.
    pub priority: Option<bool>,
    /// Only these kinds; empty: all four.
    pub kinds: &'a [ContentType],
}

/// A queue of reports, oldest first: the order they are handled in.
pub async fn queue(
    db: &DatabaseConnection,
    viewer: &Viewer,
    queue: Queue<'_>,
    filter: QueueFilter<'_>,
    page: &PageArgs,
) -> AppResult<Page<reports::Model>> {
    let mut query = reports::Entity::find();
    match queue {
        Queue::Group(group_id) => {
            group_access(db, viewer, group_id)
                .await?
                .require_moderator()?;
            query = query.filter(reports::Column::GroupId.eq(group_id));
        }
        Queue::Everything | Queue::PlatformWide => {
            require_moderator(db, viewer, None).await?;
            if matches!(queue, Queue::PlatformWide) {
                query = query.filter(reports::Column::GroupId.is_null());
            }
        }
    }
    if let Some(status) = filter.status {
        query = query.filter(reports::Column::Status.eq(status));
    }
    if let Some(priority) = filter.priority {
        query = query.filter(reports::Column::Priority.eq(priority));
    }
    if !filter.kinds.is_empty() {
        query = query.filter(reports::Column::TargetType.is_in(filter.kinds.iter().copied()));
    }
    keyset_page(
        db,
        query,
        reports::Column::CreatedAt,
        reports::Column::Id,
        Order::OldestFirst,
        page,
    )
    .await
}

/// A report the caller handles; one they do not is not found.
pub async fn handled_report(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: &ReportId,
) -> AppResult<reports::Model> {
    let report = reports::Entity::find_by_id(id.clone())
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if !moderates(db, viewer, report.group_id.as_ref()).await? {
        return Err(AppError::NotFound);
    }
    Ok(report)
}

/// Writes what was done with a report: into its group's mod log, or for a platform-wide item
/// into the server's audit log.
async fn log_handling(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    report: &reports::Model,
    action: ModAction,
    note: Option<&str>,
) -> AppResult<()> {
    let target = (ModTarget::Report, report.id.as_str());
    match &report.group_id {
        Some(group_id) => {
            log_action(txn, group_id, &viewer.user_id, action, Some(target), note).await
        }
        None => {
            tracing::info!(admin = %viewer.user_id, report = %report.id, action = action.as_str(), "audit: a report of a platform-wide item handled");
            Ok(())
        }
    }
}

/// A report is resolved or dismissed, never reopened. Nobody closes the crisis flag on their own
/// words (it is filed under its author): another moderator does.
pub async fn resolve(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &ReportId,
    status: ReportStatus,
    note: Option<&str>,
) -> AppResult<reports::Model> {
    if status == ReportStatus::Open {
        return Err(AppError::bad_input(
            "status",
            "resolve as RESOLVED or DISMISSED",
        ));
    }
    let note = note.map(reason_text).transpose()?;
    let txn = begin_write(db).await?;
    let report = handled_report(&txn, viewer, id).await?;
    if report.priority && report.reporter_id == viewer.user_id {
        return Err(AppError::Forbidden);
    }
    log_handling(
        &txn,
        viewer,
        &report,
        ModAction::report(status),
        note.as_deref(),
    )
    .await?;
    let mut active: reports::ActiveModel = report.into();
    active.status = Set(status);
    active.resolved_by = Set(Some(viewer.user_id.clone()));
    active.resolution_note = Set(note);
    active.resolved_at = Set(Some(now()));
    let report = active.update(&txn).await?;
    txn.commit().await?;
    Ok(report)
}

/// Who wrote a reported item (an anonymous one included), for those who handle the report,
/// with the group they are shown in. The reveal is logged, so it is never silent.
pub async fn reveal_author(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &ReportId,
) -> AppResult<(UserId, Option<GroupId>)> {
    let txn = begin_write(db).await?;
    let report = handled_report(&txn, viewer, id).await?;
    let reported = reported(&txn, &report).await?;
    let author = reported.author().ok_or(AppError::NotFound)?.0.clone();
    log_handling(&txn, viewer, &report, ModAction::RevealAuthor, None).await?;
    txn.commit().await?;
    Ok((author, report.group_id))
}
