//! Per-request DataLoaders: one query per kind of thing on a page, however long the page.
use crate::community::vocabulary::{MemberState, PersonInGroup, Role, Standing};
use crate::content::{ContentType, ReactionKind};
use crate::error::AppError;
use crate::ids::{AnswerId, GroupId, QuestionId, UserId};
use crate::posts::reactions::ReactionTally;
use async_graphql::dataloader::{DataLoader, Loader};
use entity::{experts, groups, memberships, reactions, users};
use sea_orm::sea_query::ExprTrait as _;
use sea_orm::sea_query::{Condition, Expr, Query};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The loaders of one request that read the same for every caller.
pub struct Loaders {
    pub users: DataLoader<UserLoader>,
    pub people_in_groups: DataLoader<PersonInGroupLoader>,
    pub groups: DataLoader<GroupLoader>,
    pub experts: DataLoader<ExpertLoader>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Loaders {
            users: DataLoader::new(UserLoader(db.clone()), tokio::spawn),
            people_in_groups: DataLoader::new(PersonInGroupLoader(db.clone()), tokio::spawn),
            groups: DataLoader::new(GroupLoader(db.clone()), tokio::spawn),
            experts: DataLoader::new(ExpertLoader(db.clone()), tokio::spawn),
        }
    }
}

/// The loaders of one request or socket, made when a resolver first needs them: most live
/// sockets never do, and an idle socket should carry two pointers, not five loaders. Reactions
/// have their loader apart, made for the caller who asks (it also says which are theirs).
#[derive(Default)]
pub struct LazyLoaders {
    shared: std::sync::OnceLock<Box<Loaders>>,
    reactions: std::sync::OnceLock<Box<DataLoader<ReactionLoader>>>,
    my_marks: std::sync::OnceLock<Box<DataLoader<MyMarksLoader>>>,
    /// Hidden groups checked for this caller: whether they may see each.
    hidden_groups: std::sync::Mutex<HashMap<GroupId, bool>>,
}

impl LazyLoaders {
    /// The loaders that read the same whoever asks, made on first use.
    pub fn get(&self, db: &DatabaseConnection) -> &Loaders {
        self.shared.get_or_init(|| Box::new(Loaders::new(db)))
    }

    /// Whether this caller may see a hidden group, if already checked in this request.
    pub fn hidden_group_seen(&self, group_id: &GroupId) -> Option<bool> {
        let seen = self
            .hidden_groups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.get(group_id).copied()
    }

    pub fn remember_hidden_group(&self, group_id: &GroupId, visible: bool) {
        self.hidden_groups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(group_id.clone(), visible);
    }

    /// The loader of this caller's helpful marks and followed questions, made on first use.
    pub fn my_marks(&self, db: &DatabaseConnection, viewer: &UserId) -> &DataLoader<MyMarksLoader> {
        self.my_marks.get_or_init(|| {
            Box::new(DataLoader::new(
                MyMarksLoader(db.clone(), viewer.clone()),
                tokio::spawn,
            ))
        })
    }

    /// The loader of reactions as this caller sees them, made on first use.
    pub fn reactions(
        &self,
        db: &DatabaseConnection,
        viewer: Option<&UserId>,
    ) -> &DataLoader<ReactionLoader> {
        self.reactions.get_or_init(|| {
            Box::new(DataLoader::new(
                ReactionLoader(db.clone(), viewer.cloned()),
                tokio::spawn,
            ))
        })
    }
}

/// Loader errors are shared between the keys of a batch.
#[derive(Clone)]
pub struct LoadError(Arc<AppError>);

impl From<sea_orm::DbErr> for LoadError {
    fn from(err: sea_orm::DbErr) -> Self {
        LoadError(Arc::new(err.into()))
    }
}

impl From<LoadError> for AppError {
    fn from(err: LoadError) -> Self {
        match Arc::try_unwrap(err.0) {
            Ok(err) => err,
            Err(shared) => AppError::internal(anyhow::anyhow!("{}", shared.message())),
        }
    }
}

pub struct UserLoader(DatabaseConnection);

impl Loader<UserId> for UserLoader {
    type Value = users::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, users::Model>, LoadError> {
        let rows = users::Entity::find()
            .filter(users::Column::Id.is_in(keys))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|u| (u.id.clone(), u)).collect())
    }
}

/// A person's current expert standing (none once it ran out).
pub struct ExpertLoader(DatabaseConnection);

impl Loader<UserId> for ExpertLoader {
    type Value = experts::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, experts::Model>, LoadError> {
        crate::questions::experts::current(&self.0, keys)
            .await
            .map_err(|e| LoadError(Arc::new(e)))
    }
}

#[derive(FromQueryResult)]
struct PersonRow {
    id: UserId,
    display_name: String,
    group_id: Option<GroupId>,
    alias: Option<String>,
    role: Option<Role>,
}

/// (group id, user id) → that person as the group shows them: one statement for the authors of
/// a page, reading only the columns shown (never a whole user row).
pub struct PersonInGroupLoader(DatabaseConnection);

impl Loader<(GroupId, UserId)> for PersonInGroupLoader {
    type Value = PersonInGroup;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(GroupId, UserId)],
    ) -> Result<HashMap<(GroupId, UserId), PersonInGroup>, LoadError> {
        let people: HashSet<&UserId> = keys.iter().map(|(_, user)| user).collect();
        // The exact pairs: every author of a page in every group of it would be a cross product.
        let standing = Condition::all()
            .add(
                Expr::col((memberships::Entity, memberships::Column::UserId))
                    .equals((users::Entity, users::Column::Id)),
            )
            .add(
                Expr::col((memberships::Entity, memberships::Column::State))
                    .eq(MemberState::Active),
            )
            .add(
                Expr::tuple([
                    Expr::col((memberships::Entity, memberships::Column::GroupId)),
                    Expr::col((memberships::Entity, memberships::Column::UserId)),
                ])
                .in_tuples(
                    keys.iter()
                        .map(|(group, user)| (group.clone(), user.clone())),
                ),
            );
        let statement = Query::select()
            .column((users::Entity, users::Column::Id))
            .column((users::Entity, users::Column::DisplayName))
            .column((memberships::Entity, memberships::Column::GroupId))
            .column((memberships::Entity, memberships::Column::Alias))
            .column((memberships::Entity, memberships::Column::Role))
            .from(users::Entity)
            .left_join(memberships::Entity, standing)
            .and_where(Expr::col((users::Entity, users::Column::Id)).is_in(people))
            .to_owned();
        let rows = PersonRow::find_by_statement(self.0.get_database_backend().build(&statement))
            .all(&self.0)
            .await?;
        // A person's rows: one per group of the keys they are active in, or one without a group.
        let mut names: HashMap<UserId, String> = HashMap::new();
        let mut standings: HashMap<(GroupId, UserId), Standing> = HashMap::new();
        for row in rows {
            if let (Some(group), Some(role)) = (row.group_id, row.role) {
                let standing = Standing {
                    alias: row.alias,
                    role,
                };
                standings.insert((group, row.id.clone()), standing);
            }
            names.insert(row.id, row.display_name);
        }
        Ok(keys
            .iter()
            .filter_map(|key| {
                let display_name = names.get(&key.1)?.clone();
                let person = PersonInGroup {
                    id: key.1.clone(),
                    display_name,
                    standing: standings.get(key).cloned(),
                };
                Some((key.clone(), person))
            })
            .collect())
    }
}

pub struct GroupLoader(DatabaseConnection);

impl Loader<GroupId> for GroupLoader {
    type Value = groups::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[GroupId]) -> Result<HashMap<GroupId, groups::Model>, LoadError> {
        let rows = groups::Entity::find()
            .filter(groups::Column::Id.is_in(keys))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|g| (g.id.clone(), g)).collect())
    }
}

type TargetKey = (ContentType, String);

fn targets_of(keys: &[TargetKey]) -> (Vec<ContentType>, Vec<&str>) {
    let types = keys.iter().map(|(t, _)| *t).collect();
    let ids = keys.iter().map(|(_, id)| id.as_str()).collect();
    (types, ids)
}

/// The reactions on a page of posts and replies, counted by kind, with the caller's own marked:
/// one statement for both `reactionCounts` and `myReactions`.
pub struct ReactionLoader(DatabaseConnection, Option<UserId>);

impl Loader<TargetKey> for ReactionLoader {
    type Value = Vec<ReactionTally>;
    type Error = LoadError;

    async fn load(&self, keys: &[TargetKey]) -> Result<HashMap<TargetKey, Self::Value>, LoadError> {
        let (types, ids) = targets_of(keys);
        let mine = match &self.1 {
            Some(viewer) => Expr::case(reactions::Column::UserId.eq(viewer), 1).finally(0),
            None => Expr::case(Expr::val(false), 1).finally(0),
        };
        let rows: Vec<(ContentType, String, ReactionKind, i64, i32)> = reactions::Entity::find()
            .select_only()
            .column(reactions::Column::TargetType)
            .column(reactions::Column::TargetId)
            .column(reactions::Column::Kind)
            .column_as(Expr::col(reactions::Column::UserId).count(), "n")
            .column_as(Expr::expr(mine).max(), "mine")
            .filter(reactions::Column::TargetType.is_in(types))
            .filter(reactions::Column::TargetId.is_in(ids))
            .group_by(reactions::Column::TargetType)
            .group_by(reactions::Column::TargetId)
            .group_by(reactions::Column::Kind)
            .into_tuple()
            .all(&self.0)
            .await?;
        let mut tallies: HashMap<TargetKey, Self::Value> = HashMap::new();
        for (target, id, kind, count, mine) in rows {
            tallies
                .entry((target, id))
                .or_default()
                .push(ReactionTally {
                    kind,
                    count,
                    mine: mine == 1,
                });
        }
        Ok(tallies)
    }
}

/// The signed-in person's marks on a page of questions and answers: which answers they found
/// helpful, which questions they follow (present means yes).
pub struct MyMarksLoader(DatabaseConnection, UserId);

impl Loader<AnswerId> for MyMarksLoader {
    type Value = bool;
    type Error = LoadError;

    async fn load(&self, keys: &[AnswerId]) -> Result<HashMap<AnswerId, bool>, LoadError> {
        let marked = crate::questions::answers::marked_helpful(&self.0, &self.1, keys)
            .await
            .map_err(|e| LoadError(Arc::new(e)))?;
        Ok(marked.into_iter().map(|id| (id, true)).collect())
    }
}

impl Loader<QuestionId> for MyMarksLoader {
    type Value = bool;
    type Error = LoadError;

    async fn load(&self, keys: &[QuestionId]) -> Result<HashMap<QuestionId, bool>, LoadError> {
        let followed = crate::questions::service::followed(&self.0, &self.1, keys)
            .await
            .map_err(|e| LoadError(Arc::new(e)))?;
        Ok(followed.into_iter().map(|id| (id, true)).collect())
    }
}
