use crate::enums::Platform;
use crate::ids::{DeviceId, SessionId, UserId};
use sea_orm::entity::prelude::*;

/// An FCM registration token, tied to the session that registered it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "devices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: DeviceId,
    pub user_id: UserId,
    pub session_id: SessionId,
    /// The FCM token, sealed under the person's data key.
    pub token: String,
    /// Keyed blind index of the token: a token registered again is found by it.
    #[sea_orm(unique)]
    pub token_index: Option<String>,
    pub platform: Platform,
    pub app_version: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
