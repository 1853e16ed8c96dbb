//! Push preferences: on or off, per kind, previews (off by default), and quiet hours.
use crate::clock::now;
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::notifications::service::NotificationKind;
use chrono::{DateTime, Days, NaiveTime, TimeZone, Utc};
use entity::enums::MeetingReminderLead;
use entity::push_preferences;
use sea_orm::{ActiveEnum as _, ActiveModelTrait, DatabaseConnection, EntityTrait, Set};

pub fn defaults(user_id: &UserId) -> push_preferences::Model {
    push_preferences::Model {
        user_id: user_id.to_owned(),
        push_enabled: true,
        disabled_kinds: String::new(),
        previews: false,
        quiet_start: None,
        quiet_end: None,
        quiet_timezone: None,
        meeting_reminders: MeetingReminderLead::HourBefore.as_str().to_owned(),
        meetings_in_quiet_hours: false,
        updated_at: now(),
    }
}

pub async fn get(
    db: &impl sea_orm::ConnectionTrait,
    user_id: &UserId,
) -> AppResult<push_preferences::Model> {
    Ok(push_preferences::Entity::find_by_id(user_id.to_owned())
        .one(db)
        .await?
        .unwrap_or_else(|| defaults(user_id)))
}

/// The kinds a person turned off, read from their stored list: a name that is not a kind is an
/// error, not skipped.
pub fn disabled_kinds(prefs: &push_preferences::Model) -> AppResult<Vec<NotificationKind>> {
    prefs
        .disabled_kinds
        .split(',')
        .filter(|name| !name.is_empty())
        .map(|name| NotificationKind::try_from_value(&name.to_owned()).map_err(AppError::internal))
        .collect()
}

/// When the person wants to be reminded of a meeting they are coming to (none: never).
pub fn meeting_reminders(prefs: &push_preferences::Model) -> Vec<MeetingReminderLead> {
    prefs
        .meeting_reminders
        .split(',')
        .filter_map(|name| MeetingReminderLead::try_from_value(&name.to_owned()).ok())
        .collect()
}

pub struct QuietHours {
    pub start: String,
    pub end: String,
    pub timezone: String,
}

pub struct Changes {
    pub push_enabled: Option<bool>,
    pub disabled_kinds: Option<Vec<NotificationKind>>,
    pub previews: Option<bool>,
    /// `Some(None)` clears quiet hours.
    pub quiet_hours: Option<Option<QuietHours>>,
    pub meeting_reminders: Option<Vec<MeetingReminderLead>>,
    pub meetings_in_quiet_hours: Option<bool>,
}

/// A local `HH:MM` time.
pub(crate) fn parse_time(field: &'static str, raw: &str) -> AppResult<NaiveTime> {
    NaiveTime::parse_from_str(raw.trim(), "%H:%M")
        .map_err(|_| AppError::bad_input(field, "must be a time like 22:00"))
}

pub async fn update(
    db: &DatabaseConnection,
    user_id: &UserId,
    changes: Changes,
) -> AppResult<push_preferences::Model> {
    let txn = begin_write(db).await?;
    let current = push_preferences::Entity::find_by_id(user_id.to_owned())
        .one(&txn)
        .await?;
    let exists = current.is_some();
    let mut prefs = current.unwrap_or_else(|| defaults(user_id));
    if let Some(on) = changes.push_enabled {
        prefs.push_enabled = on;
    }
    if let Some(kinds) = changes.disabled_kinds {
        let mut names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        prefs.disabled_kinds = names.join(",");
    }
    if let Some(previews) = changes.previews {
        prefs.previews = previews;
    }
    if let Some(quiet) = changes.quiet_hours {
        match quiet {
            None => {
                prefs.quiet_start = None;
                prefs.quiet_end = None;
                prefs.quiet_timezone = None;
            }
            Some(q) => {
                let start = parse_time("start", &q.start)?;
                let end = parse_time("end", &q.end)?;
                if start == end {
                    return Err(AppError::bad_input("end", "must differ from start"));
                }
                let tz = crate::accounts::Timezone::parse(&q.timezone)?;
                prefs.quiet_start = Some(start.format("%H:%M").to_string());
                prefs.quiet_end = Some(end.format("%H:%M").to_string());
                prefs.quiet_timezone = Some(tz.as_str().to_owned());
            }
        }
    }
    if let Some(leads) = changes.meeting_reminders {
        let mut names: Vec<&str> = leads.iter().map(|l| l.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        prefs.meeting_reminders = names.join(",");
    }
    if let Some(held) = changes.meetings_in_quiet_hours {
        prefs.meetings_in_quiet_hours = held;
    }
    prefs.updated_at = now();
    let mut active: push_preferences::ActiveModel = prefs.clone().into();
    for column in [
        push_preferences::Column::PushEnabled,
        push_preferences::Column::DisabledKinds,
        push_preferences::Column::Previews,
        push_preferences::Column::QuietStart,
        push_preferences::Column::QuietEnd,
        push_preferences::Column::QuietTimezone,
        push_preferences::Column::MeetingReminders,
        push_preferences::Column::MeetingsInQuietHours,
        push_preferences::Column::UpdatedAt,
    ] {
        active.reset(column);
    }
    let saved = if exists {
        active.update(&txn).await?
    } else {
        active.user_id = Set(user_id.to_owned());
        active.insert(&txn).await?
    };
    txn.commit().await?;
    Ok(saved)
}

/// When the person's quiet hours end, if `at` falls inside them (in their timezone, DST included).
pub fn quiet_until(prefs: &push_preferences::Model, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let (start, end, tz) = (
        prefs.quiet_start.as_deref()?,
        prefs.quiet_end.as_deref()?,
        prefs.quiet_timezone.as_deref()?,
    );
    let start = NaiveTime::parse_from_str(start, "%H:%M").ok()?;
    let end = NaiveTime::parse_from_str(end, "%H:%M").ok()?;
    let tz: chrono_tz::Tz = tz.parse().ok()?;
    let local = at.with_timezone(&tz);
    let time = local.time();
    let date = local.date_naive();
    let end_date = if start < end {
        if time >= start && time < end {
            date
        } else {
            return None;
        }
    } else if time >= start {
        date.checked_add_days(Days::new(1))?
    } else if time < end {
        date
    } else {
        return None;
    };
    let naive_end = end_date.and_time(end);
    // A wall-clock time skipped by a DST change ends the quiet hours at the first instant after it.
    let end_instant = tz.from_local_datetime(&naive_end).earliest().or_else(|| {
        tz.from_local_datetime(&(naive_end + chrono::Duration::hours(1)))
            .earliest()
    })?;
    Some(end_instant.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefs(start: &str, end: &str, tz: &str) -> push_preferences::Model {
        let mut p = defaults(&UserId::from("u"));
        p.quiet_start = Some(start.into());
        p.quiet_end = Some(end.into());
        p.quiet_timezone = Some(tz.into());
        p
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn quiet_hours_across_midnight_in_local_time() {
        let p = prefs("22:00", "07:00", "Europe/Paris");
        // 23:30 in Paris (UTC+1 in January) is quiet until 07:00 Paris the next morning.
        assert_eq!(
            quiet_until(&p, utc("2026-01-10T22:30:00Z")),
            Some(utc("2026-01-11T06:00:00Z"))
        );
        assert_eq!(
            quiet_until(&p, utc("2026-01-11T05:00:00Z")),
            Some(utc("2026-01-11T06:00:00Z"))
        );
        assert_eq!(quiet_until(&p, utc("2026-01-11T12:00:00Z")), None);
    }

    #[test]
    fn quiet_hours_follow_daylight_saving() {
        // Paris moves to UTC+2 on 2026-03-29: 07:00 local that morning is 05:00 UTC.
        let p = prefs("22:00", "07:00", "Europe/Paris");
        assert_eq!(
            quiet_until(&p, utc("2026-03-28T22:30:00Z")),
            Some(utc("2026-03-29T05:00:00Z"))
        );
        let day = prefs("09:00", "17:00", "America/New_York");
        assert_eq!(
            quiet_until(&day, utc("2026-07-01T14:00:00Z")),
            Some(utc("2026-07-01T21:00:00Z"))
        );
    }
}
