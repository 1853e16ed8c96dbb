use crate::ids::UserId;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: UserId,
    /// The address, sealed under the person's data key (`s1:…`; plain until the server has
    /// sealed the rows written before issue 33).
    pub email: String,
    /// Keyed blind index of the address: what sign-in, registration and reset look up.
    #[sea_orm(unique)]
    pub email_index: Option<String>,
    pub display_name: String,
    /// Lower-cased display name: pseudonyms are unique case-insensitively.
    #[sea_orm(unique)]
    pub display_name_key: String,
    pub password_hash: String,
    pub timezone: String,
    /// ISO 3166-1 alpha-2, chosen by the person; picks the crisis resources shown to them.
    pub country: Option<String>,
    /// Platform admins see every group's reports.
    pub is_admin: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
