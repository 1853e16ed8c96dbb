//! Registration that tells nothing. `register` answers the same, after the same work, whether
//! or not the address has an account: a new address gets a code (the account is made when the
//! code comes back through `verify_email`), a known one gets a mail saying someone tried to
//! sign up with it. Both write a code row and a mail, so what follows looks the same too.
use super::codes::{self, PendingAccount, CODE_LIFETIME};
use super::input::{DisplayName, Email, Password};
use super::service::{name_in_use, name_taken, start_session, Credentials, SignedIn};
use crate::auth::passwords::PasswordHasher;
use crate::auth::RequestMeta;
use crate::broker::{Announcements, Committed, Event};
use crate::clock::now;
use crate::db::{begin_write, is_unique_violation};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::mail::{outbox, Mail};
use crate::rate_limit::Limit;
use crate::secrets::sha256_hex;
use entity::enums::EmailCodePurpose;
use entity::users;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use std::time::Duration;

/// Mails of one kind to one address in an hour: enough for a person, too few to bomb anyone.
const MAILS_PER_ADDRESS: Limit = Limit {
    max: 5,
    window: Duration::from_secs(3600),
};

/// How long a "someone tried to sign up with your address" mail is worth sending.
const NOTICE_LIFETIME: Duration = Duration::from_secs(24 * 3600);

pub async fn register(
    ctx: &Credentials<'_>,
    meta: &RequestMeta,
    email: &str,
    password: &str,
    display_name: &str,
) -> AppResult<Committed<()>> {
    let limits = &ctx.settings.auth_limits;
    ctx.limiter
        .hit(
            &format!("register:ip:{}", meta.client_ip),
            Limit {
                max: limits.registrations_per_ip,
                window: limits.registration_window,
            },
        )
        .await?;
    let email = Email::parse(email)?;
    let display_name = DisplayName::parse(display_name)?;
    let password = Password::parse(password, "password")?;
    mails_to(ctx, "register", &email).await?;
    if name_in_use(ctx.db, &display_name.key(), None, None).await? {
        return Err(name_taken());
    }
    // Hashed whether or not it will be kept: the answer takes as long either way.
    let password_hash = ctx.passwords.hash(password.expose()).await?;
    let known = account_with(ctx.db, &email).await?.is_some();

    let txn = begin_write(ctx.db).await?;
    let mail = if known {
        codes::issue(
            &txn,
            code_key(ctx),
            EmailCodePurpose::VerifyEmail,
            email.as_str(),
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
            email.as_str(),
            Some(pending),
        )
        .await?;
        code_mail(email.as_str(), &code)?
    };
    outbox::enqueue(&txn, mail).await?;
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
        email.as_str(),
        code,
    )
    .await?;
    let (Some(password_hash), Some(display_name)) = (row.password_hash, row.display_name) else {
        // A decoy (the address already had an account) that a guess happened to match.
        txn.rollback().await?;
        return Err(AppError::CodeRejected { expired: false });
    };
    if account_with(&txn, &email).await?.is_some() {
        txn.rollback().await?;
        return Err(AppError::conflict(
            "email",
            "this address has an account now: sign in instead",
        ));
    }
    let display_name = DisplayName::parse(&display_name)?;
    let user = insert_user(&txn, &email, &display_name, password_hash).await?;
    let signed_in = start_session(ctx, &txn, user).await?;
    txn.commit().await?;
    tracing::info!(user_id = %signed_in.user.id, "account registered");
    Ok(signed_in)
}

/// An account whose address is taken as verified, with no mail: for the command line, demo
/// data and tests. Apps go through `register` and `verify_email`.
pub async fn create_verified(
    db: &DatabaseConnection,
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
    if account_with(db, &email).await?.is_some() {
        return Err(AppError::conflict("email", "this address has an account"));
    }
    let password_hash = passwords.hash(password.expose()).await?;
    let txn = begin_write(db).await?;
    let user = insert_user(&txn, &email, &display_name, password_hash).await?;
    txn.commit().await?;
    Ok(user)
}

/// The six-digit code mail. It says nothing of what Hearth is for.
pub(super) fn code_mail(to: &str, code: &str) -> AppResult<Mail> {
    Ok(Mail {
        to: to.to_owned(),
        subject: format!("Your Hearth code is {code}"),
        body: format!(
            "Your Hearth code is {code}\n\nType it in the app within 15 minutes. If you did not \
             ask for it, you can ignore this mail.\n"
        ),
        expires_at: now()
            + chrono::Duration::from_std(CODE_LIFETIME).map_err(AppError::internal)?,
    })
}

/// Counts a mail of `kind` to this address; `RATE_LIMITED` past the hourly allowance, whether
/// or not the address has an account.
pub(super) async fn mails_to(ctx: &Credentials<'_>, kind: &str, email: &Email) -> AppResult<()> {
    ctx.limiter
        .hit(
            &format!("mail:{kind}:{}", sha256_hex(email.as_str())),
            MAILS_PER_ADDRESS,
        )
        .await
}

/// The key codes are hashed with: the server's secret, so a copy of the database alone does
/// not give the codes back.
pub fn code_key<'a>(ctx: &'a Credentials<'_>) -> &'a str {
    ctx.settings
        .jwt_secret
        .as_ref()
        .map(|s| s.expose())
        .unwrap_or_default()
}

pub(super) fn mail_queued() -> Announcements {
    let mut announce = Announcements::default();
    announce.event(Event::MailQueued);
    announce
}

pub(super) async fn account_with(
    db: &impl ConnectionTrait,
    email: &Email,
) -> AppResult<Option<users::Model>> {
    Ok(users::Entity::find()
        .filter(users::Column::Email.eq(email.as_str()))
        .one(db)
        .await?)
}

async fn insert_user(
    txn: &impl ConnectionTrait,
    email: &Email,
    display_name: &DisplayName,
    password_hash: String,
) -> AppResult<users::Model> {
    let at = now();
    users::ActiveModel {
        id: Set(UserId::generate()),
        email: Set(email.as_str().to_owned()),
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
            e.into()
        }
    })
}
