//! Daily check-in reminders: at the local time a person chose (their profile's timezone, DST
//! included), a content-free MOOD_REMINDER push, unless they already checked in that local day.
//! Exactly one decision per person per local day, across instances and restarts: whoever inserts
//! the day's `mood_reminder_days` row decides, and queues the push job in the same transaction.
//! Quiet hours do not hold a reminder the person set themselves.
use super::summary::{local_day, local_instant, start_of_day};
use crate::auth::Viewer;
use crate::broker::Event;
use crate::broker::WorkerHandles;
use crate::clock::now;
use crate::db::{begin_write, is_unique_violation};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::notifications::service::NotificationKind;
use crate::push::preferences::parse_time;
use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use entity::enums::ReminderOutcome;
use entity::{mood_checkins, mood_reminder_days, mood_reminders, push_jobs, users};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set,
};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A reminder goes out from its local time until this much later (a server that was down
/// longer skips that day rather than prompting at an odd hour).
const WINDOW: chrono::Duration = chrono::Duration::hours(3);
/// How often the worker looks for due reminders.
pub const TICK: Duration = Duration::from_secs(30);

pub async fn set(
    db: &DatabaseConnection,
    viewer: &Viewer,
    local_time: &str,
    enabled: bool,
) -> AppResult<mood_reminders::Model> {
    let time = parse_time("localTime", local_time)?;
    let row = mood_reminders::ActiveModel {
        user_id: Set(viewer.user_id.clone()),
        local_time: Set(time.format("%H:%M").to_string()),
        enabled: Set(enabled),
        updated_at: Set(now()),
    };
    let txn = begin_write(db).await?;
    mood_reminders::Entity::insert(row)
        .on_conflict(
            OnConflict::column(mood_reminders::Column::UserId)
                .update_columns([
                    mood_reminders::Column::LocalTime,
                    mood_reminders::Column::Enabled,
                    mood_reminders::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
    let saved = mood_reminders::Entity::find_by_id(viewer.user_id.clone())
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("reminder vanished after saving")))?;
    txn.commit().await?;
    Ok(saved)
}

pub async fn get(
    db: &DatabaseConnection,
    user_id: &UserId,
) -> AppResult<Option<mood_reminders::Model>> {
    Ok(mood_reminders::Entity::find_by_id(user_id.to_owned())
        .one(db)
        .await?)
}

/// What one pass decided.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub skipped: usize,
}

/// Decides every reminder due at `at` that no instance has decided yet.
pub async fn run_once(app: &WorkerHandles, at: DateTime<Utc>) -> AppResult<Pass> {
    let db = &app.db;
    let reminders = mood_reminders::Entity::find()
        .filter(mood_reminders::Column::Enabled.eq(true))
        .all(db)
        .await?;
    if reminders.is_empty() {
        return Ok(Pass::default());
    }
    let zones: HashMap<UserId, String> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .column(users::Column::Timezone)
        .filter(users::Column::Id.is_in(reminders.iter().map(|r| &r.user_id)))
        .into_tuple::<(UserId, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut due = Vec::new();
    for reminder in reminders {
        let Some(tz) = zones
            .get(&reminder.user_id)
            .and_then(|z| z.parse::<Tz>().ok())
        else {
            continue;
        };
        let Ok(time) = parse_time("localTime", &reminder.local_time) else {
            continue;
        };
        let day = local_day(tz, at);
        let when = local_instant(tz, day, time);
        if when <= at && at < when + WINDOW {
            due.push((reminder.user_id, tz, day));
        }
    }
    if due.is_empty() {
        return Ok(Pass::default());
    }
    let decided: HashSet<(UserId, String)> = mood_reminder_days::Entity::find()
        .filter(mood_reminder_days::Column::UserId.is_in(due.iter().map(|(u, _, _)| u)))
        .filter(
            mood_reminder_days::Column::LocalDate.is_in(
                due.iter()
                    .map(|(_, _, d)| d.to_string())
                    .collect::<HashSet<_>>(),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.user_id, d.local_date))
        .collect();
    let mut pass = Pass::default();
    for (user_id, tz, day) in due {
        if decided.contains(&(user_id.clone(), day.to_string())) {
            continue;
        }
        match decide(db, &user_id, tz, day, at).await? {
            Some(true) => pass.sent += 1,
            Some(false) => pass.skipped += 1,
            None => {}
        }
    }
    if pass.sent > 0 {
        app.broker.publish(Event::PushQueued).await;
    }
    Ok(pass)
}

/// One person's reminder for one local day: `Some(true)` queued, `Some(false)` skipped because
/// they checked in, `None` when another instance decided first.
async fn decide(
    db: &DatabaseConnection,
    user_id: &UserId,
    tz: Tz,
    day: NaiveDate,
    at: DateTime<Utc>,
) -> AppResult<Option<bool>> {
    let txn = begin_write(db).await?;
    let checked_in = mood_checkins::Entity::find()
        .filter(mood_checkins::Column::UserId.eq(user_id))
        .filter(mood_checkins::Column::LoggedAt.gte(start_of_day(tz, day)))
        .filter(mood_checkins::Column::LoggedAt.lt(start_of_day(tz, day + Days::new(1))))
        .count(&txn)
        .await?
        > 0;
    let claimed = mood_reminder_days::ActiveModel {
        user_id: Set(user_id.to_owned()),
        local_date: Set(day.to_string()),
        outcome: Set(if checked_in {
            ReminderOutcome::Skipped
        } else {
            ReminderOutcome::Sent
        }),
        decided_at: Set(at),
    }
    .insert(&txn)
    .await;
    match claimed {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            txn.rollback().await?;
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    }
    if !checked_in {
        push_jobs::ActiveModel::pending(
            user_id.to_owned(),
            NotificationKind::MoodReminder,
            None,
            Some("mood-reminder".to_owned()),
            now(),
        )
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(Some(!checked_in))
}

pub fn spawn(app: WorkerHandles, stop: CancellationToken) {
    crate::clock::every(TICK, stop, move || {
        let app = app.clone();
        async move { run_once(&app, Utc::now()).await }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn due_times_survive_dst_changes() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
        // 02:30 does not exist on 10 March 2024: the reminder goes at 03:00 EDT (07:00 UTC).
        assert_eq!(
            local_instant(tz, day("2024-03-10"), t("02:30")).to_rfc3339(),
            "2024-03-10T07:00:00+00:00"
        );
        // 01:30 happens twice on 3 November 2024: the first, EDT (05:30 UTC).
        assert_eq!(
            local_instant(tz, day("2024-11-03"), t("01:30")).to_rfc3339(),
            "2024-11-03T05:30:00+00:00"
        );
        // An ordinary evening.
        assert_eq!(
            local_instant(tz, day("2024-07-01"), t("20:00")).to_rfc3339(),
            "2024-07-02T00:00:00+00:00"
        );
    }
}
