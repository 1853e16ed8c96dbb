//! GraphQL types and resolvers of meetings: series, meetings, answers.
use crate::clock::Date;
use crate::error::{AppError, Optional as _};
use crate::graphql::context::ContextExt;
use crate::graphql::{GroupObject, UserObject};
use crate::ids::{GroupId, MeetingId, MeetingSeriesId, UserId};
use crate::meetings::attendance::{self, Counts};
use crate::meetings::series::{self, NewSeries, SeriesChanges};
use crate::meetings::{calendar, occurrences};
use crate::pagination::{connection, Cursor, ListInfo, Page, PageArgs};
use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{MeetingFrequency, MeetingStatus, RsvpAnswer, RsvpStatus};
use entity::{meeting_series, meetings};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;
use std::sync::Arc;

/// A series: when a group meets. Only the group's members see it.
pub struct MeetingSeriesObject(pub Arc<meeting_series::Model>);

/// A series: when a group meets. Only the group's members see it.
#[Object(name = "MeetingSeries")]
impl MeetingSeriesObject {
    /// Names this series across the whole API.
    pub(crate) async fn id(&self) -> ID {
        ID::from(self.0.id.clone())
    }
    /// The group it belongs to.
    async fn group(&self, ctx: &Context<'_>) -> Result<Option<GroupObject>> {
        Ok(GroupObject::reachable(ctx, &self.0.group_id).await?)
    }
    /// 1 to 120 characters.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Up to 2 000 characters; null when there is none.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The IANA time zone its wall-clock time is in.
    async fn time_zone(&self) -> &str {
        &self.0.time_zone
    }
    /// The date of the first meeting, in `timeZone`.
    async fn first_date(&self) -> Date {
        Date(self.0.first_date)
    }
    /// `HH:MM` on the wall clock of `timeZone`; it stays so across DST changes.
    async fn local_start_time(&self) -> &str {
        &self.0.local_start_time
    }
    /// How long each meeting lasts, in minutes (5 to 720).
    async fn duration_minutes(&self) -> i32 {
        self.0.duration_minutes
    }
    /// How often it meets.
    async fn frequency(&self) -> MeetingFrequency {
        self.0.frequency
    }
    /// The last date it may meet; null when it goes on.
    async fn until(&self) -> Option<Date> {
        self.0.until.map(Date)
    }
    /// Places at each meeting; null when there is no limit.
    async fn capacity(&self) -> Option<i32> {
        self.0.capacity
    }
    /// Who leads its meetings, as the group shows them.
    async fn facilitator(&self, ctx: &Context<'_>) -> Result<Option<UserObject>> {
        let Some(id) = &self.0.facilitator_id else {
            return Ok(None);
        };
        Ok(UserObject::in_group(ctx, id, &self.0.group_id).await?)
    }
    /// Where it meets, for its facilitator and the group's moderators (members read it on a
    /// meeting they are going to).
    async fn join_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let viewer = ctx.viewer()?;
        let (series, access) =
            crate::meetings::access::series_for(&ctx.app()?.db, viewer, &self.0.id).await?;
        let leads =
            access.is_moderator() || series.facilitator_id.as_ref() == Some(&viewer.user_id);
        Ok(series.join_url.filter(|_| leads))
    }
    /// Cancelled: no meeting after this time.
    async fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.0.cancelled_at
    }
    /// Its meetings starting from `from` until before `to` (at most 366 days), cancelled ones
    /// included, soonest first: a calendar can show any month.
    async fn occurrences(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The earliest start included.")] from: DateTime<Utc>,
        #[graphql(desc = "The start to stop before: after `from`, at most 366 days later.")]
        to: DateTime<Utc>,
    ) -> Result<Vec<MeetingObject>> {
        let db = &ctx.app()?.db;
        let rows = occurrences::in_range(db, &self.0.id, from, to).await?;
        Ok(MeetingObject::many(ctx, rows).await?)
    }
}

/// One meeting of a series.
pub struct MeetingObject {
    row: meetings::Model,
    series: Arc<meeting_series::Model>,
    counts: Counts,
    mine: Option<RsvpStatus>,
}

/// Someone who answered for a meeting, as its facilitator and moderators see them.
#[derive(SimpleObject)]
pub struct MeetingAttendee {
    /// The person, as the group shows them.
    user: UserObject,
    /// Where they stand for the meeting.
    rsvp: RsvpStatus,
}

impl MeetingObject {
    /// A meeting with its series and my answer; its counts are in its row.
    fn new(
        row: meetings::Model,
        series: Arc<meeting_series::Model>,
        mine: Option<RsvpStatus>,
    ) -> MeetingObject {
        MeetingObject {
            counts: Counts::of(&row),
            mine,
            series,
            row,
        }
    }

    /// Meetings with their series, counts and my answers, read in two statements.
    pub async fn many(
        ctx: &Context<'_>,
        rows: Vec<meetings::Model>,
    ) -> Result<Vec<MeetingObject>, AppError> {
        let db = &ctx.app()?.db;
        let mut series_ids: Vec<MeetingSeriesId> =
            rows.iter().map(|m| m.series_id.clone()).collect();
        series_ids.sort();
        series_ids.dedup();
        let series: HashMap<MeetingSeriesId, Arc<meeting_series::Model>> = if series_ids.is_empty()
        {
            HashMap::new()
        } else {
            meeting_series::Entity::find()
                .filter(meeting_series::Column::Id.is_in(&series_ids))
                .all(db)
                .await?
                .into_iter()
                .map(|s| (s.id.clone(), Arc::new(s)))
                .collect()
        };
        let ids: Vec<MeetingId> = rows.iter().map(|m| m.id.clone()).collect();
        let mine = attendance::answers_of(db, &ctx.viewer()?.user_id, &ids).await?;
        rows.into_iter()
            .map(|row| {
                let series = series.get(&row.series_id).cloned().ok_or_else(|| {
                    AppError::internal(anyhow::anyhow!("a meeting without its series"))
                })?;
                let mine = mine.get(&row.id).copied();
                Ok(MeetingObject::new(row, series, mine))
            })
            .collect()
    }

    pub async fn one(ctx: &Context<'_>, row: meetings::Model) -> Result<MeetingObject, AppError> {
        MeetingObject::many(ctx, vec![row])
            .await?
            .pop()
            .ok_or(AppError::NotFound)
    }

    fn cursor(&self) -> Cursor {
        Cursor {
            at: self.row.starts_at,
            id: self.row.id.to_string(),
        }
    }

    /// A page of meetings, each read with its series and my answer, as a connection.
    pub fn connection(
        page: Page<occurrences::Listed>,
        args: &PageArgs,
    ) -> Result<Connection<String, MeetingObject, ListInfo>> {
        let has_next = page.has_next;
        let items: Vec<MeetingObject> = page
            .items
            .into_iter()
            .map(|listed| MeetingObject::new(listed.meeting, Arc::new(listed.series), listed.mine))
            .collect();
        Ok(connection(
            Page { items, has_next },
            MeetingObject::cursor,
            args.after.is_some(),
            None,
        ))
    }
}

/// One meeting of a series.
#[Object(name = "Meeting")]
impl MeetingObject {
    /// Names this meeting across the whole API.
    pub(crate) async fn id(&self) -> ID {
        ID::from(self.row.id.clone())
    }
    /// The series it belongs to.
    async fn series(&self) -> MeetingSeriesObject {
        MeetingSeriesObject(self.series.clone())
    }
    /// When it starts; show it in the phone's own time zone.
    async fn starts_at(&self) -> DateTime<Utc> {
        self.row.starts_at
    }
    /// When it ends.
    async fn ends_at(&self) -> DateTime<Utc> {
        self.row.ends_at
    }
    /// Whether it takes place or was cancelled.
    async fn status(&self) -> MeetingStatus {
        self.row.status
    }
    /// Moved by hand away from the series' time.
    async fn moved(&self) -> bool {
        self.row.moved
    }
    /// How many are going.
    async fn going_count(&self) -> u64 {
        self.counts.going
    }
    /// How many answered maybe.
    async fn maybe_count(&self) -> u64 {
        self.counts.maybe
    }
    /// How many wait for a place.
    async fn waitlist_count(&self) -> u64 {
        self.counts.waitlisted
    }
    /// My answer; null until I give one.
    async fn my_rsvp(&self) -> Option<RsvpStatus> {
        self.mine
    }
    /// Where it meets: only for those going.
    async fn join_url(&self) -> Option<&str> {
        if self.mine == Some(RsvpStatus::Going) && self.row.status == MeetingStatus::Scheduled {
            self.series.join_url.as_deref()
        } else {
            None
        }
    }
    /// Who answered, in the order they did: for the facilitator and the group's moderators
    /// only (null for everyone else).
    async fn attendees(&self, ctx: &Context<'_>) -> Result<Option<Vec<MeetingAttendee>>> {
        let db = &ctx.app()?.db;
        let Some(list) = attendance::attendees(db, ctx.viewer()?, &self.row).await? else {
            return Ok(None);
        };
        let mut shown = Vec::with_capacity(list.len());
        for (user_id, rsvp) in list {
            if let Some(user) = UserObject::in_group(ctx, &user_id, &self.row.group_id).await? {
                shown.push(MeetingAttendee { user, rsvp });
            }
        }
        Ok(Some(shown))
    }
}

/// A new series of meetings for a group.
#[derive(InputObject)]
pub struct ScheduleMeetingsInput {
    /// The group, which I moderate.
    group_id: ID,
    /// Shown only to the group's members.
    title: String,
    /// Up to 2 000 characters.
    description: Option<String>,
    /// The date of the first meeting, in `timeZone`.
    first_date: Date,
    /// `HH:MM` on the wall clock of `timeZone`.
    local_start_time: String,
    /// An IANA time zone, e.g. `America/New_York`.
    time_zone: String,
    /// How long each meeting lasts, 5 to 720 minutes.
    duration_minutes: i32,
    /// How often it meets.
    frequency: MeetingFrequency,
    /// The last date it may meet.
    until: Option<Date>,
    /// Places at each meeting; none for no limit.
    capacity: Option<i32>,
    /// A moderator or owner of the group (in a group led by professionals, a member with
    /// expert standing too); me when left out.
    facilitator_id: Option<ID>,
    /// An https link, read only by those going.
    join_url: Option<String>,
}

/// Changes to a series; what is left out stays as it is.
#[derive(InputObject)]
pub struct UpdateMeetingSeriesInput {
    /// The series to change; a cancelled one changes no more.
    series_id: ID,
    /// 1 to 120 characters.
    title: Option<String>,
    /// Up to 2 000 characters; `null` removes it.
    description: MaybeUndefined<String>,
    /// `HH:MM` on the wall clock of the series' time zone. Coming meetings not moved by hand
    /// move to it.
    local_start_time: Option<String>,
    /// 5 to 720 minutes. Coming meetings not moved by hand take the new length.
    duration_minutes: Option<i32>,
    /// The last date it may meet, not before its first date: the meetings after it are
    /// cancelled. `null`: it goes on.
    until: MaybeUndefined<Date>,
    /// Places at each meeting, 1 to 1 000; `null` for no limit. More places let the waitlist
    /// in.
    capacity: MaybeUndefined<i32>,
    /// A moderator or owner of the group (in a group led by professionals, a member with
    /// expert standing too).
    facilitator_id: Option<ID>,
    /// An https link of at most 500 characters; `null` removes it.
    join_url: MaybeUndefined<String>,
}

/// My private calendar feed.
#[derive(SimpleObject)]
pub struct CalendarFeed {
    /// The feed's address, relative to the API's origin (`/calendar/….ics`). Shown once, when
    /// the feed is made: only a hash of its secret is kept. Anyone with it sees the times of
    /// the meetings I am going to.
    url: String,
    /// Events carry the series' title and group's name; otherwise each is "Hearth meeting".
    show_group_names: bool,
}

#[derive(Default)]
pub struct MeetingQuery;

#[Object]
impl MeetingQuery {
    /// The meetings still to come in all my groups, soonest first.
    async fn my_meetings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return, at most 100 (20 if not given).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last item already shown (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> Result<Connection<String, MeetingObject, ListInfo>> {
        let args = PageArgs::new(first, after)?;
        let page = occurrences::mine(&ctx.app()?.db, ctx.viewer()?, &args).await?;
        MeetingObject::connection(page, &args)
    }
    /// One meeting; null when it does not exist or is not for me to see.
    async fn meeting(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The meeting's id.")] id: ID,
    ) -> Result<Option<MeetingObject>> {
        let id = MeetingId::from(id);
        let found = crate::meetings::access::meeting_for(&ctx.app()?.db, ctx.viewer()?, &id).await;
        match found.optional()? {
            Some((row, _)) => Ok(Some(MeetingObject::one(ctx, row).await?)),
            None => Ok(None),
        }
    }
    /// One series; null when it does not exist or is not for me to see.
    async fn meeting_series(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The series' id.")] id: ID,
    ) -> Result<Option<MeetingSeriesObject>> {
        let id = MeetingSeriesId::from(id);
        let found = crate::meetings::access::series_for(&ctx.app()?.db, ctx.viewer()?, &id).await;
        Ok(found
            .optional()?
            .map(|(row, _)| MeetingSeriesObject(Arc::new(row))))
    }
}

#[derive(Default)]
pub struct MeetingMutation;

#[Object]
impl MeetingMutation {
    /// Schedules a series of meetings for a group. Moderators only.
    async fn schedule_meetings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group, and what, when and how often it meets.")]
        input: ScheduleMeetingsInput,
    ) -> Result<MeetingSeriesObject> {
        let new = NewSeries {
            group_id: GroupId::from(input.group_id),
            title: input.title,
            description: input.description,
            first_date: input.first_date.0,
            local_start_time: input.local_start_time,
            time_zone: input.time_zone,
            duration_minutes: input.duration_minutes,
            frequency: input.frequency,
            until: input.until.map(|d| d.0),
            capacity: input.capacity,
            facilitator_id: input.facilitator_id.map(UserId::from),
            join_url: input.join_url,
        };
        let row = series::schedule(&ctx.app()?.db, ctx.viewer()?, new).await?;
        Ok(MeetingSeriesObject(Arc::new(row)))
    }
    /// Changes a series. A new time moves its coming meetings (not those moved by hand); those
    /// coming are told. Moderators only.
    async fn update_meeting_series(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The series, and what to change.")] input: UpdateMeetingSeriesInput,
    ) -> Result<MeetingSeriesObject> {
        let changes = SeriesChanges {
            title: input.title,
            description: input.description.into(),
            local_start_time: input.local_start_time,
            duration_minutes: input.duration_minutes,
            until: input.until.map_value(|d| d.0).into(),
            capacity: input.capacity.into(),
            facilitator_id: input.facilitator_id.map(UserId::from),
            join_url: input.join_url.into(),
        };
        let app = ctx.app()?;
        let id = MeetingSeriesId::from(input.series_id);
        let row = series::update(&app.db, ctx.viewer()?, &id, changes)
            .await?
            .publish(&app.broker)
            .await;
        Ok(MeetingSeriesObject(Arc::new(row)))
    }
    /// Cancels a series and its coming meetings; those coming are told. Moderators only.
    async fn cancel_meeting_series(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The series to cancel.")] series_id: ID,
    ) -> Result<MeetingSeriesObject> {
        let app = ctx.app()?;
        let id = MeetingSeriesId::from(series_id);
        let row = series::cancel(&app.db, ctx.viewer()?, &id)
            .await?
            .publish(&app.broker)
            .await;
        Ok(MeetingSeriesObject(Arc::new(row)))
    }
    /// Cancels one meeting; the series goes on. Those coming are told. Moderators only.
    async fn cancel_meeting(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The meeting to cancel; not one that is over.")] meeting_id: ID,
    ) -> Result<MeetingObject> {
        let app = ctx.app()?;
        let id = MeetingId::from(meeting_id);
        let row = occurrences::cancel(&app.db, ctx.viewer()?, &id)
            .await?
            .publish(&app.broker)
            .await;
        Ok(MeetingObject::one(ctx, row).await?)
    }
    /// Moves one meeting to another start, its length kept; the series goes on as it was.
    /// Those coming are told. Moderators only.
    async fn move_meeting(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The meeting to move; not a cancelled one, nor one that is over.")]
        meeting_id: ID,
        #[graphql(desc = "Its new start: in the future, at most a year ahead.")]
        starts_at: DateTime<Utc>,
    ) -> Result<MeetingObject> {
        let app = ctx.app()?;
        let id = MeetingId::from(meeting_id);
        let row = occurrences::move_to(&app.db, ctx.viewer()?, &id, starts_at)
            .await?
            .publish(&app.broker)
            .await;
        Ok(MeetingObject::one(ctx, row).await?)
    }
    /// Makes my private calendar feed of the meetings I am going to, replacing any I had (its
    /// old address stops working). Events say only "Hearth meeting" unless `showGroupNames`.
    async fn create_calendar_feed(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "True titles events with the series' title and the group's name; false if \
                    not given."
        )]
        show_group_names: Option<bool>,
    ) -> Result<CalendarFeed> {
        let app = ctx.app()?;
        let credentials = app.credentials();
        let key = crate::accounts::code_key(&credentials);
        let show_group_names = show_group_names.unwrap_or(false);
        let url = calendar::create(&app.db, key, ctx.viewer()?, show_group_names).await?;
        Ok(CalendarFeed {
            url,
            show_group_names,
        })
    }
    /// Ends my calendar feed: its address answers 404 from now on. Whether there was one.
    async fn revoke_calendar_feed(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(calendar::revoke(&ctx.app()?.db, ctx.viewer()?).await?)
    }
    /// My answer for a meeting to come. GOING on a full meeting puts me on its waitlist
    /// (`myRsvp: WAITLISTED`); I am told when a place frees.
    async fn rsvp(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A meeting to come in a group I am a member of.")] meeting_id: ID,
        #[graphql(desc = "Going, maybe, or not going.")] answer: RsvpAnswer,
    ) -> Result<MeetingObject> {
        let app = ctx.app()?;
        let id = MeetingId::from(meeting_id);
        let answered = attendance::answer(&app.db, ctx.viewer()?, &id, answer)
            .await?
            .publish(&app.broker)
            .await;
        Ok(MeetingObject::new(
            answered.meeting,
            Arc::new(answered.series),
            Some(answered.status),
        ))
    }
}
