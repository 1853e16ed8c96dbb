//! The vocabulary posts, replies, reactions and reports share: what kind of item something is,
//! the reactions people leave, a report's state, and whether an item is listed.
use crate::error::{text_between, AppResult};
use entity::posts;

#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReactionKind {
    Support,
    Relate,
    Thanks,
}

impl ReactionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReactionKind::Support => "SUPPORT",
            ReactionKind::Relate => "RELATE",
            ReactionKind::Thanks => "THANKS",
        }
    }
    pub fn from_stored(value: &str) -> Self {
        match value {
            "RELATE" => ReactionKind::Relate,
            "THANKS" => ReactionKind::Thanks,
            _ => ReactionKind::Support,
        }
    }
    pub const ALL: [ReactionKind; 3] = [
        ReactionKind::Support,
        ReactionKind::Relate,
        ReactionKind::Thanks,
    ];
}

/// What a reaction or report points at.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContentType {
    Post,
    Reply,
}

impl ContentType {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Post => "POST",
            ContentType::Reply => "REPLY",
        }
    }
}

#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportStatus {
    Open,
    Resolved,
    Dismissed,
}

impl ReportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Open => "OPEN",
            ReportStatus::Resolved => "RESOLVED",
            ReportStatus::Dismissed => "DISMISSED",
        }
    }
    pub fn from_stored(value: &str) -> Self {
        match value {
            "RESOLVED" => ReportStatus::Resolved,
            "DISMISSED" => ReportStatus::Dismissed,
            _ => ReportStatus::Open,
        }
    }
}

/// Whether a post shows in lists: neither deleted by its author nor removed by a moderator.
pub fn is_listed_post(post: &posts::Model) -> bool {
    post.deleted_at.is_none() && post.removed_at.is_none()
}

/// A client's idempotency key as given: 1 to 64 characters.
pub fn idempotency_key(raw: Option<&str>) -> AppResult<Option<String>> {
    raw.map(|k| text_between("idempotencyKey", k, 1, 64))
        .transpose()
}
