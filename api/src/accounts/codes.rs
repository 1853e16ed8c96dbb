//! One-time codes mailed to an address: six digits, single use, 15 minutes, five tries, kept
//! only as a keyed hash. One code per purpose and address: asking again replaces it. The
//! address is known here only by its blind indexes (`mailing::address_indexes`, the current
//! KEK's first): a code is filed under the first and found under any.
use crate::clock::now;
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::secrets::{keyed_hash, six_digit_code};
use entity::email_codes;
use entity::enums::EmailCodePurpose;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, Set,
};
use std::time::Duration;

/// How long a mailed code works.
pub const CODE_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// Wrong codes one code survives; the next try is `RATE_LIMITED` until a new code is asked for.
pub const MAX_TRIES: i32 = 5;

/// What a registration keeps until its code comes back.
pub struct PendingAccount {
    pub password_hash: String,
    pub display_name: String,
}

/// Stores a fresh code for the address (replacing any earlier one) and returns it to be mailed.
/// `pending` is `None` for a code that will never be mailed: a decoy, written where a real
/// code would be, so that what follows (wrong, expired, too many tries) looks the same
/// whether or not the address has an account.
pub async fn issue(
    txn: &impl ConnectionTrait,
    key: &str,
    purpose: EmailCodePurpose,
    address: &[String],
    pending: Option<PendingAccount>,
) -> AppResult<String> {
    let code = six_digit_code();
    let Some(index) = address.first() else {
        return Err(AppError::internal(anyhow::anyhow!(
            "an address without an index"
        )));
    };
    email_codes::Entity::delete_many()
        .filter(this_code(purpose, address))
        .exec(txn)
        .await?;
    let at = now();
    let lifetime = chrono::Duration::from_std(CODE_LIFETIME).map_err(AppError::internal)?;
    let (password_hash, display_name) = match pending {
        Some(p) => (Some(p.password_hash), Some(p.display_name)),
        None => (None, None),
    };
    email_codes::ActiveModel {
        purpose: Set(purpose),
        email_index: Set(index.clone()),
        code_hash: Set(hash(key, purpose, index, &code)),
        tries: Set(0),
        expires_at: Set(at + lifetime),
        password_hash: Set(password_hash),
        display_name: Set(display_name),
        created_at: Set(at),
    }
    .insert(txn)
    .await?;
    Ok(code)
}

/// Takes the code for `email` if `code` is it: returns an open write transaction in which the
/// code is already deleted, for the caller to finish its work in and commit. A wrong code
/// counts a try (committed at once); the sixth try, right or wrong, is `RATE_LIMITED`. An
/// expired code's try is not kept.
pub async fn redeem(
    db: &DatabaseConnection,
    key: &str,
    purpose: EmailCodePurpose,
    address: &[String],
    code: &str,
) -> AppResult<(DatabaseTransaction, email_codes::Model)> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::bad_input("code", "a code is six digits"));
    }
    let txn = begin_write(db).await?;
    let Some(row) = email_codes::Entity::find()
        .filter(this_code(purpose, address))
        .one(&txn)
        .await?
    else {
        return Err(AppError::CodeRejected { expired: false });
    };
    let at = now();
    // The try is counted before the code is compared, by one conditional update: concurrent
    // guesses wait for each other on the row (PostgreSQL) or the write lock (SQLite), so no
    // more than `MAX_TRIES` are ever compared.
    let counted = email_codes::Entity::update_many()
        .col_expr(
            email_codes::Column::Tries,
            Expr::col(email_codes::Column::Tries).add(1),
        )
        .filter(this_row(&row))
        .filter(email_codes::Column::Tries.lt(MAX_TRIES))
        .exec(&txn)
        .await?
        .rows_affected;
    if counted == 0 {
        let left = (row.expires_at - at).to_std().unwrap_or_default();
        return Err(AppError::RateLimited {
            retry_after: left.max(Duration::from_secs(1)),
        });
    }
    if row.expires_at <= at {
        return Err(AppError::CodeRejected { expired: true });
    }
    if row.code_hash != hash(key, purpose, &row.email_index, code) {
        txn.commit().await?;
        return Err(AppError::CodeRejected { expired: false });
    }
    // Single use, also when the same right code arrives twice at once: only one deletes it.
    let taken = email_codes::Entity::delete_many()
        .filter(this_row(&row))
        .exec(&txn)
        .await?
        .rows_affected;
    if taken == 0 {
        return Err(AppError::CodeRejected { expired: false });
    }
    Ok((txn, row))
}

fn this_code(purpose: EmailCodePurpose, address: &[String]) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(email_codes::Column::Purpose.eq(purpose))
        .add(email_codes::Column::EmailIndex.is_in(address))
}

fn this_row(row: &email_codes::Model) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(email_codes::Column::Purpose.eq(row.purpose))
        .add(email_codes::Column::EmailIndex.eq(row.email_index.as_str()))
}

/// Forgets every code mailed to an address (the account behind it is being deleted).
pub async fn forget(txn: &impl ConnectionTrait, address: &[String]) -> AppResult<()> {
    email_codes::Entity::delete_many()
        .filter(email_codes::Column::EmailIndex.is_in(address))
        .exec(txn)
        .await?;
    Ok(())
}

fn hash(key: &str, purpose: EmailCodePurpose, address_index: &str, code: &str) -> String {
    keyed_hash(key, &format!("{purpose:?}\u{0}{address_index}\u{0}{code}"))
}
