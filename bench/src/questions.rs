//! Ask a Question at size: 100 000 questions with 500 000 answers beside the feed bench's
//! 100 000 posts. Measures the question list, a question with 50 answers, similar questions and
//! post search, each beside `{ __typename }` on the same server in the same run.
use crate::{feed, load, words};
use anyhow::Context as _;
use chrono::{Duration, Utc};
use entity::enums::Topic;
use entity::ids::{AnswerId, QuestionId, UserId};
use entity::{answers, questions, users};
use rand::{Rng, SeedableRng};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Iterable as _, QueryFilter,
    QuerySelect, Set,
};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

const QUESTIONS: usize = 100_000;
const ANSWERS: usize = 500_000;
/// Answers of the question `question(id)` is measured on.
const HOT_ANSWERS: usize = 50;

/// Seeds once: a database that already holds the questions is reused.
async fn seed(db: &DatabaseConnection) -> anyhow::Result<QuestionId> {
    let first = questions::Entity::find()
        .filter(questions::Column::Tags.eq("bench-hot"))
        .one(db)
        .await?;
    if let Some(hot) = first {
        println!("seed: reusing the seeded questions");
        return Ok(hot.id);
    }
    let started = Instant::now();
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let now = Utc::now();
    let people: Vec<UserId> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    anyhow::ensure!(!people.is_empty(), "no users to ask questions");
    let topics: Vec<Topic> = Topic::iter().collect();
    let ids: Vec<QuestionId> = (0..QUESTIONS).map(|_| QuestionId::generate()).collect();
    let mut created = Vec::with_capacity(QUESTIONS);
    for chunk in ids.chunks(1_000) {
        let rows: Vec<questions::ActiveModel> = chunk
            .iter()
            .map(|id| {
                let at = now - Duration::seconds(rng.random_range(3_600..31_536_000));
                created.push(at);
                questions::ActiveModel {
                    id: Set(id.clone()),
                    author_id: Set(people[rng.random_range(0..people.len())].clone()),
                    group_id: Set(None),
                    title: Set(format!("{}?", words::phrase(&mut rng, 6))),
                    body: Set(words::phrase(&mut rng, 20)),
                    topic: Set(topics[rng.random_range(0..topics.len())]),
                    tags: Set(String::new()),
                    anonymous: Set(rng.random_range(0..4) == 0),
                    content_warning: Set(None),
                    idempotency_key: Set(None),
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
                }
            })
            .collect();
        questions::Entity::insert_many(rows).exec(db).await?;
    }
    // The hot question: the newest, with exactly HOT_ANSWERS answers; the rest at random.
    let hot = ids[0].clone();
    let mut batch = Vec::with_capacity(1_000);
    for n in 0..ANSWERS {
        let q = if n < HOT_ANSWERS {
            0
        } else {
            rng.random_range(1..QUESTIONS)
        };
        batch.push(answers::ActiveModel {
            id: Set(AnswerId::generate()),
            question_id: Set(ids[q].clone()),
            author_id: Set(people[rng.random_range(0..people.len())].clone()),
            body: Set(words::phrase(&mut rng, 30)),
            idempotency_key: Set(None),
            helpful_count: Set(rng.random_range(0..20)),
            accepted: Set(false),
            edited_at: Set(None),
            deleted_at: Set(None),
            removed_at: Set(None),
            removed_reason: Set(None),
            created_at: Set(created[q] + Duration::seconds(rng.random_range(60..86_400))),
            anonymous: Set(false),
        });
        if batch.len() == 1_000 {
            answers::Entity::insert_many(std::mem::take(&mut batch))
                .exec(db)
                .await?;
        }
    }
    if !batch.is_empty() {
        answers::Entity::insert_many(batch).exec(db).await?;
    }
    db.execute_unprepared(
        "UPDATE questions SET answer_count = (SELECT COUNT(*) FROM answers a WHERE a.question_id = questions.id)",
    )
    .await?;
    // Mark the hot question so a later run finds it.
    db.execute_unprepared(&format!(
        "UPDATE questions SET tags = 'bench-hot' WHERE id = '{hot}'"
    ))
    .await?;
    println!(
        "seed: {QUESTIONS} questions, {ANSWERS} answers in {:.0?}",
        started.elapsed()
    );
    Ok(hot)
}

const LIST: &str = "query List { questions(first: 20, topic: DEPRESSION) { totalCount edges { cursor node { id title answerCount authorName createdAt } } } }";
const HOT: &str = "query Hot($id: ID!) { question(id: $id) { id title answers(first: 50) { totalCount edges { node { id body helpfulCount accepted author { id displayName expert { title } } } } } } }";
const SIMILAR: &str =
    "query Similar($t: String!) { similarQuestions(title: $t) { id title answerCount } }";
const SEARCH: &str = "query Search($q: String!) { searchPosts(query: $q, first: 20) { edges { node { id title replyCount } } } }";

pub async fn run(requests: usize, concurrency: usize) -> anyhow::Result<()> {
    let server = load::start_server_with(|s| {
        s.posting_limits.questions_per_hour = u32::MAX;
    })
    .await?;
    let db = api::db::connect(&server.database_url).await?;
    feed::seed(&db).await.context("seeding the feed")?;
    let hot = seed(&db).await.context("seeding questions")?;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        // As autovacuum would after a bulk load: statistics, and the GIN indexes' pending lists
        // merged (unmerged, every search scans them).
        db.execute_unprepared("VACUUM ANALYZE").await?;
    }
    let http = reqwest::Client::new();
    let mut tokens = Vec::new();
    for n in 0..concurrency.min(1_000) {
        let body: Value = http
            .post(&server.url)
            .json(&json!({"query": "mutation($i: LoginInput!) { login(input: $i) { accessToken } }", "variables": {"i": {"email": feed::email(n), "password": feed::PASSWORD}}}))
            .send()
            .await?
            .json()
            .await?;
        tokens.push(
            body["data"]["login"]["accessToken"]
                .as_str()
                .context("login failed")?
                .to_owned(),
        );
    }
    let probe = load::gql(
        &http,
        &server.url,
        Some(&tokens[0]),
        HOT,
        json!({"id": hot}),
    )
    .await?;
    let answers = probe["question"]["answers"]["edges"]
        .as_array()
        .map_or(0, Vec::len);
    anyhow::ensure!(
        answers == HOT_ANSWERS,
        "the hot question is not full: {probe}"
    );

    let clients = Clients {
        http: http.clone(),
        url: server.url.clone(),
        tokens,
        concurrency,
    };
    // Drafts and searches draw their words from the seed's vocabulary.
    let nothing = |_: usize| json!({});
    let hot_id = hot.to_string();
    let one = move |_: usize| json!({"id": hot_id});
    let draft = |i: usize| -> Value {
        let mut rng = rand::rngs::StdRng::seed_from_u64(i as u64);
        json!({"t": words::phrase(&mut rng, 8)})
    };
    let search = |i: usize| -> Value {
        let mut rng = rand::rngs::StdRng::seed_from_u64(i as u64 + 1_000_000);
        json!({"q": words::phrase(&mut rng, 2)})
    };

    // Each query warms every connection first (statements prepared, pages cached), with drafts
    // and searches of their own, not the measured ones.
    let warm = concurrency * 10;
    clients.measure(LIST, warm, nothing).await;
    clients.measure(HOT, warm, one.clone()).await;
    clients
        .measure(SIMILAR, warm, move |i| draft(i + 500_000_000))
        .await;
    clients
        .measure(SEARCH, warm, move |i| search(i + 500_000_000))
        .await;
    let ceiling = "query Ceiling { __typename }";
    let typename = clients.measure(ceiling, requests * 4, nothing).await;
    let list = clients.measure(LIST, requests, nothing).await;
    let one = clients.measure(HOT, requests, one).await;
    let similar = clients.measure(SIMILAR, requests, draft).await;
    let search_all = clients.measure(SEARCH, requests, search).await;
    // As people type: a few at once.
    let few = Clients {
        concurrency: 4,
        ..clients
    };
    let similar_few = few.measure(SIMILAR, requests / 2, draft).await;
    let search_few = few.measure(SEARCH, requests / 2, search).await;
    println!(
        "database: {}",
        if server.database_url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    typename.print(&format!("{{ __typename }} ({concurrency} clients)"));
    list.print("questions(first: 20, topic), with totalCount");
    one.print("question(id) with 50 answers");
    similar.print("similarQuestions (8-word drafts)");
    search_all.print("searchPosts (2 words, 20 per page)");
    similar_few.print("similarQuestions, 4 clients");
    search_few.print("searchPosts, 4 clients");
    for (label, stats) in [
        ("questions list", &list),
        ("question with 50 answers", &one),
    ] {
        println!(
            "{label} / __typename: {:.1} %",
            100.0 * stats.per_second() / typename.per_second()
        );
    }
    Ok(())
}

/// Signed-in clients sending one kind of request.
struct Clients {
    http: reqwest::Client,
    url: String,
    tokens: Vec<String>,
    concurrency: usize,
}

impl Clients {
    async fn measure(
        &self,
        query: &'static str,
        total: usize,
        variables: impl Fn(usize) -> Value + Send + Sync + 'static,
    ) -> load::Stats {
        let (http, url, tokens) = (self.http.clone(), self.url.clone(), self.tokens.clone());
        let variables = Arc::new(variables);
        load::run(total, self.concurrency, move |i| {
            let (http, url) = (http.clone(), url.clone());
            let token = tokens[i % tokens.len()].clone();
            let body = json!({"query": query, "variables": variables(i)});
            load::answered_without_errors(http.post(&url).bearer_auth(token).json(&body))
        })
        .await
    }
}
