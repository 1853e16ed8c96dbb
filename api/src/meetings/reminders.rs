//! Meeting reminders: to each member going to a meeting (or who might come), at the times they
//! chose (an hour before, by default; the evening before, 18:00 in their own time zone), a
//! content-free notification and its push. One decision per person, meeting and lead across
//! instances and restarts: a batch inserts its `meeting_reminders` rows (a row already there
//! is passed over) and writes notifications only for the rows it inserted, in the same
//! transaction. An instance killed mid-batch rolls it back, and the next pass takes it again.
use super::recurrence::instant;
use crate::broker::{Announcements, Committed, WorkerHandles};
use crate::clock::now;
use crate::community::vocabulary::MemberState;
use crate::db::{begin_write, statement};
use crate::error::AppResult;
use crate::ids::{GroupId, MeetingId, UserId};
use crate::notifications::service::{notify_meeting, NotificationKind};
use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use entity::enums::{MeetingReminderLead, MeetingStatus, RsvpStatus};
use sea_orm::{ConnectionTrait, DatabaseConnection, Value};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the worker looks for due reminders.
pub const TICK: Duration = Duration::from_secs(30);
/// Reminders decided in one transaction.
const BATCH: usize = 500;
/// The local time of the evening-before reminder.
const EVENING: (u32, u32) = (18, 0);
/// The furthest ahead a reminder looks: the evening before, in any zone, is within two days.
const LOOK_AHEAD: chrono::Duration = chrono::Duration::hours(50);

/// One reminder due now.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Due {
    pub meeting_id: MeetingId,
    pub group_id: GroupId,
    pub user_id: UserId,
    pub lead: MeetingReminderLead,
}

/// When a reminder of `lead` for a meeting starting at `starts_at` goes, for a person in `zone`,
/// and until when it still may: an hour before until 15 minutes before; the evening before
/// (18:00 of the day before the meeting's date where the person is) until two hours before.
pub fn window(
    lead: MeetingReminderLead,
    starts_at: DateTime<Utc>,
    zone: Tz,
) -> (DateTime<Utc>, DateTime<Utc>) {
    match lead {
        MeetingReminderLead::HourBefore => (
            starts_at - chrono::Duration::hours(1),
            starts_at - chrono::Duration::minutes(15),
        ),
        MeetingReminderLead::DayBefore => {
            let local_date = starts_at.with_timezone(&zone).date_naive();
            let evening = NaiveTime::from_hms_opt(EVENING.0, EVENING.1, 0).unwrap_or_default();
            let day_before = local_date.pred_opt().unwrap_or(local_date);
            (
                instant(zone, day_before, evening),
                starts_at - chrono::Duration::hours(2),
            )
        }
    }
}

/// The reminders due at `at` that nobody decided yet.
pub async fn due(db: &impl ConnectionTrait, at: DateTime<Utc>) -> AppResult<Vec<Due>> {
    let sql = "SELECT m.id AS meeting_id, m.group_id, m.starts_at, r.user_id, u.timezone,
                      COALESCE(p.meeting_reminders, $1) AS leads
         FROM meetings m
         JOIN meeting_rsvps r ON r.meeting_id = m.id AND r.status IN ($2, $3)
         JOIN memberships ms ON ms.group_id = m.group_id AND ms.user_id = r.user_id AND ms.state = $4
         JOIN users u ON u.id = r.user_id
         LEFT JOIN push_preferences p ON p.user_id = r.user_id
         WHERE m.status = $5 AND m.starts_at > $6 AND m.starts_at <= $7
           AND NOT EXISTS (SELECT 1 FROM bans b WHERE b.group_id = m.group_id
               AND b.user_id = r.user_id AND (b.until IS NULL OR b.until > $6))";
    let values: Vec<Value> = vec![
        MeetingReminderLead::HourBefore.as_str().into(),
        RsvpStatus::Going.as_str().into(),
        RsvpStatus::Maybe.as_str().into(),
        MemberState::Active.as_str().into(),
        MeetingStatus::Scheduled.as_str().into(),
        at.into(),
        (at + LOOK_AHEAD).into(),
    ];
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(statement(backend, sql, values)).await?;
    let mut due = Vec::new();
    for row in rows {
        let starts_at: DateTime<Utc> = row.try_get("", "starts_at")?;
        let zone: Tz = row
            .try_get::<String>("", "timezone")?
            .parse()
            .unwrap_or(Tz::UTC);
        let leads: String = row.try_get("", "leads")?;
        for lead in [
            MeetingReminderLead::HourBefore,
            MeetingReminderLead::DayBefore,
        ] {
            if !leads.split(',').any(|l| l == lead.as_str()) {
                continue;
            }
            let (from, until) = window(lead, starts_at, zone);
            if from <= at && at < until {
                due.push(Due {
                    meeting_id: MeetingId::from(row.try_get::<String>("", "meeting_id")?),
                    group_id: GroupId::from(row.try_get::<String>("", "group_id")?),
                    user_id: UserId::from(row.try_get::<String>("", "user_id")?),
                    lead,
                });
            }
        }
    }
    if due.is_empty() {
        return Ok(due);
    }
    let decided = decided(db, &due).await?;
    due.retain(|d| !decided.contains(&(d.meeting_id.clone(), d.user_id.clone(), d.lead)));
    due.sort();
    Ok(due)
}

type Decided = HashSet<(MeetingId, UserId, MeetingReminderLead)>;

/// The reminders already decided for the meetings of `due`.
async fn decided(db: &impl ConnectionTrait, due: &[Due]) -> AppResult<Decided> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let meetings: HashSet<&MeetingId> = due.iter().map(|d| &d.meeting_id).collect();
    let mut decided = HashSet::new();
    let meetings: Vec<&MeetingId> = meetings.into_iter().collect();
    for chunk in meetings.chunks(500) {
        let rows = entity::meeting_reminders::Entity::find()
            .filter(entity::meeting_reminders::Column::MeetingId.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        decided.extend(rows.into_iter().map(|r| (r.meeting_id, r.user_id, r.lead)));
    }
    Ok(decided)
}

/// Decides one batch: the rows this transaction inserted are its to tell.
async fn decide(
    db: &DatabaseConnection,
    batch: &[Due],
    at: DateTime<Utc>,
) -> AppResult<(usize, Announcements)> {
    let txn = begin_write(db).await?;
    let mut values: Vec<Value> = Vec::with_capacity(batch.len() * 4);
    let mut rows = Vec::with_capacity(batch.len());
    for (i, d) in batch.iter().enumerate() {
        let n = i * 4;
        rows.push(format!("(${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4));
        values.push(d.meeting_id.as_str().into());
        values.push(d.user_id.as_str().into());
        values.push(d.lead.as_str().into());
        values.push(at.into());
    }
    let sql = format!(
        "INSERT INTO meeting_reminders (meeting_id, user_id, lead, decided_at) VALUES {}
         ON CONFLICT DO NOTHING RETURNING meeting_id, user_id, lead",
        rows.join(", ")
    );
    let backend = txn.get_database_backend();
    let inserted = txn.query_all_raw(statement(backend, &sql, values)).await?;
    let mut mine: HashSet<(MeetingId, UserId, MeetingReminderLead)> =
        HashSet::with_capacity(inserted.len());
    for row in inserted {
        mine.insert((
            MeetingId::from(row.try_get::<String>("", "meeting_id")?),
            UserId::from(row.try_get::<String>("", "user_id")?),
            row.try_get("", "lead")?,
        ));
    }
    // One notification write per meeting and lead.
    let mut told: BTreeMap<(&MeetingId, &GroupId, MeetingReminderLead), Vec<UserId>> =
        BTreeMap::new();
    for d in batch {
        if mine.contains(&(d.meeting_id.clone(), d.user_id.clone(), d.lead)) {
            told.entry((&d.meeting_id, &d.group_id, d.lead))
                .or_default()
                .push(d.user_id.clone());
        }
    }
    let mut announce = Announcements::default();
    for ((meeting_id, group_id, lead), users) in told {
        let notified = notify_meeting(
            &txn,
            &users,
            NotificationKind::MeetingReminder,
            group_id,
            meeting_id,
            Some(lead.as_str()),
        )
        .await?;
        announce.extend(notified.into());
    }
    txn.commit().await?;
    Ok((mine.len(), announce))
}

/// Decides every reminder due at `at`; returns how many this instance sent.
pub async fn run_once(app: &WorkerHandles, at: DateTime<Utc>) -> AppResult<usize> {
    let due = due(&app.db, at).await?;
    let mut sent = 0;
    for batch in due.chunks(BATCH) {
        let (decided, announce) = decide(&app.db, batch, at).await?;
        sent += decided;
        Committed::new((), announce).publish(&app.broker).await;
    }
    Ok(sent)
}

pub fn spawn(app: WorkerHandles, stop: CancellationToken) {
    crate::clock::every(TICK, stop, move || {
        let app = app.clone();
        async move {
            run_once(&app, now()).await?;
            super::series::extend_all(&app.db).await?;
            super::attendance::fill_freed_places(&app).await
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_evening_before_is_18_00_where_the_person_is() {
        // A New York meeting at 20:00 EDT on 9 March 2026 is 01:00 on the 10th in Berlin: a
        // person there is reminded at 18:00 on the 9th, Berlin time (still CET).
        let starts = at("2026-03-10T00:00:00Z");
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let (from, until) = window(MeetingReminderLead::DayBefore, starts, berlin);
        assert_eq!(from, at("2026-03-09T17:00:00Z"));
        assert_eq!(until, at("2026-03-09T22:00:00Z"));
        let new_york: Tz = "America/New_York".parse().unwrap();
        let (from, _) = window(MeetingReminderLead::DayBefore, starts, new_york);
        // The 8th is the day clocks go forward in New York: 18:00 EDT.
        assert_eq!(from, at("2026-03-08T22:00:00Z"));
        let (from, until) = window(MeetingReminderLead::HourBefore, starts, new_york);
        assert_eq!(
            (from, until),
            (at("2026-03-09T23:00:00Z"), at("2026-03-09T23:45:00Z"))
        );
    }
}
