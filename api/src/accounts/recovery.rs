//! A way back for whoever forgot their password: a code mailed to the address, then a new
//! password that signs out every session. The request answers the same whatever the address.
use super::addresses::{self, account_with};
use super::codes;
use super::input::{Email, Password};
use super::mailing::mail_code_to_account;
use super::service::{
    code_key, live_session_ids, revoke_sessions_in, start_session, Credentials, SignedIn,
};
use crate::auth::{revocation, RequestMeta};
use crate::broker::Committed;
use crate::clock::now;
use crate::error::{AppError, AppResult};
use entity::enums::EmailCodePurpose;
use entity::users;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

pub async fn request_password_reset(
    ctx: &Credentials<'_>,
    meta: &RequestMeta,
    email: &str,
) -> AppResult<Committed<()>> {
    mail_code_to_account(ctx, meta, "reset", EmailCodePurpose::ResetPassword, email).await
}

/// Sets a new password with a mailed code, signs out every session of the account (their
/// sockets close on every instance), and signs in this one.
pub async fn reset_password(
    ctx: &Credentials<'_>,
    email: &str,
    code: &str,
    new_password: &str,
) -> AppResult<SignedIn> {
    let email = Email::parse(email)?;
    let new_password = Password::parse(new_password, "newPassword")?;
    let (txn, _) = codes::redeem(
        ctx.db,
        code_key(ctx),
        EmailCodePurpose::ResetPassword,
        &addresses::indexes(ctx.vault, &email),
        code,
    )
    .await?;
    let Some(user) = account_with(&txn, ctx.vault, &email).await? else {
        // A decoy (no account) that a guess happened to match, or an account deleted since.
        txn.rollback().await?;
        return Err(AppError::CodeRejected { expired: false });
    };
    let hash = ctx.passwords.hash(new_password.expose()).await?;
    let revoked = live_session_ids(&txn, &user.id).await?;
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(hash))
        .col_expr(users::Column::UpdatedAt, Expr::value(now()))
        .filter(users::Column::Id.eq(user.id.as_str()))
        .exec(&txn)
        .await?;
    revoke_sessions_in(&txn, &revoked, "password_reset").await?;
    let signed_in = start_session(ctx, &txn, user).await?;
    txn.commit().await?;
    revocation::announce(ctx.sessions, ctx.broker, &revoked).await;
    tracing::info!(user_id = %signed_in.user.id, revoked = revoked.len(), "password reset");
    Ok(signed_in)
}
