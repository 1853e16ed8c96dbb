//! A post's reply count and last activity, kept without making every reply to a busy thread
//! queue for the post's row.
//!
//! On PostgreSQL a reply's transaction does not touch its post: it inserts a row into
//! `uncounted_replies`. After the commit, [`ReplyCounts::settle`] folds every uncounted reply
//! into its post in one statement, and the reply is answered only once a fold that began after
//! its commit has finished: whoever wrote it, and anyone reading after, sees the count with it.
//! Replies that wait together share one fold, so on a busy thread the post's row is locked once
//! per fold, not once per reply, and the replies' commits no longer wait for each other.
//!
//! A reply whose fold never ran (the process died between its commit and the fold) is folded by
//! the next fold on this or any instance, and by [`spawn_sweeper`] at start and every minute.
//! Deleting or removing a reply still takes one off its post directly: counts only add up.
//!
//! SQLite has one writer at a time, so there the reply's transaction updates the post itself.
//!
//! With its count, a reply's author follows its thread: on PostgreSQL in the same statement, one
//! round trip less for every reply.
use crate::db::count_change;
use crate::error::AppResult;
use crate::ids::{PostId, ReplyId, UserId};
use chrono::{DateTime, Utc};
use entity::{posts, thread_follows};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, Set,
    Statement,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

/// Every uncounted reply into its post, in one statement: the rows taken are the rows counted.
const FOLD: &str = "WITH taken AS (DELETE FROM uncounted_replies RETURNING post_id, at), \
     per_post AS (SELECT post_id, COUNT(*) AS n, MAX(at) AS at FROM taken GROUP BY post_id) \
     UPDATE posts SET reply_count = posts.reply_count + per_post.n::int, \
     last_activity_at = GREATEST(posts.last_activity_at, per_post.at) \
     FROM per_post WHERE posts.id = per_post.post_id";

/// The reply's author follows its thread (once), and the reply waits in `uncounted_replies`.
const FOLLOW_AND_LEAVE_UNCOUNTED: &str = "WITH followed AS (\
     INSERT INTO thread_follows (post_id, user_id, created_at) VALUES ($2, $4, $3) \
     ON CONFLICT (post_id, user_id) DO NOTHING) \
     INSERT INTO uncounted_replies (reply_id, post_id, at) VALUES ($1, $2, $3)";

/// Whether a reply is in its post's count at its commit, or once [`ReplyCounts::settle`] is done.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    Now,
    AfterCommit,
}

const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// This instance's folds, one at a time. Per process, shared by every request.
#[derive(Default)]
pub struct ReplyCounts {
    /// Folds begun so far; the next one is number `begun + 1`.
    begun: AtomicU64,
    /// The number of the last fold finished, held while a fold runs.
    finished: Mutex<u64>,
}

impl ReplyCounts {
    /// In the reply's transaction: SQLite counts the reply into its post; PostgreSQL leaves it
    /// uncounted, for [`ReplyCounts::settle`] after the commit, rather than queue for the row.
    pub async fn record(
        db: &impl ConnectionTrait,
        post_id: &PostId,
        reply_id: &ReplyId,
        author: &UserId,
        at: DateTime<Utc>,
    ) -> AppResult<Counted> {
        if db.get_database_backend() != DbBackend::Postgres {
            follow_thread(db, post_id, author, at).await?;
            count_change::<posts::Entity>(posts::Column::ReplyCount, 1)
                .col_expr(posts::Column::LastActivityAt, Expr::value(at))
                .filter(posts::Column::Id.eq(post_id.as_str()))
                .exec(db)
                .await?;
            return Ok(Counted::Now);
        }
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            FOLLOW_AND_LEAVE_UNCOUNTED,
            [
                reply_id.as_str().into(),
                post_id.as_str().into(),
                at.into(),
                author.as_str().into(),
            ],
        ))
        .await?;
        Ok(Counted::AfterCommit)
    }

    /// After the reply's commit: a reply left uncounted returns once a fold begun after that
    /// commit has finished. A fold that fails is logged, not returned: the reply stands, and
    /// the next fold or the sweeper counts it.
    pub async fn settle(&self, db: &DatabaseConnection, counted: Counted) {
        if counted == Counted::Now {
            return;
        }
        // Any fold numbered above `seen` began after this point, so after the commit.
        let seen = self.begun.load(Ordering::SeqCst);
        let finished = self.finished.lock().await;
        if *finished > seen {
            return;
        }
        if let Err(err) = self.fold_locked(db, finished).await {
            err.log_internal();
        }
    }

    /// Folds whatever is uncounted now, by whichever instance it was written.
    pub async fn sweep(&self, db: &DatabaseConnection) -> AppResult<()> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let finished = self.finished.lock().await;
        self.fold_locked(db, finished).await
    }

    async fn fold_locked(
        &self,
        db: &DatabaseConnection,
        mut finished: tokio::sync::MutexGuard<'_, u64>,
    ) -> AppResult<()> {
        let number = self.begun.fetch_add(1, Ordering::SeqCst) + 1;
        db.execute_raw(Statement::from_string(DbBackend::Postgres, FOLD))
            .await?;
        *finished = number;
        Ok(())
    }
}

/// Someone who replied follows the thread from then on (once, however often they reply).
async fn follow_thread(
    db: &impl ConnectionTrait,
    post_id: &PostId,
    user_id: &UserId,
    at: DateTime<Utc>,
) -> AppResult<()> {
    thread_follows::Entity::insert(thread_follows::ActiveModel {
        post_id: Set(post_id.clone()),
        user_id: Set(user_id.clone()),
        created_at: Set(at),
    })
    .on_conflict(
        OnConflict::columns([
            thread_follows::Column::PostId,
            thread_follows::Column::UserId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Folds, at start and every minute, the replies a crashed instance left uncounted.
pub fn spawn_sweeper(db: DatabaseConnection, counts: Arc<ReplyCounts>, stop: CancellationToken) {
    crate::clock::every(SWEEP_EVERY, stop, move || {
        let (db, counts) = (db.clone(), counts.clone());
        async move { counts.sweep(&db).await }
    });
}
