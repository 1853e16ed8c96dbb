//! Reports, crisis flags, removal and locking of questions and answers. A group's questions are
//! its moderators' to handle; platform-wide ones are the platform admins'. Actions on a group's
//! questions go into its mod log.
use super::answers::{self as answer_service, visible_answer};
use super::crisis::{about, insert_report};
use super::service::visible_question;
use crate::auth::Viewer;
use crate::broker::Committed;
use crate::clock::now;
use crate::content::ReportStatus;
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::groups::access::{group_access, is_admin};
use crate::groups::mod_log::log_action;
use crate::ids::{AnswerId, GroupId, QuestionId, QuestionReportId};
use crate::moderation::service::{reason_text, require_closing};
use crate::notifications::service::{self as notifications, About, NotificationKind, Notified};
use crate::pagination::{keyset_page, Order, Page, PageArgs};
use entity::enums::{ModAction, ModTarget};
use entity::{answers, question_reports, questions};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

/// Whether the caller handles this question's reports: a platform admin, or a moderator of the
/// question's group.
pub async fn moderates(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    group_id: Option<&GroupId>,
) -> AppResult<bool> {
    if is_admin(db, &viewer.user_id).await? {
        return Ok(true);
    }
    Ok(match group_id {
        Some(group_id) => group_access(db, viewer, group_id).await?.is_moderator(),
        None => false,
    })
}

async fn require_moderator(
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

/// What a report is about, as written (even once removed): for those who handle it.
pub async fn reported(
    db: &impl ConnectionTrait,
    report: &question_reports::Model,
) -> AppResult<(Option<questions::Model>, Option<answers::Model>)> {
    let question = questions::Entity::find_by_id(report.question_id.clone())
        .one(db)
        .await?;
    let answer = match &report.answer_id {
        Some(id) => answers::Entity::find_by_id(id.clone()).one(db).await?,
        None => None,
    };
    Ok((question, answer))
}

/// A reader reports a question (or, with `answer_id`, one of its answers). The same reader's
/// open report on the same item is returned instead of a second one.
pub async fn report(
    db: &DatabaseConnection,
    viewer: &Viewer,
    question_id: &QuestionId,
    answer_id: Option<&AnswerId>,
    reason: &str,
) -> AppResult<question_reports::Model> {
    let reason = reason_text(reason)?;
    let (question, answer_id) = match answer_id {
        Some(id) => {
            let (answer, question) = visible_answer(db, viewer, id).await?;
            (question, Some(answer.id))
        }
        None => (visible_question(db, viewer, question_id).await?, None),
    };
    let earlier = question_reports::Entity::find()
        .filter(question_reports::Column::QuestionId.eq(&question.id))
        .filter(match &answer_id {
            Some(id) => question_reports::Column::AnswerId.eq(id),
            None => question_reports::Column::AnswerId.is_null(),
        })
        .filter(question_reports::Column::ReporterId.eq(&viewer.user_id))
        .filter(question_reports::Column::Status.eq(ReportStatus::Open))
        .one(db)
        .await?;
    if let Some(earlier) = earlier {
        return Ok(earlier);
    }
    let txn = begin_write(db).await?;
    let report = insert_report(&txn, &question, answer_id, &viewer.user_id, &reason, false).await?;
    txn.commit().await?;
    Ok(report)
}

/// The reports the caller handles: of one group (its moderators), or of platform-wide
/// questions (platform admins, when `group_id` is absent).
pub async fn reports(
    db: &DatabaseConnection,
    viewer: &Viewer,
    group_id: Option<&GroupId>,
    status: Option<ReportStatus>,
    priority: Option<bool>,
    page: &PageArgs,
) -> AppResult<Page<question_reports::Model>> {
    require_moderator(db, viewer, group_id).await?;
    let mut query = question_reports::Entity::find().filter(match group_id {
        Some(id) => question_reports::Column::GroupId.eq(id),
        None => question_reports::Column::GroupId.is_null(),
    });
    if let Some(status) = status {
        query = query.filter(question_reports::Column::Status.eq(status));
    }
    if let Some(priority) = priority {
        query = query.filter(question_reports::Column::Priority.eq(priority));
    }
    keyset_page(
        db,
        query,
        question_reports::Column::CreatedAt,
        question_reports::Column::Id,
        Order::NewestFirst,
        page,
    )
    .await
}

/// A report the caller handles.
pub async fn handled_report(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: &QuestionReportId,
) -> AppResult<question_reports::Model> {
    let report = question_reports::Entity::find_by_id(id.clone())
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if !moderates(db, viewer, report.group_id.as_ref()).await? {
        return Err(AppError::NotFound);
    }
    Ok(report)
}

pub async fn resolve(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &QuestionReportId,
    status: ReportStatus,
    note: Option<&str>,
) -> AppResult<question_reports::Model> {
    require_closing(status)?;
    let note = note.map(reason_text).transpose()?;
    let txn = begin_write(db).await?;
    let report = handled_report(&txn, viewer, id).await?;
    // Nobody closes the flag on their own words (a crisis flag is filed under its author).
    if report.priority && report.reporter_id == viewer.user_id {
        return Err(AppError::Forbidden);
    }
    if let Some(group_id) = &report.group_id {
        let target = (ModTarget::Report, report.id.as_str());
        let action = ModAction::report(status);
        log_action(
            &txn,
            group_id,
            &viewer.user_id,
            action,
            Some(target),
            note.as_deref(),
        )
        .await?;
    }
    let mut active: question_reports::ActiveModel = report.into();
    active.status = Set(status);
    active.resolved_by = Set(Some(viewer.user_id.clone()));
    active.resolution_note = Set(note);
    active.resolved_at = Set(Some(now()));
    let report = active.update(&txn).await?;
    txn.commit().await?;
    Ok(report)
}

/// Who wrote a reported question or answer (an anonymous asker included), for those who handle
/// the report, with the question's group they are shown in. On a group's question the reveal
/// goes into its mod log; on a platform-wide one into the server's audit log.
pub async fn reveal_author(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &QuestionReportId,
) -> AppResult<(crate::ids::UserId, Option<GroupId>)> {
    let txn = begin_write(db).await?;
    let report = handled_report(&txn, viewer, id).await?;
    let author = match reported(&txn, &report).await? {
        (_, Some(answer)) => answer.author_id,
        (Some(question), None) => question.author_id,
        (None, None) => return Err(AppError::NotFound),
    };
    let target = (ModTarget::Report, report.id.as_str());
    match &report.group_id {
        Some(group_id) => {
            let action = ModAction::RevealAuthor;
            log_action(&txn, group_id, &viewer.user_id, action, Some(target), None).await?;
        }
        None => {
            tracing::info!(admin = %viewer.user_id, report = %report.id, "audit: author of a reported question revealed");
        }
    }
    txn.commit().await?;
    Ok((author, report.group_id))
}

/// A moderator removes a question: it leaves every list and its author is told.
pub async fn remove_question(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &QuestionId,
    reason: &str,
) -> AppResult<Committed<questions::Model>> {
    let reason = reason_text(reason)?;
    let txn = begin_write(db).await?;
    let question = visible_question(&txn, viewer, id).await?;
    require_moderator(&txn, viewer, question.group_id.as_ref()).await?;
    let mut active: questions::ActiveModel = question.clone().into();
    active.removed_at = Set(Some(now()));
    active.removed_reason = Set(Some(reason.clone()));
    let removed = active.update(&txn).await?;
    let notified = record_removal(&txn, viewer, &question, None, &reason).await?;
    txn.commit().await?;
    Ok(Committed::new(removed, notified.into()))
}

/// A moderator removes an answer: it leaves the question, and its author is told.
pub async fn remove_answer(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &AnswerId,
    reason: &str,
) -> AppResult<Committed<answers::Model>> {
    let reason = reason_text(reason)?;
    let txn = begin_write(db).await?;
    let (answer, question) = visible_answer(&txn, viewer, id).await?;
    require_moderator(&txn, viewer, question.group_id.as_ref()).await?;
    answer_service::take_from_question(&txn, &question, &answer).await?;
    let mut active: answers::ActiveModel = answer.clone().into();
    active.removed_at = Set(Some(now()));
    active.removed_reason = Set(Some(reason.clone()));
    active.accepted = Set(false);
    let removed = active.update(&txn).await?;
    let notified = record_removal(&txn, viewer, &question, Some(&answer), &reason).await?;
    txn.commit().await?;
    Ok(Committed::new(removed, notified.into()))
}

/// What a removal writes beside the row: the group's mod log entry (for a group's question) and
/// a notification to the author.
async fn record_removal(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    question: &questions::Model,
    answer: Option<&answers::Model>,
    reason: &str,
) -> AppResult<Vec<Notified>> {
    let (action, target, author, detail) = match answer {
        Some(a) => (
            ModAction::RemoveAnswer,
            (ModTarget::Answer, a.id.as_str()),
            &a.author_id,
            "REMOVE_ANSWER",
        ),
        None => (
            ModAction::RemoveQuestion,
            (ModTarget::Question, question.id.as_str()),
            &question.author_id,
            "REMOVE_QUESTION",
        ),
    };
    if let Some(group_id) = &question.group_id {
        log_action(
            txn,
            group_id,
            &viewer.user_id,
            action,
            Some(target),
            Some(reason),
        )
        .await?;
    }
    let about = About {
        detail: Some(detail.to_owned()),
        ..about(question, answer)
    };
    let kind = NotificationKind::Moderation;
    notifications::notify_person(txn, author, kind, &viewer.user_id, about).await
}

/// A moderator locks a question (no new answers) or unlocks it.
pub async fn set_locked(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &QuestionId,
    locked: bool,
) -> AppResult<questions::Model> {
    let txn = begin_write(db).await?;
    let question = visible_question(&txn, viewer, id).await?;
    require_moderator(&txn, viewer, question.group_id.as_ref()).await?;
    if let Some(group_id) = &question.group_id {
        let action = if locked {
            ModAction::LockQuestion
        } else {
            ModAction::UnlockQuestion
        };
        let target = (ModTarget::Question, question.id.as_str());
        log_action(&txn, group_id, &viewer.user_id, action, Some(target), None).await?;
    }
    let mut active: questions::ActiveModel = question.into();
    active.locked = Set(locked);
    let question = active.update(&txn).await?;
    txn.commit().await?;
    Ok(question)
}
