//! Answers: written by anyone who may read the question, ranked accepted first, then answers by
//! current experts, then by how many found them helpful, then oldest first.
use super::crisis;
use super::experts::{current as current_experts, is_current_expert};
use super::service::visible_question;
use crate::auth::Viewer;
use crate::broker::{Announcements, Committed, Event};
use crate::clock::now;
use crate::community::access::{found_with_block, group_access, not_blocked_with};
use crate::config::PostingLimits;
use crate::content::idempotency_key;
use crate::db::{begin_write, count_change, find_keyed, insert_keyed, Keyed};
use crate::error::{text_between, AppError, AppResult};
use crate::ids::{AnswerId, QuestionId, UserId};
use crate::notifications::service as notifications;
use crate::pagination::{Page, RankArgs};
use entity::{answer_helpful, answers, questions};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TryInsertResult,
};

pub struct NewAnswer {
    pub question_id: QuestionId,
    pub body: String,
    pub idempotency_key: Option<String>,
    /// As the question's anonymous asker (`None`: so when the answerer is one).
    pub anonymous: Option<bool>,
}

fn body(raw: &str) -> AppResult<String> {
    text_between("body", raw, 1, 10_000)
}

pub fn is_listed(answer: &answers::Model) -> bool {
    answer.deleted_at.is_none() && answer.removed_at.is_none()
}

/// A listed answer the caller may read, with its question; `NOT_FOUND` otherwise.
pub async fn visible_answer(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: &AnswerId,
) -> AppResult<(answers::Model, questions::Model)> {
    let (answer, blocked) = found_with_block(
        db,
        answers::Entity::find_by_id(id.clone()),
        answers::Column::AuthorId,
        viewer,
    )
    .await?;
    if !is_listed(&answer) {
        return Err(AppError::NotFound);
    }
    let question = visible_question(db, viewer, &answer.question_id).await?;
    if blocked && !answer.anonymous {
        return Err(AppError::NotFound);
    }
    Ok((answer, question))
}

async fn earlier_answer(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    key: Option<&str>,
) -> AppResult<Option<answers::Model>> {
    let columns = (answers::Column::AuthorId, answers::Column::IdempotencyKey);
    find_keyed::<answers::Entity>(db, columns, &viewer.user_id, key).await
}

pub async fn answer(
    db: &DatabaseConnection,
    limiter: &crate::rate_limit::RateLimiter,
    limits: PostingLimits,
    viewer: &Viewer,
    input: NewAnswer,
) -> AppResult<Committed<answers::Model>> {
    let body = body(&input.body)?;
    let key = idempotency_key(input.idempotency_key.as_deref())?;
    // The checks read in the transaction that writes, as a reply's do.
    let txn = begin_write(db).await?;
    if let Some(existing) = earlier_answer(&txn, viewer, key.as_deref()).await? {
        return Ok(Committed::quiet(existing));
    }
    let question = visible_question(&txn, viewer, &input.question_id).await?;
    if question.locked {
        return Err(AppError::Forbidden);
    }
    let anonymous = crate::content::anonymous_in_thread(
        question.anonymous,
        question.author_id == viewer.user_id,
        input.anonymous,
    )?;
    // In a group, only its members answer (as only they reply), and not the banned.
    if let Some(group_id) = &question.group_id {
        group_access(&txn, viewer, group_id)
            .await?
            .require_participant()?;
    }
    limiter
        .hourly("answers", &viewer.user_id, limits.replies_per_hour)
        .await?;

    let at = now();
    let row = answers::ActiveModel {
        id: Set(AnswerId::generate()),
        question_id: Set(question.id.clone()),
        author_id: Set(viewer.user_id.clone()),
        body: Set(body),
        idempotency_key: Set(key.clone()),
        helpful_count: Set(0),
        accepted: Set(false),
        edited_at: Set(None),
        deleted_at: Set(None),
        removed_at: Set(None),
        removed_reason: Set(None),
        created_at: Set(at),
        anonymous: Set(anonymous),
    };
    let (answer, txn) =
        match insert_keyed(txn, row, || earlier_answer(db, viewer, key.as_deref())).await? {
            Keyed::Fresh(answer, txn) => (answer, txn),
            Keyed::Earlier(answer) => return Ok(Committed::quiet(answer)),
        };
    let by_expert = !current_experts(&txn, std::slice::from_ref(&viewer.user_id))
        .await?
        .is_empty();
    let mut notified = notifications::notify_answer(&txn, &question, &answer, by_expert).await?;
    notified.extend(crisis::flag_crisis(&txn, &question, Some(&answer), false).await?);
    // Last before the commit, as a reply's counter: answers to a busy question wait for this
    // row's lock, so it is held for one statement and the commit.
    count_change::<questions::Entity>(questions::Column::AnswerCount, 1)
        .col_expr(questions::Column::LastActivityAt, Expr::value(at))
        .filter(questions::Column::Id.eq(&question.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    let mut announce = Announcements::default();
    announce.event(Event::AnswerAdded {
        question_id: question.id.clone(),
        answer_id: answer.id.clone(),
    });
    announce.extend(notified.into());
    Ok(Committed::new(answer, announce))
}

/// The author's own listed answer.
async fn my_answer(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: &AnswerId,
) -> AppResult<(answers::Model, questions::Model)> {
    let (answer, question) = visible_answer(db, viewer, id).await?;
    if answer.author_id != viewer.user_id {
        return Err(AppError::Forbidden);
    }
    Ok((answer, question))
}

pub async fn edit(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &AnswerId,
    raw_body: &str,
) -> AppResult<Committed<answers::Model>> {
    let body = body(raw_body)?;
    let txn = begin_write(db).await?;
    let (answer, question) = my_answer(&txn, viewer, id).await?;
    let was_crisis = crisis::answer_reads_like_crisis(&answer);
    let mut active: answers::ActiveModel = answer.into();
    active.body = Set(body);
    active.edited_at = Set(Some(now()));
    let answer = active.update(&txn).await?;
    let notified = crisis::flag_crisis(&txn, &question, Some(&answer), was_crisis).await?;
    txn.commit().await?;
    Ok(Committed::new(answer, notified.into()))
}

/// The author deletes their answer: it leaves the question, and stops being its accepted one.
/// Deletes my answer; answers its question's id.
pub async fn delete(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &AnswerId,
) -> AppResult<QuestionId> {
    let txn = begin_write(db).await?;
    let (answer, question) = my_answer(&txn, viewer, id).await?;
    take_from_question(&txn, &question, &answer).await?;
    let mut active: answers::ActiveModel = answer.into();
    active.deleted_at = Set(Some(now()));
    active.accepted = Set(false);
    active.update(&txn).await?;
    txn.commit().await?;
    Ok(question.id)
}

/// Takes an answer that is going (deleted or removed) off its question's count, and off its
/// accepted answer.
pub async fn take_from_question(
    txn: &impl ConnectionTrait,
    question: &questions::Model,
    answer: &answers::Model,
) -> AppResult<()> {
    let mut update = count_change::<questions::Entity>(questions::Column::AnswerCount, -1);
    if question.accepted_answer_id.as_ref() == Some(&answer.id) {
        update = update.col_expr(
            questions::Column::AcceptedAnswerId,
            Expr::value(Option::<String>::None),
        );
    }
    update
        .filter(questions::Column::Id.eq(&question.id))
        .exec(txn)
        .await?;
    Ok(())
}

/// The asker accepts one answer (another accepted before is no longer); the same again is a
/// no-op. `accepted: false` takes the acceptance back.
pub async fn set_accepted(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &AnswerId,
    accepted: bool,
) -> AppResult<Committed<answers::Model>> {
    let txn = begin_write(db).await?;
    let (answer, question) = visible_answer(&txn, viewer, id).await?;
    if question.author_id != viewer.user_id {
        return Err(AppError::Forbidden);
    }
    answers::Entity::update_many()
        .col_expr(answers::Column::Accepted, Expr::value(false))
        .filter(answers::Column::QuestionId.eq(&question.id))
        .filter(answers::Column::Accepted.eq(true))
        .exec(&txn)
        .await?;
    let accepted_id = accepted.then(|| answer.id.clone());
    questions::Entity::update_many()
        .col_expr(
            questions::Column::AcceptedAnswerId,
            Expr::value(accepted_id.as_ref().map(AnswerId::to_string)),
        )
        .filter(questions::Column::Id.eq(&question.id))
        .exec(&txn)
        .await?;
    let newly = accepted && !answer.accepted;
    let mut active: answers::ActiveModel = answer.into();
    active.accepted = Set(accepted);
    let answer = active.update(&txn).await?;
    let notified = if newly {
        notifications::notify_answer_accepted(&txn, &question, &answer).await?
    } else {
        Vec::new()
    };
    txn.commit().await?;
    Ok(Committed::new(answer, notified.into()))
}

/// One mark per person, never on one's own answer; marking twice is the same as once.
pub async fn set_helpful(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &AnswerId,
    helpful: bool,
) -> AppResult<answers::Model> {
    let txn = begin_write(db).await?;
    let (answer, _) = visible_answer(&txn, viewer, id).await?;
    if answer.author_id == viewer.user_id {
        return Err(AppError::bad_input(
            "answerId",
            "you cannot mark your own answer helpful",
        ));
    }
    let changed = if helpful {
        let inserted = answer_helpful::Entity::insert(answer_helpful::ActiveModel {
            answer_id: Set(answer.id.clone()),
            user_id: Set(viewer.user_id.clone()),
            created_at: Set(now()),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(&txn)
        .await?;
        matches!(inserted, TryInsertResult::Inserted(1))
    } else {
        answer_helpful::Entity::delete_by_id((answer.id.clone(), viewer.user_id.clone()))
            .exec(&txn)
            .await?
            .rows_affected
            == 1
    };
    if changed {
        count_change::<answers::Entity>(
            answers::Column::HelpfulCount,
            if helpful { 1 } else { -1 },
        )
        .filter(answers::Column::Id.eq(&answer.id))
        .exec(&txn)
        .await?;
    }
    let answer = answers::Entity::find_by_id(answer.id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    txn.commit().await?;
    Ok(answer)
}

/// A page of a question's answers, best first (see the module's rank).
pub async fn of_question(
    db: &DatabaseConnection,
    viewer: &Viewer,
    question: &questions::Model,
    page: &RankArgs,
) -> AppResult<Page<answers::Model>> {
    let by_expert_now = is_current_expert((answers::Entity, answers::Column::AuthorId));
    let rows = answers::Entity::find()
        .filter(answers::Column::QuestionId.eq(&question.id))
        .filter(answers::Column::DeletedAt.is_null())
        .filter(answers::Column::RemovedAt.is_null())
        // The anonymous asker's answers name nobody, so a block hides them from nobody.
        .filter(
            sea_orm::Condition::any()
                .add(answers::Column::Anonymous.eq(true))
                .add(not_blocked_with(answers::Column::AuthorId, &viewer.user_id)),
        )
        .order_by_desc(answers::Column::Accepted)
        .order_by(by_expert_now, sea_orm::Order::Desc)
        .order_by_desc(answers::Column::HelpfulCount)
        .order_by_asc(answers::Column::CreatedAt)
        .order_by_asc(answers::Column::Id)
        .offset(page.offset)
        .limit(page.limit())
        .all(db)
        .await?;
    Ok(page.page(rows))
}

/// Which of these answers this person marked helpful.
pub async fn marked_helpful(
    db: &DatabaseConnection,
    user_id: &UserId,
    answer_ids: &[AnswerId],
) -> AppResult<Vec<AnswerId>> {
    Ok(answer_helpful::Entity::find()
        .filter(answer_helpful::Column::UserId.eq(user_id))
        .filter(answer_helpful::Column::AnswerId.is_in(answer_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.answer_id)
        .collect())
}
