//! Support groups: groups, memberships, bans, invites, posts, replies, reactions, blocks,
//! reports and the moderation log. Also marks platform admins on users.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from_table: &str, from_col: &str, to_table: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table.to_owned(), from_col.to_owned())
        .to(to_table.to_owned(), "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    table: &str,
    cols: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index
        .name(format!("idx_{table}_{}", cols.join("_")))
        .table(table.to_owned());
    for col in cols {
        index.col(String::from(*col));
    }
    if unique {
        index.unique();
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(boolean("is_admin").default(false))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("groups")
                    .col(string_len("id", 36).primary_key())
                    .col(string_len("name", 80))
                    .col(text("description"))
                    .col(string_len("topic", 32))
                    .col(string_len("tags", 200).default(""))
                    .col(string_len("visibility", 16))
                    .col(string_len("led_by", 16))
                    .col(text("rules"))
                    .col(string_len("created_by", 36))
                    .col(integer("member_count").default(0))
                    .col(integer("post_count").default(0))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("groups", "created_by", "users"))
                    .to_owned(),
            )
            .await?;
        index(manager, "groups", &["created_at", "id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("memberships")
                    .col(string_len("group_id", 36))
                    .col(string_len("user_id", 36))
                    .col(string_len("role", 16))
                    .col(string_len("state", 16))
                    .col(string_len_null("alias", 32))
                    .col(string_len_null("alias_key", 32))
                    .col(string_len("notification_level", 16).default("REPLIES"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("joined_at"))
                    .primary_key(Index::create().col("group_id").col("user_id"))
                    .foreign_key(&mut fk("memberships", "group_id", "groups"))
                    .foreign_key(&mut fk("memberships", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        index(manager, "memberships", &["user_id", "state"], false).await?;
        index(manager, "memberships", &["group_id", "alias_key"], true).await?;

        manager
            .create_table(
                Table::create()
                    .table("bans")
                    .col(string_len("group_id", 36))
                    .col(string_len("user_id", 36))
                    .col(timestamp_with_time_zone_null("until"))
                    .col(text("reason"))
                    .col(string_len("banned_by", 36))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("group_id").col("user_id"))
                    .foreign_key(&mut fk("bans", "group_id", "groups"))
                    .foreign_key(&mut fk("bans", "user_id", "users"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("invite_codes")
                    .col(string_len("code_hash", 64).primary_key())
                    .col(string_len("group_id", 36))
                    .col(string_len("created_by", 36))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("invite_codes", "group_id", "groups"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("posts")
                    .col(string_len("id", 36).primary_key())
                    .col(string_len("group_id", 36))
                    .col(string_len("author_id", 36))
                    .col(string_len("title", 200))
                    .col(text("body"))
                    .col(string_len_null("content_warning", 200))
                    .col(string_len_null("idempotency_key", 64))
                    .col(integer("reply_count").default(0))
                    .col(boolean("pinned").default(false))
                    .col(boolean("locked").default(false))
                    .col(timestamp_with_time_zone_null("edited_at"))
                    .col(timestamp_with_time_zone_null("deleted_at"))
                    .col(timestamp_with_time_zone_null("removed_at"))
                    .col(text_null("removed_reason"))
                    .col(timestamp_with_time_zone("last_activity_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("posts", "group_id", "groups"))
                    .foreign_key(&mut fk("posts", "author_id", "users"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "posts",
            &["group_id", "last_activity_at", "id"],
            false,
        )
        .await?;
        index(manager, "posts", &["author_id", "idempotency_key"], true).await?;

        manager
            .create_table(
                Table::create()
                    .table("replies")
                    .col(string_len("id", 36).primary_key())
                    .col(string_len("post_id", 36))
                    .col(string_len("group_id", 36))
                    .col(string_len("author_id", 36))
                    .col(string_len_null("parent_reply_id", 36))
                    .col(text("body"))
                    .col(string_len_null("idempotency_key", 64))
                    .col(timestamp_with_time_zone_null("edited_at"))
                    .col(timestamp_with_time_zone_null("deleted_at"))
                    .col(timestamp_with_time_zone_null("removed_at"))
                    .col(text_null("removed_reason"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("replies", "post_id", "posts"))
                    .foreign_key(&mut fk("replies", "author_id", "users"))
                    .to_owned(),
            )
            .await?;
        index(manager, "replies", &["post_id", "created_at", "id"], false).await?;
        index(manager, "replies", &["author_id", "idempotency_key"], true).await?;

        manager
            .create_table(
                Table::create()
                    .table("reactions")
                    .col(string_len("target_type", 8))
                    .col(string_len("target_id", 36))
                    .col(string_len("user_id", 36))
                    .col(string_len("kind", 16))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(
                        Index::create()
                            .col("target_type")
                            .col("target_id")
                            .col("user_id")
                            .col("kind"),
                    )
                    .foreign_key(&mut fk("reactions", "user_id", "users"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("blocks")
                    .col(string_len("blocker_id", 36))
                    .col(string_len("blocked_id", 36))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("blocker_id").col("blocked_id"))
                    .foreign_key(&mut fk("blocks", "blocker_id", "users"))
                    .foreign_key(&mut fk("blocks", "blocked_id", "users"))
                    .to_owned(),
            )
            .await?;
        index(manager, "blocks", &["blocked_id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("reports")
                    .col(string_len("id", 36).primary_key())
                    .col(string_len("group_id", 36))
                    .col(string_len("target_type", 8))
                    .col(string_len("target_id", 36))
                    .col(string_len("reporter_id", 36))
                    .col(text("reason"))
                    .col(string_len("status", 16))
                    .col(boolean("priority").default(false))
                    .col(string_len_null("resolved_by", 36))
                    .col(text_null("resolution_note"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("resolved_at"))
                    .foreign_key(&mut fk("reports", "group_id", "groups"))
                    .foreign_key(&mut fk("reports", "reporter_id", "users"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "reports",
            &["group_id", "status", "created_at"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("mod_log")
                    .col(string_len("id", 36).primary_key())
                    .col(string_len("group_id", 36))
                    .col(string_len("actor_id", 36))
                    .col(string_len("action", 32))
                    .col(string_len_null("target_type", 8))
                    .col(string_len_null("target_id", 36))
                    .col(text_null("reason"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("mod_log", "group_id", "groups"))
                    .to_owned(),
            )
            .await?;
        index(manager, "mod_log", &["group_id", "created_at", "id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "mod_log",
            "reports",
            "blocks",
            "reactions",
            "replies",
            "posts",
            "invite_codes",
            "bans",
            "memberships",
            "groups",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .drop_column("is_admin")
                    .to_owned(),
            )
            .await
    }
}
