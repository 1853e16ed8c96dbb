use crate::support::*;
use chrono::{Duration, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

const LOG: &str = "mutation($i: LogMoodInput!) { logMood(input: $i) { checkin { id score emotions note sleepHours loggedAt localDate } crisisResources { name phone url } } }";
const CHECKINS: &str = "query { moodCheckins(first: 100) { edges { node { id score } } } }";

async fn log(app: &TestApp, who: &Session, input: Value) -> Value {
    app.gql(Some(&who.access), LOG, json!({"i": input})).await
}

async fn checkin_count(app: &TestApp, who: &Session) -> usize {
    app.ok(&who.access, CHECKINS, json!({})).await["moodCheckins"]["edges"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn check_ins_are_validated_at_their_edges_and_bad_ones_write_nothing() {
    let app = TestApp::spawn().await;
    let ana = app.register("Mood Edges").await;
    let now = Utc::now();
    for (input, field) in [
        (json!({"score": 0}), "score"),
        (json!({"score": 11}), "score"),
        (
            json!({"score": 5, "loggedAt": now + Duration::hours(1)}),
            "loggedAt",
        ),
        (
            json!({"score": 5, "loggedAt": now - Duration::days(8)}),
            "loggedAt",
        ),
        (json!({"score": 5, "note": "a".repeat(1_001)}), "note"),
        (json!({"score": 5, "sleepHours": 7.3}), "sleepHours"),
        (json!({"score": 5, "sleepHours": 24.25}), "sleepHours"),
    ] {
        let body = log(&app, &ana, input.clone()).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
        // No score or note is echoed in the message.
        assert!(!body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("aaaa"));
    }
    assert_eq!(checkin_count(&app, &ana).await, 0);

    for input in [
        json!({"score": 1}),
        json!({"score": 10, "sleepHours": 24, "note": "b".repeat(1_000)}),
        json!({"score": 6, "sleepHours": 7.25, "emotions": ["TIRED", "CALM", "TIRED"]}),
        json!({"score": 5, "loggedAt": now - Duration::days(7) + Duration::minutes(5)}),
    ] {
        let body = log(&app, &ana, input.clone()).await;
        assert!(body.get("errors").is_none(), "{input}: {body}");
    }
    assert_eq!(checkin_count(&app, &ana).await, 4);
    let calm = log(
        &app,
        &ana,
        json!({"score": 6, "emotions": ["TIRED", "CALM"], "sleepHours": 7.25}),
    )
    .await;
    let checkin = &calm["data"]["logMood"]["checkin"];
    assert_eq!(checkin["emotions"], json!(["CALM", "TIRED"]));
    assert_eq!(checkin["sleepHours"], 7.25);

    let bad_zone = app
        .gql(
            Some(&ana.access),
            "mutation { updateProfile(timezone: \"Mars/Olympus_Mons\") { timezone } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&bad_zone), "BAD_USER_INPUT");
    let vocabulary = app
        .ok(
            &ana.access,
            "query { moodEmotions { value label } }",
            json!({}),
        )
        .await;
    assert!(vocabulary["moodEmotions"]
        .as_array()
        .unwrap()
        .contains(&json!({"value": "HOPEFUL", "label": "hopeful"})));
}

#[tokio::test]
async fn a_retried_check_in_is_logged_once() {
    let app = TestApp::spawn().await;
    let ana = app.register("Mood Retry").await;
    let input = json!({"score": 7, "idempotencyKey": "morning-1"});
    let first = log(&app, &ana, input.clone()).await;
    let again = log(&app, &ana, input).await;
    assert_eq!(
        first["data"]["logMood"]["checkin"]["id"],
        again["data"]["logMood"]["checkin"]["id"]
    );
    assert_eq!(checkin_count(&app, &ana).await, 1);
}

#[tokio::test]
async fn a_late_evening_check_in_belongs_to_that_local_day() {
    let app = TestApp::spawn().await;
    let ana = app.register("Mood Evening").await;
    // Etc/GMT+5 is UTC-5 all year: 23:30 local is 04:30 UTC the next day.
    app.ok(
        &ana.access,
        "mutation { updateProfile(timezone: \"Etc/GMT+5\") { timezone } }",
        json!({}),
    )
    .await;
    let local_today = (Utc::now() - Duration::hours(5)).date_naive();
    let day = local_today - Duration::days(2);
    let at = day.and_hms_opt(23, 30, 0).unwrap().and_utc() + Duration::hours(5);
    let body = log(&app, &ana, json!({"score": 4, "loggedAt": at})).await;
    assert_eq!(
        body["data"]["logMood"]["checkin"]["localDate"],
        day.to_string(),
        "{body}"
    );
    let summary = app
        .ok(
            &ana.access,
            "query($f: Date!, $t: Date!) { moodSummary(from: $f, to: $t, bucket: DAY) { timezone buckets { start checkinCount averageScore } } }",
            json!({"f": day.to_string(), "t": (day + Duration::days(1)).to_string()}),
        )
        .await;
    assert_eq!(summary["moodSummary"]["timezone"], "Etc/GMT+5");
    assert_eq!(
        summary["moodSummary"]["buckets"],
        json!([
            {"start": day.to_string(), "checkinCount": 1, "averageScore": 4.0},
            {"start": (day + Duration::days(1)).to_string(), "checkinCount": 0, "averageScore": null},
        ])
    );
}

/// Moves a row's creation time to noon UTC of a day, as if it had been written then.
async fn written_on(app: &TestApp, table: &str, id: &str, day: NaiveDate) {
    let at = day.and_hms_opt(12, 0, 0).unwrap().and_utc();
    let db = &app.context.db;
    match table {
        "posts" => {
            entity::posts::Entity::update_many()
                .col_expr(entity::posts::Column::CreatedAt, Expr::value(at))
                .filter(entity::posts::Column::Id.eq(id))
                .exec(db)
                .await
                .unwrap();
        }
        "replies" => {
            entity::replies::Entity::update_many()
                .col_expr(entity::replies::Column::CreatedAt, Expr::value(at))
                .filter(entity::replies::Column::Id.eq(id))
                .exec(db)
                .await
                .unwrap();
        }
        _ => {
            entity::reactions::Entity::update_many()
                .col_expr(entity::reactions::Column::CreatedAt, Expr::value(at))
                .filter(entity::reactions::Column::TargetId.eq(id))
                .exec(db)
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn the_summary_adds_up_by_hand_and_sets_mood_beside_group_activity() {
    let app = TestApp::spawn().await;
    let ana = app.register("Mood Summary").await;
    let ben = app.register("Mood Friend").await;
    let today = Utc::now().date_naive();
    let d = |back: i64| today - Duration::days(back);
    let at = |back: i64, hour: u32| d(back).and_hms_opt(hour, 0, 0).unwrap().and_utc();
    // Days 5..1 before today (UTC profile): 4 & 6, 8, nothing, 3, 9.
    for (back, hour, score, sleep, emotions) in [
        (5, 8, 4, 6.0, json!(["ANXIOUS", "TIRED"])),
        (5, 20, 6, 8.0, json!(["CALM"])),
        (4, 9, 8, 7.5, json!(["HOPEFUL", "CALM"])),
        (2, 9, 3, 5.0, json!(["ANXIOUS"])),
        (1, 9, 9, 8.0, json!(["CONNECTED", "CALM"])),
    ] {
        let body = log(
            &app,
            &ana,
            json!({"score": score, "sleepHours": sleep, "emotions": emotions, "loggedAt": at(back, hour)}),
        )
        .await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    // Group activity: Ana posts on day 4; Ben answers and sends support on day 1.
    let group = app.create_group(&ana, "Mood Circle", "PUBLIC").await;
    app.join(&ben, &group).await;
    let post = app.post(&ana, &group, "A better day").await;
    written_on(&app, "posts", &post, d(4)).await;
    let reply = app.reply(&ben, &post, "So glad").await;
    written_on(&app, "replies", &reply, d(1)).await;
    app.ok(
        &ben.access,
        "mutation($p: ID!) { react(input: {targetType: POST, targetId: $p, kind: SUPPORT}) }",
        json!({"p": post}),
    )
    .await;
    written_on(&app, "reactions", &post, d(1)).await;

    let query = "query($f: Date!, $t: Date!, $b: MoodBucketSize!) { moodSummary(from: $f, to: $t, bucket: $b) {
        checkinCount averageScore currentStreak longestStreak
        daysWithGroupActivity { averageScore days } daysWithoutGroupActivity { averageScore days }
        topEmotions { emotion count }
        buckets { start end checkinCount averageScore minScore maxScore averageSleepHours postsWritten repliesWritten repliesReceived supportReceived } } }";
    let summary = app
        .ok(
            &ana.access,
            query,
            json!({"f": d(5).to_string(), "t": today.to_string(), "b": "DAY"}),
        )
        .await["moodSummary"]
        .clone();
    assert_eq!(summary["checkinCount"], 5);
    assert_eq!(summary["averageScore"], 6.0); // (4+6+8+3+9)/5
                                              // Days with a check-in: 5, 4, 2, 1. Today has none yet, so the streak runs 1, 2.
    assert_eq!(summary["currentStreak"], 2);
    assert_eq!(summary["longestStreak"], 2);
    // Active days 4 (posted: 8) and 1 (answered, supported: 9); quiet days 5 (mean 5) and 2 (3).
    assert_eq!(
        summary["daysWithGroupActivity"],
        json!({"averageScore": 8.5, "days": 2})
    );
    assert_eq!(
        summary["daysWithoutGroupActivity"],
        json!({"averageScore": 4.0, "days": 2})
    );
    assert_eq!(
        summary["topEmotions"],
        json!([{"emotion": "CALM", "count": 3}, {"emotion": "ANXIOUS", "count": 2},
               {"emotion": "HOPEFUL", "count": 1}, {"emotion": "TIRED", "count": 1},
               {"emotion": "CONNECTED", "count": 1}])
    );
    let buckets = summary["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 6);
    assert_eq!(
        buckets[0],
        json!({"start": d(5).to_string(), "end": d(5).to_string(), "checkinCount": 2, "averageScore": 5.0, "minScore": 4, "maxScore": 6, "averageSleepHours": 7.0, "postsWritten": 0, "repliesWritten": 0, "repliesReceived": 0, "supportReceived": 0})
    );
    assert_eq!(buckets[1]["postsWritten"], 1);
    assert_eq!(buckets[2]["checkinCount"], 0);
    assert_eq!(buckets[2]["averageScore"], Value::Null);
    assert_eq!(buckets[2]["averageSleepHours"], Value::Null);
    assert_eq!(buckets[4]["repliesReceived"], 1);
    assert_eq!(buckets[4]["supportReceived"], 1);
    // Ben's own summary counts his reply as written, not received.
    let bens = app
        .ok(
            &ben.access,
            query,
            json!({"f": d(5).to_string(), "t": today.to_string(), "b": "DAY"}),
        )
        .await;
    assert_eq!(bens["moodSummary"]["buckets"][4]["repliesWritten"], 1);
    assert_eq!(bens["moodSummary"]["buckets"][4]["repliesReceived"], 0);

    let weeks = app
        .ok(
            &ana.access,
            query,
            json!({"f": d(5).to_string(), "t": today.to_string(), "b": "WEEK"}),
        )
        .await;
    let weeks = weeks["moodSummary"]["buckets"].as_array().unwrap().clone();
    let total: i64 = weeks
        .iter()
        .map(|w| w["checkinCount"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 5);
    let monday: NaiveDate = weeks[0]["start"].as_str().unwrap().parse().unwrap();
    assert_eq!(chrono::Datelike::weekday(&monday), chrono::Weekday::Mon);

    let too_long = app
        .gql(
            Some(&ana.access),
            query,
            json!({"f": "2020-01-01", "t": "2026-01-01", "b": "MONTH"}),
        )
        .await;
    assert_eq!(error_code(&too_long), "BAD_USER_INPUT");
}

#[tokio::test]
async fn check_ins_are_their_owners_alone() {
    let app = TestApp::spawn().await;
    let ana = app.register("Mood Owner").await;
    let eve = app.register("Mood Other").await;
    // Neither the moderator of Ana's group nor a platform admin reads her check-ins.
    let moderator = app.register("Mood Moderator").await;
    let admin = app.register("Mood Admin").await;
    app.make_admin(&admin).await;
    let group = app.create_group(&moderator, "Mood Peers", "PUBLIC").await;
    app.join(&ana, &group).await;
    let body = log(&app, &ana, json!({"score": 6, "note": "private words"})).await;
    let id = body["data"]["logMood"]["checkin"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for query in [
        "query($id: ID!) { moodCheckin(id: $id) { note } }",
        "mutation($id: ID!) { updateMood(input: {id: $id, score: 1}) { checkin { id } } }",
        "mutation($id: ID!) { deleteMood(id: $id) }",
    ] {
        for other in [&eve, &moderator, &admin] {
            let body = app.gql(Some(&other.access), query, json!({"id": id})).await;
            assert_eq!(error_code(&body), "NOT_FOUND", "{query}: {body}");
            assert!(!body.to_string().contains("private words"));
        }
        let anonymous = app.gql(None, query, json!({"id": id})).await;
        assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    }
    for other in [&eve, &moderator, &admin] {
        assert_eq!(checkin_count(&app, other).await, 0);
        let timeline = app
            .ok(
                &other.access,
                "query { myTimeline(first: 50) { edges { node { __typename } } } }",
                json!({}),
            )
            .await;
        assert!(!timeline.to_string().contains("MoodCheckin"), "{timeline}");
    }
    let mine = app
        .ok(
            &ana.access,
            "query($id: ID!) { moodCheckin(id: $id) { score note } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        mine["moodCheckin"],
        json!({"score": 6, "note": "private words"})
    );

    let changed = app
        .ok(
            &ana.access,
            "mutation($id: ID!) { updateMood(input: {id: $id, score: 7, note: null}) { checkin { score note } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        changed["updateMood"]["checkin"],
        json!({"score": 7, "note": null})
    );
    app.ok(
        &ana.access,
        "mutation($id: ID!) { deleteMood(id: $id) }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(checkin_count(&app, &ana).await, 0);
}

#[tokio::test]
async fn low_scores_and_crisis_notes_bring_resources_for_my_country() {
    let dir = tempfile::tempdir().unwrap();
    let file = crisis_resources_file(&dir);
    let app = TestApp::spawn_with(|s| s.crisis_resources = Some(file.clone())).await;
    let ana = app.register("Mood Crisis").await;
    let resources = |body: Value| body["data"]["logMood"]["crisisResources"].clone();

    let calm = log(&app, &ana, json!({"score": 7, "note": "a good walk"})).await;
    assert_eq!(resources(calm), json!([]));
    let low = resources(log(&app, &ana, json!({"score": 2})).await);
    assert!(!low.as_array().unwrap().is_empty());
    assert_ne!(low[0]["name"], "Samaritans");
    let worded = log(
        &app,
        &ana,
        json!({"score": 6, "note": "Some days I want to die."}),
    )
    .await;
    assert_eq!(resources(worded), low);

    app.ok(
        &ana.access,
        "mutation { updateProfile(country: \"gb\") { country } }",
        json!({}),
    )
    .await;
    let local = resources(log(&app, &ana, json!({"score": 1})).await);
    assert_eq!(
        local,
        json!([{"name": "Samaritans", "phone": "116 123", "url": "https://www.samaritans.org"}])
    );
}

#[tokio::test]
async fn my_timeline_interleaves_my_check_ins_posts_and_replies() {
    let app = TestApp::spawn().await;
    let ana = app.register("Timeline Ana").await;
    let ben = app.register("Timeline Ben").await;
    let group = app.create_group(&ben, "Timeline Room", "PUBLIC").await;
    app.join(&ana, &group).await;
    let early = log(
        &app,
        &ana,
        json!({"score": 5, "loggedAt": Utc::now() - Duration::hours(3)}),
    )
    .await;
    let bens_post = app.post(&ben, &group, "Ben's own").await;
    let anas_post = app.post(&ana, &group, "Ana's post").await;
    let anas_reply = app.reply(&ana, &bens_post, "Ana's reply").await;
    let late = log(&app, &ana, json!({"score": 8})).await;
    let id = |body: &Value| {
        body["data"]["logMood"]["checkin"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    let query = "query($after: String) { myTimeline(first: 2, after: $after) {
        edges { node { __typename ... on MoodCheckin { id } ... on Post { id } ... on Reply { id } } }
        pageInfo { hasNextPage endCursor } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app.ok(&ana.access, query, json!({"after": after})).await;
        for edge in page["myTimeline"]["edges"].as_array().unwrap() {
            let node = &edge["node"];
            seen.push((
                node["__typename"].as_str().unwrap().to_owned(),
                node["id"].as_str().unwrap().to_owned(),
            ));
        }
        if page["myTimeline"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["myTimeline"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(
        seen,
        vec![
            ("MoodCheckin".to_owned(), id(&late)),
            ("Reply".to_owned(), anas_reply),
            ("Post".to_owned(), anas_post),
            ("MoodCheckin".to_owned(), id(&early)),
        ]
    );
    let bens = app.ok(&ben.access, query, json!({"after": null})).await;
    assert_eq!(bens["myTimeline"]["edges"].as_array().unwrap().len(), 1);
    assert_eq!(bens["myTimeline"]["edges"][0]["node"]["id"], bens_post);
}
