use crate::fake_fcm::FakeFcm;
use crate::support::*;
use api::moods::reminders::{run_once, Pass};
use chrono::{DateTime, Duration, Timelike, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

async fn set_zone_and_reminder(app: &TestApp, who: &Session, zone: &str, time: &str) {
    app.ok(
        &who.access,
        "mutation($z: String!) { updateProfile(timezone: $z) { timezone } }",
        json!({"z": zone}),
    )
    .await;
    let set = app
        .ok(
            &who.access,
            "mutation($t: String!) { setMoodReminder(input: {localTime: $t}) { localTime enabled timezone } }",
            json!({"t": time}),
        )
        .await;
    assert_eq!(
        set["setMoodReminder"],
        json!({"localTime": time, "enabled": true, "timezone": zone})
    );
}

async fn reminder_jobs(app: &TestApp, who: &Session) -> u64 {
    entity::push_jobs::Entity::find()
        .filter(entity::push_jobs::Column::UserId.eq(who.user_id.as_str()))
        .filter(entity::push_jobs::Column::Kind.eq("MOOD_REMINDER"))
        .count(&app.context.db)
        .await
        .unwrap()
}

fn instant(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A fixed-offset IANA zone in which it is about noon now, and the local time `minutes` ago.
pub(crate) fn noon_zone(minutes: i64) -> (String, String) {
    let now = Utc::now();
    let offset = 12 - i64::from(now.hour());
    // Etc/GMT-N is UTC+N.
    let zone = match offset {
        0 => "Etc/GMT".to_owned(),
        n if n > 0 => format!("Etc/GMT-{n}"),
        n => format!("Etc/GMT+{}", -n),
    };
    let local = now + Duration::hours(offset) - Duration::minutes(minutes);
    (zone, local.format("%H:%M").to_string())
}

#[tokio::test]
async fn one_reminder_per_local_day_across_instances_restarts_and_dst() {
    let a = TestApp::spawn_with(|s| s.run_workers = false).await;
    let b = a.sibling().await;
    let ana = a.register("Reminder Ana").await;
    set_zone_and_reminder(&a, &ana, "America/New_York", "02:30").await;

    // 02:30 does not exist on 10 March 2024 in New York; at 03:05 EDT it is due. Two instances race.
    let at = instant("2024-03-10T07:05:00Z");
    let (workers_a, workers_b) = (a.context.workers(), b.context.workers());
    let (on_a, on_b) = tokio::join!(run_once(&workers_a, at), run_once(&workers_b, at));
    let (on_a, on_b) = (on_a.unwrap(), on_b.unwrap());
    assert_eq!(on_a.sent + on_b.sent, 1, "{on_a:?} {on_b:?}");
    assert_eq!(reminder_jobs(&a, &ana).await, 1);
    // Before the time, nothing; a restarted instance later that day, nothing again.
    assert_eq!(
        run_once(&a.context.workers(), instant("2024-03-09T07:00:00Z"))
            .await
            .unwrap(),
        Pass::default()
    );
    let restarted = a.sibling().await;
    assert_eq!(
        run_once(&restarted.context.workers(), at + Duration::minutes(40))
            .await
            .unwrap(),
        Pass::default()
    );
    // The next local day is a new day.
    assert_eq!(
        run_once(&b.context.workers(), instant("2024-03-11T06:31:00Z"))
            .await
            .unwrap()
            .sent,
        1
    );

    // 01:30 happens twice on 3 November 2024: one reminder, at the first.
    set_zone_and_reminder(&a, &ana, "America/New_York", "01:30").await;
    assert_eq!(
        run_once(&a.context.workers(), instant("2024-11-03T05:31:00Z"))
            .await
            .unwrap()
            .sent,
        1
    );
    assert_eq!(
        run_once(&b.context.workers(), instant("2024-11-03T06:31:00Z"))
            .await
            .unwrap(),
        Pass::default()
    );
    assert_eq!(reminder_jobs(&a, &ana).await, 3);

    // Turned off, nothing more.
    a.ok(
        &ana.access,
        "mutation { setMoodReminder(input: {localTime: \"01:30\", enabled: false}) { enabled } }",
        json!({}),
    )
    .await;
    assert_eq!(
        run_once(&a.context.workers(), instant("2024-11-04T06:31:00Z"))
            .await
            .unwrap(),
        Pass::default()
    );
    let bad = a
        .gql(
            Some(&ana.access),
            "mutation { setMoodReminder(input: {localTime: \"25:00\"}) { enabled } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
}

#[tokio::test]
async fn no_reminder_after_todays_check_in() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let done = app.register("Reminder Done").await;
    let pending = app.register("Reminder Pending").await;
    let (zone, ten_minutes_ago) = noon_zone(10);
    set_zone_and_reminder(&app, &done, &zone, &ten_minutes_ago).await;
    set_zone_and_reminder(&app, &pending, &zone, &ten_minutes_ago).await;
    app.ok(
        &done.access,
        "mutation { logMood(input: {score: 6}) { checkin { id } } }",
        json!({}),
    )
    .await;
    let pass = run_once(&app.context.workers(), Utc::now()).await.unwrap();
    assert_eq!(
        pass,
        Pass {
            sent: 1,
            skipped: 1
        }
    );
    assert_eq!(reminder_jobs(&app, &done).await, 0);
    assert_eq!(reminder_jobs(&app, &pending).await, 1);
}

#[tokio::test]
async fn a_reminder_push_says_nothing_personal_and_ignores_quiet_hours() {
    let fcm = FakeFcm::start().await;
    let (app, _dir) = TestApp::pushing_to(&fcm, |_| {}).await;
    let ana = app.register("Reminder Phone").await;
    app.ok(
        &ana.access,
        "mutation { registerDevice(input: {token: \"ana-phone\", platform: IOS}) { id } }",
        json!({}),
    )
    .await;
    let (zone, five_minutes_ago) = noon_zone(5);
    let (_, an_hour_ago) = noon_zone(60);
    let (_, in_an_hour) = noon_zone(-60);
    app.ok(
        &ana.access,
        "mutation($s: String!, $e: String!, $z: String!) { updatePushPreferences(input: {quietHours: {start: $s, end: $e, timezone: $z}}) { pushEnabled } }",
        json!({"s": an_hour_ago, "e": in_an_hour, "z": zone}),
    )
    .await;
    set_zone_and_reminder(&app, &ana, &zone, &five_minutes_ago).await;
    // The instance's own reminder worker may get there first; either way one push goes out.
    run_once(&app.context.workers(), Utc::now()).await.unwrap();
    let sent = fcm.wait_for_sends(1).await;
    assert_eq!(sent.len(), 1);
    let message = &sent[0].body["message"];
    assert_eq!(message["token"], "ana-phone");
    assert_eq!(
        message["notification"]["body"],
        "How are you feeling today?"
    );
    assert_eq!(message["data"]["kind"], "MOOD_REMINDER");
    // Another pass the same day decides nothing new: the day's reminder is one job, sent once.
    let again = run_once(&app.context.workers(), Utc::now()).await.unwrap();
    assert_eq!(again.sent, 0);
    assert_eq!(reminder_jobs(&app, &ana).await, 1);
    assert_eq!(fcm.send_count(), 1);
}
