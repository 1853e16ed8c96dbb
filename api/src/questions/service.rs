//! Questions: asked platform-wide (anyone signed in reads them) or inside a group (read as that
//! group's posts are). An anonymous question never names its author to anyone else.
use super::crisis;
use super::experts::is_current_expert;
use crate::auth::Viewer;
use crate::broker::Committed;
use crate::clock::now;
use crate::community::access::{
    found_with_block, group_access, in_readable_group, not_blocked_with,
};
use crate::community::tags::parse_tags;
use crate::community::vocabulary::Topic;
use crate::config::PostingLimits;
use crate::content::idempotency_key;
use crate::db::{begin_write, find_keyed, insert_keyed, Keyed};
use crate::error::{text_between, AppError, AppResult};
use crate::ids::{GroupId, QuestionId, UserId};
use crate::pagination::{keyset_page, Order as ListOrder, Page, PageArgs};
use crate::rate_limit::RateLimiter;
use crate::search::{Indexed, Mode, Search};
use entity::{answers, question_follows, questions};
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait as _, JoinType, Query, SelectStatement, SimpleExpr,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
    Set,
};

pub struct NewQuestion {
    pub title: String,
    pub body: String,
    pub topic: Topic,
    pub tags: Vec<String>,
    pub anonymous: bool,
    pub content_warning: Option<String>,
    pub group_id: Option<GroupId>,
    pub idempotency_key: Option<String>,
}

/// What an edit changes; `None` leaves a field as it is.
#[derive(Default)]
pub struct QuestionChanges {
    pub title: Option<String>,
    pub body: Option<String>,
    pub topic: Option<Topic>,
    pub tags: Option<Vec<String>>,
    pub content_warning: Option<Option<String>>,
}

/// How `questions` is ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
#[graphql(name = "QuestionSort")]
pub enum QuestionSort {
    /// Newest asked first.
    Newest,
    /// Latest answered (or asked) first.
    Active,
    /// Questions nobody has answered yet, the longest waiting first.
    Unanswered,
}

/// Which questions `questions` lists.
#[derive(Default)]
pub struct QuestionFilter {
    pub topic: Option<Topic>,
    pub tag: Option<String>,
    pub unanswered: bool,
    pub expert_answered: bool,
    pub group_id: Option<GroupId>,
    /// Every word in the title or body.
    pub search: Option<Search>,
}

pub(super) fn title(raw: &str) -> AppResult<String> {
    crate::text::title_between("title", raw, 5, 200)
}

pub(super) fn body(raw: &str) -> AppResult<String> {
    text_between("body", raw, 0, 10_000)
}

fn content_warning(raw: Option<&str>) -> AppResult<Option<String>> {
    Ok(raw
        .map(|w| text_between("contentWarning", w, 0, 200))
        .transpose()?
        .filter(|w| !w.is_empty()))
}

/// Listed: neither deleted by its author nor removed by a moderator.
pub fn is_listed(question: &questions::Model) -> bool {
    question.deleted_at.is_none() && question.removed_at.is_none()
}

/// A listed question the caller may read; `NOT_FOUND` otherwise.
pub async fn visible_question(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: &QuestionId,
) -> AppResult<questions::Model> {
    let (question, blocked) = found_with_block(
        db,
        questions::Entity::find_by_id(id.clone()),
        questions::Column::AuthorId,
        viewer,
    )
    .await?;
    if !is_listed(&question) {
        return Err(AppError::NotFound);
    }
    if let Some(group_id) = &question.group_id {
        if !group_access(db, viewer, group_id).await?.can_read_content() {
            return Err(AppError::NotFound);
        }
    }
    // Blocks hide people both ways; an anonymous question names nobody, so it hides nobody.
    if !question.anonymous && blocked {
        return Err(AppError::NotFound);
    }
    Ok(question)
}

/// The caller's own listed question, for the asker's actions.
async fn my_question(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: &QuestionId,
) -> AppResult<questions::Model> {
    let question = visible_question(db, viewer, id).await?;
    if question.author_id != viewer.user_id {
        return Err(AppError::Forbidden);
    }
    Ok(question)
}

async fn earlier_question(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    key: Option<&str>,
) -> AppResult<Option<questions::Model>> {
    let columns = (
        questions::Column::AuthorId,
        questions::Column::IdempotencyKey,
    );
    find_keyed::<questions::Entity>(db, columns, &viewer.user_id, key).await
}

pub async fn ask(
    db: &DatabaseConnection,
    limiter: &RateLimiter,
    limits: PostingLimits,
    viewer: &Viewer,
    input: NewQuestion,
) -> AppResult<Committed<questions::Model>> {
    let title = title(&input.title)?;
    let body = body(&input.body)?;
    let tags = parse_tags(&input.tags)?;
    let warning = content_warning(input.content_warning.as_deref())?;
    let key = idempotency_key(input.idempotency_key.as_deref())?;
    if let Some(existing) = earlier_question(db, viewer, key.as_deref()).await? {
        return Ok(Committed::quiet(existing));
    }
    if let Some(group_id) = &input.group_id {
        group_access(db, viewer, group_id)
            .await?
            .require_participant()?;
    }
    limiter
        .hourly("questions", &viewer.user_id, limits.questions_per_hour)
        .await?;

    let at = now();
    let txn = begin_write(db).await?;
    let row = questions::ActiveModel {
        id: Set(QuestionId::generate()),
        author_id: Set(viewer.user_id.clone()),
        group_id: Set(input.group_id),
        title: Set(title),
        body: Set(body),
        topic: Set(input.topic),
        tags: Set(tags),
        anonymous: Set(input.anonymous),
        content_warning: Set(warning),
        idempotency_key: Set(key.clone()),
        answer_count: Set(0),
        accepted_answer_id: Set(None),
        locked: Set(false),
        edited_at: Set(None),
        deleted_at: Set(None),
        removed_at: Set(None),
        removed_reason: Set(None),
        last_activity_at: Set(at),
        created_at: Set(at),
        reminded_at: Set(None),
    };
    let (question, txn) =
        match insert_keyed(txn, row, || earlier_question(db, viewer, key.as_deref())).await? {
            Keyed::Fresh(question, txn) => (question, txn),
            Keyed::Earlier(question) => return Ok(Committed::quiet(question)),
        };
    // The asker hears of every answer.
    follow_in(&txn, &question.id, &viewer.user_id).await?;
    let notified = crisis::flag_crisis(&txn, &question, None, false).await?;
    txn.commit().await?;
    Ok(Committed::new(question, notified.into()))
}

pub async fn edit(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &QuestionId,
    changes: QuestionChanges,
) -> AppResult<Committed<questions::Model>> {
    let txn = begin_write(db).await?;
    let question = my_question(&txn, viewer, id).await?;
    let was_crisis = crisis::question_reads_like_crisis(&question);
    let mut active: questions::ActiveModel = question.into();
    if let Some(raw) = changes.title {
        active.title = Set(title(&raw)?);
    }
    if let Some(raw) = changes.body {
        active.body = Set(body(&raw)?);
    }
    if let Some(topic) = changes.topic {
        active.topic = Set(topic);
    }
    if let Some(tags) = changes.tags {
        active.tags = Set(parse_tags(&tags)?);
    }
    if let Some(warning) = changes.content_warning {
        active.content_warning = Set(content_warning(warning.as_deref())?);
    }
    active.edited_at = Set(Some(now()));
    let question = active.update(&txn).await?;
    let notified = crisis::flag_crisis(&txn, &question, None, was_crisis).await?;
    txn.commit().await?;
    Ok(Committed::new(question, notified.into()))
}

/// The asker deletes their question: it leaves every list, answers and all.
pub async fn delete(db: &DatabaseConnection, viewer: &Viewer, id: &QuestionId) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let question = my_question(&txn, viewer, id).await?;
    let mut active: questions::ActiveModel = question.into();
    active.deleted_at = Set(Some(now()));
    active.update(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Platform-wide questions, those of public groups, and those of the caller's groups.
fn readable_by(viewer: &Viewer) -> Condition {
    Condition::any()
        .add(questions::Column::GroupId.is_null())
        .add(in_readable_group(
            (questions::Entity, questions::Column::GroupId),
            &viewer.user_id,
        ))
}

/// An answer by someone whose expert standing is current.
pub(super) fn expert_answer_exists() -> SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(answers::Entity)
            .and_where(
                Expr::col((answers::Entity, answers::Column::QuestionId))
                    .equals((questions::Entity, questions::Column::Id)),
            )
            .and_where(Expr::col((answers::Entity, answers::Column::DeletedAt)).is_null())
            .and_where(Expr::col((answers::Entity, answers::Column::RemovedAt)).is_null())
            .and_where(is_current_expert((
                answers::Entity,
                answers::Column::AuthorId,
            )))
            .to_owned(),
    )
}

fn filtered(
    backend: DbBackend,
    viewer: &Viewer,
    filter: &QuestionFilter,
) -> Select<questions::Entity> {
    let mut query = questions::Entity::find()
        .filter(questions::Column::DeletedAt.is_null())
        .filter(questions::Column::RemovedAt.is_null())
        .filter(readable_by(viewer))
        .filter(
            Condition::any()
                .add(questions::Column::Anonymous.eq(true))
                .add(not_blocked_with(
                    questions::Column::AuthorId,
                    &viewer.user_id,
                )),
        );
    if let Some(topic) = filter.topic {
        query = query.filter(questions::Column::Topic.eq(topic));
    }
    if let Some(tag) = &filter.tag {
        // Tags are kept as "a,b": the tag is the whole list, its start, its end or between.
        let tag = tag.trim().to_lowercase();
        query = query.filter(
            Condition::any()
                .add(questions::Column::Tags.eq(tag.as_str()))
                .add(questions::Column::Tags.starts_with(format!("{tag},")))
                .add(questions::Column::Tags.ends_with(format!(",{tag}")))
                .add(questions::Column::Tags.contains(format!(",{tag},"))),
        );
    }
    if filter.unanswered {
        query = query.filter(questions::Column::AnswerCount.eq(0));
    }
    if filter.expert_answered {
        query = query.filter(expert_answer_exists());
    }
    if let Some(group_id) = &filter.group_id {
        query = query.filter(questions::Column::GroupId.eq(group_id));
    }
    if let Some(search) = &filter.search {
        query = query.filter(search.matches(backend, Indexed::Questions));
    }
    query
}

/// The most questions `similarQuestions` returns.
pub const MAX_SIMILAR: u64 = 10;

/// The listed questions the caller may read that share the most words with a draft, best first.
pub async fn similar(
    db: &DatabaseConnection,
    viewer: &Viewer,
    title: &str,
    body: &str,
    limit: u64,
) -> AppResult<Vec<questions::Model>> {
    let draft = format!("{title} {body}");
    let Some(search) = Search::parse("title", &draft, Mode::SharedPair)? else {
        return Ok(Vec::new());
    };
    let backend = db.get_database_backend();
    let limit = std::cmp::min(limit, MAX_SIMILAR);
    if backend == DbBackend::Postgres {
        if let Some(candidates) = search.questions_sharing_pairs(PAIR_CANDIDATES) {
            return sharing_most_pairs(db, viewer, candidates, limit).await;
        }
    }
    Ok(filtered(backend, viewer, &QuestionFilter::default())
        .filter(search.matches(backend, Indexed::QuestionTitles))
        .order_by(search.rank(backend, Indexed::QuestionTitles), Order::Desc)
        .order_by_desc(questions::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await?)
}

/// How many of the questions sharing the most pairs with a draft are read, so that those the
/// caller may not read (another group's, a blocked author's) still leave the best ten.
const PAIR_CANDIDATES: u64 = 200;

/// PostgreSQL: of the questions sharing the most pairs of words with a draft (`candidates`, see
/// [`Search::questions_sharing_pairs`]), the best the caller may read, in one statement: most
/// shared pairs first, newest first among equals (ids are time-ordered).
async fn sharing_most_pairs(
    db: &DatabaseConnection,
    viewer: &Viewer,
    candidates: SelectStatement,
    limit: u64,
) -> AppResult<Vec<questions::Model>> {
    let best = Alias::new("best");
    let mut select = filtered(DbBackend::Postgres, viewer, &QuestionFilter::default()).into_query();
    select
        .join_subquery(
            JoinType::InnerJoin,
            candidates,
            best.clone(),
            Expr::col((best.clone(), Alias::new("question_id")))
                .equals((questions::Entity, questions::Column::Id)),
        )
        .order_by((best, Alias::new("shared")), Order::Desc)
        .order_by((questions::Entity, questions::Column::Id), Order::Desc)
        .limit(limit);
    Ok(questions::Entity::find()
        .from_raw_sql(DbBackend::Postgres.build(&select))
        .all(db)
        .await?)
}

/// Questions the caller may read, with how many match in all when `count` asks.
pub async fn list(
    db: &DatabaseConnection,
    viewer: &Viewer,
    filter: &QuestionFilter,
    sort: QuestionSort,
    page: &PageArgs,
    count: bool,
) -> AppResult<(Page<questions::Model>, Option<u64>)> {
    let mut query = filtered(db.get_database_backend(), viewer, filter);
    if sort == QuestionSort::Unanswered {
        query = query.filter(questions::Column::AnswerCount.eq(0));
    }
    let total = if count {
        Some(query.clone().count(db).await?)
    } else {
        None
    };
    let (at, order) = match sort {
        QuestionSort::Newest => (questions::Column::CreatedAt, ListOrder::NewestFirst),
        QuestionSort::Active => (questions::Column::LastActivityAt, ListOrder::NewestFirst),
        QuestionSort::Unanswered => (questions::Column::CreatedAt, ListOrder::OldestFirst),
    };
    let rows = keyset_page(db, query, at, questions::Column::Id, order, page).await?;
    Ok((rows, total))
}

pub(super) async fn follow_in(
    txn: &impl ConnectionTrait,
    question_id: &QuestionId,
    user_id: &UserId,
) -> AppResult<()> {
    question_follows::Entity::insert(question_follows::ActiveModel {
        question_id: Set(question_id.clone()),
        user_id: Set(user_id.clone()),
        created_at: Set(now()),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

pub async fn follow(db: &DatabaseConnection, viewer: &Viewer, id: &QuestionId) -> AppResult<()> {
    let question = visible_question(db, viewer, id).await?;
    follow_in(db, &question.id, &viewer.user_id).await
}

pub async fn unfollow(db: &DatabaseConnection, viewer: &Viewer, id: &QuestionId) -> AppResult<()> {
    let question = visible_question(db, viewer, id).await?;
    question_follows::Entity::delete_by_id((question.id, viewer.user_id.clone()))
        .exec(db)
        .await?;
    Ok(())
}

/// Which of these questions this person follows.
pub async fn followed(
    db: &DatabaseConnection,
    user_id: &UserId,
    ids: &[QuestionId],
) -> AppResult<Vec<QuestionId>> {
    Ok(question_follows::Entity::find()
        .filter(question_follows::Column::UserId.eq(user_id))
        .filter(question_follows::Column::QuestionId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|f| f.question_id)
        .collect())
}
