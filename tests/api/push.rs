use crate::fake_fcm::{FakeFcm, Reply};
use crate::support::*;
use serde_json::{json, Value};
use std::time::Duration;

struct PushWorld {
    app: TestApp,
    fcm: FakeFcm,
    author: Session,
    replier: Session,
    group: String,
    post: String,
    _dir: tempfile::TempDir,
}

async fn world(adjust: impl FnOnce(&mut api::Settings)) -> PushWorld {
    let fcm = FakeFcm::start().await;
    let (app, dir) = TestApp::pushing_to(&fcm, |s| {
        s.push_worker.retry_base = Duration::from_millis(200);
        adjust(s);
    })
    .await;
    let author = app.register("Push Author").await;
    let replier = app.register("Push Replier").await;
    let group = app.create_group(&author, "Push Group", "PUBLIC").await;
    app.join(&replier, &group).await;
    let post = app.post(&author, &group, "My hard week").await;
    app.ok(
        &author.access,
        "mutation { registerDevice(input: {token: \"author-phone\", platform: ANDROID}) { id } }",
        json!({}),
    )
    .await;
    PushWorld {
        app,
        fcm,
        author,
        replier,
        group,
        post,
        _dir: dir,
    }
}

async fn job_states(app: &TestApp) -> Vec<String> {
    use sea_orm::{ActiveEnum, EntityTrait, QueryOrder};
    entity::push_jobs::Entity::find()
        .order_by_asc(entity::push_jobs::Column::CreatedAt)
        .all(&app.context.db)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.state.to_value())
        .collect()
}

/// Wakes the push workers the way a newly queued job does.
async fn wake_push_workers(app: &TestApp) {
    app.context
        .broker
        .publish(api::broker::Event::PushQueued)
        .await;
}

async fn wait_for_states(app: &TestApp, expected: &[&str]) {
    wait_for_arranged_states(app, expected, |_| {}).await;
}

async fn wait_for_states_in_any_order(app: &TestApp, expected: &[&str]) {
    wait_for_arranged_states(app, expected, |states| states.sort()).await;
}

/// Waits up to 15 s for the jobs' states, oldest first, put in order by `arrange`.
async fn wait_for_arranged_states(app: &TestApp, expected: &[&str], arrange: fn(&mut Vec<String>)) {
    let states = || async {
        let mut states = job_states(app).await;
        arrange(&mut states);
        states
    };
    for _ in 0..150 {
        if states().await == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(states().await, expected);
}

/// Runs one pass of the push worker here and now and asserts it found nothing to claim: every
/// job due has been dealt with, so "nothing more goes out" holds at once, without waiting for
/// the workers' sweep (5 s), and fails if a job was left to go out again.
async fn nothing_left_to_send(app: &TestApp) {
    let ctx = &app.context;
    let claimed = api::push::worker::run_once(
        &ctx.workers(),
        &ctx.push,
        "a-test-pass",
        &ctx.settings.push_worker,
    )
    .await
    .unwrap();
    assert_eq!(
        claimed,
        0,
        "a job was still due: {:?}",
        job_states(app).await
    );
}

/// The author reads their notifications: the next reply to the thread is news again (a reply
/// to a thread with an unread notification about it adds none, and no push).
async fn caught_up(w: &PushWorld) {
    w.app
        .ok(
            &w.author.access,
            "mutation { markNotificationsRead(all: true) }",
            json!({}),
        )
        .await;
}

#[tokio::test]
async fn a_reply_is_pushed_through_fcm_v1_without_health_text() {
    let w = world(|_| {}).await;
    // The replier has a phone too: it must stay quiet about their own reply.
    w.app
        .ok(
            &w.replier.access,
            "mutation { registerDevice(input: {token: \"replier-phone\", platform: IOS}) { id } }",
            json!({}),
        )
        .await;
    w.app
        .reply(
            &w.replier,
            &w.post,
            "I feel so anxious about the appointment",
        )
        .await;
    let sends = w.fcm.wait_for_sends(1).await;
    let message = &sends[0].body["message"];
    assert_eq!(message["token"], "author-phone");
    assert_eq!(
        message["notification"],
        json!({"title": "Hearth", "body": "New reply in one of your groups"})
    );
    assert_eq!(message["data"]["kind"], "REPLY");
    assert_eq!(message["data"]["postId"], json!(w.post));
    assert_eq!(message["android"]["collapse_key"], json!(w.post));
    assert_eq!(message["android"]["priority"], "HIGH");
    assert_eq!(
        message["apns"]["headers"]["apns-collapse-id"],
        json!(w.post)
    );
    assert_eq!(message["apns"]["payload"]["aps"]["badge"], 1);
    let text = sends[0].body.to_string().to_lowercase();
    for secret in ["anxious", "appointment", "hard week", "push replier"] {
        assert!(!text.contains(secret), "the push leaks {secret:?}: {text}");
    }
    assert_eq!(w.fcm.token_requests(), 1);
    // The replier is never pushed about their own reply: one job in all, to the author.
    wait_for_states(&w.app, &["SENT"]).await;
    assert_eq!(w.fcm.send_count(), 1);
    assert_eq!(w.fcm.sends()[0].body["message"]["token"], "author-phone");
}

#[tokio::test]
async fn previews_show_the_group_and_first_words_only_when_opted_in() {
    let w = world(|_| {}).await;
    let set = "mutation { updatePushPreferences(input: {previews: true}) { previews } }";
    assert_eq!(
        w.app.ok(&w.author.access, set, json!({})).await["updatePushPreferences"]["previews"],
        true
    );
    w.app
        .reply(
            &w.replier,
            &w.post,
            "Thinking of you today and every day this week",
        )
        .await;
    let sends = w.fcm.wait_for_sends(1).await;
    assert_eq!(
        sends[0].body["message"]["notification"]["title"],
        "Push Group"
    );
    assert!(sends[0].body["message"]["notification"]["body"]
        .as_str()
        .unwrap()
        .starts_with("Thinking of you"));
}

#[tokio::test]
async fn a_new_post_preview_shows_its_title_to_a_follower_of_every_post() {
    let w = world(|_| {}).await;
    let follow = "mutation($g: ID!) { updateMembership(groupId: $g, notificationLevel: ALL) { notificationLevel } }";
    w.app
        .ok(&w.replier.access, follow, json!({"g": w.group}))
        .await;
    w.app
        .ok(
            &w.replier.access,
            "mutation { registerDevice(input: {token: \"follower-phone\", platform: IOS}) { id } }",
            json!({}),
        )
        .await;
    w.app
        .ok(
            &w.replier.access,
            "mutation { updatePushPreferences(input: {previews: true}) { previews } }",
            json!({}),
        )
        .await;
    w.app
        .post(&w.author, &w.group, "Anyone else awake tonight")
        .await;
    let sends = w.fcm.wait_for_sends(1).await;
    let message = &sends[0].body["message"];
    assert_eq!(message["token"], "follower-phone");
    assert_eq!(message["data"]["kind"], "NEW_POST");
    assert_eq!(message["notification"]["title"], "Push Group");
    assert_eq!(message["notification"]["body"], "Anyone else awake tonight");
}

#[tokio::test]
async fn a_crisis_flag_reaches_the_moderator_without_the_words_even_with_previews() {
    let w = world(|_| {}).await;
    let set = "mutation { updatePushPreferences(input: {previews: true}) { previews } }";
    w.app.ok(&w.author.access, set, json!({})).await;
    // The author owns the group: its moderator. The replier posts crisis words.
    w.app
        .ok(
            &w.replier.access,
            "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
            json!({"i": {"groupId": w.group, "title": "Tonight", "body": "I want to end my life."}}),
        )
        .await;
    let sends = w.fcm.wait_for_sends(1).await;
    let message = &sends[0].body["message"];
    assert_eq!(message["data"]["kind"], "CRISIS_FLAG");
    assert_eq!(
        message["notification"],
        json!({"title": "Hearth", "body": "Something in one of your groups may need a moderator"})
    );
    let text = sends[0].body.to_string().to_lowercase();
    for secret in ["end my life", "tonight", "push replier", "push group"] {
        assert!(!text.contains(secret), "the push leaks {secret:?}: {text}");
    }
    let inbox = w
        .app
        .ok(
            &w.author.access,
            "{ notifications(first: 5) { edges { node { kind text postId } } } }",
            json!({}),
        )
        .await;
    let node = &inbox["notifications"]["edges"][0]["node"];
    assert_eq!(node["kind"], "CRISIS_FLAG");
    assert_eq!(
        node["text"],
        "Something written in your group may need a moderator's care"
    );
    // The writer is not told about their own flag.
    let theirs = w
        .app
        .ok(
            &w.replier.access,
            "{ notifications(first: 5) { edges { node { kind } } } }",
            json!({}),
        )
        .await;
    assert_eq!(theirs["notifications"]["edges"], json!([]));
}

#[tokio::test]
async fn unregistered_tokens_are_pruned() {
    let w = world(|_| {}).await;
    w.fcm.script([Reply::Error {
        status: 404,
        code: "UNREGISTERED",
        retry_after: None,
    }]);
    w.app.reply(&w.replier, &w.post, "hello").await;
    w.fcm.wait_for_sends(1).await;
    wait_for_states(&w.app, &["SENT"]).await;
    assert_eq!(
        w.app.me(Some(&w.author.access)).await["data"]["me"]["devices"],
        json!([])
    );
}

/// Once the only job has failed `attempts` times, how long it was put back for (its new due
/// time from the moment the worker recorded the failure).
async fn retry_wait(app: &TestApp, attempts: i32) -> chrono::Duration {
    use sea_orm::EntityTrait;
    // Retries are picked up by the worker's sweep (every 5 s) when nothing wakes it.
    for _ in 0..600 {
        let jobs = entity::push_jobs::Entity::find()
            .all(&app.context.db)
            .await
            .unwrap();
        if let [job] = jobs.as_slice() {
            if job.attempts == attempts {
                return job.due_at - job.updated_at;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the job never failed {attempts} times");
}

#[tokio::test]
async fn transient_failures_retry_honouring_retry_after() {
    let w = world(|_| {}).await;
    w.fcm.script([
        Reply::Error {
            status: 429,
            code: "QUOTA_EXCEEDED",
            retry_after: Some(1),
        },
        Reply::Error {
            status: 503,
            code: "UNAVAILABLE",
            retry_after: None,
        },
    ]);
    w.app.reply(&w.replier, &w.post, "hello").await;
    // Each failure puts the job back for later: after the 429, for what Retry-After asked (1 s,
    // longer than the first backoff); after the 503, for the second backoff (2 × 200 ms, plus at
    // most a quarter of the base as jitter).
    let wait = retry_wait(&w.app, 1).await;
    assert_eq!(wait, chrono::Duration::seconds(1), "Retry-After not kept");
    let wait = retry_wait(&w.app, 2).await;
    assert!(
        wait >= chrono::Duration::milliseconds(400) && wait <= chrono::Duration::milliseconds(450),
        "second backoff: {wait}"
    );
    let sends = w.fcm.wait_for_sends(3).await;
    assert!(
        sends[1].at - sends[0].at >= Duration::from_millis(950),
        "Retry-After not honoured: {:?}",
        sends[1].at - sends[0].at
    );
    wait_for_states(&w.app, &["SENT"]).await;
    assert_eq!(w.fcm.send_count(), 3);
}

#[tokio::test]
async fn retries_are_bounded_and_bad_messages_dropped() {
    let w = world(|s| s.push_worker.max_attempts = 3).await;
    w.fcm.script([
        Reply::Error {
            status: 500,
            code: "INTERNAL",
            retry_after: None,
        },
        Reply::Error {
            status: 503,
            code: "UNAVAILABLE",
            retry_after: None,
        },
        Reply::Error {
            status: 503,
            code: "UNAVAILABLE",
            retry_after: None,
        },
        Reply::Error {
            status: 400,
            code: "INVALID_ARGUMENT",
            retry_after: None,
        },
    ]);
    w.app.reply(&w.replier, &w.post, "first").await;
    w.fcm.wait_for_sends(3).await;
    wait_for_states(&w.app, &["FAILED"]).await;
    caught_up(&w).await;
    w.app.reply(&w.replier, &w.post, "second").await;
    w.fcm.wait_for_sends(4).await;
    wait_for_states(&w.app, &["FAILED", "DROPPED"]).await;
    nothing_left_to_send(&w.app).await;
    assert_eq!(
        w.fcm.send_count(),
        4,
        "no retry after a failure for good or an invalid message"
    );
    // The device stays: only UNREGISTERED removes it.
    assert_eq!(
        w.app.me(Some(&w.author.access)).await["data"]["me"]["devices"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_rejected_access_token_is_refreshed_once() {
    let w = world(|_| {}).await;
    w.app.reply(&w.replier, &w.post, "one").await;
    w.fcm.wait_for_sends(1).await;
    w.fcm.revoke_token();
    caught_up(&w).await;
    w.app.reply(&w.replier, &w.post, "two").await;
    w.fcm.wait_for_sends(2).await;
    assert_eq!(w.fcm.token_requests(), 2);
    wait_for_states(&w.app, &["SENT", "SENT"]).await;
}

#[tokio::test]
async fn quiet_hours_defer_and_collapse_never_drop() {
    let w = world(|_| {}).await;
    // Quiet from an hour ago to an hour from now, in UTC.
    let now = chrono::Utc::now();
    let start = (now - chrono::Duration::hours(1))
        .format("%H:%M")
        .to_string();
    let end = (now + chrono::Duration::hours(1))
        .format("%H:%M")
        .to_string();
    let set = "mutation($s: String!, $e: String!) { updatePushPreferences(input: {quietHours: {start: $s, end: $e, timezone: \"UTC\"}}) { quietHours { start end timezone } } }";
    let saved = w
        .app
        .ok(&w.author.access, set, json!({"s": start, "e": end}))
        .await;
    assert_eq!(
        saved["updatePushPreferences"]["quietHours"]["timezone"],
        "UTC"
    );
    w.app.reply(&w.replier, &w.post, "one").await;
    caught_up(&w).await;
    w.app.reply(&w.replier, &w.post, "two").await;
    // Which of the two waits depends on which the worker saw first; one waits, one yields.
    wait_for_states_in_any_order(&w.app, &["COLLAPSED", "PENDING"]).await;
    assert!(w.fcm.sends().is_empty());
    use sea_orm::EntityTrait;
    let deferred = entity::push_jobs::Entity::find()
        .all(&w.app.context.db)
        .await
        .unwrap();
    let due = deferred
        .iter()
        .find(|j| j.state == entity::enums::PushJobState::Pending)
        .unwrap()
        .due_at;
    assert!(
        due > now + chrono::Duration::minutes(50),
        "deferred to the end of quiet hours: {due}"
    );
    // The inbox has both; only the push waits.
    let inbox = w
        .app
        .ok(
            &w.author.access,
            "{ notifications { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        inbox["notifications"]["edges"].as_array().map(Vec::len),
        Some(2)
    );

    let bad = w
        .app
        .gql(Some(&w.author.access), set, json!({"s": "25:00", "e": end}))
        .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
}

#[tokio::test]
async fn twins_in_one_claim_wait_as_one() {
    // No worker runs on its own: one claim takes both jobs, so neither is waiting yet when the
    // other is decided.
    let w = world(|s| s.run_workers = false).await;
    quiet_now(&w, false).await;
    w.app.reply(&w.replier, &w.post, "one").await;
    caught_up(&w).await;
    w.app.reply(&w.replier, &w.post, "two").await;
    assert_eq!(job_states(&w.app).await, vec!["PENDING", "PENDING"]);
    let context = &w.app.context;
    let claimed = api::push::worker::run_once(
        &context.workers(),
        &context.push,
        "one-lane",
        &context.settings.push_worker,
    )
    .await
    .unwrap();
    assert_eq!(claimed, 2);
    assert_eq!(job_states(&w.app).await, vec!["PENDING", "COLLAPSED"]);
    assert!(w.fcm.sends().is_empty());
}

#[tokio::test]
async fn turned_off_pushes_leave_the_inbox_alone() {
    let w = world(|_| {}).await;
    w.app
        .ok(
            &w.author.access,
            "mutation { updatePushPreferences(input: {disabledKinds: [REPLY]}) { disabledKinds } }",
            json!({}),
        )
        .await;
    w.app.reply(&w.replier, &w.post, "quietly").await;
    // A kind still on goes out: once it has, the worker has been through the queue.
    w.app
        .ok(
            &w.replier.access,
            "mutation($p: ID!) { react(input: {targetType: POST, targetId: $p, kind: SUPPORT}) }",
            json!({"p": w.post}),
        )
        .await;
    let sends = w.fcm.wait_for_sends(1).await;
    assert_eq!(sends[0].body["message"]["data"]["kind"], "REACTION");
    wait_for_states(&w.app, &["SENT"]).await;
    assert_eq!(w.fcm.send_count(), 1, "nothing about the reply");
    let prefs = w.app.ok(&w.author.access, "{ me { unreadNotificationCount pushPreferences { pushEnabled disabledKinds previews quietHours { start } } } }", json!({})).await;
    assert_eq!(prefs["me"]["unreadNotificationCount"], 2);
    assert_eq!(
        prefs["me"]["pushPreferences"],
        json!({"pushEnabled": true, "disabledKinds": ["REPLY"], "previews": false, "quietHours": null})
    );
}

#[tokio::test]
async fn two_instances_send_each_push_exactly_once() {
    let w = world(|_| {}).await;
    // Answers take a network's time, so both instances' workers have sends in flight at once.
    w.fcm.set_latency(Duration::from_millis(50));
    let b = w.app.sibling().await;
    for n in 0..6 {
        let app = if n % 2 == 0 { &w.app } else { &b };
        caught_up(&w).await;
        app.reply(&w.replier, &w.post, &format!("reply {n}")).await;
    }
    w.fcm.wait_for_sends(6).await;
    wait_for_states(&w.app, &["SENT"; 6]).await;
    nothing_left_to_send(&w.app).await;
    nothing_left_to_send(&b).await;
    let sends = w.fcm.sends();
    assert_eq!(sends.len(), 6);
    let mut ids: Vec<Value> = sends
        .iter()
        .map(|s| s.body["message"]["data"]["notificationId"].clone())
        .collect();
    ids.sort_by_key(|v| v.to_string());
    ids.dedup();
    assert_eq!(ids.len(), 6, "a notification was pushed twice");
}

#[tokio::test]
async fn a_worker_working_several_claims_at_once_sends_each_job_once() {
    use sea_orm::EntityTrait;
    let w = world(|_| {}).await;
    // More jobs than two claims take, answered with a network's delay, so the worker's lanes
    // claim and deliver side by side.
    w.fcm.set_latency(Duration::from_millis(50));
    const JOBS: usize = 2_500;
    let now = chrono::Utc::now();
    let rows: Vec<entity::push_jobs::ActiveModel> = (0..JOBS)
        .map(|n| {
            entity::push_jobs::ActiveModel::pending(
                entity::ids::UserId::from(w.author.user_id.as_str()),
                entity::enums::NotificationKind::Reply,
                None,
                Some(format!("job-{n}")),
                now,
            )
        })
        .collect();
    for chunk in rows.chunks(500) {
        entity::push_jobs::Entity::insert_many(chunk.to_vec())
            .exec(&w.app.context.db)
            .await
            .unwrap();
    }
    wake_push_workers(&w.app).await;
    w.fcm.wait_for_sends(JOBS).await;
    wait_for_states(&w.app, &["SENT"; JOBS]).await;
    nothing_left_to_send(&w.app).await;
    let mut keys: Vec<String> = w
        .fcm
        .sends()
        .iter()
        .map(|s| s.body["message"]["android"]["collapse_key"].to_string())
        .collect();
    assert_eq!(keys.len(), JOBS, "some job was sent more than once");
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), JOBS, "some job was sent twice, another never");
    // FCM's way: HTTP/2, with more sends in flight than one connection's streams carry.
    let traffic = w.fcm.traffic();
    assert_eq!(traffic.sends_not_over_http2, 0, "{traffic:?}");
    assert!(
        traffic.most_in_flight > crate::fake_fcm::STREAMS as usize,
        "at most {} sends were in flight at once: no more than one connection carries ({traffic:?})",
        traffic.most_in_flight
    );
}

#[tokio::test]
async fn a_job_claimed_by_a_dead_worker_is_delivered_by_another() {
    // This instance runs no worker: "a worker that dies" claims the job and never finishes it.
    let w = world(|s| {
        s.push_worker.lease = Duration::from_secs(1);
        s.run_workers = false;
    })
    .await;
    let config = w.app.context.settings.push_worker.clone();
    w.app.reply(&w.replier, &w.post, "orphaned").await;
    let claimed = api::push::worker::claim(&w.app.context.workers(), "a-worker-that-dies", &config)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(job_states(&w.app).await, vec!["CLAIMED"]);
    // Another instance with workers takes it over once the claim expires.
    let _b = w.app.sibling_with(|s| s.run_workers = true).await;
    let sends = w.fcm.wait_for_sends(1).await;
    assert_eq!(sends.len(), 1);
    wait_for_states(&w.app, &["SENT"]).await;
}

/// Waits until the worker has seen the jobs and put them off to the end of quiet hours.
async fn put_off(w: &PushWorld) {
    use sea_orm::EntityTrait;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let jobs = entity::push_jobs::Entity::find()
            .all(&w.app.context.db)
            .await
            .unwrap();
        let later = chrono::Utc::now() + chrono::Duration::minutes(1);
        let put_off = jobs.iter().all(|j| {
            j.state == entity::enums::PushJobState::Collapsed
                || (j.state == entity::enums::PushJobState::Pending && j.due_at > later)
        });
        if put_off {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the worker never put the jobs off: {jobs:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Lets time pass for the push queue: quiet hours over, deferred jobs due now.
async fn quiet_hours_end(w: &PushWorld) {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    // First the worker must have seen the jobs and put them off: a job it holds while the quiet
    // hours change would be put off by the old hours after the change.
    put_off(w).await;
    let now = chrono::Utc::now();
    let (start, end) = (
        (now - chrono::Duration::hours(3))
            .format("%H:%M")
            .to_string(),
        (now - chrono::Duration::hours(2))
            .format("%H:%M")
            .to_string(),
    );
    w.app
        .ok(
            &w.author.access,
            "mutation($s: String!, $e: String!) { updatePushPreferences(input: {quietHours: {start: $s, end: $e, timezone: \"UTC\"}}) { previews } }",
            json!({"s": start, "e": end}),
        )
        .await;
    entity::push_jobs::Entity::update_many()
        .col_expr(entity::push_jobs::Column::DueAt, Expr::value(now))
        .filter(entity::push_jobs::Column::State.eq("PENDING"))
        .exec(&w.app.context.db)
        .await
        .unwrap();
    wake_push_workers(&w.app).await;
}

async fn quiet_now(w: &PushWorld, previews: bool) {
    let now = chrono::Utc::now();
    let (start, end) = (
        (now - chrono::Duration::hours(1))
            .format("%H:%M")
            .to_string(),
        (now + chrono::Duration::hours(1))
            .format("%H:%M")
            .to_string(),
    );
    w.app
        .ok(
            &w.author.access,
            "mutation($s: String!, $e: String!, $p: Boolean!) { updatePushPreferences(input: {previews: $p, quietHours: {start: $s, end: $e, timezone: \"UTC\"}}) { previews } }",
            json!({"s": start, "e": end, "p": previews}),
        )
        .await;
}

#[tokio::test]
async fn a_push_held_by_quiet_hours_goes_out_once_they_end() {
    let w = world(|_| {}).await;
    quiet_now(&w, false).await;
    w.app.reply(&w.replier, &w.post, "one").await;
    caught_up(&w).await;
    w.app.reply(&w.replier, &w.post, "two").await;
    wait_for_states(&w.app, &["PENDING", "COLLAPSED"]).await;
    assert_eq!(w.fcm.send_count(), 0);
    quiet_hours_end(&w).await;
    let sends = w.fcm.wait_for_sends(1).await;
    // One push for both replies; its badge counts what is unread (the first was read).
    assert_eq!(sends[0].body["message"]["token"], "author-phone");
    assert_eq!(
        sends[0].body["message"]["apns"]["payload"]["aps"]["badge"],
        1
    );
    wait_for_states(&w.app, &["SENT", "COLLAPSED"]).await;
    assert_eq!(w.fcm.send_count(), 1);
}

#[tokio::test]
async fn a_preview_never_shows_words_deleted_before_it_went_out() {
    let w = world(|_| {}).await;
    quiet_now(&w, true).await;
    let reply = w
        .app
        .reply(&w.replier, &w.post, "words I regret writing")
        .await;
    put_off(&w).await;
    w.app
        .ok(
            &w.replier.access,
            "mutation($r: ID!) { deleteReply(id: $r) { id } }",
            json!({"r": reply}),
        )
        .await;
    quiet_hours_end(&w).await;
    // The words are gone, so the push is dropped when it is due, not sent with or without them.
    wait_for_states(&w.app, &["DROPPED"]).await;
    assert_eq!(w.fcm.send_count(), 0, "{:?}", w.fcm.sends());
}

#[tokio::test]
async fn push_enabled_false_sends_nothing() {
    let w = world(|_| {}).await;
    let toggle = "mutation($on: Boolean!) { updatePushPreferences(input: {pushEnabled: $on}) { pushEnabled } }";
    w.app
        .ok(&w.author.access, toggle, json!({"on": false}))
        .await;
    w.app.reply(&w.replier, &w.post, "while off").await;
    w.app
        .ok(&w.author.access, toggle, json!({"on": true}))
        .await;
    caught_up(&w).await;
    w.app.reply(&w.replier, &w.post, "while on").await;
    // The push for the second reply goes out; nothing for the first, before or after it.
    let sends = w.fcm.wait_for_sends(1).await;
    assert_eq!(sends[0].body["message"]["data"]["kind"], "REPLY");
    wait_for_states(&w.app, &["SENT"]).await;
    assert_eq!(w.fcm.send_count(), 1);
}

/// Two devices asked to wait: the job waits for the longer, whichever came last.
#[tokio::test]
async fn the_longest_retry_after_of_several_devices_is_kept() {
    let w = world(|_| {}).await;
    w.app
        .ok(
            &w.author.access,
            "mutation { registerDevice(input: {token: \"author-tablet\", platform: IOS}) { id } }",
            json!({}),
        )
        .await;
    w.fcm.script([
        Reply::Error {
            status: 429,
            code: "QUOTA_EXCEEDED",
            retry_after: Some(2),
        },
        Reply::Error {
            status: 503,
            code: "UNAVAILABLE",
            retry_after: None,
        },
    ]);
    w.app.reply(&w.replier, &w.post, "both busy").await;
    assert_eq!(retry_wait(&w.app, 1).await, chrono::Duration::seconds(2));
}

/// Preferences are read again when a push goes out: one that waits for a retry is dropped if
/// pushes (all of them, or that kind) were turned off meanwhile.
#[tokio::test]
async fn a_push_waiting_for_its_retry_is_dropped_once_turned_off() {
    for turn_off in [
        "mutation { updatePushPreferences(input: {pushEnabled: false}) { pushEnabled } }",
        "mutation { updatePushPreferences(input: {disabledKinds: [REPLY]}) { disabledKinds } }",
    ] {
        let w = world(|_| {}).await;
        w.fcm.script([Reply::Error {
            status: 503,
            code: "UNAVAILABLE",
            retry_after: None,
        }]);
        w.app.reply(&w.replier, &w.post, "soon").await;
        retry_wait(&w.app, 1).await;
        w.app.ok(&w.author.access, turn_off, json!({})).await;
        wait_for_states(&w.app, &["DROPPED"]).await;
        assert_eq!(w.fcm.send_count(), 1, "{turn_off}");
    }
}

#[tokio::test]
async fn several_devices_with_mixed_fates() {
    let w = world(|_| {}).await;
    for (token, platform) in [("author-tablet", "IOS"), ("author-old-phone", "ANDROID")] {
        w.app
            .ok(
                &w.author.access,
                "mutation($t: String!, $p: Platform!) { registerDevice(input: {token: $t, platform: $p}) { id } }",
                json!({"t": token, "p": platform}),
            )
            .await;
    }
    w.fcm.script_for(
        "author-old-phone",
        [Reply::Error {
            status: 404,
            code: "UNREGISTERED",
            retry_after: None,
        }],
    );
    w.fcm.script_for(
        "author-tablet",
        [Reply::Error {
            status: 503,
            code: "UNAVAILABLE",
            retry_after: None,
        }],
    );
    w.app.reply(&w.replier, &w.post, "to every device").await;
    // The phone at once, the old phone refused once, the tablet after one retry.
    let sends = w.fcm.wait_for_sends(4).await;
    let mut tokens: Vec<String> = sends
        .iter()
        .map(|s| s.body["message"]["token"].as_str().unwrap().to_owned())
        .collect();
    tokens.sort();
    assert_eq!(
        tokens,
        [
            "author-old-phone",
            "author-phone",
            "author-tablet",
            "author-tablet"
        ]
    );
    let devices = w.app.me(Some(&w.author.access)).await["data"]["me"]["devices"].clone();
    let kept: Vec<&str> = devices
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["platform"].as_str().unwrap())
        .collect();
    assert_eq!(kept.len(), 2, "the unregistered phone is gone: {devices}");
    assert_eq!(w.fcm.send_count(), 4);
}

#[tokio::test]
async fn an_answer_is_pushed_to_the_asker_without_its_words() {
    let w = world(|_| {}).await;
    let asked = w
        .app
        .ok(
            &w.author.access,
            "mutation($i: AskQuestionInput!) { askQuestion(input: $i) { id } }",
            json!({"i": {"title": "Is it normal to feel numb on sertraline?", "topic": "DEPRESSION", "anonymous": true}}),
        )
        .await;
    let question = asked["askQuestion"]["id"].as_str().unwrap().to_owned();
    w.app
        .ok(
            &w.replier.access,
            "mutation($i: AnswerQuestionInput!) { answerQuestion(input: $i) { id } }",
            json!({"i": {"questionId": question, "body": "Numbness often fades after a few weeks"}}),
        )
        .await;
    let sends = w.fcm.wait_for_sends(1).await;
    let message = &sends[0].body["message"];
    assert_eq!(message["token"], "author-phone");
    assert_eq!(message["data"]["kind"], "ANSWER");
    assert_eq!(message["data"]["questionId"], json!(question));
    assert_eq!(
        message["notification"],
        json!({"title": "Hearth", "body": "New answer to a question you follow"})
    );
    let text = sends[0].body.to_string().to_lowercase();
    for secret in ["sertraline", "numb", "push replier"] {
        assert!(!text.contains(secret), "the push leaks {secret:?}: {text}");
    }
}
