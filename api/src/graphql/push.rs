//! GraphQL types and resolvers of push preferences.
use crate::graphql::context::ContextExt;
use crate::notifications::service::NotificationKind;
use crate::push::preferences::{self, Changes, QuietHours as QuietHoursSetting};
use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, SimpleObject};
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
        let quiet_hours = match input.quiet_hours {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(q) => Some(Some(QuietHoursSetting {
                start: q.start,
                end: q.end,
                timezone: q.timezone,
            })),
        };
        let changes = Changes {
            push_enabled: input.push_enabled,
            disabled_kinds: input.disabled_kinds,
            previews: input.previews,
            quiet_hours,
        };
        let saved = preferences::update(&ctx.app()?.db, &ctx.viewer()?.user_id, changes).await?;
        Ok(PushPreferencesObject(saved))
    }
}
