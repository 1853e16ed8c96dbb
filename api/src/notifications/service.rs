//! Who hears about what. Never the actor themself, never across a block, and only as each
//! membership's notification level asks.
use crate::broker::Announcements;
use crate::clock::now;
use crate::community::access::{not_blocked_with, reads_group};
use crate::community::vocabulary::{MemberState, NotificationLevel, Role};
use crate::db::count_change;
use crate::error::AppResult;
use crate::ids::{
    AnswerId, GroupId, MeetingId, NotificationId, PostId, QuestionId, ReplyId, UserId,
};
use crate::pagination::{keyset_page, Order, Page, PageArgs};
use entity::{
    answers, memberships, notifications, posts, push_jobs, push_preferences, question_follows,
    questions, replies, thread_follows, users,
};
use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

pub use entity::enums::NotificationKind;

/// A notification written (or a batched one updated) for someone, to announce after commit.
#[derive(Clone, Debug)]
pub struct Notified {
    pub user_id: UserId,
    pub notification_id: NotificationId,
}

/// What a notification is about.
#[derive(Clone, Debug, Default)]
pub struct About {
    pub group_id: Option<GroupId>,
    pub post_id: Option<PostId>,
    pub reply_id: Option<ReplyId>,
    pub question_id: Option<QuestionId>,
    pub answer_id: Option<AnswerId>,
    pub meeting_id: Option<MeetingId>,
    pub detail: Option<String>,
    /// The actor is not named: the author of an anonymous post or question.
    pub anonymous_actor: bool,
}

impl From<Vec<Notified>> for Announcements {
    fn from(notified: Vec<Notified>) -> Self {
        let mut announce = Announcements::default();
        for n in notified {
            announce.notification(n.user_id, n.notification_id);
        }
        announce
    }
}

/// The active members of a group at one of `levels` who also meet `among` (a condition on
/// `memberships.user_id`), other than the actor and not blocked either way with them: one
/// statement.
async fn audience(
    txn: &impl ConnectionTrait,
    group_id: &GroupId,
    actor_id: &UserId,
    among: Condition,
    levels: &[NotificationLevel],
) -> AppResult<Vec<UserId>> {
    Ok(memberships::Entity::find()
        .select_only()
        .column(memberships::Column::UserId)
        .filter(memberships::Column::GroupId.eq(group_id))
        .filter(memberships::Column::State.eq(MemberState::Active))
        .filter(memberships::Column::NotificationLevel.is_in(levels.iter().map(|l| l.as_str())))
        .filter(memberships::Column::UserId.ne(actor_id))
        .filter(among)
        .filter(not_blocked_with(
            (memberships::Entity, memberships::Column::UserId),
            actor_id,
        ))
        .into_tuple()
        .all(txn)
        .await?)
}

/// A reaction joins the unread entry about the same item: "3 people sent support".
async fn gather_reaction(
    txn: &impl ConnectionTrait,
    user_id: &UserId,
    actor_id: &UserId,
    about: &About,
) -> AppResult<Option<Notified>> {
    let kind = NotificationKind::Reaction;
    let unread = notifications::Entity::find()
        .filter(notifications::Column::UserId.eq(user_id))
        .filter(notifications::Column::Kind.eq(kind.as_str()))
        .filter(notifications::Column::ReadAt.is_null())
        .filter(match &about.reply_id {
            Some(reply) => notifications::Column::ReplyId.eq(reply),
            None => notifications::Column::ReplyId.is_null(),
        })
        .filter(notifications::Column::PostId.eq(about.post_id.clone()))
        .filter(notifications::Column::Detail.eq(about.detail.clone()))
        .one(txn)
        .await?;
    let Some(existing) = unread else {
        return Ok(None);
    };
    count_change::<notifications::Entity>(notifications::Column::Count, 1)
        .col_expr(notifications::Column::ActorId, Expr::value(actor_id))
        .col_expr(notifications::Column::UpdatedAt, Expr::value(now()))
        .filter(notifications::Column::Id.eq(&existing.id))
        .exec(txn)
        .await?;
    let notified = Notified {
        user_id: user_id.clone(),
        notification_id: existing.id,
    };
    queue_pushes(
        txn,
        &[(notified.clone(), NotificationKind::Reaction)],
        about,
    )
    .await?;
    Ok(Some(notified))
}

/// How long an unread notification of activity in a thread stands for the replies after it.
pub const THREAD_GATHERS_FOR: chrono::Duration = chrono::Duration::minutes(10);

/// Members without an unread notification of activity in the thread of `post_id`, written in
/// the last [`THREAD_GATHERS_FOR`]. That one already sends the person to the thread: a busy
/// thread adds no rows, no pushes and no lock on a row other replies update, and a reply after a
/// quiet spell is told (and pushed) again even when the last one was never marked read.
fn not_told_of_thread(post_id: &PostId) -> Condition {
    let told = Query::select()
        .expr(Expr::val(1))
        .from(notifications::Entity)
        .and_where(
            Expr::col((notifications::Entity, notifications::Column::UserId))
                .equals((memberships::Entity, memberships::Column::UserId)),
        )
        .and_where(notifications::Column::PostId.eq(post_id))
        .and_where(notifications::Column::Kind.is_in([
            NotificationKind::Reply.as_str(),
            NotificationKind::ThreadReply.as_str(),
        ]))
        .and_where(notifications::Column::ReadAt.is_null())
        .and_where(notifications::Column::CreatedAt.gt(now() - THREAD_GATHERS_FOR))
        .to_owned();
    Condition::all().add(Expr::exists(told).not())
}

/// A notification of `kind` for each of `users`, and their push jobs. A reaction joins an unread
/// one about the same item.
async fn write_all(
    txn: &impl ConnectionTrait,
    users: &[UserId],
    kind: NotificationKind,
    actor_id: &UserId,
    about: &About,
) -> AppResult<Vec<Notified>> {
    let mut notified = Vec::with_capacity(users.len());
    let mut fresh = Vec::with_capacity(users.len());
    for user in users {
        let joined = match kind {
            NotificationKind::Reaction => gather_reaction(txn, user, actor_id, about).await?,
            _ => None,
        };
        match joined {
            Some(joined) => notified.push(joined),
            None => fresh.push((user.clone(), kind)),
        }
    }
    notified.extend(write_fresh(txn, &fresh, actor_id, about).await?);
    Ok(notified)
}

/// New notifications, each person with its kind, and their push jobs: four statements for up to
/// a thousand people.
async fn write_fresh(
    txn: &impl ConnectionTrait,
    recipients: &[(UserId, NotificationKind)],
    actor_id: &UserId,
    about: &About,
) -> AppResult<Vec<Notified>> {
    if recipients.is_empty() {
        return Ok(Vec::new());
    }
    let at = now();
    let mut rows = Vec::with_capacity(recipients.len());
    let mut written = Vec::with_capacity(recipients.len());
    for (user_id, kind) in recipients {
        let id = NotificationId::generate();
        rows.push(notifications::ActiveModel {
            id: Set(id.clone()),
            user_id: Set(user_id.clone()),
            kind: Set(*kind),
            group_id: Set(about.group_id.clone()),
            post_id: Set(about.post_id.clone()),
            reply_id: Set(about.reply_id.clone()),
            actor_id: Set((!about.anonymous_actor).then(|| actor_id.clone())),
            question_id: Set(about.question_id.clone()),
            answer_id: Set(about.answer_id.clone()),
            meeting_id: Set(about.meeting_id.clone()),
            detail: Set(about.detail.clone()),
            count: Set(1),
            read_at: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
        });
        written.push((
            Notified {
                user_id: user_id.clone(),
                notification_id: id,
            },
            *kind,
        ));
    }
    insert_in_chunks(txn, rows).await?;
    queue_pushes(txn, &written, about).await?;
    Ok(written.into_iter().map(|(notified, _)| notified).collect())
}

/// Durable push jobs, in the same transaction, for those who want their kind pushed.
async fn queue_pushes(
    txn: &impl ConnectionTrait,
    notified: &[(Notified, NotificationKind)],
    about: &About,
) -> AppResult<()> {
    if notified.is_empty() {
        return Ok(());
    }
    let prefs = push_preferences::Entity::find()
        .filter(push_preferences::Column::UserId.is_in(notified.iter().map(|(n, _)| &n.user_id)))
        .all(txn)
        .await?;
    let unwanted = |user_id: &UserId, kind: NotificationKind| {
        prefs.iter().any(|p| {
            p.user_id == *user_id
                && (!p.push_enabled || p.disabled_kinds.split(',').any(|k| k == kind.as_str()))
        })
    };
    let collapse_key = about
        .meeting_id
        .as_ref()
        .map(MeetingId::to_string)
        .or_else(|| about.post_id.as_ref().map(PostId::to_string))
        .or_else(|| about.question_id.as_ref().map(QuestionId::to_string))
        .or_else(|| about.group_id.as_ref().map(GroupId::to_string));
    let at = now();
    let jobs: Vec<push_jobs::ActiveModel> = notified
        .iter()
        .filter(|(n, kind)| !unwanted(&n.user_id, *kind))
        .map(|(n, kind)| {
            push_jobs::ActiveModel::pending(
                n.user_id.clone(),
                *kind,
                Some(n.notification_id.clone()),
                collapse_key.clone(),
                at,
            )
        })
        .collect();
    insert_in_chunks(txn, jobs).await
}

/// Rows in one statement: 15 columns each stays far below the bind parameters either backend
/// takes in a statement (PostgreSQL 65 535, SQLite 32 766), for a group of any size.
const ROWS_PER_INSERT: usize = 1_000;

async fn insert_in_chunks<A>(txn: &impl ConnectionTrait, rows: Vec<A>) -> AppResult<()>
where
    A: sea_orm::ActiveModelTrait + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        A::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

const WANTS_REPLIES: [NotificationLevel; 2] = [NotificationLevel::Replies, NotificationLevel::All];

/// A reply: the post's author (REPLY) and everyone else who replied in the thread (THREAD_REPLY).
pub async fn notify_reply(
    txn: &impl ConnectionTrait,
    post: &posts::Model,
    reply: &replies::Model,
) -> AppResult<Vec<Notified>> {
    let about = About {
        group_id: Some(post.group_id.clone()),
        post_id: Some(post.id.clone()),
        reply_id: Some(reply.id.clone()),
        anonymous_actor: reply.anonymous,
        ..Default::default()
    };
    let followers = Query::select()
        .column(thread_follows::Column::UserId)
        .from(thread_follows::Entity)
        .and_where(thread_follows::Column::PostId.eq(&post.id))
        .to_owned();
    let thread = Condition::any()
        .add(memberships::Column::UserId.eq(&post.author_id))
        .add(memberships::Column::UserId.in_subquery(followers));
    let hearing = audience(
        txn,
        &post.group_id,
        &reply.author_id,
        Condition::all()
            .add(thread)
            .add(not_told_of_thread(&post.id)),
        &WANTS_REPLIES,
    )
    .await?;
    let recipients: Vec<(UserId, NotificationKind)> = hearing
        .into_iter()
        .map(|user| {
            let kind = if user == post.author_id {
                NotificationKind::Reply
            } else {
                NotificationKind::ThreadReply
            };
            (user, kind)
        })
        .collect();
    write_fresh(txn, &recipients, &reply.author_id, &about).await
}

/// A new post: the members who asked for everything.
pub async fn notify_new_post(
    txn: &impl ConnectionTrait,
    post: &posts::Model,
) -> AppResult<Vec<Notified>> {
    let about = About {
        group_id: Some(post.group_id.clone()),
        post_id: Some(post.id.clone()),
        anonymous_actor: post.anonymous,
        ..Default::default()
    };
    let everyone = audience(
        txn,
        &post.group_id,
        &post.author_id,
        Condition::all(),
        &[NotificationLevel::All],
    )
    .await?;
    write_all(
        txn,
        &everyone,
        NotificationKind::NewPost,
        &post.author_id,
        &about,
    )
    .await
}

/// A reaction, to the author of what was reacted to; batched while unread.
pub async fn notify_reaction(
    txn: &impl ConnectionTrait,
    author_id: &UserId,
    actor_id: &UserId,
    about: About,
) -> AppResult<Vec<Notified>> {
    let Some(group_id) = about.group_id.clone() else {
        return Ok(Vec::new());
    };
    let author = audience(
        txn,
        &group_id,
        actor_id,
        Condition::all().add(memberships::Column::UserId.eq(author_id)),
        &WANTS_REPLIES,
    )
    .await?;
    write_all(txn, &author, NotificationKind::Reaction, actor_id, &about).await
}

/// The group's owner and moderators, but for `except`.
async fn moderators_of(
    txn: &impl ConnectionTrait,
    group_id: &GroupId,
    except: &UserId,
) -> AppResult<Vec<UserId>> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::GroupId.eq(group_id))
        .filter(memberships::Column::State.eq(MemberState::Active))
        .filter(memberships::Column::Role.is_in([Role::Owner.as_str(), Role::Moderator.as_str()]))
        .all(txn)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .filter(|id| id != except)
        .collect())
}

/// A post or reply that reads like a crisis, to the group's moderators (not its author): the
/// priority queue is only as good as someone looking at it. When nobody else moderates the group
/// (its only moderator wrote it), the platform's admins are told instead.
pub async fn notify_crisis_flag(
    txn: &impl ConnectionTrait,
    group_id: Option<&GroupId>,
    author_id: &UserId,
    about: About,
) -> AppResult<Vec<Notified>> {
    let mut told = match group_id {
        Some(group_id) => moderators_of(txn, group_id, author_id).await?,
        None => Vec::new(),
    };
    if told.is_empty() {
        told = users::Entity::find()
            .filter(users::Column::IsAdmin.eq(true))
            .filter(users::Column::Id.ne(author_id))
            .all(txn)
            .await?
            .into_iter()
            .map(|admin| admin.id)
            .collect();
    }
    write_all(txn, &told, NotificationKind::CrisisFlag, author_id, &about).await
}

/// A join request, to the group's owner and moderators.
pub async fn notify_join_request(
    txn: &impl ConnectionTrait,
    group_id: &GroupId,
    requester: &UserId,
) -> AppResult<Vec<Notified>> {
    let moderators = moderators_of(txn, group_id, requester).await?;
    let about = About {
        group_id: Some(group_id.clone()),
        ..Default::default()
    };
    write_all(
        txn,
        &moderators,
        NotificationKind::JoinRequest,
        requester,
        &about,
    )
    .await
}

/// A new answer: the question's followers hear of it (ANSWER), but the asker hears that an
/// expert answered (EXPERT_ANSWER) when the answerer's standing is current. Never the answerer,
/// never across a block.
pub async fn notify_answer(
    txn: &impl ConnectionTrait,
    question: &questions::Model,
    answer: &answers::Model,
    by_expert: bool,
) -> AppResult<Vec<Notified>> {
    let about = About {
        group_id: question.group_id.clone(),
        question_id: Some(question.id.clone()),
        answer_id: Some(answer.id.clone()),
        anonymous_actor: answer.anonymous,
        ..Default::default()
    };
    let follower = (question_follows::Entity, question_follows::Column::UserId);
    let mut follows = question_follows::Entity::find()
        .filter(question_follows::Column::QuestionId.eq(&question.id))
        .filter(question_follows::Column::UserId.ne(&answer.author_id))
        .filter(not_blocked_with(follower, &answer.author_id));
    // A follow counts only while the follower may read the question: leaving the group, a ban,
    // or the group turning private or hidden ends it, whenever they followed.
    if let Some(group) = &question.group_id {
        follows = follows.filter(reads_group(follower, group));
    }
    let followers: Vec<UserId> = follows
        .all(txn)
        .await?
        .into_iter()
        .map(|f| f.user_id)
        .collect();
    let (asker, others): (Vec<UserId>, Vec<UserId>) = followers
        .into_iter()
        .partition(|user| by_expert && *user == question.author_id);
    let mut notified = Vec::new();
    for (kind, users) in [
        (NotificationKind::ExpertAnswer, asker),
        (NotificationKind::Answer, others),
    ] {
        notified.extend(write_all(txn, &users, kind, &answer.author_id, &about).await?);
    }
    Ok(notified)
}

/// The asker accepted an answer: its author hears of it, never who an anonymous asker is.
pub async fn notify_answer_accepted(
    txn: &impl ConnectionTrait,
    question: &questions::Model,
    answer: &answers::Model,
) -> AppResult<Vec<Notified>> {
    let about = About {
        group_id: question.group_id.clone(),
        question_id: Some(question.id.clone()),
        answer_id: Some(answer.id.clone()),
        anonymous_actor: question.anonymous,
        ..Default::default()
    };
    let kind = NotificationKind::AnswerAccepted;
    notify_person(txn, &answer.author_id, kind, &question.author_id, about).await
}

/// The asker's one reminder that answers wait to be accepted.
pub async fn notify_question_reminder(
    txn: &impl ConnectionTrait,
    question: &questions::Model,
) -> AppResult<Vec<Notified>> {
    let about = About {
        group_id: question.group_id.clone(),
        question_id: Some(question.id.clone()),
        anonymous_actor: true,
        ..Default::default()
    };
    let (asker, kind) = (&question.author_id, NotificationKind::QuestionReminder);
    write_all(txn, std::slice::from_ref(asker), kind, asker, &about).await
}

/// Something that happened to one person: their request approved, their post removed, a ban.
pub async fn notify_person(
    txn: &impl ConnectionTrait,
    user_id: &UserId,
    kind: NotificationKind,
    actor_id: &UserId,
    about: About,
) -> AppResult<Vec<Notified>> {
    if user_id == actor_id {
        return Ok(Vec::new());
    }
    write_all(txn, std::slice::from_ref(user_id), kind, actor_id, &about).await
}

/// Something about a meeting, told to each of `users` (a cancellation to those who were coming,
/// a reminder, with its lead as `detail`). Nobody is named as its actor.
pub async fn notify_meeting(
    txn: &impl ConnectionTrait,
    users: &[UserId],
    kind: NotificationKind,
    group_id: &GroupId,
    meeting_id: &MeetingId,
    detail: Option<&str>,
) -> AppResult<Vec<Notified>> {
    let about = About {
        group_id: Some(group_id.clone()),
        meeting_id: Some(meeting_id.clone()),
        detail: detail.map(str::to_owned),
        anonymous_actor: true,
        ..Default::default()
    };
    let recipients: Vec<(UserId, NotificationKind)> =
        users.iter().map(|u| (u.clone(), kind)).collect();
    let mut notified = Vec::with_capacity(users.len());
    for chunk in recipients.chunks(1000) {
        let actor = &chunk[0].0;
        notified.extend(write_fresh(txn, chunk, actor, &about).await?);
    }
    Ok(notified)
}

pub async fn list(
    db: &DatabaseConnection,
    user_id: &UserId,
    unread_only: bool,
    page: &PageArgs,
) -> AppResult<Page<notifications::Model>> {
    let mut query = notifications::Entity::find().filter(notifications::Column::UserId.eq(user_id));
    if unread_only {
        query = query.filter(notifications::Column::ReadAt.is_null());
    }
    keyset_page(
        db,
        query,
        notifications::Column::UpdatedAt,
        notifications::Column::Id,
        Order::NewestFirst,
        page,
    )
    .await
}

pub async fn find(
    db: &DatabaseConnection,
    user_id: &UserId,
    id: &NotificationId,
) -> AppResult<Option<notifications::Model>> {
    Ok(notifications::Entity::find_by_id(id.clone())
        .one(db)
        .await?
        .filter(|n| n.user_id == *user_id))
}

/// Those of `ids` that are mine, as they are now.
pub async fn mine_among(
    db: &DatabaseConnection,
    user_id: &UserId,
    ids: &[NotificationId],
) -> AppResult<Vec<notifications::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(notifications::Entity::find()
        .filter(notifications::Column::UserId.eq(user_id))
        .filter(notifications::Column::Id.is_in(ids))
        .order_by_desc(notifications::Column::Id)
        .all(db)
        .await?)
}

pub async fn unread_count(db: &DatabaseConnection, user_id: &UserId) -> AppResult<u64> {
    Ok(notifications::Entity::find()
        .filter(notifications::Column::UserId.eq(user_id))
        .filter(notifications::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// Marks some (or all) of my notifications read; returns how many changed.
pub async fn mark_read(
    db: &DatabaseConnection,
    user_id: &UserId,
    ids: &[NotificationId],
    all: bool,
) -> AppResult<u64> {
    let mut update = notifications::Entity::update_many()
        .col_expr(notifications::Column::ReadAt, Expr::value(now()))
        .filter(notifications::Column::UserId.eq(user_id))
        .filter(notifications::Column::ReadAt.is_null());
    if !all {
        if ids.is_empty() {
            return Ok(0);
        }
        update = update.filter(notifications::Column::Id.is_in(ids));
    }
    Ok(update.exec(db).await?.rows_affected)
}
