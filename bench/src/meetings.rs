//! Meetings (`bench meetings`), in two parts.
//!
//! 1. "My upcoming meetings" for people in 20 groups, each with a weekly series (a year of
//!    meetings written ahead, 1 060 in all). `--people` members (32 by default) sign in, each with
//!    their own token, and `--concurrency` closed-loop clients (32) act as a random one of them
//!    for `--seconds` (10): nine requests in ten read `myMeetings(first: 20)` with counts,
//!    the caller's answer, the join link and the series; one in ten answers GOING or MAYBE
//!    for one of the next meetings (a write, under the meeting's lock). On PostgreSQL the
//!    seeded tables are vacuumed and analysed before the reads, as a database in service has
//!    long been.
//! 2. A reminder pass for 10 000 people due the same minute: 100 groups of 100 members, each
//!    with one meeting an hour away that all its members are going to. The figure is how long
//!    `meetings::reminders::run_once` takes until the last notification and push job is
//!    committed, and how many it wrote.
//!
//! `HEARTH_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hearth_bench_meetings ../target/release/bench meetings`
use crate::load::{self, Stats};
use anyhow::Context as _;
use chrono::{Duration, Utc};
use entity::enums::{MemberState, NotificationLevel, Role, RsvpStatus};
use entity::ids::{GroupId, MeetingId, UserId};
use rand::Rng as _;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

/// The options of a run.
pub struct Options {
    pub seconds: usize,
    pub concurrency: usize,
    pub people: usize,
}

const GROUPS: usize = 20;
const REMINDED_GROUPS: usize = 100;
const REMINDED_PER_GROUP: usize = 100;
const MY_MEETINGS: &str = "{ myMeetings(first: 20) { edges { node { id startsAt endsAt status goingCount maybeCount waitlistCount myRsvp joinUrl series { title timeZone localStartTime } } } } }";
const RSVP: &str =
    "mutation($m: ID!, $a: RsvpAnswer!) { rsvp(meetingId: $m, answer: $a) { myRsvp goingCount } }";
const READ: usize = 0;
const WRITE: usize = 1;

pub async fn run(options: Options) -> anyhow::Result<()> {
    // The workers stay off: part 2 runs the reminder pass itself, at the minute it is due.
    let server = load::start_server_with(|s| s.run_workers = false).await?;
    let context = server.context.clone().context("no context")?;
    let backend = if server.database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let http = reqwest::Client::new();
    let url = server.url.clone();
    let (owner_token, owner) = server
        .sign_up(
            &http,
            "meetings-owner@example.org",
            "Meeting Owner",
            "a benchmark password",
        )
        .await?;
    let tomorrow = (Utc::now() + Duration::days(1)).date_naive();
    let mut groups = Vec::new();
    for g in 0..GROUPS {
        let group = load::gql(&http, &url, Some(&owner_token), "mutation($i: CreateGroupInput!) { createGroup(input: $i) { id } }", json!({"i": {"name": format!("Meeting bench {g}"), "topic": "OTHER", "visibility": "PUBLIC", "ledBy": "PEER"}})).await?;
        let group = group["createGroup"]["id"]
            .as_str()
            .context("group")?
            .to_owned();
        let zone = [
            "Europe/Berlin",
            "America/New_York",
            "Australia/Sydney",
            "Asia/Kolkata",
        ][g % 4];
        load::gql(&http, &url, Some(&owner_token), "mutation($i: ScheduleMeetingsInput!) { scheduleMeetings(input: $i) { id } }", json!({"i": {"groupId": group, "title": format!("Circle {g}"), "firstDate": tomorrow.to_string(), "localStartTime": format!("{:02}:30", 8 + g % 12), "timeZone": zone, "durationMinutes": 60, "frequency": "WEEKLY", "capacity": 24, "joinUrl": "https://meet.example.org/bench"}})).await?;
        groups.push(GroupId::from(group));
    }
    let mut tokens = Vec::new();
    let mut people = Vec::new();
    for n in 0..options.people {
        let (token, id) = server
            .sign_up(
                &http,
                &format!("meetings{n}@example.org"),
                &format!("Meeting Person {n}"),
                "a benchmark password",
            )
            .await?;
        tokens.push(token);
        people.push(UserId::from(id));
    }
    let memberships: Vec<_> = groups
        .iter()
        .flat_map(|g| people.iter().map(move |p| membership(g, p)))
        .collect();
    load::insert_in_chunks(&context.db, &memberships).await?;
    let next: Vec<MeetingId> = entity::meetings::Entity::find()
        .filter(entity::meetings::Column::GroupId.is_in(&groups))
        .order_by_asc(entity::meetings::Column::StartsAt)
        .all(&context.db)
        .await?
        .into_iter()
        .take(GROUPS * 2)
        .map(|m| m.id)
        .collect();
    let meetings_written = entity::meetings::Entity::find().count(&context.db).await?;
    if backend == "PostgreSQL" {
        // Settled, as a database in service is: planned with statistics, and without the
        // autovacuum woken by the seeding running, by chance, while the reads are timed.
        sea_orm::ConnectionTrait::execute_unprepared(&context.db, "VACUUM ANALYZE").await?;
    }
    println!("{} people in {GROUPS} groups with a weekly series each ({meetings_written} meetings written ahead), {backend}", people.len());

    let (tokens, next) = (Arc::new(tokens), Arc::new(next));
    let (http2, url2) = (http.clone(), url.clone());
    let [reads, writes]: [Stats; 2] = load::run_for(
        std::time::Duration::from_secs(u64::try_from(options.seconds)?),
        options.concurrency,
        move |_| {
            let (kind, body, token) = {
                let mut rng = rand::rng();
                let token = tokens[rng.random_range(0..tokens.len())].clone();
                if rng.random_range(0..10) == 0 {
                    let meeting = &next[rng.random_range(0..next.len())];
                    let answer = if rng.random_bool(0.5) {
                        "GOING"
                    } else {
                        "MAYBE"
                    };
                    (
                        WRITE,
                        json!({"query": RSVP, "variables": {"m": meeting, "a": answer}}),
                        token,
                    )
                } else {
                    (READ, json!({"query": MY_MEETINGS}), token)
                }
            };
            let request = http2.post(&url2).json(&body).bearer_auth(token);
            async move { (kind, load::answered_without_errors(request).await) }
        },
    )
    .await;
    reads.print(&format!(
        "myMeetings(first: 20), {} clients among answers",
        options.concurrency
    ));
    writes.print("rsvp, among the reads");

    reminder_pass(&context, &http, &url, &owner_token, &owner).await
}

fn membership(group: &GroupId, person: &UserId) -> entity::memberships::ActiveModel {
    let at = Utc::now();
    entity::memberships::ActiveModel {
        group_id: Set(group.clone()),
        user_id: Set(person.clone()),
        role: Set(Role::Member),
        state: Set(MemberState::Active),
        alias: Set(None),
        alias_key: Set(None),
        notification_level: Set(NotificationLevel::Replies),
        created_at: Set(at),
        joined_at: Set(Some(at)),
    }
}

/// Part 2: 10 000 people going to meetings that start in an hour, reminded in one pass.
async fn reminder_pass(
    context: &api::state::AppContext,
    http: &reqwest::Client,
    url: &str,
    owner_token: &str,
    _owner: &str,
) -> anyhow::Result<()> {
    let db = &context.db;
    let starts = (Utc::now() + Duration::days(2))
        .date_naive()
        .and_hms_opt(9, 0, 0)
        .context("time")?
        .and_utc();
    let mut meetings = Vec::new();
    for g in 0..REMINDED_GROUPS {
        let group = load::gql(http, url, Some(owner_token), "mutation($i: CreateGroupInput!) { createGroup(input: $i) { id } }", json!({"i": {"name": format!("Reminded {g}"), "topic": "OTHER", "visibility": "PUBLIC", "ledBy": "PEER"}})).await?;
        let group = group["createGroup"]["id"]
            .as_str()
            .context("group")?
            .to_owned();
        let series = load::gql(http, url, Some(owner_token), "mutation($i: ScheduleMeetingsInput!) { scheduleMeetings(input: $i) { id } }", json!({"i": {"groupId": group, "title": "Once", "firstDate": starts.date_naive().to_string(), "localStartTime": "09:00", "timeZone": "UTC", "durationMinutes": 60, "frequency": "ONCE"}})).await?;
        let series = series["scheduleMeetings"]["id"]
            .as_str()
            .context("series")?
            .to_owned();
        let meeting = entity::meetings::Entity::find()
            .filter(entity::meetings::Column::SeriesId.eq(series))
            .one(db)
            .await?
            .context("the meeting")?;
        meetings.push((GroupId::from(group), meeting.id));
    }
    let at = Utc::now();
    let mut users = Vec::new();
    let mut memberships = Vec::new();
    let mut answers = Vec::new();
    for (g, (group, meeting)) in meetings.iter().enumerate() {
        for n in 0..REMINDED_PER_GROUP {
            let id = UserId::generate();
            let name = format!("Reminded {g}-{n}");
            users.push(entity::users::ActiveModel {
                id: Set(id.clone()),
                email: Set(format!("reminded-{g}-{n}@bench.invalid")),
                email_index: Set(Some(format!("bench-{g}-{n}"))),
                display_name_key: Set(name.to_lowercase()),
                display_name: Set(name),
                // Nobody signs in as them.
                password_hash: Set("!".into()),
                timezone: Set("UTC".into()),
                country: Set(None),
                is_admin: Set(false),
                created_at: Set(at),
                updated_at: Set(at),
            });
            memberships.push(membership(group, &id));
            answers.push(entity::meeting_rsvps::ActiveModel {
                meeting_id: Set(meeting.clone()),
                user_id: Set(id),
                status: Set(RsvpStatus::Going),
                answered_at: Set(at),
            });
        }
    }
    load::insert_in_chunks(db, &users).await?;
    load::insert_in_chunks(db, &memberships).await?;
    load::insert_in_chunks(db, &answers).await?;
    let due = starts - Duration::minutes(59);
    let workers = context.workers();
    let started = Instant::now();
    let sent = api::meetings::reminders::run_once(&workers, due)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    let took = started.elapsed();
    let jobs = entity::push_jobs::Entity::find()
        .filter(entity::push_jobs::Column::Kind.eq("MEETING_REMINDER"))
        .count(db)
        .await?;
    println!(
        "reminder pass: {} people due the same minute, {sent} reminders decided and {jobs} push jobs written in {:.2} s",
        users.len(),
        took.as_secs_f64()
    );
    Ok(())
}
