use crate::enums::ExportState;
use crate::ids::{ExportJobId, SessionId, UserId};
use sea_orm::entity::prelude::*;

/// A data export: asked for, then built by a worker and kept until `expires_at`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "export_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ExportJobId,
    pub user_id: UserId,
    /// The session that asked: the download link stops working when it is signed out.
    pub session_id: SessionId,
    pub state: ExportState,
    /// The JSON document, once built.
    pub document: Option<String>,
    pub bytes: Option<i64>,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub ready_at: Option<DateTimeUtc>,
    /// Deleted after this: an hour after it was built, a day after it was asked for if never.
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
