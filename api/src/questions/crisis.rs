//! Crisis language in a question or answer: it is written all the same, its author is answered
//! with resources (see the GraphQL types), and it joins the priority queue of those who handle
//! it, in the writing transaction.
use crate::community::reports::{self, Filer, Target};
use crate::content::ContentType;
use crate::error::AppResult;
use crate::notifications::service::{self as notifications, About, Notified};
use crate::safety::has_crisis_language;
use entity::{answers, questions};
use sea_orm::ConnectionTrait;

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
pub fn about(question: &questions::Model, answer: Option<&answers::Model>) -> About {
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
    let author = answer.map_or(&question.author_id, |a| &a.author_id);
    let group_id = question.group_id.as_ref();
    let target = match answer {
        Some(answer) => Target {
            kind: ContentType::Answer,
            id: answer.id.as_str(),
            group_id,
        },
        None => Target {
            kind: ContentType::Question,
            id: question.id.as_str(),
            group_id,
        },
    };
    let (_, filed) = reports::file(txn, target, Filer::CrisisWords(author)).await?;
    if !filed {
        return Ok(Vec::new());
    }
    notifications::notify_crisis_flag(txn, group_id, author, about(question, answer)).await
}
