//! GraphQL of mood sharing: the owner's shares, and the read-only view a token opens (no account).
use crate::clock::Date;
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::graphql::moods::owner_of;
use crate::ids::MoodShareId;
use crate::moods::emotions::Emotion;
use crate::moods::sharing::{self, NewShare};
use crate::moods::summary::{self, MoodBucketSize, MoodSummary, SummaryRequest};
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Days, Utc};
use chrono_tz::Tz;
use entity::{mood_checkins, mood_shares};

pub struct MoodShareObject(mood_shares::Model);

/// A read-only view of my check-ins, opened by a token I gave someone.
#[Object(name = "MoodShare")]
impl MoodShareObject {
    /// Names this share.
    async fn id(&self) -> ID {
        ID::from(self.0.id.clone())
    }
    /// Who it is for, in my words ("Dr Okafor").
    async fn label(&self) -> &str {
        &self.0.label
    }
    /// Whether it shows my notes.
    async fn include_notes(&self) -> bool {
        self.0.include_notes
    }
    /// When it stops working, unless revoked sooner.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    /// When I ended it; null unless I did.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    /// Whether the token opens it now (not expired, not revoked).
    async fn active(&self) -> bool {
        sharing::is_open(&self.0, Utc::now())
    }
    /// When the token was last used; null if never.
    async fn last_accessed_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_accessed_at
    }
    /// How many times the token was used.
    async fn access_count(&self) -> i32 {
        self.0.access_count
    }
    /// When I made it.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A share just made, with its token.
#[derive(SimpleObject)]
pub struct CreatedMoodShare {
    /// The share made.
    share: MoodShareObject,
    /// Give this to the person you share with. It is shown only now and cannot be recovered.
    token: String,
}

/// A new share of my check-ins.
#[derive(InputObject)]
pub struct CreateMoodShareInput {
    /// Who it is for, 1 to 100 characters.
    label: String,
    /// At most 366 days ahead.
    expires_at: DateTime<Utc>,
    /// Whether it shows my notes.
    #[graphql(default)]
    include_notes: bool,
}

/// A check-in as a share shows it: no id, and the note only if the owner included notes.
pub struct SharedCheckin {
    row: mood_checkins::Model,
    tz: Tz,
    with_note: bool,
}

/// A check-in as a share shows it: no id, and the note only if the owner included notes.
#[Object]
impl SharedCheckin {
    /// 1 (worst) to 10 (best).
    async fn score(&self) -> i32 {
        self.row.score.into()
    }
    /// The emotions named.
    async fn emotions(&self) -> Vec<Emotion> {
        Emotion::load(&self.row.emotions)
    }
    /// The note; null unless the share includes notes and one was written.
    async fn note(&self) -> Option<&str> {
        self.row.note.as_deref().filter(|_| self.with_note)
    }
    /// Hours slept, 0 to 24 in steps of 0.25; null when not given.
    async fn sleep_hours(&self) -> Option<f64> {
        self.row.sleep_quarters.map(|q| f64::from(q) / 4.0)
    }
    /// When it is logged for.
    async fn logged_at(&self) -> DateTime<Utc> {
        self.row.logged_at
    }
    /// The day it belongs to, in the owner's timezone.
    async fn local_date(&self) -> Date {
        summary::local_day(self.tz, self.row.logged_at).into()
    }
}

/// What a share shows: check-ins and their summary, nothing else about the person.
#[derive(SimpleObject)]
pub struct SharedMood {
    /// Who the share is for, in its owner's words.
    label: String,
    /// Whether the check-ins show their notes.
    includes_notes: bool,
    /// When the share stops working, unless revoked sooner.
    expires_at: DateTime<Utc>,
    /// Newest first, at most 1 000.
    checkins: Vec<SharedCheckin>,
    /// The check-ins summed up over the days asked, group activity left null.
    summary: MoodSummary,
}

#[derive(Default)]
pub struct ShareQuery;

#[Object]
impl ShareQuery {
    /// My shares, newest first, with when each was last opened.
    async fn mood_shares(&self, ctx: &Context<'_>) -> Result<Vec<MoodShareObject>> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let shares = sharing::list(&app.db, &app.vault, &viewer.user_id).await?;
        Ok(shares.into_iter().map(MoodShareObject).collect())
    }

    /// The check-ins a share token opens, over local days `from`..=`to`. Needs no account;
    /// an unknown, expired or revoked token is `NOT_FOUND`. Each use is recorded.
    async fn shared_mood(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token `createMoodShare` returned.")] token: String,
        #[graphql(desc = "The first local day, in the owner's timezone.")] from: Date,
        #[graphql(desc = "The last local day, not before `from`; at most 800 days in all.")]
        to: Date,
        #[graphql(
            default_with = "MoodBucketSize::Week",
            desc = "How much of the range each bucket of `summary` holds."
        )]
        bucket: MoodBucketSize,
    ) -> Result<SharedMood> {
        let (from, to) = (from.0, to.0);
        let app = ctx.app()?;
        summary::check_range(from, to)?;
        let share = sharing::open(&app.db, &app.vault, &token).await?;
        // The owner's account is gone (the share goes with it); anything else is a real error.
        let owner = owner_of(app, &share.user_id)
            .await
            .map_err(|err| match err {
                AppError::Unauthenticated => AppError::NotFound,
                other => other,
            })?;
        let (start, end) = (
            summary::start_of_day(owner.tz, from),
            summary::start_of_day(owner.tz, to + Days::new(1)),
        );
        let rows = sharing::checkins(&app.db, &app.vault, &share, start, end).await?;
        let request = SummaryRequest {
            tz: owner.tz,
            from,
            to,
            size: bucket,
            today: summary::local_day(owner.tz, Utc::now()),
            with_activity: false,
        };
        let summary = summary::summarize(&app.db, &share.user_id, request).await?;
        Ok(SharedMood {
            label: share.label,
            includes_notes: share.include_notes,
            expires_at: share.expires_at,
            checkins: rows
                .into_iter()
                .map(|row| SharedCheckin {
                    row,
                    tz: owner.tz,
                    with_note: share.include_notes,
                })
                .collect(),
            summary,
        })
    }
}

#[derive(Default)]
pub struct ShareMutation;

#[Object]
impl ShareMutation {
    /// Shares my check-ins read-only until `expiresAt` (or until revoked).
    async fn create_mood_share(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Who it is for, until when, and whether it shows my notes.")]
        input: CreateMoodShareInput,
    ) -> Result<CreatedMoodShare> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let created = sharing::create(
            &app.db,
            &app.vault,
            viewer,
            NewShare {
                label: input.label,
                expires_at: input.expires_at,
                include_notes: input.include_notes,
            },
        )
        .await?;
        Ok(CreatedMoodShare {
            share: MoodShareObject(created.share),
            token: created.token,
        })
    }

    /// Ends one of my shares at once.
    async fn revoke_mood_share(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The share to end; ending it again changes nothing.")] id: MoodShareId,
    ) -> Result<MoodShareObject> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        Ok(MoodShareObject(
            sharing::revoke(&app.db, &app.vault, viewer, &id).await?,
        ))
    }
}
