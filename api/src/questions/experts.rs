//! Expert standing: granted and revoked by platform admins, shown with a credential beside a
//! person's name until it runs out.
use crate::auth::Viewer;
use crate::clock::now;
use crate::community::access::is_admin;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use chrono::{DateTime, Utc};
use entity::{experts, users};
use sea_orm::sea_query::{Expr, ExprTrait as _, IntoColumnRef, OnConflict, Query, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use std::collections::HashMap;

/// Grants (or renews) someone's expert standing. Platform admins only.
pub async fn grant(
    db: &DatabaseConnection,
    viewer: &Viewer,
    user_id: &UserId,
    title: &str,
    verified_until: DateTime<Utc>,
) -> AppResult<experts::Model> {
    if !is_admin(db, &viewer.user_id).await? {
        return Err(AppError::Forbidden);
    }
    users::Entity::find_by_id(user_id.clone())
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    write(db, user_id, Some(&viewer.user_id), title, verified_until).await
}

/// Ends someone's expert standing; false when they had none. Platform admins only.
pub async fn revoke(db: &DatabaseConnection, viewer: &Viewer, user_id: &UserId) -> AppResult<bool> {
    if !is_admin(db, &viewer.user_id).await? {
        return Err(AppError::Forbidden);
    }
    let gone = experts::Entity::delete_by_id(user_id.clone())
        .exec(db)
        .await?
        .rows_affected;
    Ok(gone > 0)
}

/// The standing row itself: validated, then inserted or replaced.
pub async fn write(
    db: &impl ConnectionTrait,
    user_id: &UserId,
    granted_by: Option<&UserId>,
    title: &str,
    verified_until: DateTime<Utc>,
) -> AppResult<experts::Model> {
    let title = crate::text::title_between("title", title, 3, 120)?;
    if verified_until <= now() {
        return Err(AppError::bad_input(
            "verifiedUntil",
            "must be in the future",
        ));
    }
    let row = experts::ActiveModel {
        user_id: Set(user_id.clone()),
        title: Set(title),
        verified_until: Set(verified_until),
        granted_by: Set(granted_by.cloned()),
        granted_at: Set(now()),
    };
    experts::Entity::insert(row)
        .on_conflict(
            OnConflict::column(experts::Column::UserId)
                .update_columns([
                    experts::Column::Title,
                    experts::Column::VerifiedUntil,
                    experts::Column::GrantedBy,
                    experts::Column::GrantedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    experts::Entity::find_by_id(user_id.clone())
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// A condition on an author column: they have a current expert standing (the rule `current`
/// applies, in SQL).
pub fn is_current_expert(author: impl IntoColumnRef) -> SimpleExpr {
    let experts_now = Query::select()
        .column(experts::Column::UserId)
        .from(experts::Entity)
        .and_where(Expr::col(experts::Column::VerifiedUntil).gt(now()))
        .to_owned();
    Expr::col(author).in_subquery(experts_now)
}

/// The current standings of these people (an expired one is no standing).
pub async fn current(
    db: &impl ConnectionTrait,
    user_ids: &[UserId],
) -> AppResult<HashMap<UserId, experts::Model>> {
    Ok(experts::Entity::find()
        .filter(experts::Column::UserId.is_in(user_ids))
        .filter(experts::Column::VerifiedUntil.gt(now()))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.user_id.clone(), e))
        .collect())
}
