//! Whether someone is told of something is decided when it reaches them, not only when it was
//! written: a push held by quiet hours or waiting for a retry is asked again when it is sent, and
//! a follow counts only while its follower may read what they follow.
use crate::fake_fcm::{FakeFcm, Reply};
use crate::support::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use std::time::Duration;

pub(crate) const PREFS: &str =
    "mutation($i: PushPreferencesInput!) { updatePushPreferences(input: $i) { previews } }";

struct World {
    app: TestApp,
    fcm: FakeFcm,
    owner: Session,
    replier: Session,
    group: String,
    _dir: tempfile::TempDir,
}

async fn world(visibility: &str) -> World {
    let fcm = FakeFcm::start().await;
    let (app, dir) = TestApp::pushing_to(&fcm, |s| {
        s.push_worker.retry_base = Duration::from_millis(200);
    })
    .await;
    let owner = app.register("Circle Owner").await;
    let replier = app.register("Circle Replier").await;
    let group = app
        .create_group(&owner, "Night Owls Circle", visibility)
        .await;
    app.invite(&owner, &group, &replier).await;
    app.join(&replier, &group).await;
    World {
        app,
        fcm,
        owner,
        replier,
        group,
        _dir: dir,
    }
}

impl World {
    /// A member with a phone and previews on, quiet now (from an hour ago to an hour on, UTC)
    /// when `quiet`; returns them and a post of theirs.
    async fn member(&self, name: &str, quiet: bool) -> (Session, String) {
        let who = self.app.register(name).await;
        self.app.invite(&self.owner, &self.group, &who).await;
        self.app.join(&who, &self.group).await;
        let token = format!("{}-phone", name.to_lowercase().replace(' ', "-"));
        self.app
            .ok(
                &who.access,
                "mutation($t: String!) { registerDevice(input: {token: $t, platform: ANDROID}) { id } }",
                json!({"t": token}),
            )
            .await;
        let mut prefs = json!({"previews": true});
        if quiet {
            prefs["quietHours"] = quiet_hours(-1, 1);
        }
        self.app.ok(&who.access, PREFS, json!({"i": prefs})).await;
        let post = self
            .app
            .post(&who, &self.group, "Couldn't sleep again")
            .await;
        (who, post)
    }
}

/// Quiet hours from `from` to `to` hours around now, in UTC.
pub(crate) fn quiet_hours(from: i64, to: i64) -> Value {
    let now = chrono::Utc::now();
    let at = |h: i64| {
        (now + chrono::Duration::hours(h))
            .format("%H:%M")
            .to_string()
    };
    json!({"start": at(from), "end": at(to), "timezone": "UTC"})
}

pub(crate) async fn jobs(app: &TestApp) -> Vec<entity::push_jobs::Model> {
    entity::push_jobs::Entity::find()
        .all(&app.context.db)
        .await
        .unwrap()
}

/// Waits until every job is put off past the next minute (quiet hours), `n` of them.
async fn all_put_off(app: &TestApp, n: usize) {
    for _ in 0..750 {
        let jobs = jobs(app).await;
        let later = chrono::Utc::now() + chrono::Duration::minutes(1);
        if jobs.len() == n
            && jobs
                .iter()
                .all(|j| j.state == entity::enums::PushJobState::Pending && j.due_at > later)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the jobs were never put off: {:?}", jobs(app).await);
}

/// Quiet hours over for these people, and every waiting job due now.
pub(crate) async fn quiet_hours_end(app: &TestApp, people: &[&Session]) {
    for who in people {
        app.ok(
            &who.access,
            PREFS,
            json!({"i": {"quietHours": quiet_hours(-3, -2)}}),
        )
        .await;
    }
    entity::push_jobs::Entity::update_many()
        .col_expr(
            entity::push_jobs::Column::DueAt,
            Expr::value(chrono::Utc::now()),
        )
        .filter(entity::push_jobs::Column::State.eq("PENDING"))
        .exec(&app.context.db)
        .await
        .unwrap();
    app.context
        .broker
        .publish(api::broker::Event::PushQueued)
        .await;
}

/// Each job's person and state, once none is pending or claimed (within 15 s).
pub(crate) async fn settled(app: &TestApp) -> Vec<(String, String, Option<String>)> {
    use sea_orm::ActiveEnum;
    for _ in 0..150 {
        let jobs = jobs(app).await;
        if jobs.iter().all(|j| {
            !matches!(
                j.state,
                entity::enums::PushJobState::Pending | entity::enums::PushJobState::Claimed
            )
        }) {
            let mut out: Vec<_> = jobs
                .into_iter()
                .map(|j| (j.user_id.into_string(), j.state.to_value(), j.last_error))
                .collect();
            out.sort();
            return out;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the jobs never settled: {:?}", jobs(app).await);
}

pub(crate) fn state_of<'a>(
    settled: &'a [(String, String, Option<String>)],
    who: &Session,
) -> &'a str {
    &settled
        .iter()
        .find(|(user, _, _)| *user == who.user_id)
        .unwrap_or_else(|| panic!("no job for {}: {settled:?}", who.user_id))
        .1
}

#[tokio::test]
async fn a_push_held_by_quiet_hours_is_dropped_for_whoever_lost_access_meanwhile() {
    let w = world("HIDDEN").await;
    let (leaver, leaver_post) = w.member("Lee Leaver", true).await;
    let (banned, banned_post) = w.member("Bo Banned", true).await;
    let (blocker, blocker_post) = w.member("Bea Blocker", true).await;
    let (stayer, stayer_post) = w.member("Sam Stayer", true).await;
    for post in [&leaver_post, &banned_post, &blocker_post, &stayer_post] {
        w.app
            .reply(&w.replier, post, "zephyrine words only members may read")
            .await;
    }
    all_put_off(&w.app, 4).await;
    // Within moments of the replies: one leaves, one is banned, one blocks the replier.
    w.app
        .ok(
            &leaver.access,
            "mutation($g: ID!) { leaveGroup(groupId: $g) }",
            json!({"g": w.group}),
        )
        .await;
    w.app
        .ok(
            &w.owner.access,
            "mutation($g: ID!, $u: ID!) { banMember(groupId: $g, userId: $u, reason: \"spam\") }",
            json!({"g": w.group, "u": banned.user_id}),
        )
        .await;
    w.app
        .ok(
            &blocker.access,
            "mutation($u: ID!) { blockUser(userId: $u) }",
            json!({"u": w.replier.user_id}),
        )
        .await;
    quiet_hours_end(&w.app, &[&leaver, &banned, &blocker, &stayer]).await;
    let settled = settled(&w.app).await;
    assert_eq!(state_of(&settled, &leaver), "DROPPED", "{settled:?}");
    assert_eq!(state_of(&settled, &banned), "DROPPED", "{settled:?}");
    assert_eq!(state_of(&settled, &blocker), "DROPPED", "{settled:?}");
    // The one who stayed is told, with the preview they asked for: the check lets through what
    // it should, so the three drops are not the worker's silence.
    assert_eq!(state_of(&settled, &stayer), "SENT", "{settled:?}");
    let sends = w.fcm.sends();
    assert_eq!(sends.len(), 1, "{sends:?}");
    let message = &sends[0].body["message"];
    assert_eq!(message["token"], "sam-stayer-phone");
    assert_eq!(message["notification"]["title"], "Night Owls Circle");
    for sent in &sends {
        let token = sent.body["message"]["token"].as_str().unwrap();
        assert!(
            !["lee-leaver-phone", "bo-banned-phone", "bea-blocker-phone"].contains(&token),
            "a push went to {token}"
        );
    }
}

#[tokio::test]
async fn a_push_waiting_for_its_retry_is_dropped_once_its_person_left() {
    let w = world("HIDDEN").await;
    let (leaver, post) = w.member("Lee Leaver", false).await;
    w.fcm.script([Reply::Error {
        status: 503,
        code: "UNAVAILABLE",
        retry_after: Some(3),
    }]);
    w.app
        .reply(&w.replier, &post, "zephyrine words only members may read")
        .await;
    // The first send fails and the job waits three seconds for its retry; the person leaves.
    w.fcm.wait_for_sends(1).await;
    for _ in 0..250 {
        if jobs(&w.app).await.first().is_some_and(|j| j.attempts == 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    w.app
        .ok(
            &leaver.access,
            "mutation($g: ID!) { leaveGroup(groupId: $g) }",
            json!({"g": w.group}),
        )
        .await;
    let settled = settled(&w.app).await;
    assert_eq!(
        settled,
        [(
            leaver.user_id.clone(),
            "DROPPED".to_owned(),
            Some("no longer sees the group".to_owned())
        )]
    );
    assert_eq!(w.fcm.send_count(), 1, "the retry went out");
}

const ASK: &str = "mutation($i: AskQuestionInput!) { askQuestion(input: $i) { id } }";
const FOLLOW: &str = "mutation($q: ID!) { followQuestion(questionId: $q) { following } }";
const ANSWER: &str = "mutation($i: AnswerQuestionInput!) { answerQuestion(input: $i) { id } }";

async fn answer_kinds(app: &TestApp, who: &Session) -> Vec<String> {
    let inbox = app
        .ok(
            &who.access,
            "{ notifications(first: 20) { edges { node { kind } } } }",
            json!({}),
        )
        .await;
    inbox["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap().to_owned())
        .filter(|k| k.contains("ANSWER"))
        .collect()
}

#[tokio::test]
async fn a_follow_counts_only_while_its_follower_may_read_the_question() {
    let w = world("PUBLIC").await;
    let member = w.app.register("Fay Follower").await;
    let outsider = w.app.register("Otto Outsider").await;
    let (banned, _) = w.member("Bo Banned", false).await;
    w.app.join(&member, &w.group).await;
    let asked = w
        .app
        .ok(
            &w.owner.access,
            ASK,
            json!({"i": {"title": "How do you get through the nights?", "topic": "DEPRESSION", "groupId": w.group}}),
        )
        .await;
    let question = asked["askQuestion"]["id"].as_str().unwrap().to_owned();
    // While the group is public, an outsider may follow its questions too.
    for who in [&member, &outsider, &banned] {
        w.app.ok(&who.access, FOLLOW, json!({"q": question})).await;
    }
    let answer = |body: &'static str| {
        let (app, replier, question) = (&w.app, &w.replier, question.clone());
        async move {
            app.ok(
                &replier.access,
                ANSWER,
                json!({"i": {"questionId": question, "body": body}}),
            )
            .await;
        }
    };
    answer("A warm drink and a podcast helps me").await;
    for who in [&member, &outsider, &banned] {
        assert_eq!(answer_kinds(&w.app, who).await, ["ANSWER"], "{}", who.email);
    }
    // The member to be banned has a phone: it is told of this first answer, once.
    settled(&w.app).await;
    let pushed_to_banned = || {
        w.fcm
            .sends()
            .iter()
            .filter(|s| s.body["message"]["token"] == "bo-banned-phone")
            .count()
    };
    assert_eq!(pushed_to_banned(), 1, "{:?}", w.fcm.sends());
    // The owner makes the group hidden and bans one; the member leaves.
    w.app
        .ok(
            &w.owner.access,
            "mutation($g: ID!) { updateGroup(id: $g, input: {visibility: HIDDEN}) { id } }",
            json!({"g": w.group}),
        )
        .await;
    w.app
        .ok(
            &w.owner.access,
            "mutation($g: ID!, $u: ID!) { banMember(groupId: $g, userId: $u, reason: \"spam\") }",
            json!({"g": w.group, "u": banned.user_id}),
        )
        .await;
    w.app
        .ok(
            &member.access,
            "mutation($g: ID!) { leaveGroup(groupId: $g) }",
            json!({"g": w.group}),
        )
        .await;
    // A second member still following hears of the next answer, so silence below is the rule's.
    let (stayer, _) = w.member("Sam Stayer", false).await;
    w.app
        .ok(&stayer.access, FOLLOW, json!({"q": question}))
        .await;
    let mut socket = w.app.socket().await;
    socket
        .subscribe_ready(
            &member.access,
            "n",
            "subscription { notificationAdded { kind } }",
            json!({}),
        )
        .await;
    answer("Writing it down before bed").await;
    assert_eq!(answer_kinds(&w.app, &stayer).await, ["ANSWER"]);
    for who in [&member, &outsider, &banned] {
        assert_eq!(
            answer_kinds(&w.app, who).await,
            ["ANSWER"],
            "{} heard of an answer after losing the group",
            who.email
        );
    }
    socket.expect_silence(Duration::from_millis(500)).await;
    // No push about the second answer (which would carry the hidden group's id) reaches them.
    settled(&w.app).await;
    assert_eq!(pushed_to_banned(), 1, "{:?}", w.fcm.sends());
}
