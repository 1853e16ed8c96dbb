use crate::enums::EmailCodePurpose;
use sea_orm::entity::prelude::*;

/// A one-time code mailed to an address, one per purpose and address: a new request replaces
/// the old code. Only a keyed hash of the code is kept. A registration waiting for its code
/// keeps the chosen password (hashed) and display name here until the code comes back.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub purpose: EmailCodePurpose,
    #[sea_orm(primary_key, auto_increment = false)]
    /// Keyed blind index of the address the code was mailed to.
    pub email_index: String,
    pub code_hash: String,
    pub tries: i32,
    pub expires_at: DateTimeUtc,
    pub password_hash: Option<String>,
    pub display_name: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
