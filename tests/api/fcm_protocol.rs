//! FCM's rules as the fake FCM enforces them, and Hearth against them. First the fake itself,
//! spoken to directly: it refuses a message over FCM's payload limit, a reserved `data` key, a
//! malformed device token and an expired access token, so that its checks on every push Hearth
//! sends cannot pass without looking. Then Hearth: an access token that expires is replaced,
//! whether Hearth renews it before its end or FCM refuses it first, and a long reply with
//! previews on makes a message within FCM's limits.
use crate::fake_fcm::{
    is_reserved_data_key, payload_size, FakeFcm, Sent, MAX_DEVICE_TOKEN, MAX_PAYLOAD,
};
use crate::support::*;
use serde_json::{json, Value};
use std::time::Duration;

/// A message shaped as Hearth shapes one (`push/message.rs`), to `token`.
fn message(token: &str) -> Value {
    json!({"message": {
        "token": token,
        "notification": {"title": "Hearth", "body": "New reply in one of your groups"},
        "data": {"kind": "REPLY", "notificationId": "n-1", "groupId": "g-1", "postId": "p-1", "replyId": "r-1"},
        "android": {"collapse_key": "p-1", "priority": "HIGH", "ttl": "86400s"},
        "apns": {
            "headers": {"apns-collapse-id": "p-1", "apns-priority": "10", "apns-expiration": "1900000000"},
            "payload": {"aps": {"badge": 1}},
        },
    }})
}

/// Sends `body` to the fake's `messages:send` with `bearer`; the status and the answer.
async fn send_raw(fcm: &FakeFcm, bearer: &str, body: &Value) -> (u16, Value) {
    let answer = reqwest::Client::new()
        .post(fcm.send_url())
        .bearer_auth(bearer)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// The fake takes `body`: 200, and one more send recorded.
async fn assert_accepted(fcm: &FakeFcm, bearer: &str, body: &Value, what: &str) {
    let before = fcm.send_count();
    let (status, answer) = send_raw(fcm, bearer, body).await;
    assert_eq!(status, 200, "{what}: refused, {answer}");
    assert_eq!(fcm.send_count(), before + 1, "{what}");
}

/// The fake refuses `body` as FCM does: 400 `INVALID_ARGUMENT`, recorded among its refusals
/// (with a reason holding `reason`), and no send recorded.
async fn assert_refused(fcm: &FakeFcm, bearer: &str, body: &Value, what: &str, reason: &str) {
    let (sends, refusals) = (fcm.send_count(), fcm.refusals().len());
    let (status, answer) = send_raw(fcm, bearer, body).await;
    assert_eq!(status, 400, "{what}: {answer}");
    assert_eq!(
        answer["error"]["status"], "INVALID_ARGUMENT",
        "{what}: {answer}"
    );
    assert_eq!(
        answer["error"]["details"][0]["errorCode"], "INVALID_ARGUMENT",
        "{what}: {answer}"
    );
    let now = fcm.refusals();
    assert_eq!(now.len(), refusals + 1, "{what}: not recorded as a refusal");
    assert!(
        now.last().unwrap().contains(reason),
        "{what}: refused for {:?}, expected a reason with {reason:?}",
        now.last().unwrap()
    );
    assert_eq!(fcm.send_count(), sends, "{what}: recorded as sent");
}

#[tokio::test]
async fn the_fake_refuses_a_message_over_fcms_payload_limit() {
    let fcm = FakeFcm::start().await;
    let bearer = fcm.access_token().await;
    let with_body = |text: String| {
        let mut body = message("author-phone");
        body["message"]["notification"]["body"] = json!(text);
        body
    };
    let base = payload_size(&with_body(String::new())["message"]);
    assert!(base < 600, "Hearth's shape alone weighs {base} bytes");

    // Exactly the limit goes through; a byte more does not.
    let fitting = with_body("x".repeat(MAX_PAYLOAD - base));
    assert_eq!(payload_size(&fitting["message"]), MAX_PAYLOAD);
    assert_accepted(&fcm, &bearer, &fitting, "a payload of exactly 4096 bytes").await;
    let over = with_body("x".repeat(MAX_PAYLOAD - base + 1));
    assert_eq!(payload_size(&over["message"]), MAX_PAYLOAD + 1);
    assert_refused(&fcm, &bearer, &over, "a payload of 4097 bytes", "too big").await;

    // The device token is no part of the payload: a long one with a full payload goes through.
    let mut long_token = fitting.clone();
    long_token["message"]["token"] = json!("t".repeat(500));
    assert_accepted(&fcm, &bearer, &long_token, "a full payload to a long token").await;

    // Bytes are counted, not characters: fewer characters than the limit, but two bytes each.
    let wide = with_body("é".repeat((MAX_PAYLOAD - base) / 2 + 1));
    assert!(
        wide["message"]["notification"]["body"]
            .as_str()
            .unwrap()
            .chars()
            .count()
            < MAX_PAYLOAD - base
    );
    assert_refused(
        &fcm,
        &bearer,
        &wide,
        "2-byte characters over the limit",
        "too big",
    )
    .await;

    // Whatever carries the weight: the data as well as the notification.
    let mut heavy_data = message("author-phone");
    heavy_data["message"]["data"]["blob"] = json!("d".repeat(MAX_PAYLOAD));
    assert_refused(&fcm, &bearer, &heavy_data, "a heavy data block", "too big").await;
}

#[tokio::test]
async fn the_fake_refuses_reserved_data_keys_and_values_not_strings() {
    let fcm = FakeFcm::start().await;
    let bearer = fcm.access_token().await;
    for key in [
        "from",
        "notification",
        "message_type",
        "google",
        "google.c.a.e",
        "google.sent_time",
        "googleAnalytics",
        "gcm",
        "gcm.notification.body",
        "gcmKey",
    ] {
        assert!(is_reserved_data_key(key), "{key}");
        let mut body = message("author-phone");
        body["message"]["data"][key] = json!("x");
        assert_refused(&fcm, &bearer, &body, &format!("data.{key}"), "reserved").await;
        let mut body = message("author-phone");
        body["message"]["android"]["data"] = json!({ key: "x" });
        assert_refused(
            &fcm,
            &bearer,
            &body,
            &format!("android.data.{key}"),
            "reserved",
        )
        .await;
    }
    for (key, value) in [
        ("unread", json!(3)),
        ("urgent", json!(true)),
        ("nested", json!({"a": "b"})),
        ("list", json!(["a"])),
        ("nothing", Value::Null),
    ] {
        let mut body = message("author-phone");
        body["message"]["data"][key] = value.clone();
        assert_refused(
            &fcm,
            &bearer,
            &body,
            &format!("data.{key} = {value}"),
            "must be a string",
        )
        .await;
    }
    // The keys Hearth uses, and names that only look like reserved ones, go through.
    let mut fine = message("author-phone");
    fine["message"]["data"] = json!({
        "kind": "REPLY", "notificationId": "n", "groupId": "g", "postId": "p", "replyId": "r",
        "questionId": "q", "answerId": "a", "fromWhom": "x", "notifications": "x",
        "messageType": "x", "xgoogle": "x", "my_gcm": "x",
    });
    for key in fine["message"]["data"].as_object().unwrap().keys() {
        assert!(!is_reserved_data_key(key), "{key}");
    }
    assert_accepted(&fcm, &bearer, &fine, "ordinary keys").await;
}

#[tokio::test]
async fn the_fake_refuses_malformed_device_tokens() {
    let fcm = FakeFcm::start().await;
    let bearer = fcm.access_token().await;
    let too_long = "x".repeat(MAX_DEVICE_TOKEN + 1);
    for token in [
        " ",
        "has space",
        " leading",
        "trailing ",
        "tab\there",
        "line\nbreak",
        "no-break\u{a0}space",
        "nul\u{0}byte",
        too_long.as_str(),
    ] {
        let shown: String = token.chars().take(20).collect();
        assert_refused(
            &fcm,
            &bearer,
            &message(token),
            &format!("token {shown:?}"),
            "not a valid FCM registration token",
        )
        .await;
    }
    // No token at all, or one that is no string, is not a target.
    for token in [json!(""), json!(42), Value::Null] {
        let mut body = message("author-phone");
        body["message"]["token"] = token.clone();
        assert_refused(
            &fcm,
            &bearer,
            &body,
            &format!("token {token}"),
            "exactly one of token",
        )
        .await;
    }
    // The tokens of the tests, a real token's shape, and the longest Hearth registers, go through.
    let real = format!("dGVzdC1pbnN0YW5jZS1pZA:APA91b{}", "Hq3-x_Z9".repeat(17));
    let hearths_longest = "y".repeat(512);
    let longest = "z".repeat(MAX_DEVICE_TOKEN);
    for token in [
        "a",
        "author-phone",
        "busy-phone-0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        real.as_str(),
        hearths_longest.as_str(),
        longest.as_str(),
    ] {
        let shown: String = token.chars().take(20).collect();
        assert_accepted(&fcm, &bearer, &message(token), &format!("token {shown:?}")).await;
    }
}

#[tokio::test]
async fn the_fake_refuses_an_access_token_once_it_has_expired() {
    let fcm = FakeFcm::start().await;
    let first = fcm.access_token().await;
    assert_accepted(&fcm, &first, &message("author-phone"), "a fresh token").await;
    let is_unauthenticated = |answer: &Value, what: &str| {
        assert_eq!(answer["error"]["code"], 401, "{what}: {answer}");
        assert_eq!(
            answer["error"]["status"], "UNAUTHENTICATED",
            "{what}: {answer}"
        );
    };
    // A token never issued is refused.
    let (status, answer) = send_raw(&fcm, "fake-access-token-999", &message("author-phone")).await;
    assert_eq!(status, 401);
    is_unauthenticated(&answer, "a token never issued");

    // Its hour is up: refused, and refused again (unlike a revocation, this lasts).
    fcm.expire_tokens();
    for attempt in 0..2 {
        let (status, answer) = send_raw(&fcm, &first, &message("author-phone")).await;
        assert_eq!(status, 401, "attempt {attempt}");
        is_unauthenticated(&answer, "an expired token");
    }
    // A token fetched since is good.
    let second = fcm.access_token().await;
    assert_ne!(second, first);
    assert_accepted(
        &fcm,
        &second,
        &message("author-phone"),
        "a token fetched anew",
    )
    .await;

    // A short lifetime: the endpoint says it, and the fake holds to it.
    fcm.set_token_lifetime(Duration::from_secs(3));
    let answer = fcm.token_answer().await;
    assert_eq!(answer["expires_in"], 3, "{answer}");
    assert_eq!(answer["token_type"], "Bearer", "{answer}");
    let short = answer["access_token"].as_str().unwrap().to_owned();
    assert_accepted(
        &fcm,
        &short,
        &message("author-phone"),
        "a token within its life",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(3_300)).await;
    let (status, answer) = send_raw(&fcm, &short, &message("author-phone")).await;
    assert_eq!(status, 401, "a token past its life was taken");
    is_unauthenticated(&answer, "a token past its life");
    // The tokens of an hour are still good.
    assert_accepted(
        &fcm,
        &second,
        &message("author-phone"),
        "a token of an hour",
    )
    .await;

    assert_eq!(fcm.unauthenticated(), 4);
    assert!(fcm.refusals().is_empty(), "{:?}", fcm.refusals());
}

struct PushWorld {
    app: TestApp,
    fcm: FakeFcm,
    author: Session,
    replier: Session,
    group_name: String,
    post: String,
    _dir: tempfile::TempDir,
}

/// A group by `group_name` whose owner has a phone, a member who replies, and the owner's post.
/// `token_lifetime`: how long the fake's access tokens live (its default is an hour).
async fn world(group_name: &str, token_lifetime: Option<Duration>) -> PushWorld {
    let fcm = FakeFcm::start().await;
    if let Some(lifetime) = token_lifetime {
        fcm.set_token_lifetime(lifetime);
    }
    let (app, dir) = TestApp::pushing_to(&fcm, |s| {
        s.push_worker.retry_base = Duration::from_millis(200);
    })
    .await;
    let author = app.register("Token Author").await;
    let replier = app.register("Token Replier").await;
    let group = app.create_group(&author, group_name, "PUBLIC").await;
    app.join(&replier, &group).await;
    let post = app.post(&author, &group, "A week of small things").await;
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
        group_name: group_name.to_owned(),
        post,
        _dir: dir,
    }
}

/// The author reads their notifications, so the next reply in the thread is news (and a push).
async fn caught_up(w: &PushWorld) {
    w.app
        .ok(
            &w.author.access,
            "mutation { markNotificationsRead(all: true) }",
            json!({}),
        )
        .await;
}

/// Waits up to 15 s for the push jobs' states, oldest first.
async fn wait_for_states(app: &TestApp, expected: &[&str]) {
    use sea_orm::{ActiveEnum, EntityTrait, QueryOrder};
    let states = || async {
        entity::push_jobs::Entity::find()
            .order_by_asc(entity::push_jobs::Column::CreatedAt)
            .all(&app.context.db)
            .await
            .unwrap()
            .into_iter()
            .map(|j| j.state.to_value())
            .collect::<Vec<String>>()
    };
    for _ in 0..150 {
        if states().await == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(states().await, expected);
}

/// The reply `n` (from 1) of the thread, and the sends once its push arrived.
async fn push_reply(w: &PushWorld, n: usize) -> Vec<Sent> {
    if n > 1 {
        caught_up(w).await;
    }
    w.app
        .reply(&w.replier, &w.post, &format!("reply number {n}"))
        .await;
    w.fcm.wait_for_sends(n).await
}

#[tokio::test]
async fn an_access_token_fcm_calls_expired_is_replaced_and_the_push_still_goes_out() {
    let w = world("Token Group", None).await;
    let sends = push_reply(&w, 1).await;
    assert_eq!(w.fcm.token_requests(), 1);
    let first = sends[0].bearer.clone();

    // The token's hour is up at FCM while Hearth still holds it as good.
    w.fcm.expire_tokens();
    let sends = push_reply(&w, 2).await;
    assert_eq!(
        w.fcm.unauthenticated(),
        1,
        "the expired token is tried once, then replaced"
    );
    assert_eq!(w.fcm.token_requests(), 2, "a new token is fetched");
    assert_ne!(
        sends[1].bearer, first,
        "the push went out with the expired token"
    );
    assert_eq!(sends[1].bearer, "fake-access-token-2");
    wait_for_states(&w.app, &["SENT", "SENT"]).await;

    // The new token is kept: the next push needs no other, and is not refused.
    let sends = push_reply(&w, 3).await;
    assert_eq!(sends[2].bearer, sends[1].bearer);
    assert_eq!(w.fcm.token_requests(), 2);
    assert_eq!(w.fcm.unauthenticated(), 1);
    wait_for_states(&w.app, &["SENT", "SENT", "SENT"]).await;
    assert_eq!(w.fcm.send_count(), 3);
}

/// gcp_auth counts a token expired 20 s before its end (`Token::has_expired`): a token that
/// lives 22 s is renewed after 2 s, one that lives 5 s on every use. Either way Hearth must
/// renew it before FCM refuses it: no send is answered 401, and each push after the wait
/// carries a new token.
#[tokio::test]
async fn an_access_token_near_its_expiry_is_renewed_before_fcm_refuses_it() {
    for (lifetime, wait) in [
        (Duration::from_secs(22), Duration::from_secs(3)),
        (Duration::from_secs(5), Duration::from_millis(5_500)),
    ] {
        let w = world("Token Group", Some(lifetime)).await;
        let sends = push_reply(&w, 1).await;
        assert_eq!(w.fcm.token_requests(), 1, "{lifetime:?}");
        let first = sends[0].bearer.clone();
        // Past gcp_auth's margin (and, for the short one, past the token's life at FCM too).
        tokio::time::sleep(wait).await;
        let sends = push_reply(&w, 2).await;
        assert_eq!(
            w.fcm.token_requests(),
            2,
            "{lifetime:?}: no new token was fetched"
        );
        assert_ne!(
            sends[1].bearer, first,
            "{lifetime:?}: the old token was sent"
        );
        assert_eq!(
            w.fcm.unauthenticated(),
            0,
            "{lifetime:?}: a push carried a token FCM no longer takes"
        );
        wait_for_states(&w.app, &["SENT", "SENT"]).await;
    }
}

#[tokio::test]
async fn a_long_reply_with_previews_makes_a_message_within_fcms_limits() {
    // The longest group name there may be (80 characters), of characters of several bytes.
    let group_name = "🏔é".repeat(40);
    assert_eq!(group_name.chars().count(), 80);
    let w = world(&group_name, None).await;
    w.app
        .ok(
            &w.author.access,
            "mutation { updatePushPreferences(input: {previews: true}) { previews } }",
            json!({}),
        )
        .await;
    // The longest reply there may be (10 000 characters), in words of several bytes.
    const WORDS: [&str; 12] = [
        "Ça",
        "m'a",
        "touché",
        "énormément",
        "😊",
        "merci",
        "à",
        "toi",
        "pour",
        "ces",
        "mots",
        "d'espoir",
    ];
    let mut body = String::new();
    let mut chars = 0;
    for word in WORDS.iter().cycle() {
        let more = word.chars().count() + usize::from(chars > 0);
        if chars + more > 10_000 {
            break;
        }
        if chars > 0 {
            body.push(' ');
        }
        body.push_str(word);
        chars += more;
    }
    assert!(chars > 9_990, "{chars}");
    w.app.reply(&w.replier, &w.post, &body).await;

    // Accepted by the fake (a refusal fails `wait_for_sends`), and within the limits here too.
    let sends = w.fcm.wait_for_sends(1).await;
    let message = &sends[0].body["message"];
    assert_eq!(message["token"], "author-phone");
    assert_eq!(message["notification"]["title"], json!(w.group_name));
    let preview = message["notification"]["body"].as_str().unwrap();
    assert!(
        preview.chars().count() <= 80,
        "a preview of {} characters: {preview}",
        preview.chars().count()
    );
    assert!(
        preview.starts_with("Ça m'a touché énormément 😊"),
        "{preview}"
    );
    assert!(preview.ends_with('…'), "{preview}");
    let size = payload_size(message);
    assert!(size <= MAX_PAYLOAD, "the message weighs {size} bytes");
    for key in message["data"].as_object().unwrap().keys() {
        assert!(!is_reserved_data_key(key), "data.{key} is reserved");
    }
    wait_for_states(&w.app, &["SENT"]).await;
    assert!(w.fcm.refusals().is_empty(), "{:?}", w.fcm.refusals());
}
