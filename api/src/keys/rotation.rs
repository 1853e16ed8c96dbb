//! Checking and rotating the key-encryption key. `hearth keys rotate` runs beside serving
//! instances: given the new KEK (`HEARTH_KEK_FILE`) and the old one
//! (`HEARTH_KEK_RETIRED_FILES`), it rewraps each person's data key and recomputes their blind
//! indexes in one transaction per person, so every row is under one KEK or the other and both
//! are accepted until it finishes. Stopped, it resumes where it was: what is left is what is
//! still under another KEK. `hearth keys check` opens every wrapped key.
use super::fields::{DEVICE_TOKEN, EMAIL, MAIL_TO};
use super::ring::Indexed;
use super::vault::Vault;
use crate::db::{begin_write, statement};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use entity::{devices, mail_jobs, person_keys, users};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use std::collections::BTreeMap;

/// What `hearth keys check` found.
#[derive(Debug, Default)]
pub struct Checked {
    /// Wrapped keys by the id of the KEK that wrapped them.
    pub by_kek: BTreeMap<String, u64>,
    /// People whose key did not open (their KEK is not configured, or the row was altered).
    pub unopened: Vec<UserId>,
}

pub async fn check(db: &DatabaseConnection, vault: &Vault) -> AppResult<Checked> {
    let mut checked = Checked::default();
    let mut after: Option<UserId> = None;
    loop {
        let mut query = person_keys::Entity::find();
        if let Some(after) = &after {
            query = query.filter(person_keys::Column::UserId.gt(after));
        }
        let rows = sea_orm::QueryOrder::order_by_asc(query, person_keys::Column::UserId)
            .limit(500)
            .all(db)
            .await?;
        let Some(last) = rows.last() else {
            return Ok(checked);
        };
        after = Some(last.user_id.clone());
        for row in rows {
            *checked.by_kek.entry(row.kek_id.clone()).or_default() += 1;
            if vault.unwrap(&row).is_err() {
                checked.unopened.push(row.user_id);
            }
        }
    }
}

/// At start: the configured KEK must be the one the database's keys are wrapped under (or a
/// retired one still configured). A wrong key is named by its variable, not found later as
/// unreadable rows.
pub async fn check_at_start(
    db: &DatabaseConnection,
    vault: &Vault,
    variable: &str,
) -> anyhow::Result<()> {
    let ring = vault.ring();
    let sample = person_keys::Entity::find().one(db).await?;
    let Some(sample) = sample else {
        return Ok(());
    };
    let known = person_keys::Entity::find()
        .filter(person_keys::Column::KekId.is_in(ring_ids(vault)))
        .one(db)
        .await?;
    match known {
        None => anyhow::bail!(
            "{variable}: this key-encryption key (id {}) is not the one the data keys in the \
             database are wrapped under (id {}): give that one, or name it in \
             HEARTH_KEK_RETIRED_FILES while `hearth keys rotate` runs",
            ring.current_id(),
            sample.kek_id
        ),
        Some(row) => {
            if vault.unwrap(&row).is_err() {
                anyhow::bail!(
                    "{variable}: a data key wrapped under key id {} does not open with it",
                    row.kek_id
                );
            }
            Ok(())
        }
    }
}

fn ring_ids(vault: &Vault) -> Vec<String> {
    vault.ring().ids().map(str::to_owned).collect()
}

/// What one run of `rotate` did.
#[derive(Debug, Default)]
pub struct Rotated {
    pub rewrapped: u64,
    /// Keys still under another KEK (0 once finished).
    pub left: u64,
}

/// Rewraps up to `limit` people's keys (all with `None`) under the current KEK, `batch` at a
/// time, recomputing their blind indexes; then, once none is left, the outbox's.
pub async fn rotate(
    db: &DatabaseConnection,
    vault: &Vault,
    batch: u64,
    limit: Option<u64>,
) -> AppResult<Rotated> {
    let current = vault.ring().current_id().to_owned();
    let mut rotated = Rotated::default();
    loop {
        if limit.is_some_and(|limit| rotated.rewrapped >= limit) {
            break;
        }
        let take = match limit {
            Some(limit) => batch.min(limit - rotated.rewrapped),
            None => batch,
        };
        let rows = person_keys::Entity::find()
            .filter(person_keys::Column::KekId.ne(current.as_str()))
            .limit(take)
            .all(db)
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            rotated.rewrapped += rewrap(db, vault, row).await?;
        }
    }
    rotated.left = person_keys::Entity::find()
        .filter(person_keys::Column::KekId.ne(current.as_str()))
        .count(db)
        .await?;
    if rotated.left == 0 {
        reindex_outbox(db, vault).await?;
    }
    Ok(rotated)
}

/// One person: their key under the current KEK and their indexes under its index key, in one
/// transaction. Returns 0 if another run took them first.
async fn rewrap(db: &DatabaseConnection, vault: &Vault, row: person_keys::Model) -> AppResult<u64> {
    let txn = begin_write(db).await?;
    let dek = vault.unwrap(&row)?;
    let (kek_id, wrapped) = vault.wrap(&row.user_id, &dek)?;
    let done = person_keys::Entity::update_many()
        .col_expr(person_keys::Column::KekId, Expr::value(kek_id))
        .col_expr(person_keys::Column::WrappedKey, Expr::value(wrapped))
        .filter(person_keys::Column::UserId.eq(&row.user_id))
        .filter(person_keys::Column::KekId.eq(row.kek_id.as_str()))
        .exec(&txn)
        .await?
        .rows_affected;
    if done == 0 {
        txn.rollback().await?;
        return Ok(0);
    }
    let key = vault.key_of(&txn, &row.user_id).await?;
    let ring = vault.ring();
    if let Some(user) = users::Entity::find_by_id(row.user_id.clone())
        .one(&txn)
        .await?
    {
        let email = key.open(EMAIL, user.id.as_str(), &user.email)?;
        users::Entity::update_many()
            .col_expr(
                users::Column::EmailIndex,
                Expr::value(ring.index(Indexed::Email, &email)),
            )
            .filter(users::Column::Id.eq(&user.id))
            .exec(&txn)
            .await?;
    }
    let devices = devices::Entity::find()
        .filter(devices::Column::UserId.eq(&row.user_id))
        .all(&txn)
        .await?;
    for device in devices {
        let token = key.open(DEVICE_TOKEN, device.id.as_str(), &device.token)?;
        devices::Entity::update_many()
            .col_expr(
                devices::Column::TokenIndex,
                Expr::value(ring.index(Indexed::DeviceToken, &token)),
            )
            .filter(devices::Column::Id.eq(&device.id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(1)
}

/// Mails waiting in the outbox: sealed again under the current server key, indexed again.
async fn reindex_outbox(db: &DatabaseConnection, vault: &Vault) -> AppResult<()> {
    let ring = vault.ring();
    let jobs = mail_jobs::Entity::find().all(db).await?;
    for job in jobs {
        if job.to_address.is_empty() {
            continue;
        }
        let place = MAIL_TO.at(job.id.as_str());
        let Ok(address) = ring.open_for_server(place, &job.to_address) else {
            continue;
        };
        let address = String::from_utf8(address.to_vec()).map_err(|_| AppError::Unreadable)?;
        let sealed = ring.seal_for_server(place, address.as_bytes())?;
        let index = ring.index(Indexed::Email, &address);
        let sql = "UPDATE mail_jobs SET to_address = $1, to_index = $2 \
                   WHERE id = $3 AND to_address = $4";
        db.execute_raw(statement(
            db.get_database_backend(),
            sql,
            vec![
                sealed.into(),
                index.into(),
                job.id.as_str().into(),
                job.to_address.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}
