//! `moodSummary`: check-ins and my own group activity counted by my local days (the profile's
//! timezone, DST included), in day, week (Monday first) or month buckets. Every bucket in the
//! range is present, empty ones with nulls, so a chart has no gaps to guess.
use super::emotions::Emotion;
use crate::clock::{supported_day, Date};
use crate::content::{ContentType, ReactionKind};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use async_graphql::{Enum, SimpleObject};
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use entity::{mood_checkins, posts, reactions, replies};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Select,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The longest range one summary covers: a little over two years of days.
pub const RANGE_MAX_DAYS: u64 = 800;
const TOP_EMOTIONS: usize = 5;

/// How much of the range one bucket of a mood summary holds: a day, a week (Monday to Sunday)
/// or a calendar month.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoodBucketSize {
    Day,
    Week,
    Month,
}

/// The check-ins (and my group activity) of one day, week or month.
#[derive(SimpleObject, Debug, Default)]
pub struct MoodBucket {
    /// First local day of the bucket (a Monday for weeks, the 1st for months).
    pub start: Date,
    /// Last local day of the bucket.
    pub end: Date,
    /// How many check-ins it holds.
    pub checkin_count: i32,
    /// The average score, to two decimals; null without check-ins.
    pub average_score: Option<f64>,
    /// The lowest score; null without check-ins.
    pub min_score: Option<i32>,
    /// The highest score; null without check-ins.
    pub max_score: Option<i32>,
    /// The average of the sleep hours given, to two decimals; null when none was given.
    pub average_sleep_hours: Option<f64>,
    /// Group activity is null where check-ins are shared: a share shows moods, nothing else.
    pub posts_written: Option<i32>,
    /// Replies I wrote.
    pub replies_written: Option<i32>,
    /// Replies others wrote to my posts.
    pub replies_received: Option<i32>,
    /// SUPPORT reactions others gave my posts and replies.
    pub support_received: Option<i32>,
}

/// Average mood over a set of days (each day's own average weighs the same).
#[derive(SimpleObject, Debug)]
pub struct MoodOnDays {
    /// The average of each day's average score, to two decimals; null without such days.
    pub average_score: Option<f64>,
    /// Days with at least one check-in behind the average.
    pub days: i32,
}

/// How often one emotion was named.
#[derive(SimpleObject, Debug)]
pub struct EmotionCount {
    /// The emotion.
    pub emotion: Emotion,
    /// How many check-ins named it.
    pub count: i32,
}

/// Check-ins summed up over a range of local days, with my group activity beside them.
#[derive(SimpleObject, Debug)]
pub struct MoodSummary {
    /// The first local day summed up.
    pub from: Date,
    /// The last local day summed up.
    pub to: Date,
    /// How much of the range each bucket holds.
    pub bucket: MoodBucketSize,
    /// The timezone the days were counted in.
    pub timezone: String,
    /// How many check-ins the range holds.
    pub checkin_count: i32,
    /// The average score of those check-ins, to two decimals; null without any.
    pub average_score: Option<f64>,
    /// Every bucket of the range in order, empty ones included.
    pub buckets: Vec<MoodBucket>,
    /// Days on which I posted, replied, or received a reply or support (null where shared).
    pub days_with_group_activity: Option<MoodOnDays>,
    /// Days with none of that group activity (null where shared).
    pub days_without_group_activity: Option<MoodOnDays>,
    /// Consecutive days with a check-in up to the range's last day (or the day before, when
    /// that last day is today and has none yet).
    pub current_streak: i32,
    /// The most consecutive days with a check-in within the range.
    pub longest_streak: i32,
    /// Most named emotions, most frequent first.
    pub top_emotions: Vec<EmotionCount>,
}

/// The instant a local time falls on one local day: in a DST gap, the first instant after it;
/// when the time happens twice, the first.
pub fn local_instant(tz: Tz, day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = day.and_time(time);
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            (1..=24 * 4).find_map(|quarter| {
                tz.from_local_datetime(&(local + chrono::Duration::minutes(15 * quarter)))
                    .earliest()
            })
        })
        .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}

/// The first instant of a local day.
pub fn start_of_day(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    local_instant(tz, day, NaiveTime::MIN)
}

pub fn local_day(tz: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

fn bucket_start(size: MoodBucketSize, day: NaiveDate) -> NaiveDate {
    match size {
        MoodBucketSize::Day => day,
        MoodBucketSize::Week => day - Days::new(day.weekday().num_days_from_monday().into()),
        MoodBucketSize::Month => day.with_day(1).unwrap_or(day),
    }
}

fn next_bucket(size: MoodBucketSize, start: NaiveDate) -> NaiveDate {
    match size {
        MoodBucketSize::Day => start + Days::new(1),
        MoodBucketSize::Week => start + Days::new(7),
        MoodBucketSize::Month => start + Months::new(1),
    }
}

#[derive(Clone, Copy)]
enum Activity {
    PostWritten,
    ReplyWritten,
    ReplyReceived,
    SupportReceived,
}

struct Checkin {
    day: NaiveDate,
    score: i16,
    sleep_quarters: Option<i16>,
    emotions: String,
}

fn rounded(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn mean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values
        .into_iter()
        .fold((0.0, 0u32), |(sum, n), v| (sum + v, n + 1));
    (n > 0).then(|| rounded(sum / f64::from(n)))
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// `from`..=`to` in order and at most `RANGE_MAX_DAYS` long.
pub fn check_range(from: NaiveDate, to: NaiveDate) -> AppResult<()> {
    supported_day("from", from)?;
    supported_day("to", to)?;
    if to < from {
        return Err(AppError::bad_input("to", "must not be before from"));
    }
    if (to - from).num_days() >= RANGE_MAX_DAYS as i64 {
        return Err(AppError::bad_input(
            "to",
            format!("a range covers at most {RANGE_MAX_DAYS} days"),
        ));
    }
    Ok(())
}

/// Which summary, for whom.
pub struct SummaryRequest {
    pub tz: Tz,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub size: MoodBucketSize,
    /// The owner's today, which does not break a streak until it is over.
    pub today: NaiveDate,
    /// Whether to set the owner's group activity beside their moods (not in shares).
    pub with_activity: bool,
}

pub async fn summarize(
    db: &impl ConnectionTrait,
    user_id: &UserId,
    request: SummaryRequest,
) -> AppResult<MoodSummary> {
    let SummaryRequest {
        tz,
        from,
        to,
        size,
        today,
        with_activity,
    } = request;
    check_range(from, to)?;
    let (start, end) = (start_of_day(tz, from), start_of_day(tz, to + Days::new(1)));
    let checkins = load_checkins(db, user_id, tz, start, end).await?;
    let activity = if with_activity {
        load_activity(db, user_id, tz, start, end).await?
    } else {
        Vec::new()
    };

    let mut buckets: BTreeMap<NaiveDate, MoodBucket> = BTreeMap::new();
    let mut first = bucket_start(size, from);
    while first <= to {
        let next = next_bucket(size, first);
        buckets.insert(
            first,
            MoodBucket {
                start: first.into(),
                end: (next - Days::new(1)).into(),
                posts_written: with_activity.then_some(0),
                replies_written: with_activity.then_some(0),
                replies_received: with_activity.then_some(0),
                support_received: with_activity.then_some(0),
                ..MoodBucket::default()
            },
        );
        first = next;
    }
    let mut scores: BTreeMap<NaiveDate, Vec<f64>> = BTreeMap::new();
    let mut sleep: BTreeMap<NaiveDate, Vec<f64>> = BTreeMap::new();
    let mut by_day: BTreeMap<NaiveDate, Vec<f64>> = BTreeMap::new();
    let mut emotions: HashMap<Emotion, i32> = HashMap::new();
    for c in &checkins {
        let key = bucket_start(size, c.day);
        scores.entry(key).or_default().push(f64::from(c.score));
        if let Some(q) = c.sleep_quarters {
            sleep.entry(key).or_default().push(f64::from(q) / 4.0);
        }
        by_day.entry(c.day).or_default().push(f64::from(c.score));
        for e in Emotion::load(&c.emotions) {
            *emotions.entry(e).or_default() += 1;
        }
    }
    let mut active_days = BTreeSet::new();
    for (day, kind) in &activity {
        active_days.insert(*day);
        if let Some(b) = buckets.get_mut(&bucket_start(size, *day)) {
            let counter = match kind {
                Activity::PostWritten => &mut b.posts_written,
                Activity::ReplyWritten => &mut b.replies_written,
                Activity::ReplyReceived => &mut b.replies_received,
                Activity::SupportReceived => &mut b.support_received,
            };
            *counter = Some(counter.unwrap_or(0) + 1);
        }
    }
    for (key, b) in &mut buckets {
        let Some(s) = scores.get(key) else { continue };
        b.checkin_count = count(s.len());
        b.average_score = mean(s.iter().copied());
        b.min_score = s.iter().copied().reduce(f64::min).map(|v| v as i32);
        b.max_score = s.iter().copied().reduce(f64::max).map(|v| v as i32);
        b.average_sleep_hours = sleep.get(key).and_then(|h| mean(h.iter().copied()));
    }

    let daily = |active: bool| {
        let days: Vec<f64> = by_day
            .iter()
            .filter(|(day, _)| active_days.contains(*day) == active)
            .filter_map(|(_, s)| mean(s.iter().copied()))
            .collect();
        MoodOnDays {
            days: count(days.len()),
            average_score: mean(days),
        }
    };
    let (current_streak, longest_streak) = streaks(&by_day.keys().copied().collect(), to, today);
    let mut top: Vec<EmotionCount> = emotions
        .into_iter()
        .map(|(emotion, count)| EmotionCount { emotion, count })
        .collect();
    top.sort_by(|a, b| b.count.cmp(&a.count).then(a.emotion.cmp(&b.emotion)));
    top.truncate(TOP_EMOTIONS);

    Ok(MoodSummary {
        from: from.into(),
        to: to.into(),
        bucket: size,
        timezone: tz.name().to_owned(),
        checkin_count: count(checkins.len()),
        average_score: mean(checkins.iter().map(|c| f64::from(c.score))),
        buckets: buckets.into_values().collect(),
        days_with_group_activity: with_activity.then(|| daily(true)),
        days_without_group_activity: with_activity.then(|| daily(false)),
        current_streak,
        longest_streak,
        top_emotions: top,
    })
}

/// (current, longest) runs of consecutive days with a check-in.
fn streaks(days: &BTreeSet<NaiveDate>, last: NaiveDate, today: NaiveDate) -> (i32, i32) {
    let mut longest = 0;
    let mut run = 0;
    let mut previous: Option<NaiveDate> = None;
    for day in days {
        run = match previous {
            Some(p) if p + Days::new(1) == *day => run + 1,
            _ => 1,
        };
        longest = longest.max(run);
        previous = Some(*day);
    }
    let end = last.min(today);
    let mut cursor = if days.contains(&end) || end != today {
        end
    } else {
        end - Days::new(1)
    };
    let mut current = 0;
    while days.contains(&cursor) {
        current += 1;
        cursor = cursor - Days::new(1);
    }
    (current, longest)
}

async fn load_checkins(
    db: &impl ConnectionTrait,
    user_id: &UserId,
    tz: Tz,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> AppResult<Vec<Checkin>> {
    let rows: Vec<(DateTime<Utc>, i16, Option<i16>, String)> = mood_checkins::Entity::find()
        .select_only()
        .column(mood_checkins::Column::LoggedAt)
        .column(mood_checkins::Column::Score)
        .column(mood_checkins::Column::SleepQuarters)
        .column(mood_checkins::Column::Emotions)
        .filter(mood_checkins::Column::UserId.eq(user_id))
        .filter(mood_checkins::Column::LoggedAt.gte(start))
        .filter(mood_checkins::Column::LoggedAt.lt(end))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(at, score, sleep_quarters, emotions)| Checkin {
            day: local_day(tz, at),
            score,
            sleep_quarters,
            emotions,
        })
        .collect())
}

/// The times in `at` of the rows `query` finds, within [start, end).
async fn times_between<E: EntityTrait>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    at: E::Column,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
) -> AppResult<Vec<DateTime<Utc>>> {
    Ok(query
        .select_only()
        .column(at)
        .filter(at.gte(start))
        .filter(at.lt(end))
        .into_tuple()
        .all(db)
        .await?)
}

/// When I wrote and was answered or supported, as local days.
async fn load_activity(
    db: &impl ConnectionTrait,
    user_id: &UserId,
    tz: Tz,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> AppResult<Vec<(NaiveDate, Activity)>> {
    use sea_orm::sea_query::ExprTrait as _;
    let my_posts = Query::select()
        .column(posts::Column::Id)
        .from(posts::Entity)
        .and_where(Expr::col(posts::Column::AuthorId).eq(user_id))
        .to_owned();
    let my_replies = Query::select()
        .column(replies::Column::Id)
        .from(replies::Entity)
        .and_where(Expr::col(replies::Column::AuthorId).eq(user_id))
        .to_owned();
    let written_posts = times_between(
        db,
        posts::Entity::find()
            .filter(posts::Column::AuthorId.eq(user_id))
            .filter(posts::Column::DeletedAt.is_null()),
        posts::Column::CreatedAt,
        (start, end),
    )
    .await?;
    let written_replies = times_between(
        db,
        replies::Entity::find()
            .filter(replies::Column::AuthorId.eq(user_id))
            .filter(replies::Column::DeletedAt.is_null()),
        replies::Column::CreatedAt,
        (start, end),
    )
    .await?;
    let received_replies = times_between(
        db,
        replies::Entity::find()
            .filter(replies::Column::PostId.in_subquery(my_posts.clone()))
            .filter(replies::Column::AuthorId.ne(user_id))
            .filter(replies::Column::DeletedAt.is_null()),
        replies::Column::CreatedAt,
        (start, end),
    )
    .await?;
    let support = times_between(
        db,
        reactions::Entity::find()
            .filter(reactions::Column::Kind.eq(ReactionKind::Support))
            .filter(reactions::Column::UserId.ne(user_id))
            .filter(
                Condition::any()
                    .add(
                        reactions::Column::TargetType
                            .eq(ContentType::Post)
                            .and(reactions::Column::TargetId.in_subquery(my_posts)),
                    )
                    .add(
                        reactions::Column::TargetType
                            .eq(ContentType::Reply)
                            .and(reactions::Column::TargetId.in_subquery(my_replies)),
                    ),
            ),
        reactions::Column::CreatedAt,
        (start, end),
    )
    .await?;
    let tagged = |times: Vec<DateTime<Utc>>, kind: Activity| {
        times.into_iter().map(move |at| (local_day(tz, at), kind))
    };
    Ok(tagged(written_posts, Activity::PostWritten)
        .chain(tagged(written_replies, Activity::ReplyWritten))
        .chain(tagged(received_replies, Activity::ReplyReceived))
        .chain(tagged(support, Activity::SupportReceived))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn local_days_follow_the_timezone_across_dst() {
        let tz: Tz = "America/New_York".parse().unwrap();
        // 23:30 local on 10 March 2024 (after the spring-forward) is 03:30 UTC on the 11th.
        let late = "2024-03-11T03:30:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(local_day(tz, late), day("2024-03-10"));
        // The day of the change is 23 hours long.
        let length = start_of_day(tz, day("2024-03-11")) - start_of_day(tz, day("2024-03-10"));
        assert_eq!(length.num_hours(), 23);
    }

    #[test]
    fn streaks_count_runs_and_allow_today_to_be_pending() {
        let days: BTreeSet<NaiveDate> = [
            "2026-01-01",
            "2026-01-02",
            "2026-01-03",
            "2026-01-05",
            "2026-01-06",
        ]
        .into_iter()
        .map(day)
        .collect();
        assert_eq!(streaks(&days, day("2026-01-07"), day("2026-01-07")), (2, 3));
        assert_eq!(streaks(&days, day("2026-01-06"), day("2026-01-09")), (2, 3));
        assert_eq!(streaks(&days, day("2026-01-08"), day("2026-01-09")), (0, 3));
    }

    #[test]
    fn buckets_start_on_mondays_and_firsts() {
        assert_eq!(
            bucket_start(MoodBucketSize::Week, day("2026-11-26")),
            day("2026-11-23")
        );
        assert_eq!(
            bucket_start(MoodBucketSize::Month, day("2026-11-26")),
            day("2026-11-01")
        );
        assert_eq!(
            next_bucket(MoodBucketSize::Month, day("2026-12-01")),
            day("2027-01-01")
        );
    }
}
