//! Database connection (SQLite embedded or PostgreSQL, chosen by URL), migrations, write
//! transactions, and the two write patterns every domain shares: counters and idempotent inserts.
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectOptions, ConnectionTrait, Database,
    DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
    UpdateMany, Value,
};
use std::time::Duration;

/// A pooled connection idle this long is pinged before use.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(10);

/// Most PostgreSQL connections an instance holds unless told otherwise (`HEARTH_DATABASE_POOL`).
/// A few per core of the database does most: on two cores, `bench meetings` answered more reads
/// with 4 or 8 than with 20, and its writes waited half as long at p99, since fewer statements
/// took turns on the same cores. Instances × pool must stay under PostgreSQL's
/// `max_connections` (100 by default).
pub const DEFAULT_POOL: u32 = 8;

/// [`connect_pooled`] with [`DEFAULT_POOL`] connections (tools and benches).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_pooled(url, DEFAULT_POOL).await
}

/// The database at `url`; on PostgreSQL at most `pool` connections (SQLite keeps 8: one writes
/// at a time).
pub async fn connect_pooled(url: &str, pool: u32) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        // sqlx pings every connection it hands out (and again as it takes one back): a round
        // trip more for each statement outside a transaction. A connection in use is alive; one
        // idle a while may have been dropped by the server or a proxy, so only that is pinged.
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR);
    if url.starts_with("sqlite:") {
        options.max_connections(8).min_connections(1);
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // What is deleted is overwritten with zeros, not left in free space.
                .pragma("secure_delete", "ON")
        });
    } else {
        options.max_connections(pool).min_connections(1);
    }
    Database::connect(options).await
}

/// After something is erased (an account), SQLite's write-ahead log still holds the pages as
/// they were before: copies them into the database file (whose pages `secure_delete` has
/// zeroed) and truncates the log to nothing. A reader holding an old snapshot keeps the log
/// from being truncated: tried again for a while, then logged. PostgreSQL keeps dead rows
/// until VACUUM and in its own WAL; nothing here reaches those.
pub async fn truncate_wal_after_erasure(db: &DatabaseConnection) -> AppResult<()> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(());
    }
    for _ in 0..20 {
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA wal_checkpoint(TRUNCATE)",
            ))
            .await?;
        // The first column is 1 when a reader or writer kept the checkpoint from finishing.
        let busy: i64 = row.map_or(Ok(1), |r| r.try_get_by_index(0))?;
        if busy == 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tracing::warn!("the write-ahead log could not be truncated after an erasure: a reader held it");
    Ok(())
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Starts a transaction that will write. On SQLite it takes the write lock at BEGIN
/// (`BEGIN IMMEDIATE`), so two writers wait for each other instead of deadlocking on upgrade.
pub async fn begin_write(db: &DatabaseConnection) -> AppResult<DatabaseTransaction> {
    Ok(db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?)
}

/// A statement written for PostgreSQL, with `$n` placeholders, as the connection's backend reads
/// it (SQLite reads `?n`). The SQL must hold no other `$`.
pub fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// What a worker's claim locks on PostgreSQL: rows another worker holds are passed over.
const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";

/// Claims a batch of a job table's rows for one worker, in a write transaction of its own.
/// `sql` is PostgreSQL's `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING …`
/// with `$n` placeholders. SQLite has one writer at a time (`BEGIN IMMEDIATE`), so there the
/// same claim runs without the row locks.
pub async fn claim_jobs<E: EntityTrait>(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<Value>,
) -> AppResult<Vec<E::Model>> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => sql.to_owned(),
        _ => sql.replace(SKIP_LOCKED, ""),
    };
    let txn = begin_write(db).await?;
    let jobs = E::find()
        .from_raw_sql(statement(backend, &sql, values))
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(jobs)
}

/// Connections in use and idle, for `/metrics`.
pub fn pool_usage(db: &DatabaseConnection) -> (u32, u32) {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        _ => (0, 0),
    }
}

pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// An update that adds `delta` to a counter column (`SET c = c + delta`), computed by the
/// database so concurrent writers never lose a count. Add the row filter (and any other columns)
/// to it, then execute it in the write's transaction.
pub fn count_change<E: EntityTrait>(column: E::Column, delta: i32) -> UpdateMany<E> {
    E::update_many().col_expr(column, Expr::col(column).add(delta))
}

/// The row an author already wrote with this idempotency key, if any (none without a key).
pub async fn find_keyed<E: EntityTrait>(
    db: &impl ConnectionTrait,
    (author_column, key_column): (E::Column, E::Column),
    author: &UserId,
    key: Option<&str>,
) -> AppResult<Option<E::Model>> {
    let Some(key) = key else { return Ok(None) };
    Ok(E::find()
        .filter(author_column.eq(author))
        .filter(key_column.eq(key))
        .one(db)
        .await?)
}

/// Where a row carrying a client's idempotency key came from.
pub enum Keyed<M> {
    /// Written now, in this still-open transaction.
    Fresh(M, DatabaseTransaction),
    /// Written earlier by a request with the same key (this transaction was rolled back).
    Earlier(M),
}

/// Inserts `row` in `txn`. If a request with the same idempotency key won the race, the insert
/// fails on the key's unique index; then the transaction is rolled back and `earlier` finds
/// that request's row.
pub async fn insert_keyed<A, F, Fut>(
    txn: DatabaseTransaction,
    row: A,
    earlier: F,
) -> AppResult<Keyed<<A::Entity as EntityTrait>::Model>>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = AppResult<Option<<A::Entity as EntityTrait>::Model>>>,
{
    match row.insert(&txn).await {
        Ok(model) => Ok(Keyed::Fresh(model, txn)),
        Err(e) if is_unique_violation(&e) => {
            txn.rollback().await?;
            earlier()
                .await?
                .map(Keyed::Earlier)
                .ok_or_else(|| AppError::internal(e))
        }
        Err(e) => Err(e.into()),
    }
}
