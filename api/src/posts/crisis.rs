//! Words that read like a crisis: a post or reply that has them goes to its group's priority
//! queue of reports, in the transaction that writes it, and its moderators are told.
use crate::community::reports::{self, Filer, Target};
use crate::content::ContentType;
use crate::error::AppResult;
use crate::ids::{GroupId, UserId};
use crate::notifications::service::{self as notifications, About, Notified};
use crate::safety::has_crisis_language;
use entity::{posts, replies};
use sea_orm::ConnectionTrait;

/// Whether a post's words read like a crisis: title, body or content warning.
pub fn post_reads_like_crisis(post: &posts::Model) -> bool {
    let warning = post.content_warning.as_deref().unwrap_or_default();
    [post.title.as_str(), post.body.as_str(), warning]
        .into_iter()
        .any(has_crisis_language)
}

pub fn reply_reads_like_crisis(reply: &replies::Model) -> bool {
    has_crisis_language(&reply.body)
}

/// A post that reads like a crisis, and did not before this write, goes to its group's priority
/// queue and its moderators are told: an edit that keeps the words (a dismissed flag, a fixed
/// typo) does not queue it again.
pub(super) async fn flag_crisis_in_post(
    txn: &impl ConnectionTrait,
    post: &posts::Model,
    before: Option<&posts::Model>,
) -> AppResult<Vec<Notified>> {
    if !post_reads_like_crisis(post) || before.is_some_and(post_reads_like_crisis) {
        return Ok(Vec::new());
    }
    let about = About {
        group_id: Some(post.group_id.clone()),
        post_id: Some(post.id.clone()),
        anonymous_actor: post.anonymous,
        ..Default::default()
    };
    let (group, author, target) = (&post.group_id, &post.author_id, ContentType::Post);
    flag_crisis(txn, group, author, about, target, post.id.as_str()).await
}

/// The same for a reply.
pub(super) async fn flag_crisis_in_reply(
    txn: &impl ConnectionTrait,
    reply: &replies::Model,
    before: Option<&replies::Model>,
) -> AppResult<Vec<Notified>> {
    if !reply_reads_like_crisis(reply) || before.is_some_and(reply_reads_like_crisis) {
        return Ok(Vec::new());
    }
    let about = About {
        group_id: Some(reply.group_id.clone()),
        post_id: Some(reply.post_id.clone()),
        reply_id: Some(reply.id.clone()),
        ..Default::default()
    };
    let (group, author, target) = (&reply.group_id, &reply.author_id, ContentType::Reply);
    flag_crisis(txn, group, author, about, target, reply.id.as_str()).await
}

/// Puts a post or reply whose words read like a crisis in its group's priority queue, in the
/// transaction that writes it; the writing goes ahead either way. An item has at most one open
/// crisis flag. The moderators are told (the notifications to announce after commit).
async fn flag_crisis(
    txn: &impl ConnectionTrait,
    group_id: &GroupId,
    author_id: &UserId,
    about: About,
    kind: ContentType,
    id: &str,
) -> AppResult<Vec<Notified>> {
    let group_id = Some(group_id);
    let target = Target { kind, id, group_id };
    let (_, filed) = reports::file(txn, target, Filer::CrisisWords(author_id)).await?;
    if !filed {
        return Ok(Vec::new());
    }
    notifications::notify_crisis_flag(txn, group_id, author_id, about).await
}
