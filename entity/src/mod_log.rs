use crate::enums::{ModAction, ModTarget};
use crate::ids::{GroupId, ModLogId, UserId};
use sea_orm::entity::prelude::*;

/// A moderator action, readable by the group's moderators.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mod_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ModLogId,
    pub group_id: GroupId,
    pub actor_id: UserId,
    pub action: ModAction,
    pub target_type: Option<ModTarget>,
    pub target_id: Option<String>,
    pub reason: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
