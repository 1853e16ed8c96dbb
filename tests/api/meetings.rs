//! Meetings of a group, end to end over HTTP and the WebSocket: scheduling and its checks, the
//! wall-clock time across DST, who sees what (outsiders, people who left, banned and blocked
//! people), capacity with a waitlist under concurrent answers, changes told to those coming
//! (live too), reminders decided once across instances, and the private calendar feed parsed
//! back by an iCalendar parser.
use crate::support::*;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use std::time::Duration as StdDuration;

const SERIES_FIELDS: &str = "id title timeZone localStartTime durationMinutes frequency capacity \
    firstDate until facilitator { id } joinUrl";
const MEETING_FIELDS: &str =
    "id startsAt endsAt status goingCount maybeCount waitlistCount myRsvp joinUrl";

/// A group with its owner (who schedules) and members.
struct Circle {
    group: String,
    owner: Session,
    members: Vec<Session>,
}

async fn circle(app: &TestApp, visibility: &str, members: usize) -> Circle {
    let owner = app.register("Owner Oak").await;
    let group = app.create_group(&owner, "Evening circle", visibility).await;
    let mut joined = Vec::new();
    for i in 0..members {
        let member = app.register(&format!("Member {i}")).await;
        if visibility == "HIDDEN" {
            app.invite(&owner, &group, &member).await;
        }
        app.join(&member, &group).await;
        joined.push(member);
    }
    Circle {
        group,
        owner,
        members: joined,
    }
}

/// Tomorrow in a zone, as `YYYY-MM-DD`.
fn tomorrow_in(zone: &str) -> NaiveDate {
    let tz: Tz = zone.parse().unwrap();
    Utc::now().with_timezone(&tz).date_naive() + Duration::days(1)
}

async fn schedule(app: &TestApp, who: &Session, input: Value) -> Value {
    app.gql(
        Some(&who.access),
        &format!("mutation($i: ScheduleMeetingsInput!) {{ scheduleMeetings(input: $i) {{ {SERIES_FIELDS} }} }}"),
        json!({"i": input}),
    )
    .await
}

/// The id of the series a `schedule` answer made.
fn series_id(body: &Value) -> String {
    body["data"]["scheduleMeetings"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no series: {body}"))
        .to_owned()
}

fn weekly(group: &str, zone: &str, first: NaiveDate, time: &str) -> Value {
    json!({"groupId": group, "title": "Evening circle", "firstDate": first.to_string(),
        "localStartTime": time, "timeZone": zone, "durationMinutes": 90, "frequency": "WEEKLY",
        "joinUrl": "https://meet.example.org/evening-circle"})
}

async fn occurrences(app: &TestApp, who: &Session, series: &str, days: i64) -> Vec<Value> {
    let from = Utc::now() - Duration::days(1);
    let to = from + Duration::days(days);
    let data = app
        .ok(
            &who.access,
            &format!("query($s: ID!, $f: DateTime!, $t: DateTime!) {{ meetingSeries(id: $s) {{ occurrences(from: $f, to: $t) {{ {MEETING_FIELDS} }} }} }}"),
            json!({"s": series, "f": from.to_rfc3339(), "t": to.to_rfc3339()}),
        )
        .await;
    data["meetingSeries"]["occurrences"]
        .as_array()
        .unwrap()
        .clone()
}

/// A weekly series of `c`'s group at `time` UTC with `capacity` places, from tomorrow: its id
/// and its first meeting's.
async fn capped_series(app: &TestApp, c: &Circle, time: &str, capacity: u32) -> (String, String) {
    let mut input = weekly(&c.group, "UTC", tomorrow_in("UTC"), time);
    input["capacity"] = json!(capacity);
    let series = series_id(&schedule(app, &c.owner, input).await);
    let first = occurrences(app, &c.owner, &series, 15).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (series, first)
}

async fn meeting(app: &TestApp, who: &Session, id: &str) -> Value {
    app.ok(
        &who.access,
        &format!("query($m: ID!) {{ meeting(id: $m) {{ {MEETING_FIELDS} attendees {{ user {{ id }} rsvp }} }} }}"),
        json!({"m": id}),
    )
    .await["meeting"]
        .clone()
}

async fn rsvp(app: &TestApp, who: &Session, id: &str, answer: &str) -> Value {
    app.gql(
        Some(&who.access),
        &format!("mutation($m: ID!, $a: RsvpAnswer!) {{ rsvp(meetingId: $m, answer: $a) {{ {MEETING_FIELDS} }} }}"),
        json!({"m": id, "a": answer}),
    )
    .await
}

fn at(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

/// The first day on or after `from` when `zone`'s offset differs from the day before.
fn next_change(zone: Tz, from: NaiveDate) -> NaiveDate {
    let offset = |d: NaiveDate| {
        zone.offset_from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap())
            .fix()
            .local_minus_utc()
    };
    let mut day = from;
    while offset(day) == offset(day - Duration::days(1)) {
        day += Duration::days(1);
    }
    day
}

async fn notifications_of(app: &TestApp, who: &Session, kind: &str) -> u64 {
    entity::notifications::Entity::find()
        .filter(entity::notifications::Column::UserId.eq(who.user_id.as_str()))
        .filter(entity::notifications::Column::Kind.eq(kind))
        .count(&app.context.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_weekly_meeting_keeps_its_wall_clock_time_across_the_next_dst_change() {
    let app = TestApp::spawn().await;
    let c = circle(&app, "PUBLIC", 1).await;
    let ny: Tz = "America/New_York".parse().unwrap();
    let change = next_change(ny, tomorrow_in("America/New_York") + Duration::days(8));
    let first = change - Duration::days(10);
    let body = schedule(
        &app,
        &c.owner,
        weekly(&c.group, "America/New_York", first, "19:00"),
    )
    .await;
    let series = body["data"]["scheduleMeetings"].clone();
    assert_eq!(series["localStartTime"], "19:00", "{body}");
    assert_eq!(series["timeZone"], "America/New_York");
    assert_eq!(series["facilitator"]["id"], c.owner.user_id.as_str());
    let list = occurrences(&app, &c.members[0], series["id"].as_str().unwrap(), 366).await;
    // Written a year ahead: the last meeting is in the year's last week.
    let last = at(&list.last().unwrap()["startsAt"]);
    assert!(
        last > Utc::now() + Duration::days(358),
        "{last}, {} meetings",
        list.len()
    );
    let mut offsets = std::collections::BTreeSet::new();
    for m in &list {
        let starts = at(&m["startsAt"]);
        let local = starts.with_timezone(&ny);
        assert_eq!(local.format("%H:%M").to_string(), "19:00", "{m}");
        assert_eq!(local.weekday(), first.weekday());
        assert_eq!(at(&m["endsAt"]) - starts, Duration::minutes(90));
        offsets.insert(local.offset().fix().local_minus_utc());
    }
    assert_eq!(offsets.len(), 2, "both sides of a DST change: {offsets:?}");
    // Paged through, my meetings are the same year of meetings, in order.
    let mut paged = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .ok(
                &c.members[0].access,
                "query($a: String) { myMeetings(first: 20, after: $a) { edges { node { id } } pageInfo { hasNextPage endCursor } } }",
                json!({"a": after}),
            )
            .await;
        for edge in page["myMeetings"]["edges"].as_array().unwrap() {
            paged.push(edge["node"]["id"].clone());
        }
        if page["myMeetings"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["myMeetings"]["pageInfo"]["endCursor"].clone();
    }
    let all: Vec<Value> = list.iter().map(|m| m["id"].clone()).collect();
    assert_eq!(paged, all);
    let before = list
        .iter()
        .find(|m| at(&m["startsAt"]).with_timezone(&ny).date_naive() == change - Duration::days(3))
        .unwrap();
    let after = list
        .iter()
        .find(|m| at(&m["startsAt"]).with_timezone(&ny).date_naive() == change + Duration::days(4))
        .unwrap();
    assert_ne!(
        at(&before["startsAt"]).time(),
        at(&after["startsAt"]).time(),
        "the UTC time moves by the hour"
    );
}

#[tokio::test]
async fn scheduling_is_for_moderators_and_bad_input_is_named() {
    let app = TestApp::spawn().await;
    let c = circle(&app, "PUBLIC", 1).await;
    let first = tomorrow_in("Europe/Berlin");
    let good = weekly(&c.group, "Europe/Berlin", first, "18:30");
    let refused = schedule(&app, &c.members[0], good.clone()).await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    for (field, value) in [
        ("timeZone", json!("Mars/Olympus_Mons")),
        ("localStartTime", json!("25:00")),
        ("durationMinutes", json!(0)),
        ("joinUrl", json!("http://plain.example.org")),
        ("capacity", json!(0)),
        ("firstDate", json!("2020-01-01")),
        ("facilitatorId", json!(c.members[0].user_id)),
    ] {
        let mut input = good.clone();
        input[field] = value;
        let body = schedule(&app, &c.owner, input).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{field}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    let series: u64 = entity::meeting_series::Entity::find()
        .count(&app.context.db)
        .await
        .unwrap();
    assert_eq!(series, 0, "nothing refused was written");
    let range = app
        .gql(
            Some(&c.owner.access),
            "query($s: ID!) { meetingSeries(id: $s) { id } }",
            json!({"s": "no-such-series"}),
        )
        .await;
    assert_eq!(range["data"]["meetingSeries"], Value::Null);
}

#[tokio::test]
async fn only_members_see_meetings_and_only_those_going_read_the_link() {
    let app = TestApp::spawn().await;
    let c = circle(&app, "PUBLIC", 3).await;
    let first = tomorrow_in("UTC");
    let body = schedule(&app, &c.owner, weekly(&c.group, "UTC", first, "20:00")).await;
    let series = series_id(&body);
    assert_eq!(
        body["data"]["scheduleMeetings"]["joinUrl"],
        "https://meet.example.org/evening-circle"
    );
    let (ana, ben, cy) = (&c.members[0], &c.members[1], &c.members[2]);
    let list = app
        .ok(&ana.access, "query($g: ID!) { group(id: $g) { meetings(first: 3) { edges { node { id joinUrl series { title joinUrl } } } } } }", json!({"g": c.group}))
        .await;
    let edges = list["group"]["meetings"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), 3);
    let id = edges[0]["node"]["id"].as_str().unwrap().to_owned();
    assert_eq!(edges[0]["node"]["joinUrl"], Value::Null, "not going yet");
    assert_eq!(edges[0]["node"]["series"]["title"], "Evening circle");
    assert_eq!(
        edges[0]["node"]["series"]["joinUrl"],
        Value::Null,
        "members read it on a meeting they go to"
    );
    let going = rsvp(&app, ana, &id, "GOING").await;
    assert_eq!(going["data"]["rsvp"]["myRsvp"], "GOING", "{going}");
    assert_eq!(
        going["data"]["rsvp"]["joinUrl"],
        "https://meet.example.org/evening-circle"
    );
    rsvp(&app, ben, &id, "MAYBE").await;
    rsvp(&app, cy, &id, "GOING").await;
    let mine = app
        .ok(
            &ana.access,
            "{ myMeetings(first: 2) { edges { node { id myRsvp } } } }",
            json!({}),
        )
        .await;
    assert_eq!(mine["myMeetings"]["edges"][0]["node"]["id"], id.as_str());
    assert_eq!(mine["myMeetings"]["edges"][0]["node"]["myRsvp"], "GOING");
    // Members see counts, not who; the facilitator sees who.
    let seen = meeting(&app, ben, &id).await;
    assert_eq!(
        (seen["goingCount"].as_u64(), seen["maybeCount"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(seen["attendees"], Value::Null);
    assert_eq!(seen["joinUrl"], Value::Null, "MAYBE does not read the link");
    let led = meeting(&app, &c.owner, &id).await;
    assert_eq!(led["attendees"].as_array().unwrap().len(), 3, "{led}");

    // Someone the facilitator blocked drops out of what the facilitator sees.
    app.ok(
        &c.owner.access,
        "mutation($u: ID!) { blockUser(userId: $u) }",
        json!({"u": cy.user_id}),
    )
    .await;
    let led = meeting(&app, &c.owner, &id).await;
    let shown: Vec<&str> = led["attendees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["user"]["id"].as_str().unwrap())
        .collect();
    assert!(!shown.contains(&cy.user_id.as_str()), "{led}");

    // An outsider, someone who left, and a banned member see nothing of it.
    let outsider = app.register("Outsider Owl").await;
    app.ok(
        &ben.access,
        "mutation($g: ID!) { leaveGroup(groupId: $g) }",
        json!({"g": c.group}),
    )
    .await;
    app.ok(
        &c.owner.access,
        "mutation($g: ID!, $u: ID!) { banMember(groupId: $g, userId: $u, reason: \"spam\") }",
        json!({"g": c.group, "u": ana.user_id}),
    )
    .await;
    for who in [&outsider, ben, ana] {
        let one = app
            .gql(
                Some(&who.access),
                "query($m: ID!) { meeting(id: $m) { id } }",
                json!({"m": id}),
            )
            .await;
        assert_eq!(one["data"]["meeting"], Value::Null, "{one}");
        let s = app
            .gql(
                Some(&who.access),
                "query($s: ID!) { meetingSeries(id: $s) { id } }",
                json!({"s": series}),
            )
            .await;
        assert_eq!(s["data"]["meetingSeries"], Value::Null, "{s}");
        let mine = app
            .gql(
                Some(&who.access),
                "{ myMeetings { edges { node { id } } } }",
                json!({}),
            )
            .await;
        assert_eq!(mine["data"]["myMeetings"]["edges"], json!([]), "{mine}");
        let answer = rsvp(&app, who, &id, "GOING").await;
        assert_eq!(error_code(&answer), "NOT_FOUND", "{answer}");
    }
    let group = app
        .gql(
            Some(&outsider.access),
            "query($g: ID!) { group(id: $g) { meetings { edges { node { id } } } } }",
            json!({"g": c.group}),
        )
        .await;
    assert_eq!(
        group["data"]["group"]["meetings"]["edges"],
        json!([]),
        "{group}"
    );
    // Their answers went with their membership.
    let seen = meeting(&app, cy, &id).await;
    assert_eq!(
        (seen["goingCount"].as_u64(), seen["maybeCount"].as_u64()),
        (Some(1), Some(0)),
        "{seen}"
    );
}

#[tokio::test]
async fn a_hidden_groups_meetings_are_never_seen_outside_it() {
    let app = TestApp::spawn().await;
    let c = circle(&app, "HIDDEN", 1).await;
    let body = schedule(
        &app,
        &c.owner,
        weekly(&c.group, "UTC", tomorrow_in("UTC"), "07:00"),
    )
    .await;
    let series = series_id(&body);
    let list = occurrences(&app, &c.members[0], &series, 30).await;
    let id = list[0]["id"].as_str().unwrap().to_owned();
    let outsider = app.register("Outsider Owl").await;
    let admin = app.register("Admin Ash").await;
    app.make_admin(&admin).await;
    for who in [&outsider, &admin] {
        let one = app
            .gql(
                Some(&who.access),
                "query($m: ID!) { meeting(id: $m) { id } }",
                json!({"m": id}),
            )
            .await;
        assert_eq!(one["data"]["meeting"], Value::Null, "{one}");
        let answer = rsvp(&app, who, &id, "GOING").await;
        assert_eq!(error_code(&answer), "NOT_FOUND", "{answer}");
    }
}

#[tokio::test]
async fn concurrent_answers_never_pass_capacity_and_each_freed_place_goes_to_one_waiting_person() {
    // The meetings' worker is off: the test runs its pass itself.
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let c = circle(&app, "PUBLIC", 8).await;
    let (_, id) = capped_series(&app, &c, "12:00", 3).await;
    let answers =
        futures::future::join_all(c.members.iter().map(|m| rsvp(&app, m, &id, "GOING"))).await;
    let mut going = Vec::new();
    let mut waiting = Vec::new();
    for (member, answer) in c.members.iter().zip(&answers) {
        match answer["data"]["rsvp"]["myRsvp"].as_str() {
            Some("GOING") => going.push(member),
            Some("WAITLISTED") => waiting.push(member),
            other => panic!("{other:?}: {answer}"),
        }
    }
    assert_eq!((going.len(), waiting.len()), (3, 5));
    let seen = meeting(&app, &c.owner, &id).await;
    assert_eq!(
        (seen["goingCount"].as_u64(), seen["waitlistCount"].as_u64()),
        (Some(3), Some(5))
    );
    assert_eq!(seen["joinUrl"], Value::Null);
    // All three going step back at once: three waiting people come in, none twice.
    let steps =
        futures::future::join_all(going.iter().map(|m| rsvp(&app, m, &id, "NOT_GOING"))).await;
    for s in &steps {
        assert_eq!(s["data"]["rsvp"]["myRsvp"], "NOT_GOING", "{s}");
    }
    let seen = meeting(&app, &c.owner, &id).await;
    assert_eq!(
        (seen["goingCount"].as_u64(), seen["waitlistCount"].as_u64()),
        (Some(3), Some(2)),
        "{seen}"
    );
    let mut told = 0;
    for member in &waiting {
        let places = notifications_of(&app, member, "MEETING_PLACE").await;
        assert!(places <= 1, "told twice");
        let mine = meeting(&app, member, &id).await;
        if places == 1 {
            assert_eq!(mine["myRsvp"], "GOING");
            assert_eq!(mine["joinUrl"], "https://meet.example.org/evening-circle");
        } else {
            assert_eq!(mine["myRsvp"], "WAITLISTED");
        }
        told += places;
    }
    assert_eq!(told, 3);
    // Someone going leaves the group: the next pass of the meetings' worker fills the place.
    let mut leaver = None;
    for member in &waiting {
        if meeting(&app, member, &id).await["myRsvp"] == "GOING" {
            leaver = Some(*member);
            break;
        }
    }
    let leaver = leaver.unwrap();
    app.ok(
        &leaver.access,
        "mutation($g: ID!) { leaveGroup(groupId: $g) }",
        json!({"g": c.group}),
    )
    .await;
    let filled = api::meetings::attendance::fill_freed_places(&app.context.workers())
        .await
        .unwrap();
    assert_eq!(filled, 1);
    let seen = meeting(&app, &c.owner, &id).await;
    assert_eq!(
        (seen["goingCount"].as_u64(), seen["waitlistCount"].as_u64()),
        (Some(3), Some(1)),
        "{seen}"
    );
}

#[tokio::test]
async fn moving_and_cancelling_tell_those_coming_live_and_in_their_inbox() {
    let app = TestApp::spawn().await;
    let c = circle(&app, "PUBLIC", 2).await;
    let body = schedule(
        &app,
        &c.owner,
        weekly(
            &c.group,
            "Australia/Sydney",
            tomorrow_in("Australia/Sydney"),
            "10:00",
        ),
    )
    .await;
    let series = series_id(&body);
    let list = occurrences(&app, &c.owner, &series, 30).await;
    let (first, second) = (
        list[0]["id"].as_str().unwrap().to_owned(),
        list[1]["id"].as_str().unwrap().to_owned(),
    );
    let (ana, ben) = (&c.members[0], &c.members[1]);
    rsvp(&app, ana, &first, "GOING").await;
    rsvp(&app, ana, &second, "MAYBE").await;
    let mut socket = app.socket().await;
    socket
        .subscribe_ready(
            &ana.access,
            "m",
            "subscription { meetingChanged { id status startsAt myRsvp } }",
            json!({}),
        )
        .await;
    let mut quiet = app.socket().await;
    quiet
        .subscribe_ready(
            &ben.access,
            "m",
            "subscription { meetingChanged { id } }",
            json!({}),
        )
        .await;

    let to = DateTime::from_timestamp(Utc::now().timestamp() + 3 * 86_400, 0).unwrap();
    let moved = app.ok(&c.owner.access, "mutation($m: ID!, $t: DateTime!) { moveMeeting(meetingId: $m, startsAt: $t) { startsAt endsAt moved } }", json!({"m": first, "t": to.to_rfc3339()})).await;
    assert_eq!(at(&moved["moveMeeting"]["startsAt"]), to);
    assert_eq!(moved["moveMeeting"]["moved"], true);
    let event = socket.expect_json(StdDuration::from_secs(5)).await;
    assert_eq!(
        event["payload"]["data"]["meetingChanged"]["id"],
        first.as_str(),
        "{event}"
    );
    assert_eq!(
        at(&event["payload"]["data"]["meetingChanged"]["startsAt"]),
        to
    );
    assert_eq!(notifications_of(&app, ana, "MEETING_MOVED").await, 1);

    let cancelled = app
        .ok(
            &c.owner.access,
            "mutation($m: ID!) { cancelMeeting(meetingId: $m) { status } }",
            json!({"m": second}),
        )
        .await;
    assert_eq!(cancelled["cancelMeeting"]["status"], "CANCELLED");
    let event = socket.expect_json(StdDuration::from_secs(5)).await;
    assert_eq!(
        event["payload"]["data"]["meetingChanged"]["status"], "CANCELLED",
        "{event}"
    );
    assert_eq!(notifications_of(&app, ana, "MEETING_CANCELLED").await, 1);
    quiet.expect_silence(StdDuration::from_millis(500)).await;
    let late = rsvp(&app, ben, &second, "GOING").await;
    assert_eq!(error_code(&late), "CONFLICT", "{late}");
    let text = app
        .ok(
            &ana.access,
            "{ notifications(first: 5) { edges { node { kind text meetingId } } } }",
            json!({}),
        )
        .await;
    let texts: Vec<&str> = text["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["text"].as_str().unwrap())
        .collect();
    assert!(
        texts.contains(&"A meeting you were coming to was cancelled"),
        "{texts:?}"
    );

    // The series cancelled: nothing to come is left, and a member's list is empty.
    app.ok(
        &c.owner.access,
        "mutation($s: ID!) { cancelMeetingSeries(seriesId: $s) { cancelledAt } }",
        json!({"s": series}),
    )
    .await;
    let mine = app
        .ok(
            &ana.access,
            "{ myMeetings { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(mine["myMeetings"]["edges"], json!([]));
}

#[tokio::test]
async fn a_reminder_is_decided_once_across_instances_even_when_one_dies_mid_pass() {
    let a = TestApp::spawn_with(|s| s.run_workers = false).await;
    let b = a.sibling().await;
    let c = circle(&a, "PUBLIC", 2).await;
    let (ana, ben) = (&c.members[0], &c.members[1]);
    let body = schedule(
        &a,
        &c.owner,
        weekly(&c.group, "UTC", tomorrow_in("UTC"), "09:00"),
    )
    .await;
    let series = series_id(&body);
    let first = occurrences(&a, &c.owner, &series, 30).await[0].clone();
    let id = first["id"].as_str().unwrap().to_owned();
    rsvp(&a, ana, &id, "GOING").await;
    rsvp(&a, ben, &id, "GOING").await;
    // Ben wants the evening before too, and no reminder an hour before.
    a.ok(&ben.access, "mutation { updatePushPreferences(input: {meetingReminders: [DAY_BEFORE]}) { meetingReminders } }", json!({})).await;
    let starts = at(&first["startsAt"]);
    let hour_before = starts - Duration::minutes(50);

    // An instance that dies holding its batch: its transaction is rolled back when the
    // connection goes, and the other instance decides.
    let db = &a.context.db;
    let dying = sea_orm::TransactionTrait::begin(db).await.unwrap();
    dying
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            match db.get_database_backend() {
                sea_orm::DbBackend::Postgres => "INSERT INTO meeting_reminders (meeting_id, user_id, lead, decided_at) VALUES ($1, $2, 'HOUR_BEFORE', $3)",
                _ => "INSERT INTO meeting_reminders (meeting_id, user_id, lead, decided_at) VALUES (?, ?, 'HOUR_BEFORE', ?)",
            },
            [id.clone().into(), ana.user_id.clone().into(), Utc::now().into()],
        ))
        .await
        .unwrap();
    let workers_b = b.context.workers();
    let racing =
        tokio::spawn(
            async move { api::meetings::reminders::run_once(&workers_b, hour_before).await },
        );
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    // What the database does when a process dies holding a transaction.
    dying.rollback().await.unwrap();
    let sent_b = racing.await.unwrap().unwrap();
    let sent_a = api::meetings::reminders::run_once(&a.context.workers(), hour_before)
        .await
        .unwrap();
    assert_eq!((sent_a, sent_b), (0, 1), "Ana's hour-before reminder, once");
    // Both instances at once, a little later: nothing more.
    let (workers_a, workers_b) = (a.context.workers(), b.context.workers());
    let (again_a, again_b) = tokio::join!(
        api::meetings::reminders::run_once(&workers_a, hour_before + Duration::minutes(5)),
        api::meetings::reminders::run_once(&workers_b, hour_before + Duration::minutes(5)),
    );
    assert_eq!(again_a.unwrap() + again_b.unwrap(), 0);
    assert_eq!(notifications_of(&a, ana, "MEETING_REMINDER").await, 1);
    assert_eq!(
        notifications_of(&a, ben, "MEETING_REMINDER").await,
        0,
        "Ben chose the evening before only"
    );
    let jobs = entity::push_jobs::Entity::find()
        .filter(entity::push_jobs::Column::UserId.eq(ana.user_id.as_str()))
        .filter(entity::push_jobs::Column::Kind.eq("MEETING_REMINDER"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(jobs, 1);
    let inbox = a
        .ok(
            &ana.access,
            "{ notifications(first: 1) { edges { node { kind text meetingId } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        inbox["notifications"]["edges"][0]["node"]["text"],
        "A meeting in one of your groups starts in 1 hour"
    );
    assert_eq!(
        inbox["notifications"]["edges"][0]["node"]["meetingId"],
        id.as_str()
    );
    // Ben's, the evening before at 18:00 in his time zone (UTC by default).
    let evening = (starts - Duration::days(1))
        .date_naive()
        .and_hms_opt(18, 0, 0)
        .unwrap()
        .and_utc();
    assert_eq!(
        api::meetings::reminders::run_once(&a.context.workers(), evening - Duration::minutes(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        api::meetings::reminders::run_once(&b.context.workers(), evening + Duration::minutes(1))
            .await
            .unwrap(),
        1
    );
    let text = a
        .ok(
            &ben.access,
            "{ notifications(first: 1) { edges { node { text } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        text["notifications"]["edges"][0]["node"]["text"],
        "A meeting in one of your groups is tomorrow"
    );
    // Moved a day on, the meeting is reminded again for its new time.
    let later = starts + Duration::days(1);
    a.ok(
        &c.owner.access,
        "mutation($m: ID!, $t: DateTime!) { moveMeeting(meetingId: $m, startsAt: $t) { id } }",
        json!({"m": id, "t": later.to_rfc3339()}),
    )
    .await;
    let again =
        api::meetings::reminders::run_once(&a.context.workers(), later - Duration::minutes(55))
            .await
            .unwrap();
    assert_eq!(again, 1);
    assert_eq!(notifications_of(&a, ana, "MEETING_REMINDER").await, 2);
}

#[tokio::test]
async fn the_calendar_feed_has_no_names_by_default_parses_back_and_dies_when_revoked() {
    use icalendar::Component;
    let app = TestApp::spawn().await;
    let c = circle(&app, "PUBLIC", 1).await;
    let ana = &c.members[0];
    let body = schedule(
        &app,
        &c.owner,
        weekly(
            &c.group,
            "America/New_York",
            tomorrow_in("America/New_York"),
            "19:00",
        ),
    )
    .await;
    let series = series_id(&body);
    let list = occurrences(&app, ana, &series, 30).await;
    for m in list.iter().take(2) {
        rsvp(&app, ana, m["id"].as_str().unwrap(), "GOING").await;
    }
    rsvp(&app, ana, list[2]["id"].as_str().unwrap(), "MAYBE").await;
    let feed = app
        .ok(
            &ana.access,
            "mutation { createCalendarFeed { url showGroupNames } }",
            json!({}),
        )
        .await;
    let url = feed["createCalendarFeed"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(feed["createCalendarFeed"]["showGroupNames"], false);
    assert!(
        url.starts_with("/calendar/") && url.ends_with(".ics"),
        "{url}"
    );
    let response = app.http.get(app.url(&url)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let text = response.text().await.unwrap();
    assert!(
        !text.contains("Evening circle"),
        "no group or series name without asking:\n{text}"
    );
    assert!(!text.contains("meet.example.org"), "never the join link");
    let calendar: icalendar::Calendar = text.parse().unwrap();
    let events: Vec<&icalendar::Event> = calendar
        .components
        .iter()
        .filter_map(|c| c.as_event())
        .collect();
    assert_eq!(
        events.len(),
        2,
        "the meetings she is going to, not the maybe"
    );
    for (event, meeting) in events.iter().zip(&list) {
        assert_eq!(event.get_summary(), Some("Hearth meeting"));
        let start = match event.get_start().unwrap() {
            icalendar::DatePerhapsTime::DateTime(dt) => dt,
            other => panic!("{other:?}"),
        };
        match &start {
            icalendar::CalendarDateTime::WithTimezone { date_time, tzid } => {
                assert_eq!(tzid, "America/New_York");
                assert_eq!(date_time.format("%H:%M").to_string(), "19:00");
            }
            other => panic!("a start in its zone, got {other:?}"),
        }
        assert_eq!(start.try_into_utc().unwrap(), at(&meeting["startsAt"]));
    }
    // The zone's rules travel with the feed.
    let zones: Vec<_> = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            icalendar::CalendarComponent::Other(other) if other.component_kind() == "VTIMEZONE" => {
                Some(other)
            }
            _ => None,
        })
        .collect();
    assert_eq!(zones.len(), 1, "{text}");
    assert_eq!(zones[0].property_value("TZID"), Some("America/New_York"));
    assert!(
        text.contains("TZOFFSETFROM:-0500") && text.contains("TZOFFSETTO:-0400"),
        "{text}"
    );

    // A new feed with names replaces the old one; revoked, it is gone.
    let named = app
        .ok(
            &ana.access,
            "mutation { createCalendarFeed(showGroupNames: true) { url } }",
            json!({}),
        )
        .await;
    let named_url = named["createCalendarFeed"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.http.get(app.url(&url)).send().await.unwrap().status(),
        404,
        "the old address died"
    );
    let text = app
        .http
        .get(app.url(&named_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("SUMMARY:Evening circle (Evening circle)"),
        "{text}"
    );
    let revoked = app
        .ok(&ana.access, "mutation { revokeCalendarFeed }", json!({}))
        .await;
    assert_eq!(revoked["revokeCalendarFeed"], true);
    assert_eq!(
        app.http
            .get(app.url(&named_url))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        app.http
            .get(app.url("/calendar/not-a-feed.ics"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn a_reminder_waits_for_quiet_hours_unless_asked_and_is_dropped_for_whoever_stopped_coming() {
    use crate::told_at_delivery::{jobs, quiet_hours, quiet_hours_end, settled, state_of, PREFS};
    let fcm = crate::fake_fcm::FakeFcm::start().await;
    let (app, _dir) = TestApp::pushing_to(&fcm, |_| {}).await;
    let c = circle(&app, "PRIVATE", 0).await;
    let body = schedule(
        &app,
        &c.owner,
        weekly(&c.group, "UTC", tomorrow_in("UTC"), "21:00"),
    )
    .await;
    let series = series_id(&body);
    let first = occurrences(&app, &c.owner, &series, 30).await[0].clone();
    let id = first["id"].as_str().unwrap().to_owned();
    let mut people = Vec::new();
    for (name, in_quiet_hours) in [
        ("Opted Olive", true),
        ("Quiet Quinn", false),
        ("Leaving Lee", false),
    ] {
        let who = app.register(name).await;
        app.invite(&c.owner, &c.group, &who).await;
        app.join(&who, &c.group).await;
        let token = format!("{}-phone", name.to_lowercase().replace(' ', "-"));
        app.ok(
            &who.access,
            "mutation($t: String!) { registerDevice(input: {token: $t, platform: IOS}) { id } }",
            json!({"t": token}),
        )
        .await;
        app.ok(&who.access, PREFS, json!({"i": {"quietHours": quiet_hours(-1, 1), "meetingsInQuietHours": in_quiet_hours}})).await;
        rsvp(&app, &who, &id, "GOING").await;
        people.push(who);
    }
    let (olive, quinn, lee) = (&people[0], &people[1], &people[2]);
    let sent = api::meetings::reminders::run_once(
        &app.context.workers(),
        at(&first["startsAt"]) - Duration::minutes(55),
    )
    .await
    .unwrap();
    assert_eq!(sent, 3);
    // Olive asked for meeting reminders inside quiet hours: hers goes at once, content-free.
    fcm.wait_for_sends(1).await;
    let sends = fcm.sends();
    let message = &sends[0].body["message"];
    assert_eq!(message["token"], "opted-olive-phone");
    assert_eq!(
        message["notification"]["body"],
        "A meeting in one of your groups starts in 1 hour"
    );
    assert_eq!(message["data"]["meetingId"], id.as_str());
    assert!(
        !sends[0].body.to_string().contains("Evening circle"),
        "no name in a push"
    );
    // The other two wait for their quiet hours; meanwhile Lee leaves the group.
    for _ in 0..250 {
        let held = jobs(&app)
            .await
            .into_iter()
            .filter(|j| {
                j.state == entity::enums::PushJobState::Pending
                    && j.due_at > Utc::now() + Duration::minutes(1)
            })
            .count();
        if held == 2 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    app.ok(
        &lee.access,
        "mutation($g: ID!) { leaveGroup(groupId: $g) }",
        json!({"g": c.group}),
    )
    .await;
    quiet_hours_end(&app, &[quinn, lee]).await;
    let settled = settled(&app).await;
    assert_eq!(state_of(&settled, olive), "SENT", "{settled:?}");
    assert_eq!(state_of(&settled, quinn), "SENT", "{settled:?}");
    assert_eq!(state_of(&settled, lee), "DROPPED", "{settled:?}");
    assert_eq!(fcm.send_count(), 2);
}

/// A change to a whole series tells each person once, of the soonest meeting of theirs it
/// changed, however many weeks they said they would come to; every changed meeting still
/// reaches their open screens live.
#[tokio::test]
async fn a_series_change_tells_each_person_once() {
    let app = TestApp::spawn().await;
    let c = circle(&app, "PUBLIC", 1).await;
    let ana = &c.members[0];
    let body = schedule(
        &app,
        &c.owner,
        weekly(
            &c.group,
            "Europe/Berlin",
            tomorrow_in("Europe/Berlin"),
            "18:00",
        ),
    )
    .await;
    let series = series_id(&body);
    let weeks = occurrences(&app, &c.owner, &series, 30).await;
    let mine: Vec<String> = weeks[..3]
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    for id in &mine {
        rsvp(&app, ana, id, "GOING").await;
    }
    let mut socket = app.socket().await;
    socket
        .subscribe_ready(
            &ana.access,
            "m",
            "subscription { meetingChanged { id startsAt status } }",
            json!({}),
        )
        .await;
    let live_ids = |events: &[Value]| -> Vec<String> {
        let mut ids: Vec<String> = events
            .iter()
            .map(|e| {
                e["payload"]["data"]["meetingChanged"]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        ids.sort();
        ids
    };
    let mut expected = mine.clone();
    expected.sort();

    app.ok(
        &c.owner.access,
        "mutation($i: UpdateMeetingSeriesInput!) { updateMeetingSeries(input: $i) { localStartTime } }",
        json!({"i": {"seriesId": series, "localStartTime": "19:30"}}),
    )
    .await;
    let mut events = Vec::new();
    for _ in 0..3 {
        events.push(socket.expect_json(StdDuration::from_secs(5)).await);
    }
    assert_eq!(live_ids(&events), expected);
    assert_eq!(notifications_of(&app, ana, "MEETING_MOVED").await, 1);
    let told = app
        .ok(
            &ana.access,
            "{ notifications(first: 5) { edges { node { kind meetingId } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        told["notifications"]["edges"][0]["node"]["meetingId"],
        mine[0].as_str(),
        "the soonest of my meetings"
    );

    app.ok(
        &c.owner.access,
        "mutation($s: ID!) { cancelMeetingSeries(seriesId: $s) { cancelledAt } }",
        json!({"s": series}),
    )
    .await;
    let mut events = Vec::new();
    for _ in 0..3 {
        events.push(socket.expect_json(StdDuration::from_secs(5)).await);
    }
    assert_eq!(live_ids(&events), expected);
    assert!(events
        .iter()
        .all(|e| e["payload"]["data"]["meetingChanged"]["status"] == "CANCELLED"));
    assert_eq!(notifications_of(&app, ana, "MEETING_CANCELLED").await, 1);
}

/// The counts kept in each meeting's row (by triggers on the answers, migration 000030) stay
/// equal to the answers themselves through every way they change: answers and changed answers,
/// a freed place given to the first who waits, a member leaving, a ban, an erased account.
#[tokio::test]
async fn a_meetings_counts_follow_every_change_to_its_answers() {
    let app = TestApp::spawn().await;
    let c = circle(&app, "PUBLIC", 6).await;
    let mut input = weekly(&c.group, "UTC", tomorrow_in("UTC"), "20:00");
    input["capacity"] = json!(2);
    let body = schedule(&app, &c.owner, input).await;
    let series = series_id(&body);
    let ids: Vec<String> = occurrences(&app, &c.owner, &series, 15)
        .await
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids.len() >= 2);
    // What the API shows against a count of the answers, for each of the two meetings.
    let check = |when: &'static str| {
        let (app, ids, owner) = (&app, &ids, &c.owner);
        async move {
            for id in ids.iter().take(2) {
                let shown = meeting(app, owner, id).await;
                let mut counted = Vec::new();
                for status in ["GOING", "MAYBE", "WAITLISTED"] {
                    let n = entity::meeting_rsvps::Entity::find()
                        .filter(entity::meeting_rsvps::Column::MeetingId.eq(id.as_str()))
                        .filter(entity::meeting_rsvps::Column::Status.eq(status))
                        .count(&app.context.db)
                        .await
                        .unwrap();
                    counted.push(Some(n));
                }
                let showing = vec![
                    shown["goingCount"].as_u64(),
                    shown["maybeCount"].as_u64(),
                    shown["waitlistCount"].as_u64(),
                ];
                assert_eq!(showing, counted, "{when}: {shown}");
            }
        }
    };
    let m = &c.members;
    for (who, answer) in [
        (0, "GOING"),
        (1, "GOING"),
        (2, "GOING"),
        (3, "GOING"),
        (4, "MAYBE"),
    ] {
        for id in ids.iter().take(2) {
            let body = rsvp(&app, &m[who], id, answer).await;
            assert!(body["errors"].is_null(), "{body}");
        }
    }
    check("after the answers").await;
    let first = meeting(&app, &c.owner, &ids[0]).await;
    assert_eq!(
        (
            first["goingCount"].as_u64(),
            first["maybeCount"].as_u64(),
            first["waitlistCount"].as_u64()
        ),
        (Some(2), Some(1), Some(2))
    );
    // A changed answer frees a place: the first who waits takes it.
    let changed = rsvp(&app, &m[0], &ids[0], "NOT_GOING").await;
    assert_eq!(changed["data"]["rsvp"]["goingCount"], 2, "{changed}");
    assert_eq!(changed["data"]["rsvp"]["waitlistCount"], 1, "{changed}");
    check("after a place was freed").await;
    rsvp(&app, &m[4], &ids[0], "GOING").await;
    check("after a changed answer").await;
    // Someone leaves, someone is banned, someone erases their account.
    app.ok(
        &m[1].access,
        "mutation($g: ID!) { leaveGroup(groupId: $g) }",
        json!({"g": c.group}),
    )
    .await;
    check("after someone left").await;
    app.ok(
        &c.owner.access,
        "mutation($g: ID!, $u: ID!) { banMember(groupId: $g, userId: $u, reason: \"test\") }",
        json!({"g": c.group, "u": m[2].user_id}),
    )
    .await;
    check("after a ban").await;
    app.ok(
        &m[3].access,
        "mutation($p: String!) { deleteAccount(password: $p, removeContent: true) }",
        json!({"p": PASSWORD}),
    )
    .await;
    check("after an erasure").await;
}

/// A capacity raised while an answer to one of the series' meetings is being decided waits for
/// that answer (whose transaction holds the meeting's row), then counts the places it left: the
/// person still waiting is let in. Counted before the answer, the place it filled looked free
/// and was given to the one it had already let in, and the next in line went on waiting.
#[tokio::test]
async fn a_capacity_raised_while_an_answer_is_decided_counts_the_places_left_after_it() {
    use sea_orm::TransactionTrait;
    let app = TestApp::spawn().await;
    let c = circle(&app, "PUBLIC", 3).await;
    let (series, first) = capped_series(&app, &c, "20:00", 1).await;
    let m = &c.members;
    for who in m {
        let body = rsvp(&app, who, &first, "GOING").await;
        assert!(body["errors"].is_null(), "{body}");
    }
    let before = meeting(&app, &c.owner, &first).await;
    assert_eq!(
        (
            before["goingCount"].as_u64(),
            before["waitlistCount"].as_u64()
        ),
        (Some(1), Some(2))
    );

    // An answer being decided as `attendance::answer` decides it: the meeting's row held, the
    // first person steps back and the first who waits takes the place.
    let db = &app.context.db;
    let backend = db.get_database_backend();
    let sql = |text: &str, values: Vec<sea_orm::Value>| {
        let text = match backend {
            sea_orm::DbBackend::Postgres => text.to_owned(),
            _ => text.replace('$', "?"),
        };
        sea_orm::Statement::from_sql_and_values(backend, text, values)
    };
    let answer = |who: &Session, status: &str| {
        sql(
            "UPDATE meeting_rsvps SET status = $1 WHERE meeting_id = $2 AND user_id = $3",
            vec![
                status.into(),
                first.as_str().into(),
                who.user_id.as_str().into(),
            ],
        )
    };
    let held = db.begin().await.unwrap();
    held.execute_raw(sql(
        "UPDATE meetings SET updated_at = updated_at WHERE id = $1",
        vec![first.as_str().into()],
    ))
    .await
    .unwrap();
    held.execute_raw(answer(&m[0], "MAYBE")).await.unwrap();
    held.execute_raw(answer(&m[1], "GOING")).await.unwrap();

    let raise = app.gql(
        Some(&c.owner.access),
        "mutation($i: UpdateMeetingSeriesInput!) { updateMeetingSeries(input: $i) { capacity } }",
        json!({"i": {"seriesId": series, "capacity": 2}}),
    );
    let decided = async {
        tokio::time::sleep(StdDuration::from_millis(400)).await;
        held.commit().await.unwrap();
    };
    let (raised, ()) = tokio::join!(raise, decided);
    assert_eq!(
        raised["data"]["updateMeetingSeries"]["capacity"], 2,
        "{raised}"
    );

    let after = meeting(&app, &c.owner, &first).await;
    assert_eq!(
        (
            after["goingCount"].as_u64(),
            after["maybeCount"].as_u64(),
            after["waitlistCount"].as_u64()
        ),
        (Some(2), Some(1), Some(0)),
        "{after}"
    );
    assert_eq!(notifications_of(&app, &m[2], "MEETING_PLACE").await, 1);
}

/// A place freed by someone who left (the worker has not let the waitlist in yet) goes first to
/// whoever waits, before an answer is decided. When the one answering is that person, their
/// answer is what the letting in made it: asking GOING again, they are going, not waiting.
#[tokio::test]
async fn a_waiting_person_let_in_by_their_own_answer_is_answered_as_going() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let c = circle(&app, "PUBLIC", 2).await;
    let (_, first) = capped_series(&app, &c, "20:00", 1).await;
    let (going, waiting) = (&c.members[0], &c.members[1]);
    rsvp(&app, going, &first, "GOING").await;
    let waits = rsvp(&app, waiting, &first, "GOING").await;
    assert_eq!(waits["data"]["rsvp"]["myRsvp"], "WAITLISTED", "{waits}");
    app.ok(
        &going.access,
        "mutation($g: ID!) { leaveGroup(groupId: $g) }",
        json!({"g": c.group}),
    )
    .await;
    let again = rsvp(&app, waiting, &first, "GOING").await;
    let answered = &again["data"]["rsvp"];
    assert_eq!(answered["myRsvp"], "GOING", "{again}");
    assert_eq!(
        (
            answered["goingCount"].as_u64(),
            answered["waitlistCount"].as_u64()
        ),
        (Some(1), Some(0)),
        "{again}"
    );
    assert_eq!(meeting(&app, waiting, &first).await["myRsvp"], "GOING");
}
