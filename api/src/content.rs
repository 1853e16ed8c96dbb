//! The vocabulary posts, replies, reactions and reports share: what kind of item something is,
//! the reactions people leave, a report's state, and whether an item is listed.
use crate::error::{text_between, AppResult};
use entity::posts;

pub use entity::enums::{ContentType, ReactionKind, ReportStatus};

/// Whether a post shows in lists: neither deleted by its author nor removed by a moderator.
pub fn is_listed_post(post: &posts::Model) -> bool {
    post.deleted_at.is_none() && post.removed_at.is_none()
}

/// A client's idempotency key as given: 1 to 64 characters.
pub fn idempotency_key(raw: Option<&str>) -> AppResult<Option<String>> {
    raw.map(|k| text_between("idempotencyKey", k, 1, 64))
        .transpose()
}
