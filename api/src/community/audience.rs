//! Who may see one live post or reply, worked out once per event on each instance and shared by
//! every socket following its channel: a post to a group followed by ten thousand sockets costs a
//! handful of queries, not ten thousand standings looked up one by one. The rules are those of
//! [`GroupAccess`], read from the same rows.
use crate::community::access::GroupAccess;
use crate::community::vocabulary::Visibility;
use crate::error::AppResult;
use crate::ids::{GroupId, PostId, ReplyId, UserId};
use chrono::Utc;
use entity::{bans, blocks, groups, memberships, posts, replies, users};
use futures::future::{BoxFuture, FutureExt, Shared};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

/// The standings in one group, and who is blocked with the authors of one piece of content.
pub struct Audience {
    group: Arc<groups::Model>,
    members: HashMap<UserId, memberships::Model>,
    banned: HashSet<UserId>,
    admins: HashSet<UserId>,
    blocked: HashSet<UserId>,
}

impl Audience {
    async fn of(
        db: &impl ConnectionTrait,
        group_id: &GroupId,
        authors: &[&UserId],
    ) -> AppResult<Option<Self>> {
        let Some(group) = groups::Entity::find_by_id(group_id.clone()).one(db).await? else {
            return Ok(None);
        };
        // In a public group anyone signed in reads; standing matters only elsewhere.
        let public = group.visibility == Visibility::Public;
        let members = if public {
            HashMap::new()
        } else {
            memberships::Entity::find()
                .filter(memberships::Column::GroupId.eq(group_id))
                .all(db)
                .await?
                .into_iter()
                .map(|m| (m.user_id.clone(), m))
                .collect()
        };
        let now = Utc::now();
        let banned = bans::Entity::find()
            .filter(bans::Column::GroupId.eq(group_id))
            .all(db)
            .await?
            .into_iter()
            .filter(|b| b.until.is_none_or(|until| until > now))
            .map(|b| b.user_id)
            .collect();
        // Platform admins matter only where membership would otherwise be needed.
        let admins = if public {
            HashSet::new()
        } else {
            users::Entity::find()
                .select_only()
                .column(users::Column::Id)
                .filter(users::Column::IsAdmin.eq(true))
                .into_tuple::<UserId>()
                .all(db)
                .await?
                .into_iter()
                .collect()
        };
        let blocked = blocks::Entity::find()
            .filter(
                Condition::any()
                    .add(blocks::Column::BlockerId.is_in(authors.iter().copied()))
                    .add(blocks::Column::BlockedId.is_in(authors.iter().copied())),
            )
            .all(db)
            .await?
            .into_iter()
            .flat_map(|b| [b.blocker_id, b.blocked_id])
            .filter(|id| !authors.contains(&id))
            .collect();
        Ok(Some(Audience {
            group: group.into(),
            members,
            banned,
            admins,
            blocked,
        }))
    }

    /// Whether this person may see the content now: they can read the group, are not banned
    /// from it, and neither they nor an author blocked the other.
    pub fn admits(&self, me: &UserId) -> bool {
        if self.blocked.contains(me) {
            return false;
        }
        let access = GroupAccess {
            group: self.group.clone(),
            membership: self.members.get(me).cloned(),
            banned: self.banned.contains(me),
            admin: self.admins.contains(me),
        };
        access.can_see_group() && access.can_read_content() && !access.banned
    }
}

/// A new post, who may see it, and its renderings for the sockets that follow it.
pub struct LivePost {
    pub post: posts::Model,
    pub audience: Audience,
    pub renders: Renders,
}

impl LivePost {
    pub async fn load(db: &impl ConnectionTrait, post_id: &PostId) -> AppResult<Option<Self>> {
        let Some(post) = posts::Entity::find_by_id(post_id.to_owned())
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        // An anonymous post's author is nobody a block could hide it for.
        let authors: &[&UserId] = if post.anonymous {
            &[]
        } else {
            &[&post.author_id]
        };
        let audience = Audience::of(db, &post.group_id, authors).await?;
        Ok(audience.map(|audience| LivePost {
            post,
            audience,
            renders: Renders::default(),
        }))
    }
}

/// A new reply and who may see it (readers of its post, blocked with neither author), and its
/// renderings for the sockets that follow it.
pub struct LiveReply {
    pub reply: replies::Model,
    pub audience: Audience,
    pub renders: Renders,
}

impl LiveReply {
    pub async fn load(db: &impl ConnectionTrait, reply_id: &ReplyId) -> AppResult<Option<Self>> {
        let Some(reply) = replies::Entity::find_by_id(reply_id.to_owned())
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let Some(post) = posts::Entity::find_by_id(reply.post_id.clone())
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        // Those blocked with the post's author do not see its thread, nor those blocked with the
        // replier the reply, unless it is anonymous.
        let mut authors = Vec::with_capacity(2);
        if !reply.anonymous {
            authors.push(&reply.author_id);
        }
        if !post.anonymous {
            authors.push(&post.author_id);
        }
        let audience = Audience::of(db, &post.group_id, &authors).await?;
        Ok(audience.map(|audience| LiveReply {
            reply,
            audience,
            renders: Renders::default(),
        }))
    }
}

/// The renderings of one event, by selection. A rendering that read who was asking, or that
/// failed, is kept only for the socket that made it; everyone else renders their own, which is
/// not kept. At most [`MAX_SHARED_SELECTIONS`] are kept per event: an event stays buffered in
/// its channel until its slowest subscriber has read it, and its renderings stay with it.
#[derive(Default)]
pub struct Renders(Mutex<HashMap<[u8; 32], Rendering>>);

const MAX_SHARED_SELECTIONS: usize = 16;

/// A rendering in progress or done. Whichever socket is polled drives it, so a socket that
/// stalls after starting one holds up nobody else.
pub(crate) type Rendering = Shared<BoxFuture<'static, Arc<Rendered>>>;

pub(crate) struct Rendered {
    /// `None` when the resolver had nothing to hand out.
    pub(crate) payload: Option<Arc<str>>,
    /// Made for this viewer alone (it read who was asking, or failed): nobody else gets it.
    pub(crate) personal_to: Option<UserId>,
}

impl Renders {
    /// The shared rendering of this selection, started by `render` if it is the first; `None`
    /// when this event already keeps as many as it may.
    pub(crate) fn start<F, Fut>(&self, key: [u8; 32], render: F) -> Option<Rendering>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Arc<Rendered>> + Send + 'static,
    {
        let mut renderings = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(started) = renderings.get(&key) {
            return Some(started.clone());
        }
        if renderings.len() >= MAX_SHARED_SELECTIONS {
            return None;
        }
        let started = render().boxed().shared();
        renderings.insert(key, started.clone());
        Some(started)
    }
}
