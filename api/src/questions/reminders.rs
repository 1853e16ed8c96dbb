//! The one reminder an asker gets when their question has had answers for a week and none is
//! accepted. Exactly once per question, however many instances run it: the instance whose
//! update marks the question reminded writes the notification, in the same transaction.
use crate::broker::Committed;
use crate::broker::WorkerHandles;
use crate::db::begin_write;
use crate::error::AppResult;
use crate::notifications::service::notify_question_reminder;
use chrono::{DateTime, Utc};
use entity::questions;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long answers wait for one to be accepted before the asker is reminded.
pub const WAIT: chrono::TimeDelta = chrono::TimeDelta::days(7);
/// Questions reminded per pass at most; the next pass takes the rest.
const BATCH: u64 = 200;
const TICK: Duration = Duration::from_secs(60);

/// Reminds the askers of the questions due at `at`; returns how many this instance reminded.
pub async fn run_once(app: &WorkerHandles, at: DateTime<Utc>) -> AppResult<u64> {
    let due = questions::Entity::find()
        .filter(questions::Column::RemindedAt.is_null())
        .filter(questions::Column::AcceptedAnswerId.is_null())
        .filter(questions::Column::AnswerCount.gt(0))
        .filter(questions::Column::DeletedAt.is_null())
        .filter(questions::Column::RemovedAt.is_null())
        .filter(questions::Column::CreatedAt.lte(at - WAIT))
        .order_by_asc(questions::Column::CreatedAt)
        .limit(BATCH)
        .all(&app.db)
        .await?;
    let mut reminded = 0;
    for question in due {
        let txn = begin_write(&app.db).await?;
        let claimed = questions::Entity::update_many()
            .col_expr(questions::Column::RemindedAt, Expr::value(at))
            .filter(questions::Column::Id.eq(&question.id))
            .filter(questions::Column::RemindedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected;
        if claimed != 1 {
            txn.rollback().await?;
            continue;
        }
        let notified = notify_question_reminder(&txn, &question).await?;
        txn.commit().await?;
        Committed::new((), notified.into())
            .publish(&app.broker)
            .await;
        reminded += 1;
    }
    Ok(reminded)
}

pub fn spawn(app: WorkerHandles, stop: CancellationToken) {
    crate::clock::every(TICK, stop, move || {
        let app = app.clone();
        async move { run_once(&app, Utc::now()).await }
    });
}
