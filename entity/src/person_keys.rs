use crate::ids::UserId;
use sea_orm::entity::prelude::*;

/// A person's data key, wrapped under a key-encryption key the database never holds. Deleting
/// the row makes everything sealed under the key unreadable, in every copy of the database.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    /// Which key-encryption key wrapped it.
    pub kek_id: String,
    pub wrapped_key: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
