//! The outbox: a mail is written as a row in the same transaction as the action it reports,
//! so it is sent exactly when the action commits, and survives a crash until it is sent.
use crate::clock::now;
use crate::error::AppResult;
use crate::ids::MailJobId;
use crate::keys::fields::MAIL_TO;
use crate::keys::sealing::is_sealed;
use crate::keys::{Indexed, Vault};
use chrono::{DateTime, Utc};
use entity::mail_jobs;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

/// One plain-text mail. Its words say nothing about health: the address may be read by others.
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// After this the mail is of no use (the code in it has expired) and is dropped unsent.
    pub expires_at: DateTime<Utc>,
}

impl Mail {
    /// The same mail, out of date as it is written: the worker drops it unsent. Written where
    /// an answer must cost the same work whether or not a real mail goes out (a code asked for
    /// an address without an account).
    pub fn decoy(self) -> Self {
        Mail {
            to: String::new(),
            expires_at: now(),
            ..self
        }
    }
}

/// Queues a mail inside the caller's transaction. The caller announces `Event::MailQueued`
/// after the commit, which wakes the mail workers.
pub async fn enqueue(txn: &impl ConnectionTrait, vault: &Vault, mail: Mail) -> AppResult<()> {
    let at = now();
    let id = MailJobId::generate();
    let ring = vault.ring();
    // A decoy has no address: nothing to seal.
    let (to_address, to_index) = if mail.to.is_empty() {
        (String::new(), None)
    } else {
        (
            ring.seal_for_server(MAIL_TO.at(id.as_str()), mail.to.as_bytes())?,
            Some(ring.index(Indexed::Email, &mail.to)),
        )
    };
    mail_jobs::ActiveModel {
        id: Set(id),
        to_address: Set(to_address),
        to_index: Set(to_index),
        subject: Set(mail.subject),
        body: Set(mail.body),
        attempts: Set(0),
        due_at: Set(at),
        claimed_by: Set(None),
        claimed_until: Set(None),
        expires_at: Set(mail.expires_at),
        last_error: Set(None),
        created_at: Set(at),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// The address a queued mail goes to, opened; `None` if it does not open.
pub fn address(vault: &Vault, job: &mail_jobs::Model) -> Option<String> {
    if !is_sealed(&job.to_address) {
        return Some(job.to_address.clone());
    }
    let opened = vault
        .ring()
        .open_for_server(MAIL_TO.at(job.id.as_str()), &job.to_address)
        .ok()?;
    String::from_utf8(opened.to_vec()).ok()
}
