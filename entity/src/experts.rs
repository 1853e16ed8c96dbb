use crate::ids::UserId;
use sea_orm::entity::prelude::*;

/// A platform admin's grant of expert standing: its credential, shown beside the person's
/// answers until `verified_until`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "experts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    pub title: String,
    pub verified_until: DateTimeUtc,
    /// The admin who granted it; `None` when granted on the command line.
    pub granted_by: Option<UserId>,
    pub granted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
