use crate::enums::{MemberState, NotificationLevel, Role};
use crate::ids::{GroupId, UserId};
use sea_orm::entity::prelude::*;

/// A person's place in a group: an active member, a pending join request, or an invitation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "memberships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_id: GroupId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    pub role: Role,
    pub state: MemberState,
    pub alias: Option<String>,
    pub alias_key: Option<String>,
    pub notification_level: NotificationLevel,
    pub created_at: DateTimeUtc,
    pub joined_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// A caller's access to a group reads the group and their membership in one statement.
    #[sea_orm(
        belongs_to = "super::groups::Entity",
        from = "Column::GroupId",
        to = "super::groups::Column::Id"
    )]
    Group,
}

impl Related<super::groups::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Group.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
