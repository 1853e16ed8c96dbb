//! Deleting an account, at once and for real: everything personal goes in one transaction
//! (profile, email, password hash, sessions and refresh tokens, devices, notifications to and
//! about the person, push jobs, moods with their shares and reminders, answers for meetings
//! and the calendar feed, blocks, bans, reports
//! filed, reactions, marks, follows, memberships, invitations, codes and mails waiting), and
//! the rate-limit counters kept under the account's id or address. What they wrote is removed
//! or kept, as they choose; kept, it shows "Deleted member" and links back to nobody.
use super::addresses::{self, account_with};
use super::codes;
use super::input::Email;
use super::mailing::mail_code_to_account;
use super::service::{code_key, confirm_password, counter_keys, find_user, Credentials};
use crate::auth::{revocation, RequestMeta, Viewer};
use crate::broker::Committed;
use crate::clock::now;
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::ids::{deleted_member, GroupId, SessionId, UserId};
use crate::keys::Indexed;
use entity::enums::{EmailCodePurpose, MemberState, Role};
use entity::{mail_jobs, memberships, sessions, users};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Value};

/// What a statement below is given: `$1` the person, `$2` the Deleted member, `$3` now.
#[derive(Clone, Copy)]
enum Arg {
    Person,
    DeletedMember,
    Now,
}
use Arg::{DeletedMember, Now, Person};

/// Gone whatever the person chose. Order matters: rows that point at others go first.
const ERASE: &[(&str, &[Arg])] = &[
    ("DELETE FROM export_jobs WHERE user_id = $1", &[Person]),
    ("DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE user_id = $1)", &[Person]),
    ("DELETE FROM devices WHERE user_id = $1", &[Person]),
    ("DELETE FROM sessions WHERE user_id = $1", &[Person]),
    ("DELETE FROM push_jobs WHERE user_id = $1 OR notification_id IN (SELECT id FROM notifications WHERE actor_id = $1)", &[Person]),
    ("DELETE FROM notifications WHERE user_id = $1 OR actor_id = $1", &[Person]),
    ("DELETE FROM push_preferences WHERE user_id = $1", &[Person]),
    ("DELETE FROM calendar_feeds WHERE user_id = $1", &[Person]),
    ("DELETE FROM meeting_reminders WHERE user_id = $1", &[Person]),
    ("DELETE FROM meeting_rsvps WHERE user_id = $1", &[Person]),
    ("UPDATE meeting_series SET facilitator_id = NULL WHERE facilitator_id = $1", &[Person]),
    ("UPDATE meeting_series SET created_by = NULL WHERE created_by = $1", &[Person]),
    ("DELETE FROM mood_share_accesses WHERE share_id IN (SELECT id FROM mood_shares WHERE user_id = $1)", &[Person]),
    ("DELETE FROM mood_shares WHERE user_id = $1", &[Person]),
    ("DELETE FROM mood_reminder_days WHERE user_id = $1", &[Person]),
    ("DELETE FROM mood_reminders WHERE user_id = $1", &[Person]),
    ("DELETE FROM mood_checkins WHERE user_id = $1", &[Person]),
    ("DELETE FROM blocks WHERE blocker_id = $1 OR blocked_id = $1", &[Person]),
    ("DELETE FROM bans WHERE user_id = $1", &[Person]),
    ("UPDATE bans SET banned_by = $2, reason = '' WHERE banned_by = $1", &[Person, DeletedMember]),
    ("DELETE FROM experts WHERE user_id = $1", &[Person]),
    ("UPDATE experts SET granted_by = NULL WHERE granted_by = $1", &[Person]),
    ("DELETE FROM invite_codes WHERE created_by = $1", &[Person]),
    ("UPDATE groups SET created_by = $2 WHERE created_by = $1", &[Person, DeletedMember]),
    ("DELETE FROM reports WHERE reporter_id = $1", &[Person]),
    ("UPDATE reports SET resolved_by = $2, resolution_note = NULL WHERE resolved_by = $1", &[Person, DeletedMember]),
    ("UPDATE mod_log SET actor_id = $2, reason = NULL WHERE actor_id = $1", &[Person, DeletedMember]),
    ("UPDATE mod_log SET target_id = NULL WHERE target_id = $1", &[Person]),
    ("DELETE FROM reactions WHERE user_id = $1", &[Person]),
    ("UPDATE answers SET helpful_count = helpful_count - 1 WHERE id IN (SELECT answer_id FROM answer_helpful WHERE user_id = $1)", &[Person]),
    ("DELETE FROM answer_helpful WHERE user_id = $1", &[Person]),
    ("DELETE FROM question_follows WHERE user_id = $1", &[Person]),
    ("DELETE FROM thread_follows WHERE user_id = $1", &[Person]),
    ("UPDATE groups SET member_count = member_count - 1 WHERE id IN (SELECT group_id FROM memberships WHERE user_id = $1 AND state = 'ACTIVE')", &[Person]),
    ("DELETE FROM memberships WHERE user_id = $1", &[Person]),
];

/// `removeContent: true`: what they wrote is deleted, as their own delete would (placeholders
/// stay in threads others answered), and its words are gone from the rows.
const REMOVE_CONTENT: &[(&str, &[Arg])] = &[
    ("UPDATE groups SET post_count = post_count - (SELECT COUNT(*) FROM posts p WHERE p.group_id = groups.id AND p.author_id = $1 AND p.deleted_at IS NULL AND p.removed_at IS NULL) WHERE id IN (SELECT group_id FROM posts WHERE author_id = $1)", &[Person]),
    ("UPDATE posts SET reply_count = reply_count - (SELECT COUNT(*) FROM replies r WHERE r.post_id = posts.id AND r.author_id = $1 AND r.deleted_at IS NULL AND r.removed_at IS NULL) WHERE id IN (SELECT post_id FROM replies WHERE author_id = $1)", &[Person]),
    ("UPDATE questions SET answer_count = answer_count - (SELECT COUNT(*) FROM answers a WHERE a.question_id = questions.id AND a.author_id = $1 AND a.deleted_at IS NULL AND a.removed_at IS NULL) WHERE id IN (SELECT question_id FROM answers WHERE author_id = $1)", &[Person]),
    ("UPDATE questions SET accepted_answer_id = NULL WHERE accepted_answer_id IN (SELECT id FROM answers WHERE author_id = $1)", &[Person]),
    ("UPDATE posts SET deleted_at = COALESCE(deleted_at, $3), title = '', body = '', content_warning = NULL, idempotency_key = NULL, removed_reason = NULL, author_id = $2 WHERE author_id = $1", &[Person, DeletedMember, Now]),
    ("UPDATE replies SET deleted_at = COALESCE(deleted_at, $3), body = '', idempotency_key = NULL, removed_reason = NULL, author_id = $2 WHERE author_id = $1", &[Person, DeletedMember, Now]),
    ("UPDATE answers SET deleted_at = COALESCE(deleted_at, $3), body = '', idempotency_key = NULL, removed_reason = NULL, accepted = false, author_id = $2 WHERE author_id = $1", &[Person, DeletedMember, Now]),
    ("UPDATE questions SET deleted_at = COALESCE(deleted_at, $3), title = '', body = '', tags = '', content_warning = NULL, idempotency_key = NULL, removed_reason = NULL, author_id = $2 WHERE author_id = $1", &[Person, DeletedMember, Now]),
];

/// `removeContent: false`: what they wrote stays, by "Deleted member"; only what they had
/// already deleted loses its words.
const KEEP_CONTENT: &[(&str, &[Arg])] = &[
    ("UPDATE posts SET title = '', body = '', content_warning = NULL WHERE author_id = $1 AND deleted_at IS NOT NULL", &[Person]),
    ("UPDATE replies SET body = '' WHERE author_id = $1 AND deleted_at IS NOT NULL", &[Person]),
    ("UPDATE answers SET body = '' WHERE author_id = $1 AND deleted_at IS NOT NULL", &[Person]),
    ("UPDATE questions SET title = '', body = '', tags = '', content_warning = NULL WHERE author_id = $1 AND deleted_at IS NOT NULL", &[Person]),
    ("UPDATE posts SET author_id = $2, idempotency_key = NULL WHERE author_id = $1", &[Person, DeletedMember]),
    ("UPDATE replies SET author_id = $2, idempotency_key = NULL WHERE author_id = $1", &[Person, DeletedMember]),
    ("UPDATE answers SET author_id = $2, idempotency_key = NULL WHERE author_id = $1", &[Person, DeletedMember]),
    ("UPDATE questions SET author_id = $2, idempotency_key = NULL WHERE author_id = $1", &[Person, DeletedMember]),
];

/// Deletes the signed-in account after checking its password.
pub async fn delete_account(
    ctx: &Credentials<'_>,
    meta: &RequestMeta,
    viewer: &Viewer,
    password: &str,
    remove_content: bool,
) -> AppResult<()> {
    let user = find_user(ctx.db, &viewer.user_id).await?;
    confirm_password(ctx, meta, &user, password, "password").await?;
    erase(ctx, user, remove_content).await
}

/// The web page's first step: mails a code to delete the account at this address (answers the
/// same whatever the address; only an address with an account is mailed).
pub async fn request_deletion_code(
    ctx: &Credentials<'_>,
    meta: &RequestMeta,
    email: &str,
) -> AppResult<Committed<()>> {
    mail_code_to_account(ctx, meta, "delete", EmailCodePurpose::DeleteAccount, email).await
}

/// The web page's second step: the mailed code, spent either way, names the account to delete
/// (then [`erase`]).
pub async fn redeem_deletion_code(
    ctx: &Credentials<'_>,
    email: &str,
    code: &str,
) -> AppResult<users::Model> {
    let email = Email::parse(email)?;
    let (txn, _) = codes::redeem(
        ctx.db,
        code_key(ctx),
        EmailCodePurpose::DeleteAccount,
        &addresses::indexes(ctx.vault, &email),
        code,
    )
    .await?;
    let account = account_with(&txn, ctx.vault, &email).await?;
    // The code is spent either way; the deletion runs in its own transaction.
    txn.commit().await?;
    account.ok_or(AppError::CodeRejected { expired: false })
}

/// Deletes an account whose owner was checked (by password or by a mailed code).
pub async fn erase(
    ctx: &Credentials<'_>,
    user: users::Model,
    remove_content: bool,
) -> AppResult<()> {
    if user.id == deleted_member() {
        return Err(AppError::Forbidden);
    }
    let started = std::time::Instant::now();
    let txn = begin_write(ctx.db).await?;
    let session_ids: Vec<SessionId> = sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(&user.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let alone_in = hand_over_groups(&txn, &user.id).await?;
    for group in &alone_in {
        delete_group(&txn, group).await?;
    }
    let content = if remove_content {
        REMOVE_CONTENT
    } else {
        KEEP_CONTENT
    };
    for (sql, args) in ERASE.iter().chain(content) {
        run(&txn, sql, args, &user.id).await?;
    }
    // The address opens unless the key is already gone (a database restored from before an
    // erasure); its index is enough to find the codes and mails then.
    let address = addresses::address_of(&txn, ctx.vault, &user).await.ok();
    let address_indexes = match &address {
        Some(address) => ctx.vault.ring().indexes(Indexed::Email, address),
        None => user.email_index.iter().cloned().collect(),
    };
    codes::forget(&txn, &address_indexes).await?;
    mail_jobs::Entity::delete_many()
        .filter(mail_jobs::Column::ToIndex.is_in(address_indexes))
        .exec(&txn)
        .await?;
    // Crypto-shredding: whatever copy of the database still holds what was sealed under the
    // person's key, it no longer opens.
    ctx.vault.shred(&txn, &user.id).await?;
    users::Entity::delete_by_id(user.id.clone())
        .exec(&txn)
        .await?;
    // Last: the deletions above counted changes to the person's scope too.
    crate::read_versions::forget_person(&txn, &user.id).await?;
    txn.commit().await?;
    crate::db::truncate_wal_after_erasure(ctx.db).await?;
    revocation::announce(ctx.sessions, ctx.broker, &session_ids).await;
    let mut forgotten = vec![user.id.as_str().to_owned()];
    if let Some(address) = &address {
        forgotten.extend(counter_keys(ctx, address));
    }
    ctx.limiter.forget_containing(&forgotten).await;
    tracing::info!(
        sessions = session_ids.len(),
        groups_deleted = alone_in.len(),
        remove_content,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "account deleted"
    );
    Ok(())
}

/// Groups the person owns pass to their longest-serving moderator, or else their
/// longest-standing member. Returns the groups nobody else is in, to be deleted.
async fn hand_over_groups(txn: &impl ConnectionTrait, user_id: &UserId) -> AppResult<Vec<GroupId>> {
    let owned = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user_id))
        .filter(memberships::Column::Role.eq(Role::Owner))
        .all(txn)
        .await?;
    let mut alone_in = Vec::new();
    for owned in owned {
        let others = memberships::Entity::find()
            .filter(memberships::Column::GroupId.eq(&owned.group_id))
            .filter(memberships::Column::UserId.ne(user_id))
            .filter(memberships::Column::State.eq(MemberState::Active))
            .order_by_asc(memberships::Column::JoinedAt)
            .all(txn)
            .await?;
        let heir = others
            .iter()
            .find(|m| m.role == Role::Moderator)
            .or(others.first());
        match heir {
            Some(heir) => {
                memberships::Entity::update_many()
                    .col_expr(memberships::Column::Role, Expr::value(Role::Owner))
                    .filter(memberships::Column::GroupId.eq(&heir.group_id))
                    .filter(memberships::Column::UserId.eq(&heir.user_id))
                    .exec(txn)
                    .await?;
            }
            None => alone_in.push(owned.group_id),
        }
    }
    Ok(alone_in)
}

/// A group with nobody else in it goes with its owner: its rows cascade; what points at its
/// posts without a foreign key (reactions, notifications) goes first.
async fn delete_group(txn: &impl ConnectionTrait, group: &GroupId) -> AppResult<()> {
    for sql in [
        "DELETE FROM reactions WHERE target_id IN (SELECT id FROM posts WHERE group_id = $1) OR target_id IN (SELECT id FROM replies WHERE group_id = $1)",
        "DELETE FROM push_jobs WHERE notification_id IN (SELECT id FROM notifications WHERE group_id = $1)",
        "DELETE FROM notifications WHERE group_id = $1",
        "DELETE FROM groups WHERE id = $1",
    ] {
        execute(txn, sql, vec![group.as_str().into()]).await?;
    }
    Ok(())
}

async fn run(
    txn: &impl ConnectionTrait,
    sql: &str,
    args: &[Arg],
    person: &UserId,
) -> AppResult<()> {
    let at = now();
    let values = args
        .iter()
        .map(|arg| match arg {
            Person => person.as_str().into(),
            DeletedMember => migration::DELETED_MEMBER_ID.into(),
            Now => at.into(),
        })
        .collect();
    execute(txn, sql, values).await
}

/// Runs a statement written with `$n` placeholders on either backend (SQLite reads `?n`).
async fn execute(txn: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> AppResult<()> {
    txn.execute_raw(crate::db::statement(
        txn.get_database_backend(),
        sql,
        values,
    ))
    .await?;
    Ok(())
}
