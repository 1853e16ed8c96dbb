//! What a membership's end takes with it, wherever it ends (leaving, a ban): the person's
//! answers for the group's meetings, so nobody sees them coming and their place is freed (the
//! meetings' worker lets the waitlist in).
use crate::db::statement;
use crate::error::AppResult;
use crate::ids::{GroupId, UserId};
use sea_orm::ConnectionTrait;

pub async fn forget_answers(
    txn: &impl ConnectionTrait,
    group_id: &GroupId,
    user_id: &UserId,
) -> AppResult<()> {
    let sql = "DELETE FROM meeting_rsvps WHERE user_id = $1
               AND meeting_id IN (SELECT id FROM meetings WHERE group_id = $2)";
    let backend = txn.get_database_backend();
    txn.execute_raw(statement(
        backend,
        sql,
        vec![user_id.as_str().into(), group_id.as_str().into()],
    ))
    .await?;
    Ok(())
}
