//! Who may see and do what in a group. Everything a caller may not see is `NOT_FOUND`.
use crate::auth::Viewer;
use crate::community::vocabulary::{MemberState, Role, Visibility};
use crate::error::{AppError, AppResult};
use crate::ids::{GroupId, UserId};
use chrono::Utc;
use entity::{bans, blocks, groups, memberships, users};
use sea_orm::sea_query::ExprTrait as _;
use sea_orm::sea_query::{Expr, IntoCondition as _, Query, SimpleExpr};
use sea_orm::{
    ConnectionTrait, EntityTrait, FromQueryResult as _, JoinType, QueryFilter, QuerySelect,
    QueryTrait as _, RelationTrait as _,
};

/// A caller's standing in one group.
#[derive(Clone, Debug)]
pub struct GroupAccess {
    /// Shared: a live event checks many viewers against one group.
    pub group: std::sync::Arc<groups::Model>,
    pub membership: Option<memberships::Model>,
    pub banned: bool,
    pub admin: bool,
}

impl GroupAccess {
    pub fn visibility(&self) -> Visibility {
        self.group.visibility
    }

    fn state(&self) -> Option<MemberState> {
        self.membership.as_ref().map(|m| m.state)
    }

    pub fn is_member(&self) -> bool {
        self.state() == Some(MemberState::Active)
    }

    pub fn role(&self) -> Option<Role> {
        self.membership
            .as_ref()
            .filter(|_| self.is_member())
            .map(|m| m.role)
    }

    pub fn is_moderator(&self) -> bool {
        matches!(self.role(), Some(Role::Owner | Role::Moderator))
    }

    pub fn is_owner(&self) -> bool {
        self.role() == Some(Role::Owner)
    }

    /// Hidden groups exist only for their members, the invited, and platform admins.
    pub fn can_see_group(&self) -> bool {
        self.visibility() != Visibility::Hidden
            || matches!(
                self.state(),
                Some(MemberState::Active | MemberState::Invited)
            )
            || self.admin
    }

    /// Posts, replies and members: everyone signed in for public groups, members otherwise.
    pub fn can_read_content(&self) -> bool {
        self.visibility() == Visibility::Public || self.is_member() || self.admin
    }

    /// Posting, replying and reacting: active members who are not banned.
    pub fn require_participant(&self) -> AppResult<()> {
        if self.banned || !self.is_member() {
            return Err(AppError::Forbidden);
        }
        Ok(())
    }

    pub fn require_moderator(&self) -> AppResult<()> {
        if self.is_moderator() || self.admin {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn require_readable(&self) -> AppResult<()> {
        if self.can_read_content() {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

pub async fn is_admin(db: &impl ConnectionTrait, user_id: &UserId) -> AppResult<bool> {
    Ok(users::Entity::find_by_id(user_id.to_owned())
        .one(db)
        .await?
        .is_some_and(|u| u.is_admin))
}

/// A ban that holds now: one with an `until` in the past is over.
pub fn ban_in_force() -> SimpleExpr {
    let until = Expr::col((bans::Entity, bans::Column::Until));
    until.clone().is_null().or(until.gt(Utc::now()))
}

/// Whether someone is banned from a group right now.
pub async fn is_banned(
    db: &impl ConnectionTrait,
    group_id: &GroupId,
    user_id: &UserId,
) -> AppResult<bool> {
    Ok(
        bans::Entity::find_by_id((group_id.to_owned(), user_id.to_owned()))
            .filter(ban_in_force())
            .one(db)
            .await?
            .is_some(),
    )
}

/// The caller's standing in a group; `NOT_FOUND` when the group is missing or hidden from them.
/// One statement: the group, the caller's membership, whether a ban holds now, and whether the
/// caller is a platform admin (every screen of a group starts here).
pub async fn group_access(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    group_id: &GroupId,
) -> AppResult<GroupAccess> {
    let caller = viewer.user_id.clone();
    let banned = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(bans::Entity)
            .and_where(
                Expr::col((bans::Entity, bans::Column::GroupId))
                    .equals((groups::Entity, groups::Column::Id)),
            )
            .and_where(Expr::col((bans::Entity, bans::Column::UserId)).eq(caller.clone()))
            .and_where(ban_in_force())
            .to_owned(),
    );
    let admin = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(users::Entity)
            .and_where(Expr::col((users::Entity, users::Column::Id)).eq(caller.clone()))
            .and_where(Expr::col((users::Entity, users::Column::IsAdmin)).eq(true))
            .to_owned(),
    );
    let mine = groups::Relation::Memberships
        .def()
        .on_condition(move |_, membership| {
            Expr::col((membership, memberships::Column::UserId))
                .eq(caller.clone())
                .into_condition()
        });
    let statement = groups::Entity::find_by_id(group_id.to_owned())
        .join(JoinType::LeftJoin, mine)
        .select_also(memberships::Entity)
        .expr_as(banned, "banned")
        .expr_as(admin, "admin")
        .build(db.get_database_backend());
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or(AppError::NotFound)?;
    // Read strictly when there is a membership: a stored value that is none of its type's is an
    // error, not "no membership" (`from_query_result_optional` would say None).
    let membership = match row.try_get::<Option<GroupId>>("", "B_group_id")? {
        Some(_) => Some(memberships::Model::from_query_result(&row, "B_")?),
        None => None,
    };
    let access = GroupAccess {
        group: std::sync::Arc::new(groups::Model::from_query_result(&row, "A_")?),
        membership,
        banned: row.try_get("", "banned")?,
        admin: row.try_get("", "admin")?,
    };
    if !access.can_see_group() {
        return Err(AppError::NotFound);
    }
    Ok(access)
}

pub async fn access_to(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    group: groups::Model,
) -> AppResult<GroupAccess> {
    let membership = memberships::Entity::find_by_id((group.id.clone(), viewer.user_id.clone()))
        .one(db)
        .await?;
    let banned = is_banned(db, &group.id, &viewer.user_id).await?;
    let mut access = GroupAccess {
        group: group.into(),
        membership,
        banned,
        admin: false,
    };
    if !access.is_moderator() {
        access.admin = is_admin(db, &viewer.user_id).await?;
    }
    if !access.can_see_group() {
        return Err(AppError::NotFound);
    }
    Ok(access)
}

const UNBLOCKED: &str = "unblocked";

/// The row `select` finds, and whether the person in its `author` column and I are apart by a
/// block (either way), read in one statement; `NOT_FOUND` when there is no row.
pub async fn found_with_block<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: sea_orm::Select<E>,
    author: E::Column,
    viewer: &Viewer,
) -> AppResult<(E::Model, bool)> {
    let statement = select
        .expr_as(
            not_blocked_with((E::default(), author), &viewer.user_id),
            UNBLOCKED,
        )
        .build(db.get_database_backend());
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or(AppError::NotFound)?;
    let found = E::Model::from_query_result(&row, "")?;
    Ok((found, !row.try_get::<bool>("", UNBLOCKED)?))
}

/// A condition on a group column: a public group, or one I am an active member of (the groups
/// whose posts I may read, as `can_read_content` says for one group).
pub fn in_readable_group(
    group: impl sea_orm::sea_query::IntoColumnRef + Clone,
    viewer_id: &UserId,
) -> sea_orm::Condition {
    let public = Query::select()
        .column(groups::Column::Id)
        .from(groups::Entity)
        .and_where(Expr::col(groups::Column::Visibility).eq(Visibility::Public))
        .to_owned();
    let mine = Query::select()
        .column(memberships::Column::GroupId)
        .from(memberships::Entity)
        .and_where(Expr::col(memberships::Column::UserId).eq(viewer_id))
        .and_where(Expr::col(memberships::Column::State).eq(MemberState::Active))
        .to_owned();
    sea_orm::Condition::any()
        .add(Expr::col(group.clone()).in_subquery(public))
        .add(Expr::col(group).in_subquery(mine))
}

/// A condition on an author column: not someone I blocked, nor someone who blocked me.
pub fn not_blocked_with(
    author: impl sea_orm::sea_query::IntoColumnRef + Clone,
    viewer_id: &UserId,
) -> SimpleExpr {
    let i_blocked = Query::select()
        .column(blocks::Column::BlockedId)
        .from(blocks::Entity)
        .and_where(Expr::col(blocks::Column::BlockerId).eq(viewer_id))
        .to_owned();
    let blocked_me = Query::select()
        .column(blocks::Column::BlockerId)
        .from(blocks::Entity)
        .and_where(Expr::col(blocks::Column::BlockedId).eq(viewer_id))
        .to_owned();
    Expr::col(author.clone())
        .not_in_subquery(i_blocked)
        .and(Expr::col(author).not_in_subquery(blocked_me))
}

/// Each person's standing in each group, for many `(group, person)` pairs at once (the push
/// worker asks again when it sends what was written earlier): the same rules as [`access_to`],
/// read in four statements. A pair whose group is gone has no entry; one whose group is hidden
/// from the person has one, and `can_see_group` says no.
pub async fn standings(
    db: &impl ConnectionTrait,
    pairs: &std::collections::HashSet<(GroupId, UserId)>,
) -> AppResult<std::collections::HashMap<(GroupId, UserId), GroupAccess>> {
    use sea_orm::ColumnTrait as _;
    use std::collections::{HashMap, HashSet};
    if pairs.is_empty() {
        return Ok(HashMap::new());
    }
    let group_ids: HashSet<&GroupId> = pairs.iter().map(|(g, _)| g).collect();
    let user_ids: HashSet<&UserId> = pairs.iter().map(|(_, u)| u).collect();
    let groups: HashMap<GroupId, std::sync::Arc<groups::Model>> = groups::Entity::find()
        .filter(groups::Column::Id.is_in(group_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id.clone(), std::sync::Arc::new(g)))
        .collect();
    let mut memberships: HashMap<(GroupId, UserId), memberships::Model> =
        memberships::Entity::find()
            .filter(memberships::Column::GroupId.is_in(group_ids.iter().copied()))
            .filter(memberships::Column::UserId.is_in(user_ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|m| ((m.group_id.clone(), m.user_id.clone()), m))
            .collect();
    let banned: HashSet<(GroupId, UserId)> = bans::Entity::find()
        .filter(bans::Column::GroupId.is_in(group_ids.iter().copied()))
        .filter(bans::Column::UserId.is_in(user_ids.iter().copied()))
        .filter(ban_in_force())
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.group_id, b.user_id))
        .collect();
    let admins = admins_among(db, user_ids).await?;
    Ok(pairs
        .iter()
        .filter_map(|pair| {
            let group = groups.get(&pair.0)?.clone();
            Some((
                pair.clone(),
                GroupAccess {
                    group,
                    membership: memberships.remove(pair),
                    banned: banned.contains(pair),
                    admin: admins.contains(&pair.1),
                },
            ))
        })
        .collect())
}

/// Which of these people are platform admins.
pub async fn admins_among(
    db: &impl ConnectionTrait,
    people: std::collections::HashSet<&UserId>,
) -> AppResult<std::collections::HashSet<UserId>> {
    use sea_orm::ColumnTrait as _;
    if people.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    Ok(users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::Id.is_in(people))
        .filter(users::Column::IsAdmin.eq(true))
        .into_tuple::<UserId>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// The people apart from `person` by a block, either way round.
pub async fn apart_from(
    db: &impl ConnectionTrait,
    person: &UserId,
) -> AppResult<std::collections::HashSet<UserId>> {
    use sea_orm::ColumnTrait as _;
    let rows = blocks::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(blocks::Column::BlockerId.eq(person))
                .add(blocks::Column::BlockedId.eq(person)),
        )
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|b| {
            if b.blocker_id == *person {
                b.blocked_id
            } else {
                b.blocker_id
            }
        })
        .collect())
}

/// Which of these pairs of people are apart by a block, either way round; each pair found is
/// given back as it was asked.
pub async fn blocked_pairs(
    db: &impl ConnectionTrait,
    pairs: &std::collections::HashSet<(UserId, UserId)>,
) -> AppResult<std::collections::HashSet<(UserId, UserId)>> {
    use sea_orm::ColumnTrait as _;
    use std::collections::HashSet;
    if pairs.is_empty() {
        return Ok(HashSet::new());
    }
    let people: HashSet<&UserId> = pairs.iter().flat_map(|(a, b)| [a, b]).collect();
    let apart: HashSet<(UserId, UserId)> = blocks::Entity::find()
        .filter(blocks::Column::BlockerId.is_in(people.iter().copied()))
        .filter(blocks::Column::BlockedId.is_in(people.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.blocker_id, b.blocked_id))
        .collect();
    Ok(pairs
        .iter()
        .filter(|(a, b)| {
            apart.contains(&(a.clone(), b.clone())) || apart.contains(&(b.clone(), a.clone()))
        })
        .cloned()
        .collect())
}

/// A condition on a person column: that person may read the content of `group` now (a public
/// group, or one they are an active member of, or they are a platform admin), as
/// `can_read_content` says for one caller. Follows are filtered by it when they are told.
pub fn reads_group(
    person: impl sea_orm::sea_query::IntoColumnRef + Clone,
    group: &GroupId,
) -> sea_orm::Condition {
    let public = Query::select()
        .expr(Expr::val(1))
        .from(groups::Entity)
        .and_where(Expr::col((groups::Entity, groups::Column::Id)).eq(group))
        .and_where(Expr::col((groups::Entity, groups::Column::Visibility)).eq(Visibility::Public))
        .to_owned();
    let members = Query::select()
        .column(memberships::Column::UserId)
        .from(memberships::Entity)
        .and_where(Expr::col(memberships::Column::GroupId).eq(group))
        .and_where(Expr::col(memberships::Column::State).eq(MemberState::Active))
        .to_owned();
    let admins = Query::select()
        .column(users::Column::Id)
        .from(users::Entity)
        .and_where(Expr::col(users::Column::IsAdmin).eq(true))
        .to_owned();
    sea_orm::Condition::any()
        .add(Expr::exists(public))
        .add(Expr::col(person.clone()).in_subquery(members))
        .add(Expr::col(person).in_subquery(admins))
}

/// A group where both I and `person` are active members, I am not banned and no block stands
/// between us (the one they joined first): where I may be shown them as that group shows them.
/// None for anyone I share no such group with. I am always shown myself, so this is only asked
/// of other people.
pub async fn group_we_share(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    person: &UserId,
) -> AppResult<Option<GroupId>> {
    use sea_orm::{ColumnTrait as _, QueryOrder as _};
    let mine = Query::select()
        .column(memberships::Column::GroupId)
        .from(memberships::Entity)
        .and_where(Expr::col(memberships::Column::UserId).eq(&viewer.user_id))
        .and_where(Expr::col(memberships::Column::State).eq(MemberState::Active))
        .to_owned();
    let banned = Query::select()
        .column(bans::Column::GroupId)
        .from(bans::Entity)
        .and_where(Expr::col(bans::Column::UserId).eq(&viewer.user_id))
        .and_where(ban_in_force())
        .to_owned();
    let theirs = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(person))
        .filter(memberships::Column::State.eq(MemberState::Active))
        .filter(memberships::Column::GroupId.in_subquery(mine))
        .filter(memberships::Column::GroupId.not_in_subquery(banned))
        .filter(not_blocked_with(
            (memberships::Entity, memberships::Column::UserId),
            &viewer.user_id,
        ))
        .order_by_asc(memberships::Column::JoinedAt)
        .order_by_asc(memberships::Column::GroupId)
        .one(db)
        .await?;
    Ok(theirs.map(|m| m.group_id))
}
