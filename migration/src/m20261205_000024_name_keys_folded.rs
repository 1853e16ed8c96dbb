//! Names keyed again: the skeleton is now taken before case folding (so `Owner OIive`, capital
//! I, meets `Owner Olive`), folding is Unicode's full case folding, and spaces, `_`, `-` and
//! `.` are left out of the key (`Owner Olive.` meets `Owner Olive`). Names that now collide keep
//! working, as in the first re-keying (`m20261129_000008`).
use crate::m20261129_000008_confusable_name_keys::rekey_names;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rekey_names(manager.get_connection()).await
    }

    /// The earlier keys cannot be computed any more (their function is gone); today's keys are
    /// kept, and they still hold the names apart that the earlier ones did.
    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
