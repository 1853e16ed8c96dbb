//! The mod log: every moderator action in a group, written in the action's transaction.
use crate::clock::now;
use crate::error::AppResult;
use entity::enums::{ModAction, ModTarget};
use entity::mod_log;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

pub async fn log_action(
    txn: &impl ConnectionTrait,
    group_id: &str,
    actor_id: &str,
    action: ModAction,
    target: Option<(ModTarget, &str)>,
    reason: Option<&str>,
) -> AppResult<()> {
    mod_log::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        group_id: Set(group_id.to_owned()),
        actor_id: Set(actor_id.to_owned()),
        action: Set(action),
        target_type: Set(target.map(|(t, _)| t)),
        target_id: Set(target.map(|(_, id)| id.to_owned())),
        reason: Set(reason.map(str::to_owned)),
        created_at: Set(now()),
    }
    .insert(txn)
    .await?;
    Ok(())
}
