//! The clock, and the span of dates and instants Hearth takes from clients. Both databases store and order
//! anything inside it, and any arithmetic a day or a month past its ends stays representable.
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Datelike, NaiveDate, Utc};

const FIRST_YEAR: i32 = 1970;
const LAST_YEAR: i32 = 9999;

/// `day`, or `BAD_USER_INPUT` naming `field` when it falls outside 1970–9999.
pub fn supported_day(field: &'static str, day: NaiveDate) -> AppResult<NaiveDate> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&day.year()) {
        Ok(day)
    } else {
        Err(out_of_range(field))
    }
}

/// `at`, or `BAD_USER_INPUT` naming `field` when it falls outside 1970–9999.
pub fn supported_instant(field: &'static str, at: DateTime<Utc>) -> AppResult<DateTime<Utc>> {
    supported_day(field, at.date_naive()).map(|_| at)
}

/// An optional instant, checked as [`supported_instant`].
pub fn supported_instant_opt(
    field: &'static str,
    at: Option<DateTime<Utc>>,
) -> AppResult<Option<DateTime<Utc>>> {
    at.map(|at| supported_instant(field, at)).transpose()
}

fn out_of_range(field: &'static str) -> AppError {
    AppError::bad_input(
        field,
        format!("must be a date between the years {FIRST_YEAR} and {LAST_YEAR}"),
    )
}

/// A calendar day as apps send and read it: ISO 8601, `2026-11-30`.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Date(pub NaiveDate);

async_graphql::scalar!(Date, "Date", "A calendar day in ISO 8601: `2026-11-30`.");

impl From<NaiveDate> for Date {
    fn from(day: NaiveDate) -> Self {
        Date(day)
    }
}

/// Now, to the microsecond: what the cursor keeps, so positions round-trip exactly.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// Runs `pass` at once and then every `period` until `stop`, as the background loops do (mood
/// and question reminders, the reply-count sweeper). A pass that fails is logged; the next one
/// runs as planned.
pub fn every<F, Fut, T>(
    period: std::time::Duration,
    stop: tokio_util::sync::CancellationToken,
    mut pass: F,
) where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = AppResult<T>> + Send,
    T: Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        loop {
            tokio::select! {
                _ = tick.tick() => {},
                () = stop.cancelled() => return,
            }
            if let Err(err) = pass().await {
                err.log_internal();
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ends_of_chrono_are_refused() {
        assert!(supported_day("from", NaiveDate::MAX).is_err());
        assert!(supported_day("from", NaiveDate::MIN).is_err());
        assert!(supported_instant("until", DateTime::<Utc>::MAX_UTC).is_err());
        let day = NaiveDate::from_ymd_opt(2026, 11, 29).expect("a real day");
        assert_eq!(supported_day("from", day).ok(), Some(day));
    }
}
