//! The vocabulary posts, replies, reactions and reports share: what kind of item something is,
//! the reactions people leave, a report's state, and whether an item is listed.
use crate::error::{text_between, AppResult};
use entity::posts;

pub use entity::enums::{ContentType, ReactionKind, ReportStatus};

/// Whether a post shows in lists: neither deleted by its author nor removed by a moderator.
pub fn is_listed_post(post: &posts::Model) -> bool {
    post.deleted_at.is_none() && post.removed_at.is_none()
}

/// Whether a reply or an answer is written anonymously: the anonymous author of a post or
/// question stays that anonymous author in its thread unless they ask to be named (`asked` is
/// `Some(false)`); nobody else writes anonymously there.
pub fn anonymous_in_thread(
    item_anonymous: bool,
    by_its_author: bool,
    asked: Option<bool>,
) -> AppResult<bool> {
    let may = item_anonymous && by_its_author;
    match asked {
        Some(true) if !may => Err(crate::error::AppError::bad_input(
            "anonymous",
            "only the anonymous author of a post or question writes anonymously under it",
        )),
        Some(choice) => Ok(choice),
        None => Ok(may),
    }
}

/// Whether a reply shows in its thread: neither deleted by its author nor removed by a moderator.
pub fn is_listed_reply(reply: &entity::replies::Model) -> bool {
    reply.deleted_at.is_none() && reply.removed_at.is_none()
}

/// A client's idempotency key as given: 1 to 64 characters.
pub fn idempotency_key(raw: Option<&str>) -> AppResult<Option<String>> {
    raw.map(|k| text_between("idempotencyKey", k, 1, 64))
        .transpose()
}
