//! The mod log: every moderator action in a group, written in the action's transaction.
use crate::clock::now;
use crate::error::AppResult;
use crate::ids::{GroupId, ModLogId, UserId};
use entity::enums::{ModAction, ModTarget};
use entity::mod_log;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

pub async fn log_action(
    txn: &impl ConnectionTrait,
    group_id: &GroupId,
    actor_id: &UserId,
    action: ModAction,
    target: Option<(ModTarget, &str)>,
    reason: Option<&str>,
) -> AppResult<()> {
    mod_log::ActiveModel {
        id: Set(ModLogId::generate()),
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
