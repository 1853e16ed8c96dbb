//! Each meeting keeps how many are going, maybe and waiting (issue 34's `myMeetings` figure):
//! a page of meetings read the counts by grouping every answer to its meetings, so each read
//! cost as much as the answers it counted. Triggers on `meeting_rsvps` keep the three columns
//! right through every write (an answer, a promotion from the waitlist, a person leaving, a
//! ban, an erased account), whichever code or statement makes it; the columns are filled from
//! the answers once, here.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (column, the answer it counts)
const COUNTED: &[(&str, &str)] = &[
    ("going_count", "GOING"),
    ("maybe_count", "MAYBE"),
    ("waitlist_count", "WAITLISTED"),
];

/// `SET` of the counts, moved by `sign` (`+` or `-`) for the answer of `row` (`NEW` or `OLD`).
fn moved(sign: char, row: &str) -> String {
    let sets: Vec<String> = COUNTED
        .iter()
        .map(|(column, status)| {
            format!("{column} = {column} {sign} (CASE WHEN {row}.status = '{status}' THEN 1 ELSE 0 END)")
        })
        .collect();
    format!(
        "UPDATE meetings SET {} WHERE id = {row}.meeting_id",
        sets.join(", ")
    )
}

fn sqlite_up() -> Vec<String> {
    vec![
        format!(
            "CREATE TRIGGER meeting_rsvps_insert_counts AFTER INSERT ON meeting_rsvps \
             FOR EACH ROW BEGIN {}; END",
            moved('+', "NEW")
        ),
        format!(
            "CREATE TRIGGER meeting_rsvps_update_counts AFTER UPDATE OF status, meeting_id \
             ON meeting_rsvps FOR EACH ROW BEGIN {}; {}; END",
            moved('-', "OLD"),
            moved('+', "NEW")
        ),
        format!(
            "CREATE TRIGGER meeting_rsvps_delete_counts AFTER DELETE ON meeting_rsvps \
             FOR EACH ROW BEGIN {}; END",
            moved('-', "OLD")
        ),
    ]
}

fn postgres_up() -> Vec<String> {
    vec![
        format!(
            "CREATE FUNCTION meeting_rsvps_counts() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN \
               IF TG_OP IN ('UPDATE', 'DELETE') THEN {}; END IF; \
               IF TG_OP IN ('INSERT', 'UPDATE') THEN {}; END IF; \
               RETURN NULL; \
             END $$",
            moved('-', "OLD"),
            moved('+', "NEW")
        ),
        "CREATE TRIGGER meeting_rsvps_counts AFTER INSERT OR UPDATE OF status, meeting_id \
         OR DELETE ON meeting_rsvps FOR EACH ROW EXECUTE FUNCTION meeting_rsvps_counts()"
            .to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (column, _) in COUNTED {
            manager
                .alter_table(
                    Table::alter()
                        .table("meetings")
                        .add_column(ColumnDef::new(*column).integer().not_null().default(0))
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        let fill: Vec<String> = COUNTED
            .iter()
            .map(|(column, status)| {
                format!(
                    "{column} = (SELECT COUNT(*) FROM meeting_rsvps r \
                     WHERE r.meeting_id = meetings.id AND r.status = '{status}')"
                )
            })
            .collect();
        db.execute_unprepared(&format!("UPDATE meetings SET {}", fill.join(", ")))
            .await?;
        let triggers = match manager.get_database_backend() {
            DbBackend::Postgres => postgres_up(),
            _ => sqlite_up(),
        };
        for statement in triggers {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let drops: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => &[
                "DROP TRIGGER meeting_rsvps_counts ON meeting_rsvps",
                "DROP FUNCTION meeting_rsvps_counts()",
            ],
            _ => &[
                "DROP TRIGGER meeting_rsvps_insert_counts",
                "DROP TRIGGER meeting_rsvps_update_counts",
                "DROP TRIGGER meeting_rsvps_delete_counts",
            ],
        };
        for statement in drops {
            db.execute_unprepared(statement).await?;
        }
        for (column, _) in COUNTED {
            manager
                .alter_table(
                    Table::alter()
                        .table("meetings")
                        .drop_column(*column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
