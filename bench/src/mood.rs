//! Mood summaries over two years of daily check-ins with group activity (single client), and
//! `logMood` under 32 clients.
use crate::load;
use anyhow::Context as _;
use api::keys::fields::MOOD_NOTE;
use chrono::{Duration, Utc};
use entity::enums::{ContentType, ReactionKind};
use entity::ids::{CheckinId, GroupId, PostId, ReplyId, UserId};
use sea_orm::Set;
use serde_json::json;
use std::sync::Arc;

pub(crate) const DAYS: i64 = 730;

/// Two years of one person's days: a check-in most days (two on some), a post every third day,
/// each answered twice by a friend and given support once.
pub(crate) async fn seed(
    db: &sea_orm::DatabaseConnection,
    me: &UserId,
    friend: &UserId,
    group: &GroupId,
) -> anyhow::Result<()> {
    let today = Utc::now();
    // Notes are written sealed, as the server writes them: sealing them afterwards would leave
    // a dead copy of every row for the figures to wade through.
    let key = crate::process::bench_vault()?
        .key_for_writing(db, me)
        .await
        .map_err(|e| anyhow::anyhow!("a data key: {}", e.message()))?;
    let mut checkins = Vec::new();
    let (mut posts, mut replies, mut reactions) = (Vec::new(), Vec::new(), Vec::new());
    for back in 0..DAYS {
        let at = today - Duration::days(back) - Duration::hours(2);
        for extra in 0..(1 + i64::from(back % 5 == 0)) {
            let id = CheckinId::generate();
            let note = key
                .seal(MOOD_NOTE, id.as_str(), "a line about the day")
                .map_err(|e| anyhow::anyhow!("sealing: {}", e.message()))?;
            checkins.push(entity::mood_checkins::ActiveModel {
                id: Set(id),
                user_id: Set(me.to_owned()),
                score: Set(i16::try_from(1 + (back * 7 + extra) % 10)?),
                emotions: Set(
                    ["calm", "tired,anxious", "hopeful,grateful"][(back % 3) as usize].to_owned(),
                ),
                note: Set(Some(note)),
                sleep_quarters: Set(Some(i16::try_from(20 + back % 16)?)),
                logged_at: Set(at - Duration::hours(extra * 6)),
                idempotency_key: Set(None),
                created_at: Set(at),
                updated_at: Set(at),
            });
        }
        if back % 3 == 0 {
            let post_id = PostId::generate();
            posts.push(entity::posts::ActiveModel {
                reply_count: Set(2),
                ..entity::posts::ActiveModel::fresh(entity::posts::NewRow {
                    id: post_id.clone(),
                    group_id: group.to_owned(),
                    author_id: me.to_owned(),
                    title: format!("Day {back}"),
                    body: "how it went".to_owned(),
                    at,
                })
            });
            for r in 0..2 {
                replies.push(entity::replies::ActiveModel::fresh(
                    entity::replies::NewRow {
                        id: ReplyId::generate(),
                        post_id: post_id.clone(),
                        group_id: group.to_owned(),
                        author_id: friend.to_owned(),
                        body: "here with you".to_owned(),
                        at: at + Duration::minutes(10 + r),
                    },
                ));
            }
            reactions.push(entity::reactions::ActiveModel {
                target_type: Set(ContentType::Post),
                target_id: Set(post_id.into_string()),
                user_id: Set(friend.to_owned()),
                kind: Set(ReactionKind::Support),
                created_at: Set(at + Duration::minutes(5)),
            });
        }
    }
    load::insert_in_chunks(db, &checkins).await?;
    load::insert_in_chunks(db, &posts).await?;
    load::insert_in_chunks(db, &replies).await?;
    load::insert_in_chunks(db, &reactions).await?;
    Ok(())
}

pub async fn run(requests: usize) -> anyhow::Result<()> {
    let server = load::start_server().await?;
    let context = server.context.clone().context("no context")?;
    let http = reqwest::Client::new();
    let url = server.url.clone();
    let register = |n: usize| {
        let (http, server) = (&http, &server);
        async move {
            server
                .sign_up(
                    http,
                    &format!("mood{n}@example.org"),
                    &format!("Mood Bench {n}"),
                    "a benchmark password",
                )
                .await
        }
    };
    let (token, me) = register(0).await?;
    let (friend_token, friend) = register(1).await?;
    let group = load::gql(&http, &url, Some(&friend_token), "mutation { createGroup(input: {name: \"Mood bench\", topic: OTHER, visibility: PUBLIC, ledBy: PEER}) { id } }", json!({})).await?;
    let group = group["createGroup"]["id"]
        .as_str()
        .context("group")?
        .to_owned();
    seed(&context.db, &me.into(), &friend.into(), &group.into()).await?;
    let backend = if server.database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("seeded {DAYS} days of check-ins with posts, replies and support ({backend})");

    let to = Utc::now().date_naive();
    let from = to - Duration::days(DAYS - 1);
    for bucket in ["DAY", "WEEK"] {
        let (http, url, token) = (http.clone(), url.clone(), Arc::new(token.clone()));
        let query = "query($f: Date!, $t: Date!, $b: MoodBucketSize!) { moodSummary(from: $f, to: $t, bucket: $b) { checkinCount averageScore currentStreak longestStreak daysWithGroupActivity { averageScore days } daysWithoutGroupActivity { averageScore days } topEmotions { emotion count } buckets { start checkinCount averageScore minScore maxScore averageSleepHours postsWritten repliesWritten repliesReceived supportReceived } } }";
        let variables = json!({"f": from.to_string(), "t": to.to_string(), "b": bucket});
        let stats = load::run(requests, 1, move |_| {
            let (http, url, token, variables) =
                (http.clone(), url.clone(), token.clone(), variables.clone());
            async move {
                load::gql(&http, &url, Some(&token), query, variables)
                    .await
                    .is_ok()
            }
        })
        .await;
        stats.print(&format!(
            "moodSummary over {DAYS} days, bucket {bucket}, 1 client"
        ));
    }

    let mut tokens = Vec::new();
    for n in 0..32 {
        tokens.push(register(100 + n).await?.0);
    }
    let tokens = Arc::new(tokens);
    let (http2, url2) = (http.clone(), url.clone());
    let stats = load::run(requests * 10, 32, move |i| {
        let (http, url, tokens) = (http2.clone(), url2.clone(), tokens.clone());
        async move {
            let token = &tokens[i % tokens.len()];
            load::gql(&http, &url, Some(token), "mutation { logMood(input: {score: 6, emotions: [CALM], note: \"fine\", sleepHours: 7.5}) { checkin { id } } }", json!({})).await.is_ok()
        }
    })
    .await;
    stats.print("logMood, 32 clients");
    Ok(())
}
