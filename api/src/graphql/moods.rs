//! GraphQL types and resolvers of mood check-ins. Thin: the rules live in `service`/`summary`.
use crate::clock::Date;
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::graphql::{PostObject, ReplyObject};
use crate::ids::{CheckinId, UserId};
use crate::moods::emotions::{Emotion, MoodEmotion};
use crate::moods::reminders;
use crate::moods::service::{self, CheckinChanges, Logged, NewCheckin};
use crate::moods::summary::{self, MoodBucketSize, MoodSummary, SummaryRequest};
use crate::moods::timeline::{self, Entry};
use crate::pagination::{connection, Cursor, ListInfo, PageArgs};
use crate::safety::CrisisResource;
use crate::state::AppContext;
use async_graphql::connection::Connection;
use async_graphql::{
    Context, InputObject, MaybeUndefined, Object, Result, SimpleObject, Union, ID,
};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use entity::{mood_checkins, users};
use sea_orm::EntityTrait;

/// What the owner's profile decides: the timezone of their days, the country of their resources.
pub(crate) struct Owner {
    pub tz: Tz,
    pub country: Option<String>,
}

pub(crate) async fn owner_of(app: &AppContext, user_id: &UserId) -> Result<Owner, AppError> {
    let user = users::Entity::find_by_id(user_id.to_owned())
        .one(&app.db)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(Owner {
        tz: user.timezone.parse().unwrap_or(Tz::UTC),
        country: user.country,
    })
}

pub struct MoodCheckinObject {
    pub row: mood_checkins::Model,
    pub tz: Tz,
}

impl MoodCheckinObject {
    fn cursor(&self) -> Cursor {
        Cursor {
            at: self.row.logged_at,
            id: self.row.id.to_string(),
        }
    }
}

/// One of my mood check-ins. Nobody else ever reads it.
#[Object(name = "MoodCheckin")]
impl MoodCheckinObject {
    /// Names this check-in across the whole API.
    pub(crate) async fn id(&self) -> ID {
        ID::from(self.row.id.clone())
    }
    /// 1 (worst) to 10 (best).
    async fn score(&self) -> i32 {
        self.row.score.into()
    }
    /// The emotions named, each once, in the order of the vocabulary.
    async fn emotions(&self) -> Vec<Emotion> {
        Emotion::load(&self.row.emotions)
    }
    /// Up to 1 000 characters; null when none was written.
    async fn note(&self) -> Option<&str> {
        self.row.note.as_deref()
    }
    /// Hours slept, 0 to 24 in steps of 0.25; null when not given.
    async fn sleep_hours(&self) -> Option<f64> {
        self.row.sleep_quarters.map(|q| f64::from(q) / 4.0)
    }
    /// When it is logged for: when it was written, unless back-dated.
    async fn logged_at(&self) -> DateTime<Utc> {
        self.row.logged_at
    }
    /// The day it belongs to, in my profile's timezone.
    async fn local_date(&self) -> Date {
        summary::local_day(self.tz, self.row.logged_at).into()
    }
    /// When it was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
    /// When it was last corrected (when it was written, if never).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.row.updated_at
    }
}

/// Something on my timeline: a check-in, or a post or reply I wrote.
#[derive(Union)]
pub enum TimelineItem {
    Checkin(MoodCheckinObject),
    Post(PostObject),
    Reply(ReplyObject),
}

impl TimelineItem {
    fn cursor(&self) -> Cursor {
        match self {
            TimelineItem::Checkin(c) => c.cursor(),
            TimelineItem::Post(p) => Cursor {
                at: p.0.created_at,
                id: p.0.id.to_string(),
            },
            TimelineItem::Reply(r) => Cursor {
                at: r.0.created_at,
                id: r.0.id.to_string(),
            },
        }
    }
}

/// A check-in as saved, with places to reach someone when it calls for them.
#[derive(SimpleObject)]
pub struct LogMoodPayload {
    /// The check-in as saved.
    checkin: MoodCheckinObject,
    /// Places to reach someone now; present when the score is 2 or lower or the note reads
    /// like a crisis, empty otherwise.
    crisis_resources: Vec<CrisisResource>,
}

impl LogMoodPayload {
    fn new(app: &AppContext, owner: &Owner, logged: Logged) -> Self {
        let crisis_resources = if logged.worrying {
            app.crisis.for_country(owner.country.as_deref())
        } else {
            Vec::new()
        };
        LogMoodPayload {
            checkin: MoodCheckinObject {
                row: logged.row,
                tz: owner.tz,
            },
            crisis_resources,
        }
    }
}

/// A new check-in.
#[derive(InputObject)]
pub struct LogMoodInput {
    /// 1 (worst) to 10 (best).
    score: i32,
    /// At most 10, from `moodEmotions`; one named twice counts once.
    #[graphql(default)]
    emotions: Vec<Emotion>,
    /// Up to 1 000 characters.
    note: Option<String>,
    /// 0 to 24 in steps of 0.25.
    sleep_hours: Option<f64>,
    /// Defaults to now; may be back-dated up to 7 days, never in the future.
    logged_at: Option<DateTime<Utc>>,
    /// The same key twice logs one check-in.
    idempotency_key: Option<String>,
}

/// Corrections to one of my check-ins; what is left out stays as it is.
#[derive(InputObject)]
pub struct UpdateMoodInput {
    /// The check-in to correct.
    id: CheckinId,
    /// 1 (worst) to 10 (best).
    score: Option<i32>,
    /// Replaces the emotions named: at most 10.
    emotions: Option<Vec<Emotion>>,
    /// `null` clears the note.
    note: MaybeUndefined<String>,
    /// `null` clears it.
    sleep_hours: MaybeUndefined<f64>,
    /// May be back-dated up to 7 days from now, never in the future.
    logged_at: Option<DateTime<Utc>>,
}

/// When I want my daily check-in prompt.
#[derive(SimpleObject)]
pub struct MoodReminder {
    /// `HH:MM` in `timezone`.
    local_time: String,
    /// Whether the prompt is sent.
    enabled: bool,
    /// My profile's timezone, which the time is in.
    timezone: String,
}

impl MoodReminder {
    fn new(row: entity::mood_reminders::Model, owner: &Owner) -> Self {
        MoodReminder {
            local_time: row.local_time,
            enabled: row.enabled,
            timezone: owner.tz.name().to_owned(),
        }
    }
}

/// When to send my daily check-in prompt.
#[derive(InputObject)]
pub struct SetMoodReminderInput {
    /// `HH:MM`, in my profile's timezone.
    local_time: String,
    /// False keeps the time but sends no prompt.
    #[graphql(default = true)]
    enabled: bool,
}

#[derive(Default)]
pub struct MoodQuery;

#[Object]
impl MoodQuery {
    /// The emotions a check-in may name.
    async fn mood_emotions(&self) -> Vec<MoodEmotion> {
        Emotion::ALL
            .into_iter()
            .map(|value| MoodEmotion {
                value,
                label: value.label(),
            })
            .collect()
    }

    /// My daily check-in reminder, if I set one.
    async fn mood_reminder(&self, ctx: &Context<'_>) -> Result<Option<MoodReminder>> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let owner = owner_of(app, &viewer.user_id).await?;
        let row = reminders::get(&app.db, &viewer.user_id).await?;
        Ok(row.map(|row| MoodReminder::new(row, &owner)))
    }

    /// One of my check-ins.
    async fn mood_checkin(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The check-in's id.")] id: CheckinId,
    ) -> Result<MoodCheckinObject> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let row = service::read_mine(&app.db, &app.vault, viewer, &id).await?;
        let owner = owner_of(app, &viewer.user_id).await?;
        Ok(MoodCheckinObject { row, tz: owner.tz })
    }

    /// My check-ins logged in [`from`, `to`), newest first.
    async fn mood_checkins(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The earliest `loggedAt` included; no lower bound when left out.")]
        from: Option<DateTime<Utc>>,
        #[graphql(desc = "The `loggedAt` to stop before; no upper bound when left out.")]
        to: Option<DateTime<Utc>>,
        #[graphql(desc = "How many to return, at most 100 (20 if not given).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last item already shown (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> Result<Connection<String, MoodCheckinObject, ListInfo>> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let page = PageArgs::new(first, after)?;
        let owner = owner_of(app, &viewer.user_id).await?;
        let rows = service::list(&app.db, &app.vault, &viewer.user_id, from, to, &page).await?;
        Ok(connection(
            rows.map(|row| MoodCheckinObject { row, tz: owner.tz }),
            MoodCheckinObject::cursor,
            page.after.is_some(),
            None,
        ))
    }

    /// My check-ins, posts and replies from [`from`, `to`), newest first.
    async fn my_timeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The earliest time included (when logged or written); no lower bound when \
                    left out."
        )]
        from: Option<DateTime<Utc>>,
        #[graphql(desc = "The time to stop before; no upper bound when left out.")] to: Option<
            DateTime<Utc>,
        >,
        #[graphql(desc = "How many to return, at most 100 (20 if not given).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last item already shown (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> Result<Connection<String, TimelineItem, ListInfo>> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let page = PageArgs::new(first, after)?;
        let owner = owner_of(app, &viewer.user_id).await?;
        let entries = timeline::page(&app.db, &app.vault, &viewer.user_id, from, to, &page).await?;
        Ok(connection(
            entries.map(|entry| match entry {
                Entry::Checkin(row) => {
                    TimelineItem::Checkin(MoodCheckinObject { row, tz: owner.tz })
                }
                Entry::Post(row) => TimelineItem::Post(PostObject::from(row)),
                Entry::Reply(row) => TimelineItem::Reply(ReplyObject(row)),
            }),
            TimelineItem::cursor,
            page.after.is_some(),
            None,
        ))
    }

    /// My check-ins and my group activity over local days `from`..=`to` (at most 800 days).
    async fn mood_summary(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first local day.")] from: Date,
        #[graphql(desc = "The last local day, not before `from`.")] to: Date,
        #[graphql(
            default_with = "MoodBucketSize::Day",
            desc = "How much of the range each bucket holds."
        )]
        bucket: MoodBucketSize,
    ) -> Result<MoodSummary> {
        let (from, to) = (from.0, to.0);
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let owner = owner_of(app, &viewer.user_id).await?;
        let today = summary::local_day(owner.tz, Utc::now());
        let request = SummaryRequest {
            tz: owner.tz,
            from,
            to,
            size: bucket,
            today,
            with_activity: true,
        };
        Ok(summary::summarize(&app.db, &viewer.user_id, request).await?)
    }
}

#[derive(Default)]
pub struct MoodMutation;

#[Object]
impl MoodMutation {
    /// Logs a check-in. Several a day are fine.
    async fn log_mood(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The check-in.")] input: LogMoodInput,
    ) -> Result<LogMoodPayload> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let owner = owner_of(app, &viewer.user_id).await?;
        let logged = service::log(
            &app.db,
            &app.vault,
            viewer,
            NewCheckin {
                score: input.score,
                emotions: input.emotions,
                note: input.note,
                sleep_hours: input.sleep_hours,
                logged_at: input.logged_at,
                idempotency_key: input.idempotency_key,
            },
        )
        .await?;
        Ok(LogMoodPayload::new(app, &owner, logged))
    }

    /// Corrects one of my check-ins (the same rules as logging).
    async fn update_mood(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The check-in, and what to change.")] input: UpdateMoodInput,
    ) -> Result<LogMoodPayload> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let owner = owner_of(app, &viewer.user_id).await?;
        let logged = service::update(
            &app.db,
            &app.vault,
            viewer,
            &input.id,
            CheckinChanges {
                score: input.score,
                emotions: input.emotions,
                note: input.note.into(),
                sleep_hours: input.sleep_hours.into(),
                logged_at: input.logged_at,
            },
        )
        .await?;
        Ok(LogMoodPayload::new(app, &owner, logged))
    }

    /// A daily push at this local time asking how I feel, unless I already checked in that day.
    /// My quiet hours do not hold it.
    async fn set_mood_reminder(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The local time, and whether the prompt is on.")]
        input: SetMoodReminderInput,
    ) -> Result<MoodReminder> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let owner = owner_of(app, &viewer.user_id).await?;
        let row = reminders::set(&app.db, viewer, &input.local_time, input.enabled).await?;
        Ok(MoodReminder::new(row, &owner))
    }

    /// Deletes one of my check-ins for good. Answers its id, to evict from an app's cache.
    async fn delete_mood_checkin(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The check-in to delete.")] id: CheckinId,
    ) -> Result<crate::graphql::Deletion> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        service::delete(&app.db, viewer, &id).await?;
        Ok(crate::graphql::Deletion::of(id))
    }

    /// Deletes one of my check-ins for good.
    #[graphql(
        deprecation = "Use `deleteMoodCheckin`, which answers the deleted id for an app's cache."
    )]
    async fn delete_mood(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The check-in to delete.")] id: CheckinId,
    ) -> Result<bool> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        service::delete(&app.db, viewer, &id).await?;
        Ok(true)
    }
}
