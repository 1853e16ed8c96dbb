//! Persisted queries (issue 14): Apollo's automatic persisted queries over POST and GET, kept in
//! Redis across instances, and trusted documents only when the server is given a manifest.
use crate::support::*;
use serde_json::{json, Value};

const ME: &str = "query Me { me { displayName } }";

fn sha256(text: &str) -> String {
    api::secrets::sha256_hex(text)
}

fn persisted(hash: &str) -> Value {
    json!({"persistedQuery": {"version": 1, "sha256Hash": hash}})
}

/// POST with the hash, and with the document when given.
async fn post(app: &TestApp, token: &str, query: Option<&str>, hash: &str) -> Value {
    let mut body = json!({"extensions": persisted(hash)});
    if let Some(query) = query {
        body["query"] = json!(query);
    }
    let response = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_protocols_own_flow_miss_then_hash_with_query_then_hash_alone() {
    let app = TestApp::spawn().await;
    let me = app.register("Persisted Pia").await;
    let hash = sha256(ME);

    let miss = post(&app, &me.access, None, &hash).await;
    assert_eq!(error_code(&miss), "PERSISTED_QUERY_NOT_FOUND", "{miss}");
    assert_eq!(miss["errors"][0]["message"], "PersistedQueryNotFound");

    let registered = post(&app, &me.access, Some(ME), &hash).await;
    assert_eq!(
        registered["data"]["me"]["displayName"], "Persisted Pia",
        "{registered}"
    );
    let by_hash = post(&app, &me.access, None, &hash).await;
    assert_eq!(by_hash, registered);

    // GET with the hash alone: a short URL a CDN can cache.
    let extensions = persisted(&hash).to_string();
    let get = app
        .http
        .get(app.url("/graphql"))
        .bearer_auth(&me.access)
        .query(&[("extensions", extensions.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 200);
    assert_eq!(get.json::<Value>().await.unwrap(), registered);

    // A mutation kept by hash still cannot run over GET.
    let mutation = "mutation Read { markNotificationsRead(all: true) }";
    let kept = post(&app, &me.access, Some(mutation), &sha256(mutation)).await;
    assert!(kept.get("data").is_some(), "{kept}");
    let extensions = persisted(&sha256(mutation)).to_string();
    let get = app
        .http
        .get(app.url("/graphql"))
        .query(&[("extensions", extensions.as_str())])
        .send()
        .await
        .unwrap();
    let status = get.status();
    assert_eq!(status, 405, "{}", get.text().await.unwrap());
}

#[tokio::test]
async fn a_hash_that_is_not_its_documents_is_refused_and_nothing_is_kept() {
    let app = TestApp::spawn().await;
    let me = app.register("Persisted Pat").await;
    let other = sha256("{ __typename }");
    let wrong = post(&app, &me.access, Some(ME), &other).await;
    assert_eq!(error_code(&wrong), "BAD_USER_INPUT", "{wrong}");
    let after = post(&app, &me.access, None, &other).await;
    assert_eq!(error_code(&after), "PERSISTED_QUERY_NOT_FOUND", "{after}");
    for bad in [
        json!({"version": 2, "sha256Hash": sha256(ME)}),
        json!({"version": 1, "sha256Hash": "ABC"}),
    ] {
        let body = app
            .http
            .post(app.url("/graphql"))
            .json(&json!({"query": ME, "extensions": {"persistedQuery": bad}}))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    }
}

/// Kept in Redis, a document sent to one instance runs by hash on another.
#[tokio::test]
#[ignore = "needs Redis: set HEARTH_TEST_REDIS_URL and pass -- --include-ignored"]
async fn a_document_kept_on_one_instance_runs_by_hash_on_another() {
    required_redis_url();
    let a = TestApp::spawn().await;
    let b = a.sibling().await;
    let me = a.register("Persisted Poe").await;
    let hash = sha256(ME);
    assert_eq!(
        error_code(&post(&b, &me.access, None, &hash).await),
        "PERSISTED_QUERY_NOT_FOUND"
    );
    post(&a, &me.access, Some(ME), &hash).await;
    let on_b = post(&b, &me.access, None, &hash).await;
    assert_eq!(on_b["data"]["me"]["displayName"], "Persisted Poe", "{on_b}");
}

/// With a manifest, only its documents run: by hash or in full. Nothing is learnt from requests.
#[tokio::test]
async fn trusted_documents_only_when_a_manifest_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("trusted.json");
    std::fs::write(&manifest, json!({ sha256(ME): ME }).to_string()).unwrap();
    let app = TestApp::spawn_with({
        let manifest = manifest.clone();
        move |s| s.trusted_documents = Some(manifest)
    })
    .await;
    let me = app.register("Trusted Tam").await;

    let by_hash = post(&app, &me.access, None, &sha256(ME)).await;
    assert_eq!(
        by_hash["data"]["me"]["displayName"], "Trusted Tam",
        "{by_hash}"
    );
    let in_full = app.ok(&me.access, ME, json!({})).await;
    assert_eq!(in_full["me"]["displayName"], "Trusted Tam");

    let other = "{ me { id } }";
    let free = app.gql(Some(&me.access), other, json!({})).await;
    assert_eq!(error_code(&free), "QUERY_NOT_IN_SAFELIST", "{free}");
    let offered = post(&app, &me.access, Some(other), &sha256(other)).await;
    assert_eq!(
        error_code(&offered),
        "PERSISTED_QUERY_NOT_IN_LIST",
        "{offered}"
    );
    let later = post(&app, &me.access, None, &sha256(other)).await;
    assert_eq!(error_code(&later), "PERSISTED_QUERY_NOT_IN_LIST", "{later}");
}

const TICKS: &str = "subscription Ticks { heartbeat(intervalSeconds: 1) { sequence } }";

/// A `subscribe` whose payload carries the persisted-query extension, and the document when
/// given.
async fn subscribe_persisted(socket: &mut Socket, id: &str, query: Option<&str>, hash: &str) {
    let mut payload = json!({"extensions": persisted(hash), "variables": {}});
    if let Some(query) = query {
        payload["query"] = json!(query);
    }
    socket
        .send(json!({"id": id, "type": "subscribe", "payload": payload}))
        .await;
}

/// The next message for `id`, skipping none: operations here run one at a time.
async fn next_of(socket: &mut Socket, id: &str) -> Value {
    let message = socket.expect_json(std::time::Duration::from_secs(5)).await;
    assert_eq!(message["id"], id, "{message}");
    message
}

/// Apollo's flow over the WebSocket: a hash alone is answered with `PersistedQueryNotFound`
/// (one `next` with the error, then `complete`, where Apollo's clients look for it); the hash
/// with its document runs and is kept; the hash alone then runs the kept document.
#[tokio::test]
async fn persisted_queries_work_over_the_websocket() {
    let app = TestApp::spawn().await;
    let me = app.register("Socket Sol").await;
    let hash = sha256(TICKS);
    let mut socket = app.socket().await;
    socket.init(&me.access).await;
    assert_eq!(
        socket.expect_json(std::time::Duration::from_secs(5)).await["type"],
        "connection_ack"
    );

    subscribe_persisted(&mut socket, "miss", None, &hash).await;
    let miss = next_of(&mut socket, "miss").await;
    assert_eq!(miss["type"], "next", "{miss}");
    assert_eq!(
        miss["payload"]["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    assert_eq!(
        miss["payload"]["errors"][0]["message"],
        "PersistedQueryNotFound"
    );
    assert_eq!(next_of(&mut socket, "miss").await["type"], "complete");

    // A wrong hash is refused and keeps nothing.
    subscribe_persisted(
        &mut socket,
        "forged",
        Some(TICKS),
        &sha256("something else"),
    )
    .await;
    let forged = next_of(&mut socket, "forged").await;
    assert_eq!(
        forged["payload"]["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    assert_eq!(next_of(&mut socket, "forged").await["type"], "complete");

    subscribe_persisted(&mut socket, "full", Some(TICKS), &hash).await;
    let tick = next_of(&mut socket, "full").await;
    assert_eq!(
        tick["payload"]["data"]["heartbeat"]["sequence"], 1,
        "{tick}"
    );
    socket.send(json!({"id": "full", "type": "complete"})).await;

    // Kept: by hash alone now, on this socket or any other.
    let mut other = app.socket().await;
    other.init(&me.access).await;
    other.expect_json(std::time::Duration::from_secs(5)).await;
    subscribe_persisted(&mut other, "by-hash", None, &hash).await;
    let tick = next_of(&mut other, "by-hash").await;
    assert_eq!(
        tick["payload"]["data"]["heartbeat"]["sequence"], 1,
        "{tick}"
    );
}

/// With a manifest, subscriptions are bound by it too: a document sent in full that is not in
/// it never runs, and one that is runs by its hash.
#[tokio::test]
async fn trusted_documents_bind_subscriptions() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("trusted.json");
    std::fs::write(&manifest, json!({ sha256(TICKS): TICKS }).to_string()).unwrap();
    let app = TestApp::spawn_with({
        let manifest = manifest.clone();
        move |s| s.trusted_documents = Some(manifest)
    })
    .await;
    let me = app.register("Trusted Socket").await;
    let mut socket = app.socket().await;
    socket.init(&me.access).await;
    socket.expect_json(std::time::Duration::from_secs(5)).await;

    socket
        .start(
            "free",
            "subscription { heartbeat(intervalSeconds: 2) { sequence } }",
            json!({}),
        )
        .await;
    let free = next_of(&mut socket, "free").await;
    assert_eq!(
        free["payload"]["errors"][0]["extensions"]["code"], "QUERY_NOT_IN_SAFELIST",
        "{free}"
    );
    assert_eq!(next_of(&mut socket, "free").await["type"], "complete");

    subscribe_persisted(&mut socket, "listed", None, &sha256(TICKS)).await;
    let tick = next_of(&mut socket, "listed").await;
    assert_eq!(
        tick["payload"]["data"]["heartbeat"]["sequence"], 1,
        "{tick}"
    );
}
