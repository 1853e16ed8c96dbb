use crate::enums::Platform;
use sea_orm::entity::prelude::*;

/// An FCM registration token, tied to the session that registered it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "devices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub session_id: String,
    #[sea_orm(unique)]
    pub token: String,
    pub platform: Platform,
    pub app_version: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
