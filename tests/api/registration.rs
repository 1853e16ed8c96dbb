//! Registration by mailed code and password reset, through the real server and a fake SMTP
//! server on loopback: what a new address, a known address and an unknown one are answered,
//! what is mailed, and what codes do when wrong, expired, spent or tried too often.
use crate::fake_smtp::{FakeSmtp, Refusal};
use crate::support::*;
use api::config::Secret;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{json, Value};
use std::time::Duration;

const REGISTER: &str =
    "mutation($i: RegisterInput!) { register(input: $i) { status codeLifetimeSeconds } }";
const VERIFY: &str = "mutation($e: String!, $c: String!) { verifyEmail(email: $e, code: $c) { accessToken refreshToken user { id email displayName } } }";
const REQUEST_RESET: &str =
    "mutation($e: String!) { requestPasswordReset(email: $e) { status codeLifetimeSeconds } }";
const RESET: &str = "mutation($e: String!, $c: String!, $p: String!) { resetPassword(email: $e, code: $c, newPassword: $p) { accessToken refreshToken user { id } } }";
const MAIL_WAIT: Duration = Duration::from_secs(10);

pub(crate) async fn with_smtp() -> (TestApp, FakeSmtp) {
    let smtp = FakeSmtp::start().await;
    let url = smtp.url();
    let app = TestApp::spawn_with(move |s| {
        s.mail.smtp_url = Some(Secret::new(url));
        s.mail.retry_base = Duration::from_millis(50);
    })
    .await;
    (app, smtp)
}

pub(crate) async fn register(app: &TestApp, email: &str, name: &str) -> Value {
    app.gql(
        None,
        REGISTER,
        json!({"i": {"email": email, "password": PASSWORD, "displayName": name}}),
    )
    .await
}

async fn verify(app: &TestApp, email: &str, code: &str) -> Value {
    app.gql(None, VERIFY, json!({"e": email, "c": code})).await
}

fn reason(body: &Value) -> &Value {
    &body["errors"][0]["extensions"]["reason"]
}

/// A code that is not `code`.
fn other_than(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

async fn users(app: &TestApp) -> u64 {
    use sea_orm::{ColumnTrait, QueryFilter};
    entity::users::Entity::find()
        .filter(entity::users::Column::Id.ne(migration::DELETED_MEMBER_ID))
        .count(&app.context.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_new_address_gets_a_code_and_the_code_makes_the_account() {
    let (app, smtp) = with_smtp().await;
    let email = "new.person@example.org";
    let answered = register(&app, email, "New Person").await;
    assert_eq!(
        answered,
        json!({"data": {"register": {"status": "CODE_SENT", "codeLifetimeSeconds": 900}}})
    );
    // No account until the code comes back.
    assert_eq!(users(&app).await, 0);
    let mails = smtp.wait_for(email, 1, MAIL_WAIT).await;
    let mail = &mails[0];
    let code = mail.code().expect("the subject carries the code");
    assert_eq!(mail.subject(), format!("Your Hearth code is {code}"));
    assert_eq!(mail.from, "no-reply@localhost");
    let text = mail.data.to_lowercase();
    for word in ["support", "mood", "depress", "group", "anxiety", "crisis"] {
        assert!(
            !text.contains(word),
            "the mail says {word:?}: {}",
            mail.data
        );
    }

    let wrong = verify(&app, email, &other_than(&code)).await;
    assert_eq!(error_code(&wrong), "BAD_USER_INPUT", "{wrong}");
    assert_eq!(wrong["errors"][0]["extensions"]["field"], "code");
    assert_eq!(reason(&wrong), "WRONG_CODE");
    let malformed = verify(&app, email, "12ab").await;
    assert_eq!(error_code(&malformed), "BAD_USER_INPUT");
    assert_eq!(users(&app).await, 0);

    let verified = verify(&app, email, &code).await;
    let session = Session::from_payload(&verified["data"]["verifyEmail"])
        .unwrap_or_else(|| panic!("verify failed: {verified}"));
    assert_eq!(
        verified["data"]["verifyEmail"]["user"]["displayName"],
        "New Person"
    );
    assert_eq!(
        app.me(Some(&session.access)).await["data"]["me"]["email"],
        email
    );
    assert!(app.login(email, PASSWORD).await["data"]["login"]["accessToken"].is_string());
    // Single use: the same code again opens nothing, and makes no second account.
    assert_eq!(reason(&verify(&app, email, &code).await), "WRONG_CODE");
    assert_eq!(users(&app).await, 1);
    // Codes are kept hashed: the code's digits are in no row.
    let rows = entity::email_codes::Entity::find()
        .all(&app.context.db)
        .await
        .unwrap();
    assert!(rows.iter().all(|r| !r.code_hash.contains(&code)));
}

#[tokio::test]
async fn a_known_address_is_answered_the_same_and_its_owner_is_told() {
    let (app, smtp) = with_smtp().await;
    let owner = app.register("Known Owner").await;
    let known = register(&app, &owner.email, "Someone Else").await;
    let unknown = register(&app, "stranger@example.org", "Another Name").await;
    assert_eq!(known, unknown, "the answer tells who has an account");

    let notice = &smtp.wait_for(&owner.email, 1, MAIL_WAIT).await[0];
    assert_eq!(
        notice.subject(),
        "Someone tried to sign up with your address"
    );
    assert!(notice.code().is_none(), "{}", notice.data);
    smtp.wait_for("stranger@example.org", 1, MAIL_WAIT).await;

    // Guessing codes goes the same way for both: wrong five times, then spent.
    for _ in 0..5 {
        let on_known = verify(&app, &owner.email, "000000").await;
        let on_unknown = verify(&app, "stranger@example.org", "000000").await;
        assert_eq!(on_known, on_unknown);
        assert_eq!(reason(&on_known), "WRONG_CODE", "{on_known}");
    }
    let known_spent = verify(&app, &owner.email, "000000").await;
    let unknown_spent = verify(&app, "stranger@example.org", "000000").await;
    assert_eq!(error_code(&known_spent), "RATE_LIMITED");
    assert_eq!(error_code(&unknown_spent), "RATE_LIMITED");
    // The owner's account is untouched.
    assert!(app.login(&owner.email, PASSWORD).await["data"]["login"]["accessToken"].is_string());
    assert_eq!(users(&app).await, 1);
}

#[tokio::test]
async fn codes_expire_run_out_of_tries_and_are_replaced() {
    let (app, smtp) = with_smtp().await;
    let email = "slow.typer@example.org";
    register(&app, email, "Slow Typer").await;
    let first = smtp.code(email, 1).await;

    // Five wrong tries spend the code: the right one is refused after them.
    for _ in 0..5 {
        assert_eq!(
            reason(&verify(&app, email, &other_than(&first)).await),
            "WRONG_CODE"
        );
    }
    let spent = verify(&app, email, &first).await;
    assert_eq!(error_code(&spent), "RATE_LIMITED", "{spent}");
    assert!(
        spent["errors"][0]["extensions"]["retryAfter"]
            .as_u64()
            .unwrap()
            > 0
    );

    // Asking again replaces it; the old code no longer works.
    register(&app, email, "Slow Typer").await;
    let second = smtp.code(email, 2).await;
    if second != first {
        assert_eq!(reason(&verify(&app, email, &first).await), "WRONG_CODE");
    }

    // Fifteen minutes later it has expired.
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, QueryFilter};
    entity::email_codes::Entity::update_many()
        .col_expr(
            entity::email_codes::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(
            entity::email_codes::Column::EmailIndex.is_in(
                app.context
                    .vault
                    .ring()
                    .indexes(api::keys::Indexed::Email, email),
            ),
        )
        .exec(&app.context.db)
        .await
        .unwrap();
    let expired = verify(&app, email, &second).await;
    assert_eq!(error_code(&expired), "BAD_USER_INPUT");
    assert_eq!(reason(&expired), "EXPIRED_CODE");

    register(&app, email, "Slow Typer").await;
    let third = smtp.code(email, 3).await;
    assert!(verify(&app, email, &third).await["data"]["verifyEmail"]["accessToken"].is_string());
}

#[tokio::test]
async fn an_address_is_not_mailed_without_end() {
    let (app, smtp) = with_smtp().await;
    let owner = app.register("Mailed Often").await;
    for _ in 0..5 {
        assert_eq!(
            register(&app, &owner.email, "Other Name").await["data"]["register"]["status"],
            "CODE_SENT"
        );
        assert_eq!(
            register(&app, "fresh@example.org", "Fresh Name").await["data"]["register"]["status"],
            "CODE_SENT"
        );
    }
    let known = register(&app, &owner.email, "Other Name").await;
    let unknown = register(&app, "fresh@example.org", "Fresh Name").await;
    assert_eq!(error_code(&known), "RATE_LIMITED");
    assert_eq!(error_code(&unknown), "RATE_LIMITED");
    smtp.wait_for(&owner.email, 5, MAIL_WAIT).await;
    smtp.wait_for("fresh@example.org", 5, MAIL_WAIT).await;
    // Nothing waits to go out later: the refused requests wrote no mail.
    outbox_empties(&app).await;
    assert_eq!(smtp.received().len(), 10);
}

#[tokio::test]
async fn a_mail_the_server_refuses_for_now_is_retried_and_sent_once() {
    let (app, smtp) = with_smtp().await;
    smtp.refuse(&[Refusal::Transient, Refusal::Transient]);
    let email = "patient@example.org";
    register(&app, email, "Patient Person").await;
    let code = smtp.code(email, 1).await;
    assert_eq!(smtp.refused(), 2);
    assert!(verify(&app, email, &code).await["data"]["verifyEmail"]["accessToken"].is_string());
    // Sent once, and gone from the outbox: nothing is left to send again.
    outbox_empties(&app).await;
    assert_eq!(smtp.received().len(), 1);

    // A mail refused for good is dropped, not retried for ever.
    smtp.refuse(&[Refusal::Permanent]);
    register(&app, "refused@example.org", "Refused Person").await;
    let deadline = tokio::time::Instant::now() + MAIL_WAIT;
    while smtp.refused() < 3
        || entity::mail_jobs::Entity::find()
            .count(&app.context.db)
            .await
            .unwrap()
            > 0
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the refused mail stayed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(smtp.received().len(), 1);
}

/// An API-only instance (`serve --no-workers`) whose mail goes to `smtp` once a worker sends it.
pub(crate) async fn api_only_with_smtp(smtp: &FakeSmtp) -> TestApp {
    let url = smtp.url();
    TestApp::spawn_with(move |s| {
        s.mail.smtp_url = Some(Secret::new(url));
        s.run_workers = false;
    })
    .await
}

#[tokio::test]
async fn a_mail_queued_while_no_worker_runs_is_sent_by_the_next_one() {
    let smtp = FakeSmtp::start().await;
    let url = smtp.url();
    // An API-only instance (`--no-workers`): the mail waits in the outbox.
    let api_only = api_only_with_smtp(&smtp).await;
    let email = "waiting@example.org";
    register(&api_only, email, "Waiting Person").await;
    // Nobody took it: it waits unclaimed.
    let waiting = entity::mail_jobs::Entity::find()
        .all(&api_only.context.db)
        .await
        .unwrap();
    assert!(
        waiting.len() == 1 && waiting[0].claimed_by.is_none() && waiting[0].attempts == 0,
        "{waiting:?}"
    );
    assert!(smtp.received().is_empty());
    // A worker instance on the same database sends it.
    let worker = api_only
        .sibling_with(move |s| {
            s.mail.smtp_url = Some(Secret::new(url));
            s.run_workers = true;
        })
        .await;
    let code = smtp.code(email, 1).await;
    assert!(verify(&worker, email, &code).await["data"]["verifyEmail"]["accessToken"].is_string());
}

#[tokio::test]
async fn a_forgotten_password_comes_back_with_a_mailed_code() {
    let (app, smtp) = with_smtp().await;
    let here = app.register("Forgetful Finch").await;
    let elsewhere =
        Session::from_payload(&app.login(&here.email, PASSWORD).await["data"]["login"]).unwrap();
    let mut socket = app.socket().await;
    socket.init(&elsewhere.access).await;
    assert_eq!(
        socket.expect_json(MAIL_WAIT).await["type"],
        "connection_ack"
    );

    let known = app.gql(None, REQUEST_RESET, json!({"e": here.email})).await;
    let unknown = app
        .gql(None, REQUEST_RESET, json!({"e": "nobody@example.org"}))
        .await;
    assert_eq!(known, unknown, "the answer tells who has an account");
    assert_eq!(known["data"]["requestPasswordReset"]["status"], "CODE_SENT");
    let code = smtp.code(&here.email, 1).await;
    // The unknown address is not mailed, and its decoy code behaves like a real one.
    let on_unknown = app
        .gql(
            None,
            RESET,
            json!({"e": "nobody@example.org", "c": other_than(&code), "p": "a brand new password"}),
        )
        .await;
    let on_known = app
        .gql(
            None,
            RESET,
            json!({"e": here.email, "c": other_than(&code), "p": "a brand new password"}),
        )
        .await;
    assert_eq!(on_known, on_unknown);
    assert_eq!(reason(&on_known), "WRONG_CODE");
    // A weak new password is refused before the code is spent.
    let weak = app
        .gql(
            None,
            RESET,
            json!({"e": here.email, "c": code, "p": "short"}),
        )
        .await;
    assert_eq!(
        weak["errors"][0]["extensions"]["field"], "newPassword",
        "{weak}"
    );

    let reset = app
        .gql(
            None,
            RESET,
            json!({"e": here.email, "c": code, "p": "a brand new password"}),
        )
        .await;
    let fresh = Session::from_payload(&reset["data"]["resetPassword"])
        .unwrap_or_else(|| panic!("reset failed: {reset}"));
    // Every earlier session is signed out, on HTTP and on its socket.
    assert_eq!(socket.expect_close(MAIL_WAIT).await, Some(4403));
    for old in [&here, &elsewhere] {
        assert_eq!(
            error_code(&app.refresh(&old.refresh).await),
            "UNAUTHENTICATED"
        );
    }
    assert_eq!(
        app.me(Some(&fresh.access)).await["data"]["me"]["id"],
        json!(here.user_id)
    );
    assert_eq!(
        error_code(&app.login(&here.email, PASSWORD).await),
        "UNAUTHENTICATED"
    );
    assert!(
        app.login(&here.email, "a brand new password").await["data"]["login"]["accessToken"]
            .is_string()
    );
    // Single use.
    let again = app
        .gql(
            None,
            RESET,
            json!({"e": here.email, "c": code, "p": "yet another password"}),
        )
        .await;
    assert_eq!(reason(&again), "WRONG_CODE");
    assert_eq!(
        smtp.received().len(),
        1,
        "only the account's owner was mailed"
    );
}

#[tokio::test]
async fn a_mail_held_by_a_worker_that_died_is_sent_by_another() {
    let (app, smtp) = with_smtp().await;
    // A claim made by a worker that is gone, expired a moment ago.
    use sea_orm::ActiveModelTrait;
    let at = chrono::Utc::now();
    entity::mail_jobs::ActiveModel {
        id: sea_orm::Set(entity::ids::MailJobId::generate()),
        // In clear, as a mail queued before addresses were sealed.
        to_address: sea_orm::Set("orphan@example.org".into()),
        to_index: sea_orm::Set(None),
        subject: sea_orm::Set("Your Hearth code is 123456".into()),
        body: sea_orm::Set("Your Hearth code is 123456\n".into()),
        attempts: sea_orm::Set(0),
        due_at: sea_orm::Set(at - chrono::Duration::minutes(5)),
        claimed_by: sea_orm::Set(Some("a-worker-that-died".into())),
        claimed_until: sea_orm::Set(Some(at - chrono::Duration::seconds(1))),
        expires_at: sea_orm::Set(at + chrono::Duration::minutes(10)),
        last_error: sea_orm::Set(None),
        created_at: sea_orm::Set(at - chrono::Duration::minutes(5)),
    }
    .insert(&app.context.db)
    .await
    .unwrap();
    // Any new mail wakes the worker; the orphan goes out with it.
    register(&app, "waker@example.org", "Waker Person").await;
    let orphan = smtp.wait_for("orphan@example.org", 1, MAIL_WAIT).await;
    assert_eq!(orphan[0].code().as_deref(), Some("123456"));
    // Sent mails leave the outbox, so none can go out twice.
    outbox_empties(&app).await;
    assert_eq!(
        smtp.wait_for("orphan@example.org", 1, MAIL_WAIT)
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn guesses_at_once_count_and_a_code_opens_once() {
    let (app, smtp) = with_smtp().await;
    let email = "raced@example.org";
    register(&app, email, "Raced Person").await;
    let code = smtp.code(email, 1).await;
    // Twelve wrong guesses at once: five are compared, the rest are refused unread.
    let wrong = other_than(&code);
    let answers = futures::future::join_all((0..12).map(|_| verify(&app, email, &wrong))).await;
    let compared = answers.iter().filter(|a| reason(a) == "WRONG_CODE").count();
    let refused = answers
        .iter()
        .filter(|a| error_code(a) == "RATE_LIMITED")
        .count();
    assert_eq!((compared, refused), (5, 7), "{answers:?}");
    assert_eq!(
        error_code(&verify(&app, email, &code).await),
        "RATE_LIMITED"
    );

    // The right code sent twice at once makes one account.
    register(&app, email, "Raced Person").await;
    let code = smtp.code(email, 2).await;
    let both = futures::future::join(verify(&app, email, &code), verify(&app, email, &code)).await;
    let opened = [&both.0, &both.1]
        .iter()
        .filter(|a| a["data"]["verifyEmail"]["accessToken"].is_string())
        .count();
    assert_eq!(opened, 1, "{both:?}");
    assert_eq!(users(&app).await, 1);
}

/// Mails waiting in the outbox.
async fn outbox_len(app: &TestApp) -> u64 {
    entity::mail_jobs::Entity::find()
        .count(&app.context.db)
        .await
        .unwrap()
}

/// Waits until the outbox is empty: every mail sent (or dropped) and none waiting to go out
/// again later, which a short wait for more mail could not show.
async fn outbox_empties(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + MAIL_WAIT;
    while outbox_len(app).await > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "mail stayed in the outbox"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The rows of each table a code request writes.
async fn written(app: &TestApp) -> (u64, u64) {
    let db = &app.context.db;
    (
        entity::email_codes::Entity::find().count(db).await.unwrap(),
        entity::mail_jobs::Entity::find().count(db).await.unwrap(),
    )
}

#[tokio::test]
async fn a_reset_asked_for_an_unknown_address_does_the_same_work_and_mails_nothing() {
    // No workers: the rows each request writes stay to be counted.
    let smtp = FakeSmtp::start().await;
    let url = smtp.url();
    let app = TestApp::spawn_with(move |s| {
        s.mail.smtp_url = Some(Secret::new(url));
        s.run_workers = false;
    })
    .await;
    let here = app.register("Forgetful Finch").await;
    let mut wakes = app.context.broker.subscribe(&api::broker::Topic::Mail);
    let before = written(&app).await;
    app.gql(None, REQUEST_RESET, json!({"e": here.email})).await;
    let after_known = written(&app).await;
    let woke = tokio::time::timeout(MAIL_WAIT, wakes.recv()).await;
    assert!(
        matches!(woke, Ok(Ok(_))),
        "the known address woke no mail worker"
    );
    app.gql(None, REQUEST_RESET, json!({"e": "nobody@example.org"}))
        .await;
    let after_unknown = written(&app).await;
    let woke = tokio::time::timeout(MAIL_WAIT, wakes.recv()).await;
    assert!(
        matches!(woke, Ok(Ok(_))),
        "the unknown address woke no mail worker"
    );
    // One code and one mail each.
    assert_eq!(after_known, (before.0 + 1, before.1 + 1));
    assert_eq!(after_unknown, (after_known.0 + 1, after_known.1 + 1));
    // The decoy holds no address, and the workers drop it unsent: only the real one goes out.
    let decoys = entity::mail_jobs::Entity::find()
        .all(&app.context.db)
        .await
        .unwrap();
    assert_eq!(
        decoys.iter().filter(|m| m.to_address.is_empty()).count(),
        1,
        "{decoys:?}"
    );
    let worker = app.sibling_with(|s| s.run_workers = true).await;
    smtp.wait_for(&here.email, 1, MAIL_WAIT).await;
    for _ in 0..100 {
        if written(&worker).await.1 == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(written(&worker).await.1, 0, "a mail was left behind");
    assert_eq!(smtp.received().len(), 1, "{:?}", smtp.received());
}
