use crate::enums::{LedBy, Topic, Visibility};
use crate::ids::{GroupId, UserId};
use sea_orm::entity::prelude::*;

/// A support group.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "groups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: GroupId,
    pub name: String,
    pub description: String,
    pub topic: Topic,
    pub tags: String,
    pub visibility: Visibility,
    pub led_by: LedBy,
    pub rules: String,
    pub created_by: UserId,
    pub member_count: i32,
    pub post_count: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::memberships::Entity")]
    Memberships,
}

impl Related<super::memberships::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Memberships.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
