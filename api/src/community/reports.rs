//! Reports as rows: the one place a report is written, whoever files it. A reader files one
//! through moderation; the words of a post, reply, question or answer file one themselves (a
//! crisis flag, in the priority queue) in the transaction that writes them.
use crate::clock::now;
use crate::content::{ContentType, ReportStatus};
use crate::error::AppResult;
use crate::ids::{GroupId, ReportId, UserId};
use entity::reports;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// What moderators read on a report raised by the words themselves.
pub const CRISIS_REASON: &str = "Crisis language: flagged automatically when written";

/// The item a report is about, and where it was written (`None`: a platform-wide question or
/// one of its answers, which the platform admins handle).
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    pub kind: ContentType,
    pub id: &'a str,
    pub group_id: Option<&'a GroupId>,
}

/// Who files a report.
#[derive(Clone, Copy, Debug)]
pub enum Filer<'a> {
    /// A reader, with their reason.
    Reader(&'a UserId, &'a str),
    /// The words themselves: filed under their author, because a report needs someone and a
    /// report's filer is never shown.
    CrisisWords(&'a UserId),
}

/// The open report this filer already has on this item: a reader's own (not a crisis flag), or
/// for crisis words the item's one open flag.
pub async fn open_report(
    db: &impl ConnectionTrait,
    target: Target<'_>,
    filer: Filer<'_>,
) -> AppResult<Option<reports::Model>> {
    let mut query = reports::Entity::find()
        .filter(reports::Column::TargetType.eq(target.kind))
        .filter(reports::Column::TargetId.eq(target.id))
        .filter(reports::Column::Status.eq(ReportStatus::Open));
    query = match filer {
        Filer::Reader(reader, _) => query
            .filter(reports::Column::ReporterId.eq(reader))
            .filter(reports::Column::Priority.eq(false)),
        Filer::CrisisWords(_) => query.filter(reports::Column::Priority.eq(true)),
    };
    Ok(query.one(db).await?)
}

/// Files a report, or returns the one this filer has open on the item already.
pub async fn file(
    txn: &impl ConnectionTrait,
    target: Target<'_>,
    filer: Filer<'_>,
) -> AppResult<(reports::Model, bool)> {
    if let Some(open) = open_report(txn, target, filer).await? {
        return Ok((open, false));
    }
    let (reporter, reason, priority) = match filer {
        Filer::Reader(reader, reason) => (reader, reason, false),
        Filer::CrisisWords(author) => (author, CRISIS_REASON, true),
    };
    let report = reports::ActiveModel {
        id: Set(ReportId::generate()),
        group_id: Set(target.group_id.cloned()),
        target_type: Set(target.kind),
        target_id: Set(target.id.to_owned()),
        reporter_id: Set(reporter.to_owned()),
        reason: Set(reason.to_owned()),
        status: Set(ReportStatus::Open),
        priority: Set(priority),
        resolved_by: Set(None),
        resolution_note: Set(None),
        created_at: Set(now()),
        resolved_at: Set(None),
    }
    .insert(txn)
    .await?;
    Ok((report, true))
}
