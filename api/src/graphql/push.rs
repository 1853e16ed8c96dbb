//! GraphQL types and resolvers of push preferences.
use crate::graphql::context::ContextExt;
use crate::notifications::service::NotificationKind;
use crate::push::preferences::{self, Changes, QuietHours as QuietHoursSetting};
use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use entity::enums::MeetingReminderLead;
use entity::push_preferences;

pub struct PushPreferencesObject(pub push_preferences::Model);

#[derive(SimpleObject)]
pub struct QuietHours {
    /// Local time, `HH:MM`.
    start: String,
    end: String,
    /// IANA timezone the times are in.
    timezone: String,
}

#[Object(name = "PushPreferences")]
impl PushPreferencesObject {
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

#[derive(InputObject)]
pub struct QuietHoursInput {
    start: String,
    end: String,
    timezone: String,
}

#[derive(InputObject)]
pub struct PushPreferencesInput {
    push_enabled: Option<bool>,
    disabled_kinds: Option<Vec<NotificationKind>>,
    previews: Option<bool>,
    /// Null clears quiet hours.
    quiet_hours: MaybeUndefined<QuietHoursInput>,
    /// An empty list turns meeting reminders off.
    meeting_reminders: Option<Vec<MeetingReminderLead>>,
    meetings_in_quiet_hours: Option<bool>,
}

#[derive(Default)]
pub struct PushMutation;

#[Object]
impl PushMutation {
    async fn update_push_preferences(
        &self,
        ctx: &Context<'_>,
        input: PushPreferencesInput,
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
