use crate::support::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The payload of a real token, to forge variations of it.
fn claims_of(session: &Session) -> Value {
    let payload = session.access.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(claims: &Value, secret: &str) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn forged_and_expired_access_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let ana = app.register("Honest Mole").await;
    let claims = claims_of(&ana);
    assert_eq!(claims["typ"], "access");
    assert_eq!(claims["sub"], json!(ana.user_id));
    // The genuine token, re-signed with our secret, still works: the forgeries below differ in one thing.
    assert_eq!(
        app.me(Some(&sign(&claims, JWT_SECRET))).await["data"]["me"]["id"],
        json!(ana.user_id)
    );

    let now = chrono::Utc::now().timestamp();
    let mut forgeries = vec![
        (
            "wrong secret",
            sign(&claims, "another-secret-that-is-long-enough-0123456789"),
        ),
        ("refresh token", ana.refresh.clone()),
        ("garbage", "not.a.jwt".to_owned()),
    ];
    for (what, key, value) in [
        ("wrong issuer", "iss", json!("someone-else")),
        ("wrong audience", "aud", json!("another-app")),
        ("wrong type", "typ", json!("refresh")),
        ("expired", "exp", json!(now - 120)),
        ("expired beyond the 5 s leeway", "exp", json!(now - 7)),
        ("not valid yet", "nbf", json!(now + 60)),
        ("issued in the future", "iat", json!(now + 60)),
        (
            "unknown session",
            "sid",
            json!("00000000-0000-0000-0000-000000000000"),
        ),
    ] {
        let mut forged = claims.clone();
        forged[key] = value;
        forgeries.push((what, sign(&forged, JWT_SECRET)));
    }
    let mut no_subject = claims.clone();
    no_subject.as_object_mut().unwrap().remove("sub");
    forgeries.push(("no subject", sign(&no_subject, JWT_SECRET)));
    let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    let body = b64(claims.to_string().as_bytes());
    forgeries.push(("alg none", format!("{header}.{body}.")));
    let hs512 = encode(
        &Header::new(Algorithm::HS512),
        &claims,
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    forgeries.push(("other algorithm", hs512));

    for (what, token) in forgeries {
        let body = app.me(Some(&token)).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{what}: {body}");
    }

    // An expiry and a start within the 5 s leeway are still honoured; beyond it they are not
    // (checked above).
    let mut nearly = claims.clone();
    nearly["exp"] = json!(now - 2);
    nearly["nbf"] = json!(now + 2);
    nearly["iat"] = json!(now + 2);
    assert_eq!(
        app.me(Some(&sign(&nearly, JWT_SECRET))).await["data"]["me"]["id"],
        json!(ana.user_id)
    );
}

#[tokio::test]
async fn a_session_counts_only_for_the_person_it_was_opened_for() {
    let app = TestApp::spawn().await;
    let ana = app.register("Honest Mole").await;
    let mallory = app.register("Sly Stoat").await;
    // Ana's session is live and checked (remembered by the instance) before the forgery.
    assert_eq!(
        app.me(Some(&ana.access)).await["data"]["me"]["id"],
        json!(ana.user_id)
    );
    // Mallory's token with Ana's session id (only the signing key could make it), and Ana's
    // subject with Mallory's session: each is refused, over HTTP and over a socket.
    let mut ana_session = claims_of(&mallory);
    ana_session["sid"] = claims_of(&ana)["sid"].clone();
    let mut mallory_session = claims_of(&ana);
    mallory_session["sid"] = claims_of(&mallory)["sid"].clone();
    for forged in [&ana_session, &mallory_session] {
        let token = sign(forged, JWT_SECRET);
        let body = app.me(Some(&token)).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{forged}: {body}");
        let mut socket = app.socket().await;
        socket.init(&token).await;
        assert_eq!(
            socket.expect_close(std::time::Duration::from_secs(5)).await,
            Some(4403),
            "the socket was let in"
        );
    }
}

#[tokio::test]
async fn a_malformed_authorization_header_is_refused() {
    let app = TestApp::spawn().await;
    let ana = app.register("Plain Finch").await;
    let response = app
        .http
        .post(app.url("/graphql"))
        .header("Authorization", format!("Token {}", ana.access))
        .json(&json!({"query": "{ me { id } }"}))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}
