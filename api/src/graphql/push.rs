//! GraphQL types and resolvers of push preferences.
use crate::graphql::context::ContextExt;
use crate::notifications::service::NotificationKind;
use crate::push::preferences::{self, Changes, QuietHours as QuietHoursSetting};
use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use entity::enums::MeetingReminderLead;
use entity::push_preferences;

pub struct PushPreferencesObject(pub push_preferences::Model);

/// A daily stretch of local time when pushes wait.
#[derive(SimpleObject)]
pub struct QuietHours {
    /// Local time, `HH:MM`.
    start: String,
    /// Local time, `HH:MM`; before `start` when quiet hours run across midnight.
    end: String,
    /// IANA timezone the times are in.
    timezone: String,
}

/// What is pushed to my devices, and when.
#[Object(name = "PushPreferences")]
impl PushPreferencesObject {
    /// Whether anything is pushed at all; on unless changed.
    async fn push_enabled(&self) -> bool {
        self.0.push_enabled
    }
    /// Kinds never pushed (they still reach the inbox).
    async fn disabled_kinds(&self) -> Result<Vec<NotificationKind>> {
        Ok(preferences::disabled_kinds(&self.0)?)
    }
    /// Show the group's name and first words in pushes. Off by default: pushes then say only
    /// "New reply in one of your groups".
    async fn previews(&self) -> bool {
        self.0.previews
    }
    /// Pushes due inside quiet hours wait until they end.
    async fn quiet_hours(&self) -> Option<QuietHours> {
        Some(QuietHours {
            start: self.0.quiet_start.clone()?,
            end: self.0.quiet_end.clone()?,
            timezone: self.0.quiet_timezone.clone()?,
        })
    }
    /// When a meeting I am coming to (or might) is pushed to me: an hour before it starts, the
    /// evening before (18:00 in my time zone), both, or neither (empty). An hour before unless
    /// changed.
    async fn meeting_reminders(&self) -> Vec<MeetingReminderLead> {
        preferences::meeting_reminders(&self.0)
    }
    /// Meeting reminders go even inside quiet hours. Off unless changed: they wait until the
    /// quiet hours end, like every push.
    async fn meetings_in_quiet_hours(&self) -> bool {
        self.0.meetings_in_quiet_hours
    }
}

/// A daily stretch of local time when pushes wait.
#[derive(InputObject)]
pub struct QuietHoursInput {
    /// `HH:MM`, when pushes start waiting.
    start: String,
    /// `HH:MM`, when they go again: not `start`, and before it to run across midnight.
    end: String,
    /// The IANA timezone the times are in, e.g. `Europe/Paris`.
    timezone: String,
}

/// Changes to my push preferences; what is left out stays as it is.
#[derive(InputObject)]
pub struct PushPreferencesInput {
    /// False pushes nothing at all.
    push_enabled: Option<bool>,
    /// Replaces the kinds never pushed (they still reach the inbox).
    disabled_kinds: Option<Vec<NotificationKind>>,
    /// Show the group's name and first words in pushes.
    previews: Option<bool>,
    /// Null clears quiet hours.
    quiet_hours: MaybeUndefined<QuietHoursInput>,
    /// An empty list turns meeting reminders off.
    meeting_reminders: Option<Vec<MeetingReminderLead>>,
    /// True lets meeting reminders through quiet hours.
    meetings_in_quiet_hours: Option<bool>,
}

#[derive(Default)]
pub struct PushMutation;

#[Object]
impl PushMutation {
    /// Changes what is pushed to my devices, and when.
    async fn update_push_preferences(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to change.")] input: PushPreferencesInput,
    ) -> Result<PushPreferencesObject> {
        let quiet_hours = input
            .quiet_hours
            .map_value(|q| QuietHoursSetting {
                start: q.start,
                end: q.end,
                timezone: q.timezone,
            })
            .into();
        let changes = Changes {
            push_enabled: input.push_enabled,
            disabled_kinds: input.disabled_kinds,
            previews: input.previews,
            quiet_hours,
            meeting_reminders: input.meeting_reminders,
            meetings_in_quiet_hours: input.meetings_in_quiet_hours,
        };
        let saved = preferences::update(&ctx.app()?.db, &ctx.viewer()?.user_id, changes).await?;
        Ok(PushPreferencesObject(saved))
    }
}
