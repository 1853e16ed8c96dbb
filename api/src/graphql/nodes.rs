//! Global object identification (Relay's `Node`): every object the apps keep in a normalized
//! cache has an `id`, and `node(id)` / `nodes(ids)` give it back from the id alone, under the
//! rules of the typed field that reads it (`post(id)`, `group(id)`, `question(id)`…). What the
//! typed field hides, `node` hides too, the same way: null, never an error that tells the thing
//! exists.
use crate::community::access::group_we_share;
use crate::community::identify::{kinds_of, Kind, MOST_AT_ONCE};
use crate::error::{AppError, AppResult, Optional as _};
use crate::graphql::context::ContextExt as _;
use crate::graphql::meetings::{MeetingObject, MeetingSeriesObject};
use crate::graphql::moods::{owner_of, MoodCheckinObject};
use crate::graphql::{
    AnswerObject, GroupObject, NotificationObject, PostObject, QuestionObject, ReplyObject,
    UserObject,
};
use crate::ids::{
    AnswerId, CheckinId, GroupId, MeetingId, MeetingSeriesId, NotificationId, PostId, QuestionId,
    ReplyId, UserId,
};
use async_graphql::{Context, Interface, Object, Result, ID};
use std::sync::Arc;

/// An object with an id that names it across the whole API: give the id to `node` (or many
/// to `nodes`) to read it again. Ids are UUIDs, unique across types.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "Names this object across the whole API."
))]
pub enum Node {
    User(UserObject),
    Group(GroupObject),
    Post(PostObject),
    Reply(ReplyObject),
    Question(QuestionObject),
    Answer(AnswerObject),
    Notification(NotificationObject),
    MoodCheckin(MoodCheckinObject),
    Meeting(MeetingObject),
    MeetingSeries(MeetingSeriesObject),
}

/// What a deletion answers: the id of what is gone, for an app to evict it from its
/// normalized cache (`cache.evict`, Relay's `@deleteRecord`).
#[derive(async_graphql::SimpleObject)]
pub struct Deletion {
    /// The id of what was deleted.
    pub deleted_id: ID,
}

impl Deletion {
    pub fn of(id: impl std::fmt::Display) -> Self {
        Deletion {
            deleted_id: ID::from(id),
        }
    }
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object this id names, if I may see it, under the rules of the typed field that
    /// reads it; null when it does not exist or is not for me to see.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of any object that implements `Node`.")] id: ID,
    ) -> Result<Option<Node>> {
        // Signed out is told before anything is looked up, so it learns nothing of the id.
        ctx.viewer()?;
        let id = id.0;
        let kinds = kinds_of(&ctx.app()?.db, std::slice::from_ref(&id)).await?;
        match kinds.get(&id) {
            Some(kind) => Ok(shown(ctx, *kind, id).await?),
            None => Ok(None),
        }
    }

    /// The objects these ids name, in the order asked, each null where `node` would be null.
    /// At most 100 ids at once.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Ids of objects that implement `Node`, at most 100.")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        ctx.viewer()?;
        if ids.len() > MOST_AT_ONCE {
            return Err(
                AppError::bad_input("ids", format!("at most {MOST_AT_ONCE} at once")).into(),
            );
        }
        let ids: Vec<String> = ids.into_iter().map(|id| id.0).collect();
        let kinds = kinds_of(&ctx.app()?.db, &ids).await?;
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            found.push(match kinds.get(&id) {
                Some(kind) => shown(ctx, *kind, id).await?,
                None => None,
            });
        }
        Ok(found)
    }
}

/// A row of this kind as the typed field shows it to the caller; None where it would say
/// `NOT_FOUND`.
async fn shown(ctx: &Context<'_>, kind: Kind, id: String) -> AppResult<Option<Node>> {
    Ok(read(ctx, kind, id).await.optional()?.flatten())
}

async fn read(ctx: &Context<'_>, kind: Kind, id: String) -> AppResult<Option<Node>> {
    let (app, viewer) = (ctx.app()?, ctx.viewer()?);
    let db = &app.db;
    Ok(Some(match kind {
        Kind::Person => return person(ctx, &UserId::from(id)).await,
        Kind::Group => {
            let access = ctx
                .cached()?
                .group_access(db, viewer, &GroupId::from(id))
                .await?;
            Node::Group(GroupObject::with_access(access))
        }
        Kind::Post => {
            let (post, _) =
                crate::posts::service::visible_post(db, viewer, &PostId::from(id)).await?;
            Node::Post(PostObject::from(post))
        }
        Kind::Reply => {
            let (reply, _, _) =
                crate::posts::replies::visible_reply(db, viewer, &ReplyId::from(id)).await?;
            Node::Reply(ReplyObject(reply))
        }
        Kind::Question => {
            let question =
                crate::questions::service::visible_question(db, viewer, &QuestionId::from(id))
                    .await?;
            Node::Question(QuestionObject(question))
        }
        Kind::Answer => {
            let (answer, question) =
                crate::questions::answers::visible_answer(db, viewer, &AnswerId::from(id)).await?;
            Node::Answer(AnswerObject::of(answer, &question))
        }
        Kind::Notification => {
            let id = NotificationId::from(id);
            match crate::notifications::service::find(db, &viewer.user_id, &id).await? {
                Some(row) => Node::Notification(NotificationObject(row)),
                None => return Ok(None),
            }
        }
        Kind::MoodCheckin => {
            let row =
                crate::moods::service::read_mine(db, &app.vault, viewer, &CheckinId::from(id))
                    .await?;
            let owner = owner_of(app, &viewer.user_id).await?;
            Node::MoodCheckin(MoodCheckinObject { row, tz: owner.tz })
        }
        Kind::Meeting => {
            let (row, _) =
                crate::meetings::access::meeting_for(db, viewer, &MeetingId::from(id)).await?;
            Node::Meeting(MeetingObject::one(ctx, row).await?)
        }
        Kind::MeetingSeries => {
            let (row, _) =
                crate::meetings::access::series_for(db, viewer, &MeetingSeriesId::from(id)).await?;
            Node::MeetingSeries(MeetingSeriesObject(Arc::new(row)))
        }
    }))
}

/// A person: myself by my pseudonym; anyone else only as a group we share shows them (their
/// alias and role there), and nobody I share no group with or am apart from by a block. There
/// is no typed field that reads a person alone, so this is the rule of the fields that show
/// people: a group's members and its authors.
async fn person(ctx: &Context<'_>, id: &UserId) -> AppResult<Option<Node>> {
    let (app, viewer) = (ctx.app()?, ctx.viewer()?);
    if *id == viewer.user_id {
        let me = crate::accounts::service::find_user(&app.db, id).await?;
        return Ok(Some(Node::User(UserObject::new(&me, None))));
    }
    let Some(group) = group_we_share(&app.db, viewer, id).await? else {
        return Ok(None);
    };
    Ok(UserObject::in_group(ctx, id, &group).await?.map(Node::User))
}
