//! Seals the values written in clear before issue 33, in batches, while the server serves.
//! Each value is replaced by one conditional update (only if it is still the value read), so
//! a crash loses nothing, a person editing meanwhile wins, and several workers may run it at
//! once: whatever is still in clear is what is left to do.
use super::fields::{PersonField, MAIL_TO, PERSON_FIELDS};
use super::ring::Indexed;
use super::sealing::PREFIX;
use super::vault::{PersonKey, Vault};
use crate::db::statement;
use crate::error::AppResult;
use crate::ids::UserId;
use sea_orm::{ConnectionTrait, DatabaseConnection, Value};
use std::collections::HashMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Rows sealed per statement read.
pub const BATCH: u64 = 200;
/// The pause between batches, leaving the database to the requests.
const PAUSE: Duration = Duration::from_millis(20);

/// Runs until nothing is left in clear (or the server stops). Started with the workers.
pub fn spawn(db: DatabaseConnection, vault: Vault, stop: CancellationToken) {
    tokio::spawn(async move {
        let mut sealed = 0u64;
        loop {
            let batch = tokio::select! {
                _ = stop.cancelled() => return,
                batch = seal_batch(&db, &vault) => batch,
            };
            match batch {
                Ok(0) => break,
                Ok(n) => sealed += n,
                Err(err) => {
                    tracing::warn!(error = %err.message(), "sealing old rows failed; retrying");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            }
            tokio::time::sleep(PAUSE).await;
        }
        if sealed > 0 {
            tracing::info!(sealed, "every value written before sealing is sealed now");
        }
    });
}

/// Seals one batch of each sealed column; returns how many values it sealed (0: done).
pub async fn seal_batch(db: &DatabaseConnection, vault: &Vault) -> AppResult<u64> {
    let mut sealed = 0;
    for field in PERSON_FIELDS {
        sealed += seal_person_field(db, vault, field).await?;
    }
    sealed += seal_outbox(db, vault).await?;
    Ok(sealed)
}

/// Seals everything; for tests and `hearth keys seal`.
pub async fn seal_all(db: &DatabaseConnection, vault: &Vault) -> AppResult<u64> {
    let mut total = 0;
    loop {
        let n = seal_batch(db, vault).await?;
        if n == 0 {
            return Ok(total);
        }
        total += n;
    }
}

async fn plain_rows(
    db: &DatabaseConnection,
    table: &str,
    column: &str,
    owner: &str,
) -> AppResult<Vec<(String, String, String)>> {
    let sql = format!(
        "SELECT id, {owner}, {column} FROM {table} \
         WHERE {column} IS NOT NULL AND {column} <> '' AND {column} NOT LIKE '{PREFIX}%' \
         LIMIT {BATCH}"
    );
    let rows = db
        .query_all_raw(statement(db.get_database_backend(), &sql, vec![]))
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok((
                row.try_get_by_index(0)?,
                row.try_get_by_index(1)?,
                row.try_get_by_index(2)?,
            ))
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(Into::into)
}

async fn seal_person_field(
    db: &DatabaseConnection,
    vault: &Vault,
    field: &PersonField,
) -> AppResult<u64> {
    let (table, column) = (field.field.table, field.field.column);
    let rows = plain_rows(db, table, column, field.owner).await?;
    let mut keys: HashMap<String, PersonKey> = HashMap::new();
    let mut sealed = 0;
    for (id, owner, plain) in rows {
        if !keys.contains_key(&owner) {
            let key = vault
                .key_for_writing(db, &UserId::from(owner.clone()))
                .await?;
            keys.insert(owner.clone(), key);
        }
        let Some(key) = keys.get(&owner) else {
            continue;
        };
        let value = key.seal(field.field, &id, &plain)?;
        let index = field
            .index
            .map(|(index_column, what)| (index_column, vault.ring().index(what, &plain)));
        sealed += replace(db, table, column, &id, &plain, value, index).await?;
    }
    Ok(sealed)
}

async fn seal_outbox(db: &DatabaseConnection, vault: &Vault) -> AppResult<u64> {
    let (table, column) = (MAIL_TO.table, MAIL_TO.column);
    let rows = plain_rows(db, table, column, "id").await?;
    let mut sealed = 0;
    for (id, _, plain) in rows {
        let value = vault
            .ring()
            .seal_for_server(MAIL_TO.at(&id), plain.as_bytes())?;
        let index = ("to_index", vault.ring().index(Indexed::Email, &plain));
        sealed += replace(db, table, column, &id, &plain, value, Some(index)).await?;
    }
    Ok(sealed)
}

/// Replaces `plain` by `sealed` in one row, if the row still holds `plain`.
async fn replace(
    db: &DatabaseConnection,
    table: &str,
    column: &str,
    id: &str,
    plain: &str,
    sealed: String,
    index: Option<(&str, String)>,
) -> AppResult<u64> {
    let (sql, values): (String, Vec<Value>) = match index {
        None => (
            format!("UPDATE {table} SET {column} = $1 WHERE id = $2 AND {column} = $3"),
            vec![sealed.into(), id.into(), plain.into()],
        ),
        Some((index_column, index)) => (
            format!(
                "UPDATE {table} SET {column} = $1, {index_column} = $2 \
                 WHERE id = $3 AND {column} = $4"
            ),
            vec![sealed.into(), index.into(), id.into(), plain.into()],
        ),
    };
    let done = db
        .execute_raw(statement(db.get_database_backend(), &sql, values))
        .await?;
    Ok(done.rows_affected())
}
