//! Crisis language in a question or answer: it is written all the same, its author is answered
//! with resources (see the GraphQL types), and it joins the priority queue of those who handle
//! it, in the writing transaction.
use crate::clock::now;
use crate::content::ReportStatus;
use crate::error::AppResult;
use crate::ids::{AnswerId, QuestionReportId, UserId};
use crate::notifications::service::{self as notifications, About, Notified};
use crate::safety::has_crisis_language;
use entity::{answers, question_reports, questions};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// What moderators read on a report raised by the words themselves.
pub const CRISIS_REASON: &str = "Crisis language: flagged automatically when written";

pub fn question_reads_like_crisis(question: &questions::Model) -> bool {
    let warning = question.content_warning.as_deref().unwrap_or_default();
    [question.title.as_str(), question.body.as_str(), warning]
        .into_iter()
        .any(has_crisis_language)
}

pub fn answer_reads_like_crisis(answer: &answers::Model) -> bool {
    has_crisis_language(&answer.body)
}

/// What a notification about a question (or one of its answers) is about.
pub(super) fn about(question: &questions::Model, answer: Option<&answers::Model>) -> About {
    About {
        group_id: question.group_id.clone(),
        question_id: Some(question.id.clone()),
        answer_id: answer.map(|a| a.id.clone()),
        // Whoever is told of an anonymous question's words is not told whose they are.
        anonymous_actor: question.anonymous && answer.is_none(),
        ..Default::default()
    }
}

/// Files a crisis flag on a question or answer whose words read like a crisis and did not
/// before this write (at most one open flag per item), in the writing transaction; the group's
/// moderators, or the platform admins, are told.
pub async fn flag_crisis(
    txn: &impl ConnectionTrait,
    question: &questions::Model,
    answer: Option<&answers::Model>,
    was_crisis: bool,
) -> AppResult<Vec<Notified>> {
    let reads_like_crisis = match answer {
        Some(answer) => answer_reads_like_crisis(answer),
        None => question_reads_like_crisis(question),
    };
    if !reads_like_crisis || was_crisis {
        return Ok(Vec::new());
    }
    let answer_id = answer.map(|a| a.id.clone());
    let open = question_reports::Entity::find()
        .filter(question_reports::Column::QuestionId.eq(&question.id))
        .filter(match &answer_id {
            Some(id) => question_reports::Column::AnswerId.eq(id),
            None => question_reports::Column::AnswerId.is_null(),
        })
        .filter(question_reports::Column::Status.eq(ReportStatus::Open))
        .filter(question_reports::Column::Priority.eq(true))
        .one(txn)
        .await?;
    if open.is_some() {
        return Ok(Vec::new());
    }
    let author = answer.map_or(&question.author_id, |a| &a.author_id);
    insert_report(txn, question, answer_id, author, CRISIS_REASON, true).await?;
    let group = question.group_id.as_ref();
    notifications::notify_crisis_flag(txn, group, author, about(question, answer)).await
}

pub(super) async fn insert_report(
    txn: &impl ConnectionTrait,
    question: &questions::Model,
    answer_id: Option<AnswerId>,
    reporter: &UserId,
    reason: &str,
    priority: bool,
) -> AppResult<question_reports::Model> {
    Ok(question_reports::ActiveModel {
        id: Set(QuestionReportId::generate()),
        question_id: Set(question.id.clone()),
        answer_id: Set(answer_id),
        group_id: Set(question.group_id.clone()),
        reporter_id: Set(reporter.clone()),
        reason: Set(reason.to_owned()),
        priority: Set(priority),
        status: Set(ReportStatus::Open),
        resolved_by: Set(None),
        resolution_note: Set(None),
        created_at: Set(now()),
        resolved_at: Set(None),
    }
    .insert(txn)
    .await?)
}
