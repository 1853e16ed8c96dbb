//! Registration that tells nothing. `register` answers the same, after the same work, whether
//! or not the address has an account: a new address gets a code (the account is made when the
//! code comes back through `verify_email`), a known one gets a mail saying someone tried to
//! sign up with it. Both write a code row and a mail, so what follows looks the same too.
use super::addresses::{self, account_with};
use super::codes::{self, PendingAccount};
use super::input::{DisplayName, Email, Password};
use super::mailing::{code_mail, from_address, mail_queued, mails_to};
use super::service::{code_key, name_in_use, name_taken, start_session, Credentials, SignedIn};
use crate::auth::passwords::PasswordHasher;
use crate::auth::RequestMeta;
use crate::broker::Committed;
use crate::clock::now;
use crate::db::{begin_write, is_unique_violation};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::keys::{PersonKey, Vault};
use crate::mail::{outbox, Mail};
use entity::enums::EmailCodePurpose;
use entity::users;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set};
use std::time::Duration;

/// How long a "someone tried to sign up with your address" mail is worth sending.
const NOTICE_LIFETIME: Duration = Duration::from_secs(24 * 3600);

pub async fn register(
    ctx: &Credentials<'_>,
    meta: &RequestMeta,
    email: &str,
    password: &str,
    display_name: &str,
) -> AppResult<Committed<()>> {
    from_address(ctx, "register", meta).await?;
    let email = Email::parse(email)?;
    let display_name = DisplayName::parse(display_name)?;
    let password = Password::parse(password, "password")?;
    mails_to(ctx, "register", &email).await?;
    if name_in_use(ctx.db, &display_name.key(), None, None).await? {
        return Err(name_taken());
    }
    // Hashed whether or not it will be kept: the answer takes as long either way.
    let password_hash = ctx.passwords.hash(password.expose()).await?;
    let known = account_with(ctx.db, ctx.vault, &email).await?.is_some();
    let address = addresses::indexes(ctx.vault, &email);

    let txn = begin_write(ctx.db).await?;
    let mail = if known {
        codes::issue(
            &txn,
            code_key(ctx),
            EmailCodePurpose::VerifyEmail,
            &address,
            None,
        )
        .await?;
        Mail {
            to: email.as_str().to_owned(),
            subject: "Someone tried to sign up with your address".into(),
            body: "Someone tried to make a new Hearth account with this address, which already \
                   has one.\n\nIf it was you, sign in instead, or reset your password from the \
                   sign-in screen. If it was not you, you can ignore this mail: nothing has \
                   changed.\n"
                .into(),
            expires_at: now()
                + chrono::Duration::from_std(NOTICE_LIFETIME).map_err(AppError::internal)?,
        }
    } else {
        let pending = PendingAccount {
            password_hash,
            display_name: display_name.as_str().to_owned(),
        };
        let code = codes::issue(
            &txn,
            code_key(ctx),
            EmailCodePurpose::VerifyEmail,
            &address,
            Some(pending),
        )
        .await?;
        code_mail(email.as_str(), &code)?
    };
    outbox::enqueue(&txn, ctx.vault, mail).await?;
    txn.commit().await?;
    Ok(Committed::new((), mail_queued()))
}

/// Finishes a registration: the right code makes the account and signs it in.
pub async fn verify_email(ctx: &Credentials<'_>, email: &str, code: &str) -> AppResult<SignedIn> {
    let email = Email::parse(email)?;
    let (txn, row) = codes::redeem(
        ctx.db,
        code_key(ctx),
        EmailCodePurpose::VerifyEmail,
        &addresses::indexes(ctx.vault, &email),
        code,
    )
    .await?;
    let (Some(password_hash), Some(display_name)) = (row.password_hash, row.display_name) else {
        // A decoy (the address already had an account) that a guess happened to match.
        txn.rollback().await?;
        return Err(AppError::CodeRejected { expired: false });
    };
    if account_with(&txn, ctx.vault, &email).await?.is_some() {
        txn.rollback().await?;
        return Err(AppError::conflict(
            "email",
            "this address has an account now: sign in instead",
        ));
    }
    let display_name = DisplayName::parse(&display_name)?;
    let user = insert_user(&txn, ctx.vault, &email, &display_name, password_hash).await?;
    let signed_in = start_session(ctx, &txn, user).await?;
    txn.commit().await?;
    tracing::info!(user_id = %signed_in.user.id, "account registered");
    Ok(signed_in)
}

/// An account whose address is taken as verified, with no mail: for the command line, demo
/// data and tests. Apps go through `register` and `verify_email`.
pub async fn create_verified(
    db: &DatabaseConnection,
    vault: &Vault,
    passwords: &PasswordHasher,
    email: &str,
    display_name: &str,
    password: &str,
) -> AppResult<users::Model> {
    let email = Email::parse(email)?;
    let display_name = DisplayName::parse(display_name)?;
    let password = Password::parse(password, "password")?;
    if name_in_use(db, &display_name.key(), None, None).await? {
        return Err(name_taken());
    }
    if account_with(db, vault, &email).await?.is_some() {
        return Err(AppError::conflict("email", "this address has an account"));
    }
    let password_hash = passwords.hash(password.expose()).await?;
    let txn = begin_write(db).await?;
    let user = insert_user(&txn, vault, &email, &display_name, password_hash).await?;
    txn.commit().await?;
    Ok(user)
}

/// A new account, and the data key its address is sealed under, in the caller's transaction.
/// The model handed back holds the address in clear.
async fn insert_user(
    txn: &impl ConnectionTrait,
    vault: &Vault,
    email: &Email,
    display_name: &DisplayName,
    password_hash: String,
) -> AppResult<users::Model> {
    let at = now();
    let id = UserId::generate();
    let key = PersonKey::generate(&id);
    let (sealed, index) = addresses::sealed(vault, &key, email)?;
    let mut user = users::ActiveModel {
        id: Set(id),
        email: Set(sealed),
        email_index: Set(Some(index)),
        display_name: Set(display_name.as_str().to_owned()),
        display_name_key: Set(display_name.key()),
        password_hash: Set(password_hash),
        timezone: Set("UTC".into()),
        country: Set(None),
        is_admin: Set(false),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            name_taken()
        } else {
            AppError::from(e)
        }
    })?;
    vault.store(txn, &key).await?;
    user.email = email.as_str().to_owned();
    Ok(user)
}
