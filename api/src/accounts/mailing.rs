//! What the mailed-code flows (registration, password reset, deletion from the web) share: the
//! limits on who may ask, the code mail, and asking for a code for an address that may or may
//! not have an account, answered the same either way.
use super::addresses::{self, account_with};
use super::codes;
use super::input::Email;
use super::service::{code_key, counter_key, Credentials};
use crate::auth::RequestMeta;
use crate::broker::{Announcements, Committed, Event};
use crate::clock::now;
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::mail::{outbox, Mail};
use crate::rate_limit::Limit;
use entity::enums::EmailCodePurpose;
use std::time::Duration;

/// Mails of one kind to one address in an hour: enough for a person, too few to bomb anyone.
const MAILS_PER_ADDRESS: Limit = Limit {
    max: 5,
    window: Duration::from_secs(3600),
};

/// Mails a code for `purpose` to an address with an account. For an address without one it
/// writes a decoy code and a decoy mail that the mail worker drops unsent (it is out of date
/// when written), and wakes the workers all the same: the answer, the work behind it (the same
/// statements, the same announcement) and what trying codes on the address does are the same
/// either way.
pub(super) async fn mail_code_to_account(
    ctx: &Credentials<'_>,
    meta: &RequestMeta,
    kind: &str,
    purpose: EmailCodePurpose,
    email: &str,
) -> AppResult<Committed<()>> {
    from_address(ctx, kind, meta).await?;
    let email = Email::parse(email)?;
    mails_to(ctx, kind, &email).await?;
    let account = account_with(ctx.db, ctx.vault, &email).await?;
    let txn = begin_write(ctx.db).await?;
    let address = addresses::indexes(ctx.vault, &email);
    let code = codes::issue(&txn, code_key(ctx), purpose, &address, None).await?;
    let mail = code_mail(email.as_str(), &code)?;
    let mail = if account.is_some() {
        mail
    } else {
        mail.decoy()
    };
    outbox::enqueue(&txn, ctx.vault, mail).await?;
    txn.commit().await?;
    Ok(Committed::new((), mail_queued()))
}

/// Counts a request of `kind` from the caller's address (loosely: carriers share addresses).
pub(super) async fn from_address(
    ctx: &Credentials<'_>,
    kind: &str,
    meta: &RequestMeta,
) -> AppResult<()> {
    let limits = &ctx.settings.auth_limits;
    ctx.limiter
        .hit(
            &format!("{kind}:ip:{}", meta.client_ip),
            Limit {
                max: limits.registrations_per_ip,
                window: limits.registration_window,
            },
        )
        .await
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
            + chrono::Duration::from_std(codes::CODE_LIFETIME).map_err(AppError::internal)?,
    })
}

/// Counts a mail of `kind` to this address; `RATE_LIMITED` past the hourly allowance, whether
/// or not the address has an account.
pub(super) async fn mails_to(ctx: &Credentials<'_>, kind: &str, email: &Email) -> AppResult<()> {
    ctx.limiter
        .hit(
            &format!("mail:{kind}:{}", counter_key(ctx, email.as_str())),
            MAILS_PER_ADDRESS,
        )
        .await
}

pub(super) fn mail_queued() -> Announcements {
    let mut announce = Announcements::default();
    announce.event(Event::MailQueued);
    announce
}
