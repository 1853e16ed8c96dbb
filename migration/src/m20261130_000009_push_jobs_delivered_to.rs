//! A push to several devices remembers which of them have it, so retrying the ones FCM asked
//! to retry does not send it again to the ones that already got it.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("push_jobs")
                    .add_column(ColumnDef::new("delivered_to").text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("push_jobs")
                    .drop_column("delivered_to")
                    .to_owned(),
            )
            .await
    }
}
