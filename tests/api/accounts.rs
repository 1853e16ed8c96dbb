use crate::support::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn register_login_and_me() {
    let app = TestApp::spawn().await;
    let ana = app.register("Quiet Fox").await;
    assert_eq!(ana.email, "quiet.fox@example.org");

    let me = app.me(Some(&ana.access)).await;
    assert_eq!(me["data"]["me"]["displayName"], "Quiet Fox");
    assert_eq!(me["data"]["me"]["timezone"], "UTC");
    assert_eq!(me["data"]["me"]["devices"], json!([]));

    // Email is normalised: case and spaces do not matter at sign-in.
    let login = app.login("  QUIET.fox@Example.org ", PASSWORD).await;
    let session = Session::from_payload(&login["data"]["login"]).expect("login works");
    assert_eq!(session.user_id, ana.user_id);
    assert_ne!(session.access, ana.access);

    // Signed out, `me` is null and not an error.
    let anonymous = app.me(None).await;
    assert_eq!(anonymous["data"]["me"], json!(null));
    assert!(anonymous.get("errors").is_none());
}

#[tokio::test]
async fn registration_validates_its_input() {
    let app = TestApp::spawn().await;
    app.register("Taken Name").await;
    let cases = [
        (
            "not-an-email",
            PASSWORD,
            "Someone New",
            "BAD_USER_INPUT",
            "email",
        ),
        (
            "a@example.org",
            "short",
            "Someone New",
            "BAD_USER_INPUT",
            "password",
        ),
        (
            "b@example.org",
            PASSWORD,
            "ab",
            "BAD_USER_INPUT",
            "displayName",
        ),
        (
            "c@example.org",
            PASSWORD,
            "TAKEN name",
            "CONFLICT",
            "displayName",
        ),
    ];
    for (email, password, name, code, field) in cases {
        let body = app
            .gql(
                None,
                "mutation($input: RegisterInput!) { register(input: $input) { status } }",
                json!({"input": {"email": email, "password": password, "displayName": name}}),
            )
            .await;
        assert_eq!(error_code(&body), code, "{email} {name}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
        assert_eq!(body["data"], json!(null));
    }
    // Nothing half-written: only the first account exists.
    use sea_orm::{ColumnTrait, QueryFilter};
    use sea_orm::{EntityTrait, PaginatorTrait};
    let users = entity::users::Entity::find()
        .filter(entity::users::Column::Id.ne(migration::DELETED_MEMBER_ID))
        .count(&app.context.db)
        .await
        .unwrap();
    assert_eq!(users, 1);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same() {
    let app = TestApp::spawn().await;
    app.register("Kind Heron").await;
    let wrong = app
        .login("kind.heron@example.org", "not the password")
        .await;
    let unknown = app.login("nobody@example.org", "not the password").await;
    assert_eq!(error_code(&wrong), "UNAUTHENTICATED");
    assert_eq!(
        wrong["errors"][0]["message"],
        unknown["errors"][0]["message"]
    );
    assert_eq!(error_code(&unknown), "UNAUTHENTICATED");
}

#[tokio::test]
async fn refresh_rotates_and_reuse_after_grace_revokes_the_session() {
    let app = TestApp::spawn_with(|s| {
        s.refresh_reuse_grace = Duration::from_secs(1);
        s.session_check_interval = Duration::ZERO;
    })
    .await;
    let ana = app.register("Brave Otter").await;

    let first = app.refresh(&ana.refresh).await;
    let rotated = Session::from_payload(&first["data"]["refreshSession"]).expect("refresh works");
    assert_ne!(rotated.refresh, ana.refresh);

    // Within the grace window the old token still works (an app's two concurrent refreshes).
    let concurrent = app.refresh(&ana.refresh).await;
    let sibling =
        Session::from_payload(&concurrent["data"]["refreshSession"]).expect("grace works");
    assert_eq!(
        app.me(Some(&sibling.access)).await["data"]["me"]["id"],
        json!(ana.user_id)
    );

    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let replay = app.refresh(&ana.refresh).await;
    assert_eq!(error_code(&replay), "UNAUTHENTICATED");

    // The whole session is gone: its newest tokens are refused too.
    assert_eq!(
        error_code(&app.refresh(&rotated.refresh).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&app.me(Some(&rotated.access)).await),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn refresh_token_is_single_use_per_rotation() {
    let app = TestApp::spawn().await;
    let ana = app.register("Calm Lynx").await;
    let next =
        Session::from_payload(&app.refresh(&ana.refresh).await["data"]["refreshSession"]).unwrap();
    let after =
        Session::from_payload(&app.refresh(&next.refresh).await["data"]["refreshSession"]).unwrap();
    assert_ne!(after.refresh, next.refresh);
    assert_eq!(
        error_code(&app.refresh("made-up-token").await),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn logout_ends_this_session_or_all_of_them() {
    let app = TestApp::spawn_with(|s| s.session_check_interval = Duration::ZERO).await;
    let phone = app.register("Gentle Wren").await;
    let tablet =
        Session::from_payload(&app.login(&phone.email, PASSWORD).await["data"]["login"]).unwrap();
    let laptop =
        Session::from_payload(&app.login(&phone.email, PASSWORD).await["data"]["login"]).unwrap();

    let out = app
        .gql(Some(&phone.access), "mutation { logout }", json!({}))
        .await;
    assert_eq!(out["data"]["logout"], true);
    assert_eq!(
        error_code(&app.me(Some(&phone.access)).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&app.refresh(&phone.refresh).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        app.me(Some(&tablet.access)).await["data"]["me"]["id"],
        json!(phone.user_id)
    );

    let all = app
        .gql(
            Some(&tablet.access),
            "mutation { logout(allDevices: true) }",
            json!({}),
        )
        .await;
    assert_eq!(all["data"]["logout"], true);
    assert_eq!(
        error_code(&app.me(Some(&laptop.access)).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&app.refresh(&laptop.refresh).await),
        "UNAUTHENTICATED"
    );

    // Logging out needs a session.
    assert_eq!(
        error_code(&app.gql(None, "mutation { logout }", json!({})).await),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn changing_the_password_signs_out_other_sessions() {
    let app = TestApp::spawn_with(|s| s.session_check_interval = Duration::ZERO).await;
    let here = app.register("Steady Crane").await;
    let elsewhere =
        Session::from_payload(&app.login(&here.email, PASSWORD).await["data"]["login"]).unwrap();
    let change = "mutation($c: String!, $n: String!) { changePassword(current: $c, new: $n) }";

    let wrong = app
        .gql(
            Some(&here.access),
            change,
            json!({"c": "not my password", "n": "a new long password"}),
        )
        .await;
    assert_eq!(error_code(&wrong), "BAD_USER_INPUT");
    let short = app
        .gql(
            Some(&here.access),
            change,
            json!({"c": PASSWORD, "n": "short"}),
        )
        .await;
    assert_eq!(error_code(&short), "BAD_USER_INPUT");

    let ok = app
        .gql(
            Some(&here.access),
            change,
            json!({"c": PASSWORD, "n": "a new long password"}),
        )
        .await;
    assert_eq!(ok["data"]["changePassword"], true, "{ok}");
    assert_eq!(
        app.me(Some(&here.access)).await["data"]["me"]["id"],
        json!(here.user_id)
    );
    assert_eq!(
        error_code(&app.me(Some(&elsewhere.access)).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&app.refresh(&elsewhere.refresh).await),
        "UNAUTHENTICATED"
    );

    assert_eq!(
        error_code(&app.login(&here.email, PASSWORD).await),
        "UNAUTHENTICATED"
    );
    assert!(Session::from_payload(
        &app.login(&here.email, "a new long password").await["data"]["login"]
    )
    .is_some());
}

#[tokio::test]
async fn profile_updates_are_validated() {
    let app = TestApp::spawn().await;
    let ana = app.register("Soft Rain").await;
    app.register("Loud Thunder").await;
    let update = "mutation($d: String, $t: String) { updateProfile(displayName: $d, timezone: $t) { displayName timezone } }";

    let ok = app
        .gql(
            Some(&ana.access),
            update,
            json!({"d": "Softer Rain", "t": "Europe/Paris"}),
        )
        .await;
    assert_eq!(
        ok["data"]["updateProfile"],
        json!({"displayName": "Softer Rain", "timezone": "Europe/Paris"})
    );
    let tz = app
        .gql(Some(&ana.access), update, json!({"t": "Mars/Olympus"}))
        .await;
    assert_eq!(error_code(&tz), "BAD_USER_INPUT");
    let taken = app
        .gql(Some(&ana.access), update, json!({"d": "loud thunder"}))
        .await;
    assert_eq!(error_code(&taken), "CONFLICT");
    // Keeping my own name in another case is fine.
    let recase = app
        .gql(Some(&ana.access), update, json!({"d": "SOFTER rain"}))
        .await;
    assert_eq!(
        recase["data"]["updateProfile"]["displayName"],
        "SOFTER rain"
    );
    assert_eq!(
        error_code(&app.gql(None, update, json!({"t": "UTC"})).await),
        "UNAUTHENTICATED"
    );
}

/// Posts a document as if from `address` (the server trusts `X-Forwarded-For` in these tests),
/// signed in with `token` when given; returns the answer.
async fn gql_from(
    app: &TestApp,
    address: &str,
    token: Option<&str>,
    query: &str,
    variables: serde_json::Value,
) -> serde_json::Value {
    let mut request = app
        .http
        .post(app.url("/graphql"))
        .header("x-forwarded-for", address);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Signs in as if from `address`, with a device proof when given; returns the answer.
async fn login_with_proof(
    app: &TestApp,
    address: &str,
    email: &str,
    password: &str,
    proof: Option<&str>,
) -> serde_json::Value {
    gql_from(
        app,
        address,
        None,
        "mutation($input: LoginInput!) { login(input: $input) { accessToken refreshToken accessTokenExpiresAt deviceProof user { id displayName } } }",
        json!({"input": {"email": email, "password": password, "deviceProof": proof}}),
    )
    .await
}

/// Signs in as if from `address`, without a device proof.
async fn login_from(
    app: &TestApp,
    address: &str,
    email: &str,
    password: &str,
) -> serde_json::Value {
    login_with_proof(app, address, email, password, None).await
}

#[tokio::test]
async fn failed_logins_lock_out_the_guesser_not_the_owner() {
    let app = TestApp::spawn_with(|s| {
        s.trust_forwarded_for = true;
        s.auth_limits.login_failures_per_account = 3;
        s.auth_limits.login_failures_per_account_total = 6;
    })
    .await;
    let ana = app.register("Patient Owl").await;
    let stranger = "198.51.100.7";
    for _ in 0..3 {
        let body = login_from(&app, stranger, &ana.email, "wrong password!").await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
    }
    // From the guesser's address even the right password now waits.
    let limited = login_from(&app, stranger, &ana.email, PASSWORD).await;
    assert_eq!(error_code(&limited), "RATE_LIMITED");
    let retry_after = limited["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{limited}");
    // The owner, elsewhere, signs in.
    let owner = login_from(&app, "203.0.113.9", &ana.email, PASSWORD).await;
    assert!(
        Session::from_payload(&owner["data"]["login"]).is_some(),
        "{owner}"
    );
    // Another account from the guesser's address is unaffected.
    let bo = app.register("Patient Bear").await;
    let other = login_from(&app, stranger, &bo.email, PASSWORD).await;
    assert!(
        Session::from_payload(&other["data"]["login"]).is_some(),
        "{other}"
    );

    // Guessing from many addresses meets the account-wide ceiling (6 here).
    for n in 0..3 {
        let body = login_from(
            &app,
            &format!("198.51.100.{}", 20 + n),
            &ana.email,
            "nope nope!",
        )
        .await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
    }
    let ceiling = login_from(&app, "203.0.113.10", &ana.email, PASSWORD).await;
    assert_eq!(error_code(&ceiling), "RATE_LIMITED", "{ceiling}");
    // From where the owner signed in before, they still get in.
    let known = login_from(&app, "203.0.113.9", &ana.email, PASSWORD).await;
    assert!(
        Session::from_payload(&known["data"]["login"]).is_some(),
        "{known}"
    );

    // An IPv6 client is its /64: new addresses in it do not buy new guesses.
    for n in 1..=3 {
        let body = login_from(&app, &format!("2001:db8:7:9::{n}"), &bo.email, "nope nope!").await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
    }
    let same_network = login_from(&app, "2001:db8:7:9::ffff", &bo.email, PASSWORD).await;
    assert_eq!(error_code(&same_network), "RATE_LIMITED", "{same_network}");
}

#[tokio::test]
async fn a_stranger_cannot_keep_the_owner_out_of_a_device_they_signed_in_on() {
    let smtp = crate::fake_smtp::FakeSmtp::start().await;
    let url = smtp.url();
    let app = TestApp::spawn_with(move |s| {
        s.trust_forwarded_for = true;
        s.auth_limits.login_failures_per_account = 3;
        s.auth_limits.login_failures_per_account_total = 6;
        s.mail.smtp_url = Some(api::config::Secret::new(url));
        s.mail.retry_base = Duration::from_millis(50);
    })
    .await;
    let ana = app.register("Patient Owl").await;
    let bo = app.register("Patient Bear").await;
    // Ana's phone signs in once and keeps the proof it is given.
    let first = login_with_proof(&app, "203.0.113.9", &ana.email, PASSWORD, None).await;
    let proof = first["data"]["login"]["deviceProof"]
        .as_str()
        .unwrap_or_else(|| panic!("no device proof: {first}"))
        .to_owned();
    let bos = login_with_proof(&app, "203.0.113.50", &bo.email, PASSWORD, None).await;
    let bos_proof = bos["data"]["login"]["deviceProof"]
        .as_str()
        .unwrap()
        .to_owned();

    // A stranger tries wrong passwords from 25 rotating addresses, well past the ceiling (6).
    for n in 0..25 {
        let body = login_with_proof(
            &app,
            &format!("198.51.100.{}", 20 + n),
            &ana.email,
            "nope nope!",
            None,
        )
        .await;
        assert!(
            ["UNAUTHENTICATED", "RATE_LIMITED"].contains(&error_code(&body)),
            "{body}"
        );
    }
    // Anywhere new without a proof waits, as before (the ceiling still stops the guessing)...
    let fresh = login_with_proof(&app, "192.0.2.77", &ana.email, PASSWORD, None).await;
    assert_eq!(error_code(&fresh), "RATE_LIMITED", "{fresh}");
    // ...and so does someone else's proof, or a forged one.
    for wrong in [bos_proof.as_str(), "AAAAAAAAAAAAAAAAAAAAAA.AAAA", "junk"] {
        let body = login_with_proof(&app, "192.0.2.78", &ana.email, PASSWORD, Some(wrong)).await;
        assert_eq!(error_code(&body), "RATE_LIMITED", "{wrong}: {body}");
    }
    // Ana's phone, now on a new network, gets in with its proof.
    let phone = login_with_proof(&app, "192.0.2.200", &ana.email, PASSWORD, Some(&proof)).await;
    assert!(
        phone["data"]["login"]["accessToken"].is_string(),
        "the owner's device was locked out: {phone}"
    );
    // The owner is told once, by mail, that the ceiling was reached.
    let mails = smtp.wait_for(&ana.email, 1, Duration::from_secs(10)).await;
    assert_eq!(
        mails[0].subject(),
        "Many wrong passwords were tried on your Hearth account"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let to_ana = smtp
        .received()
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains(&ana.email)))
        .count();
    assert_eq!(to_ana, 1, "one mail per window");
    // A proof used to guess locks only itself: three wrong passwords with it, then it waits,
    // while Bo's own phone is not held back by any of this.
    for _ in 0..3 {
        let body =
            login_with_proof(&app, "192.0.2.201", &ana.email, "nope nope!", Some(&proof)).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    }
    let spent = login_with_proof(&app, "192.0.2.202", &ana.email, PASSWORD, Some(&proof)).await;
    assert_eq!(error_code(&spent), "RATE_LIMITED", "{spent}");
    let bo_again =
        login_with_proof(&app, "192.0.2.203", &bo.email, PASSWORD, Some(&bos_proof)).await;
    assert!(
        bo_again["data"]["login"]["accessToken"].is_string(),
        "{bo_again}"
    );
}

#[tokio::test]
async fn reaching_the_ceiling_does_the_same_work_whether_or_not_the_address_has_an_account() {
    // No workers: the mail rows the ceiling writes stay to be read.
    let app = TestApp::spawn_with(|s| {
        s.trust_forwarded_for = true;
        s.auth_limits.login_failures_per_account_total = 4;
        s.run_workers = false;
    })
    .await;
    let ana = app.register("Patient Owl").await;
    for (n, email) in [ana.email.as_str(), "nobody@example.org"]
        .into_iter()
        .enumerate()
    {
        for m in 0..6 {
            let body = login_from(&app, &format!("198.51.{n}.{m}"), email, "nope nope!").await;
            assert!(
                ["UNAUTHENTICATED", "RATE_LIMITED"].contains(&error_code(&body)),
                "{body}"
            );
        }
    }
    use sea_orm::EntityTrait;
    let mails = entity::mail_jobs::Entity::find()
        .all(&app.context.db)
        .await
        .unwrap();
    let mut to: Vec<String> = mails
        .iter()
        .map(|m| api::mail::outbox::address(&app.context.vault, m).unwrap())
        .collect();
    to.sort();
    // One mail each: the owner's, and for the address without an account a decoy (no address,
    // out of date when written) that the worker drops unsent.
    assert_eq!(to, ["", ana.email.as_str()], "{mails:?}");
    assert!(
        mails
            .iter()
            .all(|m| !m.to_address.contains(ana.email.as_str())),
        "the queued address is sealed"
    );
    let decoy = mails.iter().find(|m| m.to_address.is_empty()).unwrap();
    assert!(decoy.expires_at <= chrono::Utc::now(), "{decoy:?}");
}

/// A wrong password given to confirm a change from a session (`changePassword`,
/// `deleteAccount`) is a guess like a wrong sign-in: it counts on the same account-wide ceiling,
/// and the guess that reaches the ceiling that way writes the owner's mail, to their address.
#[tokio::test]
async fn wrong_passwords_to_confirm_a_change_count_with_sign_in_guesses() {
    // No workers: the mail rows the ceiling writes stay to be read.
    let app = TestApp::spawn_with(|s| {
        s.trust_forwarded_for = true;
        s.auth_limits.login_failures_per_account = 3;
        s.auth_limits.login_failures_per_account_total = 4;
        s.run_workers = false;
    })
    .await;
    let ana = app.register("Patient Owl").await;
    for n in 0..2 {
        let body = login_from(&app, &format!("198.51.100.{n}"), &ana.email, "nope nope!").await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    }
    let change = "mutation($c: String!, $n: String!) { changePassword(current: $c, new: $n) }";
    for n in 0..2 {
        let body = gql_from(
            &app,
            &format!("198.51.100.{}", 50 + n),
            Some(&ana.access),
            change,
            json!({"c": "nope nope!", "n": "a new long password"}),
        )
        .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    }
    // Four guesses in all: a sign-in from a new address now waits.
    let fresh = login_from(&app, "192.0.2.77", &ana.email, PASSWORD).await;
    assert_eq!(error_code(&fresh), "RATE_LIMITED", "{fresh}");
    use sea_orm::EntityTrait;
    let mails = entity::mail_jobs::Entity::find()
        .all(&app.context.db)
        .await
        .unwrap();
    let to: Vec<String> = mails
        .iter()
        .map(|m| api::mail::outbox::address(&app.context.vault, m).unwrap())
        .collect();
    assert_eq!(to, [ana.email.as_str()], "{mails:?}");
}

#[tokio::test]
async fn attempts_are_limited_loosely_per_address() {
    let app = TestApp::spawn_with(|s| {
        s.auth_limits.login_attempts_per_ip = 4;
        s.auth_limits.registrations_per_ip = 2;
    })
    .await;
    let ana = app.register("First Person").await;
    let register = |n: u32| {
        app.gql(
            None,
            "mutation($input: RegisterInput!) { register(input: $input) { status } }",
            json!({"input": {"email": format!("new{n}@example.org"), "password": PASSWORD, "displayName": format!("New Person {n}")}}),
        )
    };
    for n in 1..=2 {
        assert_eq!(register(n).await["data"]["register"]["status"], "CODE_SENT");
    }
    assert_eq!(error_code(&register(3).await), "RATE_LIMITED");

    for _ in 0..4 {
        assert!(
            Session::from_payload(&app.login(&ana.email, PASSWORD).await["data"]["login"])
                .is_some()
        );
    }
    assert_eq!(
        error_code(&app.login(&ana.email, PASSWORD).await),
        "RATE_LIMITED"
    );
}
