//! What the mail worker does with each way an SMTP server can fail a mail, through the real
//! server (a registration code mail) and the fake SMTP server: a refusal for good (5xx) at
//! `RCPT TO` or after the data's final dot drops the mail after one try; a refusal for now (4xx)
//! there, or a connection that drops mid-way, is retried and the mail delivered once.
use crate::fake_smtp::{FakeSmtp, Fault, Stage};
use crate::registration::{register, with_smtp};
use crate::support::*;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use std::time::Duration;
use tokio::time::Instant;

const MAIL_WAIT: Duration = Duration::from_secs(10);
/// How long "nothing more happens" is watched, once the worker has been woken: many times the
/// retry delays of these tests (a 50 ms base, doubling), so a mail wrongly kept for a retry would
/// be tried again within it.
const QUIET: Duration = Duration::from_secs(1);
const VERIFY: &str =
    "mutation($e: String!, $c: String!) { verifyEmail(email: $e, code: $c) { accessToken } }";

/// Mails still in the outbox.
async fn outbox(app: &TestApp) -> u64 {
    entity::mail_jobs::Entity::find()
        .count(&app.context.db)
        .await
        .unwrap()
}

/// Registers `email`, which queues one mail: its code.
async fn mail_a_code(app: &TestApp, email: &str) {
    let answered = register(app, email, "Mailed Person").await;
    assert_eq!(
        answered["data"]["register"]["status"], "CODE_SENT",
        "{answered}"
    );
}

/// Waits until the outbox is empty and the server has seen at least `attempts` messages.
async fn until_settled(app: &TestApp, smtp: &FakeSmtp, attempts: usize, faults: &[Fault]) {
    let deadline = Instant::now() + MAIL_WAIT;
    loop {
        let left = outbox(app).await;
        if smtp.attempts() >= attempts && left == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{faults:?}: after {MAIL_WAIT:?}, {} attempt(s) (wanted {attempts}), {left} mail(s) \
             still in the outbox",
            smtp.attempts()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Wakes the mail worker, as a new mail does, and lets it work a while: whatever it still holds
/// and means to send would go out now.
async fn wake_and_watch(app: &TestApp) {
    app.context
        .broker
        .publish(api::broker::Event::MailQueued)
        .await;
    tokio::time::sleep(QUIET).await;
}

/// The server refuses the code mail for good with `fault`: it is tried once, never again, and
/// leaves the outbox.
async fn dropped_after_one_try(fault: Fault) {
    let (app, smtp) = with_smtp().await;
    smtp.fail(&[fault]);
    mail_a_code(&app, "refused.for.good@example.org").await;
    until_settled(&app, &smtp, 1, &[fault]).await;
    wake_and_watch(&app).await;
    assert_eq!(smtp.refused(), 1, "{fault:?}: the refusal never struck");
    assert_eq!(
        smtp.attempts(),
        1,
        "{fault:?}: a mail refused for good was tried again"
    );
    assert!(
        smtp.received().is_empty(),
        "{fault:?}: delivered anyway: {:?}",
        smtp.received()
    );
    assert_eq!(outbox(&app).await, 0, "{fault:?}: the mail stayed");
}

/// The server fails the code mail with each of `faults` in turn, each worth another try: it is
/// tried again after each, then delivered exactly once, and its code works.
async fn retried_then_delivered_once(faults: &[Fault]) {
    let (app, smtp) = with_smtp().await;
    smtp.fail(faults);
    let email = "tried.again@example.org";
    mail_a_code(&app, email).await;
    let mails = smtp.wait_for(email, 1, MAIL_WAIT).await;
    let code = mails[0].code().expect("the mail carries its code");
    until_settled(&app, &smtp, faults.len() + 1, faults).await;
    wake_and_watch(&app).await;
    assert_eq!(
        smtp.refused(),
        faults.len(),
        "{faults:?}: not every fault struck"
    );
    assert_eq!(
        smtp.attempts(),
        faults.len() + 1,
        "{faults:?}: one try per fault, then the one that went through"
    );
    assert_eq!(
        smtp.received().len(),
        1,
        "{faults:?}: delivered more than once: {:?}",
        smtp.received()
    );
    assert_eq!(outbox(&app).await, 0, "{faults:?}: the sent mail stayed");
    let verified = app.gql(None, VERIFY, json!({"e": email, "c": code})).await;
    assert!(
        verified["data"]["verifyEmail"]["accessToken"].is_string(),
        "{faults:?}: the delivered code does not work: {verified}"
    );
}

#[tokio::test]
async fn a_mail_refused_for_good_at_rcpt_is_dropped_after_one_try() {
    dropped_after_one_try(Fault::Reply(Stage::Rcpt, 550)).await;
}

#[tokio::test]
async fn a_mail_refused_for_good_after_its_data_is_dropped_after_one_try() {
    dropped_after_one_try(Fault::Reply(Stage::Data, 554)).await;
}

#[tokio::test]
async fn a_mail_refused_for_now_at_rcpt_is_retried_and_delivered_once() {
    retried_then_delivered_once(&[
        Fault::Reply(Stage::Rcpt, 450),
        Fault::Reply(Stage::Rcpt, 451),
    ])
    .await;
}

#[tokio::test]
async fn a_mail_refused_for_now_after_its_data_is_retried_and_delivered_once() {
    retried_then_delivered_once(&[
        Fault::Reply(Stage::Data, 451),
        Fault::Reply(Stage::Data, 452),
    ])
    .await;
}

/// The server closes the connection without an answer: after `MAIL FROM`, after `RCPT TO`, or
/// once it has read the whole message (then the mail was not taken: the fake keeps nothing).
#[tokio::test]
async fn a_connection_dropped_mid_way_is_retried_and_the_mail_delivered_once() {
    for stage in [Stage::Mail, Stage::Rcpt, Stage::Data] {
        retried_then_delivered_once(&[Fault::Drop(stage)]).await;
    }
}
