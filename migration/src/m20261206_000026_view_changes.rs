//! What a read that is kept depends on, written by the database itself. Every row written to a
//! table a group page or a feed shows adds a row `(scope, 1)` to `view_changes`, from a trigger,
//! in the write's own transaction: `g:<group id>` for what shows in a group, `m:<group id>` for
//! the group itself and who is in it (its row, memberships, bans: what access to it rests on),
//! `p:<person id>` for what shows to or of one person (their blocks, memberships, reactions,
//! profile). A scope's version is the
//! sum of its rows' `n`; it grows by one with every committed change and no statement can write
//! without it (`api/src/read_versions.rs` reads and compacts it).
//!
//! Rows are only inserted, never updated, so writes in one group do not queue for a shared row
//! (the reason replies are counted apart on PostgreSQL, migration 000023). Compaction replaces a
//! scope's rows by one holding their sum, which leaves the version as it was.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// When a trigger fires.
#[derive(Clone, Copy)]
enum On {
    Insert,
    Update(&'static str),
    Delete,
}

/// One trigger: a table, when it fires, and the scopes of its row (`R` stands for the row).
struct Changes {
    table: &'static str,
    on: &'static [On],
    scopes: &'static str,
}

const IN_A_GROUP: &[On] = &[On::Insert, On::Update(""), On::Delete];

const CHANGES: [Changes; 10] = [
    Changes {
        table: "groups",
        on: IN_A_GROUP,
        scopes: "SELECT 'g:' || R.id AS scope UNION ALL SELECT 'm:' || R.id",
    },
    Changes {
        table: "memberships",
        on: IN_A_GROUP,
        scopes: "SELECT 'g:' || R.group_id AS scope UNION ALL SELECT 'm:' || R.group_id \
                 UNION ALL SELECT 'p:' || R.user_id",
    },
    Changes {
        table: "bans",
        on: IN_A_GROUP,
        scopes: "SELECT 'g:' || R.group_id AS scope UNION ALL SELECT 'm:' || R.group_id \
                 UNION ALL SELECT 'p:' || R.user_id",
    },
    Changes {
        table: "posts",
        on: IN_A_GROUP,
        scopes: "SELECT 'g:' || R.group_id AS scope",
    },
    Changes {
        table: "replies",
        on: IN_A_GROUP,
        scopes: "SELECT 'g:' || R.group_id AS scope",
    },
    Changes {
        table: "reactions",
        on: IN_A_GROUP,
        scopes: "SELECT 'g:' || group_id AS scope FROM posts WHERE id = R.target_id \
                 UNION ALL SELECT 'g:' || group_id FROM replies WHERE id = R.target_id \
                 UNION ALL SELECT 'p:' || R.user_id",
    },
    Changes {
        table: "mod_log",
        on: IN_A_GROUP,
        scopes: "SELECT 'g:' || R.group_id AS scope",
    },
    Changes {
        table: "blocks",
        on: IN_A_GROUP,
        scopes: "SELECT 'p:' || R.blocker_id AS scope UNION ALL SELECT 'p:' || R.blocked_id",
    },
    // A person's name, country and standing show in every group they are or were in.
    Changes {
        table: "users",
        on: &[On::Update("display_name, country, is_admin"), On::Delete],
        scopes: "SELECT 'p:' || R.id AS scope \
                 UNION SELECT 'g:' || group_id FROM memberships WHERE user_id = R.id \
                 UNION SELECT 'g:' || group_id FROM posts WHERE author_id = R.id",
    },
    Changes {
        table: "experts",
        on: IN_A_GROUP,
        scopes: "SELECT 'p:' || R.user_id AS scope \
                 UNION SELECT 'g:' || group_id FROM memberships WHERE user_id = R.user_id \
                 UNION SELECT 'g:' || group_id FROM posts WHERE author_id = R.user_id",
    },
];

fn row(scopes: &str, row: &str) -> String {
    scopes.replace("R.", &format!("{row}."))
}

/// The statement a trigger runs for `which` row (`NEW` or `OLD`).
fn insert(scopes: &str, which: &str) -> String {
    format!(
        "INSERT INTO view_changes (scope, n) SELECT scope, 1 FROM ({}) AS scopes",
        row(scopes, which)
    )
}

fn sqlite_up() -> Vec<String> {
    let mut up = Vec::new();
    for change in &CHANGES {
        for on in change.on {
            let (name, event, which) = match on {
                On::Insert => ("insert", "INSERT".to_owned(), "NEW"),
                On::Update("") => ("update", "UPDATE".to_owned(), "NEW"),
                On::Update(columns) => ("update", format!("UPDATE OF {columns}"), "NEW"),
                On::Delete => ("delete", "DELETE".to_owned(), "OLD"),
            };
            up.push(format!(
                "CREATE TRIGGER {table}_{name}_changes_views AFTER {event} ON {table} \
                 FOR EACH ROW BEGIN {}; END",
                insert(change.scopes, which),
                table = change.table,
            ));
        }
    }
    up
}

fn postgres_up() -> Vec<String> {
    let mut up = Vec::new();
    for change in &CHANGES {
        let table = change.table;
        let events: Vec<String> = change
            .on
            .iter()
            .map(|on| match on {
                On::Insert => "INSERT".to_owned(),
                On::Update("") => "UPDATE".to_owned(),
                On::Update(columns) => format!("UPDATE OF {columns}"),
                On::Delete => "DELETE".to_owned(),
            })
            .collect();
        up.push(format!(
            "CREATE FUNCTION {table}_changes_views() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN \
               IF TG_OP = 'DELETE' THEN {old}; ELSE {new}; END IF; \
               RETURN NULL; \
             END $$",
            old = insert(change.scopes, "OLD"),
            new = insert(change.scopes, "NEW"),
        ));
        up.push(format!(
            "CREATE TRIGGER {table}_changes_views AFTER {} ON {table} \
             FOR EACH ROW EXECUTE FUNCTION {table}_changes_views()",
            events.join(" OR ")
        ));
    }
    up
}

fn down(backend: DbBackend) -> Vec<String> {
    let mut down = Vec::new();
    for change in &CHANGES {
        let table = change.table;
        if backend == DbBackend::Postgres {
            down.push(format!("DROP TRIGGER {table}_changes_views ON {table}"));
            down.push(format!("DROP FUNCTION {table}_changes_views()"));
        } else {
            for on in change.on {
                let name = match on {
                    On::Insert => "insert",
                    On::Update(_) => "update",
                    On::Delete => "delete",
                };
                down.push(format!("DROP TRIGGER {table}_{name}_changes_views"));
            }
        }
    }
    down.push("DROP INDEX view_changes_by_scope".to_owned());
    down.push("DROP TABLE view_changes".to_owned());
    down.push("DROP INDEX posts_by_author".to_owned());
    down
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut up = vec![
            "CREATE TABLE view_changes (scope VARCHAR(40) NOT NULL, n BIGINT NOT NULL)".to_owned(),
            "CREATE INDEX view_changes_by_scope ON view_changes (scope, n)".to_owned(),
            // Whose posts a person's new name or standing shows on.
            "CREATE INDEX posts_by_author ON posts (author_id, group_id)".to_owned(),
        ];
        up.extend(match backend {
            DbBackend::Postgres => postgres_up(),
            _ => sqlite_up(),
        });
        let db = manager.get_connection();
        for statement in up {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in down(manager.get_database_backend()) {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }
}
