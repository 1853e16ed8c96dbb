//! A group page is kept per instance (`page_cache`) while the versions of what it shows hold
//! (`read_versions`): read again, it asks the database nothing; after a write that changes what
//! it shows, here or on another instance, the next read is fresh; a write elsewhere leaves it
//! kept.
use crate::support::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The memo on, whatever the test's settings; no background workers nor periodic version
/// checks, whose statements would be counted (a write here still checks at once).
fn kept_for_a_while(settings: &mut api::Settings) {
    settings.page_cache_keep = Duration::from_secs(5);
    settings.read_check_every = Duration::from_secs(3600);
    settings.run_workers = false;
}

/// The page `who` read last with [`PAGE`] is answered again whole, asking the database nothing.
async fn still_kept(app: &TestApp, who: &Session, group: &str, after: &str) {
    let before = app.context.metrics.db_query_count();
    let served = app.context.metrics.kept_answers_served();
    read(app, who, group).await;
    assert_eq!(
        (
            app.context.metrics.db_query_count() - before,
            app.context.metrics.kept_answers_served() - served
        ),
        (0, 1),
        "after {after}, the page was read again"
    );
}

const PAGE: &str = "query($g: ID!) { group(id: $g) { name postCount posts(first: 20) { edges { node { id title replyCount author { id displayName } } } } } }";

async fn read(app: &TestApp, who: &Session, group: &str) -> Value {
    app.gql(Some(&who.access), PAGE, json!({"g": group})).await
}

/// The page as `who` sees it, read twice: the second read must come from the memo.
async fn kept(app: &TestApp, who: &Session, group: &str) -> Value {
    read_twice(app, who, PAGE, json!({"g": group})).await
}

/// `query` read again by `who`, which must ask the database nothing: once in other bytes (the
/// reads the page is made of are kept) and once in the same bytes (its whole answer is kept).
/// The answer read again, which must be the same both times.
async fn read_twice(app: &TestApp, who: &Session, query: &str, variables: Value) -> Value {
    app.ok(&who.access, query, variables.clone()).await;
    let before = app.context.metrics.db_query_count();
    let spelt_otherwise = format!("{query} ");
    let rebuilt = app
        .ok(&who.access, &spelt_otherwise, variables.clone())
        .await;
    let served = app.context.metrics.kept_answers_served();
    let again = app.ok(&who.access, query, variables).await;
    assert_eq!(
        app.context.metrics.db_query_count(),
        before,
        "read again, {query} asked the database"
    );
    assert_eq!(
        app.context.metrics.kept_answers_served(),
        served + 1,
        "the same bytes again were not answered whole from the memo"
    );
    assert_eq!(rebuilt, again);
    again
}

fn titles(data: &Value) -> Vec<String> {
    data["group"]["posts"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no posts in {data}"))
        .iter()
        .map(|edge| edge["node"]["title"].as_str().unwrap().to_owned())
        .collect()
}

fn first_post(data: &Value) -> &Value {
    &data["group"]["posts"]["edges"][0]["node"]
}

/// A public group of `owner`'s where `author` and `blocker` are members, and `blocker` has
/// blocked `author`: (owner, author, blocker, group).
async fn with_a_block(app: &TestApp, name: &str) -> (Session, Session, Session, String) {
    let owner = app.register(&format!("{name} Owner")).await;
    let author = app.register(&format!("{name} Author")).await;
    let blocker = app.register(&format!("{name} Blocker")).await;
    let group = app
        .create_group(&owner, &format!("{name} blocks"), "PUBLIC")
        .await;
    for who in [&author, &blocker] {
        app.join(who, &group).await;
    }
    app.ok(
        &blocker.access,
        "mutation($u: ID!) { blockUser(userId: $u) }",
        json!({"u": author.user_id}),
    )
    .await;
    (owner, author, blocker, group)
}

#[tokio::test]
async fn a_kept_page_is_the_callers_own() {
    let app = TestApp::spawn_with(kept_for_a_while).await;
    let (owner, author, blocker, group) = with_a_block(&app, "Memo").await;
    app.post(&author, &group, "Seen by some").await;
    assert_eq!(titles(&kept(&app, &owner, &group).await), ["Seen by some"]);
    // The owner's page is kept; the blocker's is not theirs to take.
    assert!(titles(&kept(&app, &blocker, &group).await).is_empty());
    assert_eq!(titles(&kept(&app, &owner, &group).await), ["Seen by some"]);
}

/// What does not change a group's page leaves it kept: signing in, the writes an app makes most
/// (a device at launch, notifications read, the day's mood), mutations of someone not signed
/// in, and writes in other groups or by people outside the group.
#[tokio::test]
async fn writes_elsewhere_leave_a_kept_page_kept() {
    let app = TestApp::spawn_with(kept_for_a_while).await;
    let owner = app.register("Steady Owner").await;
    let group = app.create_group(&owner, "Memo steady", "PUBLIC").await;
    app.post(&owner, &group, "Still here").await;
    let other = app
        .register_with("steady@example.test", "Steady Other", "a long password 123")
        .await;
    let elsewhere = app.create_group(&other, "Memo elsewhere", "PUBLIC").await;
    kept(&app, &owner, &group).await;
    let login = app
        .login("steady@example.test", "a long password 123")
        .await;
    assert!(login.get("errors").is_none(), "{login}");
    still_kept(&app, &owner, &group, "a sign-in").await;
    let refreshed = app.refresh(&other.refresh).await;
    assert!(refreshed.get("errors").is_none(), "{refreshed}");
    still_kept(&app, &owner, &group, "a refresh").await;
    for (mutation, variables) in [
        (
            "mutation { registerDevice(input: {token: \"steady-phone\", platform: ANDROID}) { id } }",
            json!({}),
        ),
        ("mutation { markNotificationsRead(all: true) }", json!({})),
        (
            "mutation($i: LogMoodInput!) { logMood(input: $i) { checkin { id } } }",
            json!({"i": {"score": 6}}),
        ),
        (
            "mutation { updateProfile(displayName: \"Steady Renamed\") { displayName } }",
            json!({}),
        ),
        (
            "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
            json!({"i": {"groupId": elsewhere, "title": "Elsewhere", "body": "In another group"}}),
        ),
    ] {
        app.ok(&other.access, mutation, variables).await;
        still_kept(&app, &owner, &group, mutation).await;
    }
    let refused = app
        .gql(
            None,
            "mutation { updateProfile(displayName: \"Nobody\") { displayName } }",
            json!({}),
        )
        .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{refused}"
    );
    still_kept(
        &app,
        &owner,
        &group,
        "a mutation refused for want of a token",
    )
    .await;
    // Someone in the group renamed: their name shows on the page, which is read again.
    app.join(&other, &group).await;
    read(&app, &owner, &group).await;
    app.ok(
        &other.access,
        "mutation { updateProfile(displayName: \"Steady Member\") { displayName } }",
        json!({}),
    )
    .await;
    let before = app.context.metrics.kept_answers_served();
    read(&app, &owner, &group).await;
    assert_eq!(app.context.metrics.kept_answers_served(), before);
}

#[tokio::test]
async fn every_write_shows_on_the_next_read_of_a_kept_page() {
    let app = TestApp::spawn_with(kept_for_a_while).await;
    let owner = app.register("Fresh Owner").await;
    let author = app.register("Fresh Author").await;
    let viewer = app.register("Fresh Viewer").await;
    let group = app.create_group(&owner, "Memo fresh", "PUBLIC").await;
    for who in [&author, &viewer] {
        app.join(who, &group).await;
    }
    let post = app.post(&author, &group, "First").await;
    assert_eq!(titles(&kept(&app, &viewer, &group).await), ["First"]);

    // A new post.
    app.post(&owner, &group, "Second").await;
    let page = app.ok(&viewer.access, PAGE, json!({"g": group})).await;
    assert_eq!(titles(&page), ["Second", "First"]);
    assert_eq!(page["group"]["postCount"], 2);

    // An edit.
    kept(&app, &viewer, &group).await;
    app.ok(
        &author.access,
        "mutation($id: ID!) { editPost(id: $id, title: \"First, edited\") { id } }",
        json!({"id": post}),
    )
    .await;
    let page = app.ok(&viewer.access, PAGE, json!({"g": group})).await;
    assert_eq!(titles(&page), ["Second", "First, edited"]);

    // A reply: the count, and the thread first by activity.
    kept(&app, &viewer, &group).await;
    app.reply(&owner, &post, "A reply").await;
    let page = app.ok(&viewer.access, PAGE, json!({"g": group})).await;
    assert_eq!(titles(&page), ["First, edited", "Second"]);
    assert_eq!(first_post(&page)["replyCount"], 1, "{page}");

    // A new name.
    kept(&app, &viewer, &group).await;
    app.ok(
        &author.access,
        "mutation { updateProfile(displayName: \"Fresh Renamed\") { displayName } }",
        json!({}),
    )
    .await;
    let page = app.ok(&viewer.access, PAGE, json!({"g": group})).await;
    assert_eq!(first_post(&page)["author"]["displayName"], "Fresh Renamed");

    // A block, then its end.
    let block = |verb: &str| format!("mutation($u: ID!) {{ {verb}(userId: $u) }}");
    kept(&app, &viewer, &group).await;
    app.ok(
        &viewer.access,
        &block("blockUser"),
        json!({"u": author.user_id}),
    )
    .await;
    let page = app.ok(&viewer.access, PAGE, json!({"g": group})).await;
    assert_eq!(titles(&page), ["Second"]);
    kept(&app, &viewer, &group).await;
    app.ok(
        &viewer.access,
        &block("unblockUser"),
        json!({"u": author.user_id}),
    )
    .await;
    let page = app.ok(&viewer.access, PAGE, json!({"g": group})).await;
    assert_eq!(titles(&page), ["First, edited", "Second"]);

    // A moderator's removal.
    kept(&app, &viewer, &group).await;
    app.ok(
        &owner.access,
        "mutation($id: ID!) { removePost(id: $id, reason: \"off topic\") { id } }",
        json!({"id": post}),
    )
    .await;
    let page = app.ok(&viewer.access, PAGE, json!({"g": group})).await;
    assert_eq!(titles(&page), ["Second"]);

    // The author's own deletion.
    let third = app.post(&author, &group, "Third").await;
    assert_eq!(
        titles(&kept(&app, &viewer, &group).await),
        ["Third", "Second"]
    );
    app.ok(
        &author.access,
        "mutation($id: ID!) { deletePost(id: $id) { id } }",
        json!({"id": third}),
    )
    .await;
    let page = app.ok(&viewer.access, PAGE, json!({"g": group})).await;
    assert_eq!(titles(&page), ["Second"]);
}

#[tokio::test]
async fn leaving_or_a_ban_closes_a_kept_private_page() {
    let app = TestApp::spawn_with(kept_for_a_while).await;
    let owner = app.register("Closed Owner").await;
    let viewer = app.register("Closed Viewer").await;
    let group = app.create_group(&owner, "Memo closed", "PRIVATE").await;
    app.post(&owner, &group, "Members only").await;
    let enter = || async {
        app.invite(&owner, &group, &viewer).await;
        app.join(&viewer, &group).await;
        assert_eq!(titles(&kept(&app, &viewer, &group).await), ["Members only"]);
    };

    enter().await;
    app.ok(
        &viewer.access,
        "mutation($g: ID!) { leaveGroup(groupId: $g) }",
        json!({"g": group}),
    )
    .await;
    assert_eq!(error_code(&read(&app, &viewer, &group).await), "FORBIDDEN");

    enter().await;
    app.ok(
        &owner.access,
        "mutation($g: ID!, $u: ID!) { banMember(groupId: $g, userId: $u, reason: \"abuse\") }",
        json!({"g": group, "u": viewer.user_id}),
    )
    .await;
    assert_eq!(error_code(&read(&app, &viewer, &group).await), "FORBIDDEN");
}

/// Deleting an account from the web page is a write outside GraphQL: it is forgotten too.
#[tokio::test]
async fn an_account_deleted_from_the_web_page_leaves_no_kept_page() {
    let smtp = crate::fake_smtp::FakeSmtp::start().await;
    let url = smtp.url();
    let app = TestApp::spawn_with(move |s| {
        kept_for_a_while(s);
        // The mail worker sends the code.
        s.run_workers = true;
        s.mail.smtp_url = Some(api::config::Secret::new(url));
    })
    .await;
    let owner = app.register("Web Owner").await;
    let viewer = app.register("Web Viewer").await;
    let group = app.create_group(&owner, "Memo web", "PUBLIC").await;
    app.join(&viewer, &group).await;
    app.post(&owner, &group, "Owner's words").await;
    let authors = |page: &Value| -> Vec<String> {
        page["group"]["posts"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| {
                edge["node"]["author"]["displayName"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(authors(&kept(&app, &viewer, &group).await), ["Web Owner"]);
    let asked = app
        .http
        .post(app.url("/account/delete"))
        .form(&[("email", owner.email.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 200);
    let code = smtp.code(&owner.email, 1).await;
    let confirm = |code: String| {
        let (http, url, email) = (
            app.http.clone(),
            app.url("/account/delete/confirm"),
            owner.email.clone(),
        );
        async move {
            http.post(url)
                .form(&[
                    ("email", email.as_str()),
                    ("code", code.as_str()),
                    ("content", "keep"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // A wrong code deletes nothing: the page stays kept.
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    assert!(confirm(wrong).await.status().is_client_error());
    still_kept(&app, &viewer, &group, "a wrong code").await;
    // The right one deletes the account, and the next read shows it.
    assert_eq!(confirm(code).await.status(), 200);
    let page = app.ok(&viewer.access, PAGE, json!({"g": group})).await;
    assert_eq!(authors(&page), ["Deleted member"]);
}

#[tokio::test]
#[ignore = "needs Redis: set HEARTH_TEST_REDIS_URL and pass -- --include-ignored"]
async fn a_write_on_one_instance_is_fresh_on_another() {
    required_redis_url();
    let a = TestApp::spawn_with(kept_for_a_while).await;
    let b = a.sibling().await;
    let owner = a.register("Twin Owner").await;
    let viewer = a.register("Twin Viewer").await;
    let group = a.create_group(&owner, "Memo twins", "PUBLIC").await;
    a.join(&viewer, &group).await;
    let post = a.post(&owner, &group, "Before").await;
    assert_eq!(titles(&kept(&b, &viewer, &group).await), ["Before"]);
    a.ok(
        &owner.access,
        "mutation($id: ID!) { editPost(id: $id, title: \"After\") { id } }",
        json!({"id": post}),
    )
    .await;
    // The word comes through Redis; b checks at once, well within its bound.
    let deadline = Instant::now() + api::read_versions::BOUND;
    loop {
        let page = b.ok(&viewer.access, PAGE, json!({"g": group})).await;
        if titles(&page) == ["After"] {
            break;
        }
        assert!(Instant::now() < deadline, "instance b still shows {page}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A whole answer is kept per caller and per form asked: the same bytes from someone else, or
/// asking for another compression, are answered for them; a query asking for more than the
/// group page or the feed is not kept whole.
#[tokio::test]
async fn a_kept_answer_is_the_callers_own_in_the_form_asked() {
    let app = TestApp::spawn_with(kept_for_a_while).await;
    let (owner, author, blocker, group) = with_a_block(&app, "Answer").await;
    // Long enough to be compressed.
    for n in 0..8 {
        app.post(
            &author,
            &group,
            &format!("Answer number {n} of a page worth compressing"),
        )
        .await;
    }
    let body = json!({"query": PAGE, "variables": {"g": group}}).to_string();
    let raw = reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .build()
        .unwrap();
    let send = |who: &Session, coding: &'static str| {
        let mut request = raw
            .post(app.url("/graphql"))
            .bearer_auth(&who.access)
            .header("content-type", "application/json")
            .body(body.clone());
        if !coding.is_empty() {
            request = request.header("accept-encoding", coding);
        }
        request.send()
    };
    let coding_of = |response: &reqwest::Response| {
        response
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_owned())
    };

    let first = send(&owner, "br").await.unwrap();
    assert_eq!(coding_of(&first).as_deref(), Some("br"));
    let first = first.bytes().await.unwrap();
    let before = app.context.metrics.db_query_count();
    let again = send(&owner, "br").await.unwrap();
    assert_eq!(coding_of(&again).as_deref(), Some("br"));
    assert_eq!(
        again.bytes().await.unwrap(),
        first,
        "not the bytes sent before"
    );
    assert_eq!(app.context.metrics.db_query_count(), before);

    for (coding, sent) in [("gzip", Some("gzip")), ("", None)] {
        let response = send(&owner, coding).await.unwrap();
        assert_eq!(coding_of(&response).as_deref(), sent);
    }
    let plain: Value = send(&owner, "").await.unwrap().json().await.unwrap();
    assert_eq!(titles(&plain["data"]).len(), 8);

    // The same bytes from the blocker: their own page, without the author they blocked.
    let theirs: Value = send(&blocker, "").await.unwrap().json().await.unwrap();
    assert!(titles(&theirs["data"]).is_empty(), "{theirs}");

    // The same query sent with GET is kept as a GET's.
    let variables = json!({"g": group}).to_string();
    let get = || {
        app.http
            .get(app.url("/graphql"))
            .bearer_auth(&owner.access)
            .query(&[("query", PAGE), ("variables", variables.as_str())])
            .send()
    };
    let by_get: Value = get().await.unwrap().json().await.unwrap();
    let before = app.context.metrics.db_query_count();
    let again: Value = get().await.unwrap().json().await.unwrap();
    assert_eq!(app.context.metrics.db_query_count(), before);
    assert_eq!(again, by_get);
    assert_eq!(by_get, plain);

    // Asking for more than the page: not kept whole (its reads still are).
    let more = "query($g: ID!) { notifications(first: 1) { edges { node { id } } } group(id: $g) { name } }";
    app.ok(&owner.access, more, json!({"g": group})).await;
    let before = app.context.metrics.db_query_count();
    app.ok(&owner.access, more, json!({"g": group})).await;
    assert!(app.context.metrics.db_query_count() > before);
}

/// A write whose word never comes (its instance died right after the commit, or the word was
/// lost): what CI's scale-out run once found, a phone reconnecting to the surviving instance
/// and served the page kept from before the commit. The survivor checks the versions itself
/// every `read_check_every`, and trusts none older than `read_versions::BOUND`, so the page is
/// fresh within a second, on the in-process broker as through Redis.
#[tokio::test]
async fn a_write_whose_word_never_comes_shows_within_the_bound() {
    let b = TestApp::spawn_with(|s| {
        kept_for_a_while(s);
        s.read_check_every = Duration::from_millis(400);
    })
    .await;
    let owner = b.register("Doomed Owner").await;
    let viewer = b.register("Doomed Viewer").await;
    let group = b.create_group(&owner, "Memo survivors", "PUBLIC").await;
    b.join(&viewer, &group).await;
    let post = b.post(&owner, &group, "Before").await;
    b.ok(&viewer.access, PAGE, json!({"g": group})).await;

    // The dead instance's commit, and no word after it.
    rename_behind_the_servers_back(&b, &post, "After").await;
    let written = Instant::now();
    let mut stale = 0;
    loop {
        let page = b.ok(&viewer.access, PAGE, json!({"g": group})).await;
        if titles(&page) == ["After"] {
            break;
        }
        stale += 1;
        assert!(
            written.elapsed() < api::read_versions::BOUND + Duration::from_millis(300),
            "instance b still shows {page} after {:?}",
            written.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!(
        "fresh after {:?} ({stale} stale reads first)",
        written.elapsed()
    );
    // Kept again from then on.
    kept(&b, &viewer, &group).await;
}

async fn rename_behind_the_servers_back(app: &TestApp, post: &str, title: &str) {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let backend = app.context.db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "UPDATE posts SET title = $1 WHERE id = $2",
        _ => "UPDATE posts SET title = ? WHERE id = ?",
    };
    let values = [title.into(), post.into()];
    app.context
        .db
        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .unwrap();
}

const FEED: &str = "{ feed(first: 20) { edges { node { id title group { name } reactionCounts { kind count } myReactions } } } }";

/// The caller's feed, read twice: the second read must come from the memo.
async fn kept_feed(app: &TestApp, who: &Session) -> Vec<Value> {
    nodes(&read_twice(app, who, FEED, json!({})).await)
}

async fn feed_now(app: &TestApp, who: &Session) -> Vec<Value> {
    nodes(&app.ok(&who.access, FEED, json!({})).await)
}

fn nodes(feed: &Value) -> Vec<Value> {
    feed["feed"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no feed in {feed}"))
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

fn support(node: &Value) -> i64 {
    node["reactionCounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|count| count["kind"] == "SUPPORT")
        .map_or(0, |count| count["count"].as_i64().unwrap())
}

#[tokio::test]
async fn a_kept_feed_shows_every_write_at_once() {
    let app = TestApp::spawn_with(kept_for_a_while).await;
    let owner = app.register("Feed Owner").await;
    let member = app.register("Feed Member").await;
    let group = app.create_group(&owner, "Memo feed", "PUBLIC").await;
    app.join(&member, &group).await;
    let post = app.post(&owner, &group, "Feed first").await;
    let mine = kept_feed(&app, &member).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (support(&mine[0]), mine[0]["myReactions"].clone()),
        (0, json!([]))
    );

    // A reaction: counted for everyone, marked as mine only for whoever gave it.
    kept_feed(&app, &owner).await;
    app.ok(
        &member.access,
        "mutation($id: ID!) { react(input: {targetType: POST, targetId: $id, kind: SUPPORT}) }",
        json!({"id": post}),
    )
    .await;
    let mine = feed_now(&app, &member).await;
    assert_eq!(
        (support(&mine[0]), mine[0]["myReactions"].clone()),
        (1, json!(["SUPPORT"]))
    );
    let theirs = feed_now(&app, &owner).await;
    assert_eq!(
        (support(&theirs[0]), theirs[0]["myReactions"].clone()),
        (1, json!([]))
    );

    // The group renamed.
    kept_feed(&app, &member).await;
    app.ok(
        &owner.access,
        "mutation($g: ID!) { updateGroup(id: $g, input: {name: \"Memo feed, renamed\"}) { name } }",
        json!({"g": group}),
    )
    .await;
    assert_eq!(
        feed_now(&app, &member).await[0]["group"]["name"],
        "Memo feed, renamed"
    );

    // Another group joined: its posts come in.
    let other = app.create_group(&owner, "Memo elsewhere", "PUBLIC").await;
    app.post(&owner, &other, "Elsewhere").await;
    assert_eq!(kept_feed(&app, &member).await.len(), 1);
    app.join(&member, &other).await;
    let titles: Vec<_> = feed_now(&app, &member)
        .await
        .iter()
        .map(|node| node["title"].clone())
        .collect();
    assert_eq!(titles, [json!("Elsewhere"), json!("Feed first")]);
}

/// A mutation's own answer, and what it sends live, are read afresh: the memo still holds what
/// was read before the write until the mutation has run.
#[tokio::test]
async fn a_mutations_answer_is_not_read_from_the_memo() {
    let app = TestApp::spawn_with(kept_for_a_while).await;
    let owner = app.register("Answer Owner").await;
    let group = app.create_group(&owner, "Memo answer", "PUBLIC").await;
    app.post(&owner, &group, "One").await;
    let feed = "{ feed(first: 5) { edges { node { group { postCount } } } } }";
    app.ok(&owner.access, feed, json!({})).await;
    let kept = app.ok(&owner.access, feed, json!({})).await;
    assert_eq!(kept["feed"]["edges"][0]["node"]["group"]["postCount"], 1);
    let written = app
        .ok(
            &owner.access,
            "mutation($i: CreatePostInput!) { createPost(input: $i) { group { postCount } } }",
            json!({"i": {"groupId": group, "title": "Two", "body": "Two: the body"}}),
        )
        .await;
    assert_eq!(written["createPost"]["group"]["postCount"], 2, "{written}");
}

/// A phone reloading a screen by persisted-query GET sends the tag of what it holds: an
/// unchanged page is `304 Not Modified`, with no body and, while it is kept, no read; a page that
/// changed is sent whole with its new tag. With the memo off the answer is still tagged, and
/// compared once made.
#[tokio::test]
async fn a_conditional_get_of_an_unchanged_page_is_not_modified() {
    for keep in [Duration::from_secs(5), Duration::ZERO] {
        let app = TestApp::spawn_with(|s| {
            kept_for_a_while(s);
            s.page_cache_keep = keep;
        })
        .await;
        let owner = app.register("Tagged Owner").await;
        let group = app.create_group(&owner, "Memo tagged", "PUBLIC").await;
        app.post(&owner, &group, "Tagged").await;
        let hash = api::secrets::sha256_hex(PAGE);
        let extensions = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}}).to_string();
        let variables = json!({"g": group}).to_string();
        // The document is registered once by POST, as Apollo's clients do.
        let registered = app
            .http
            .post(app.url("/graphql"))
            .bearer_auth(&owner.access)
            .json(&json!({"query": PAGE, "variables": {"g": group},
                "extensions": {"persistedQuery": {"version": 1, "sha256Hash": hash}}}))
            .send()
            .await
            .unwrap();
        assert_eq!(registered.status(), 200);
        let get = |tag: Option<String>| {
            let mut request = app
                .http
                .get(app.url("/graphql"))
                .bearer_auth(&owner.access)
                .query(&[
                    ("variables", variables.as_str()),
                    ("extensions", extensions.as_str()),
                ]);
            if let Some(tag) = tag {
                request = request.header("if-none-match", tag);
            }
            request.send()
        };
        let etag_of = |response: &reqwest::Response| {
            response
                .headers()
                .get("etag")
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let first = get(None).await.unwrap();
        assert_eq!(first.status(), 200);
        let tag = etag_of(&first).expect("a GET's answer is tagged");
        assert_eq!(
            first.headers()["cache-control"],
            "private, no-cache",
            "{keep:?}"
        );
        let page: Value = first.json().await.unwrap();
        assert_eq!(titles(&page["data"]), ["Tagged"]);

        let before = app.context.metrics.db_query_count();
        let again = get(Some(tag.clone())).await.unwrap();
        assert_eq!(again.status(), 304, "{keep:?}");
        assert_eq!(etag_of(&again).as_deref(), Some(tag.as_str()));
        let read = app.context.metrics.db_query_count() - before;
        assert!(again.bytes().await.unwrap().is_empty());
        if !keep.is_zero() {
            assert_eq!(read, 0, "a kept page was read again to answer 304");
        }

        app.post(&owner, &group, "Newer").await;
        let changed = get(Some(tag.clone())).await.unwrap();
        assert_eq!(changed.status(), 200, "{keep:?}");
        assert_ne!(etag_of(&changed), Some(tag));
        let page: Value = changed.json().await.unwrap();
        assert_eq!(titles(&page["data"]), ["Newer", "Tagged"]);
    }
}

/// A kept whole answer of `group` may ask for any field of the group, not only its posts: its
/// mod log, join requests and members show the next change too. (A kept `group { modLog }`
/// once showed an old mod log: only the reads the cache keeps noted their versions.)
#[tokio::test]
async fn a_kept_answer_shows_every_field_of_the_group_fresh() {
    let app = TestApp::spawn_with(kept_for_a_while).await;
    let owner = app.register("Field Owner").await;
    let asker = app.register("Field Asker").await;
    let group = app.create_group(&owner, "Every field", "PRIVATE").await;
    let post = app.post(&owner, &group, "To pin").await;
    let query = "query($g: ID!) { group(id: $g) { memberCount members { edges { node { user { id } } } } joinRequests { edges { node { user { id } } } } modLog { edges { node { action } } } } }";
    let vars = json!({"g": group});
    app.ok(&owner.access, query, vars.clone()).await;
    let served = app.context.metrics.kept_answers_served();
    let first = app.ok(&owner.access, query, vars.clone()).await;
    assert_eq!(
        app.context.metrics.kept_answers_served(),
        served + 1,
        "read again, the answer is kept whole"
    );
    assert_eq!(first["group"]["joinRequests"]["edges"], json!([]));

    // A write that shows only in the mod log (and the posts) of the group.
    app.ok(
        &owner.access,
        "mutation($p: ID!) { pinPost(id: $p) { id } }",
        json!({"p": post}),
    )
    .await;
    let pinned = app.ok(&owner.access, query, vars.clone()).await;
    assert_eq!(
        pinned["group"]["modLog"]["edges"][0]["node"]["action"], "PIN_POST",
        "a pin shows in the mod log on the next read"
    );

    app.join(&asker, &group).await;
    let asked = app.ok(&owner.access, query, vars.clone()).await;
    assert_eq!(
        asked["group"]["joinRequests"]["edges"][0]["node"]["user"]["id"],
        json!(asker.user_id),
        "a join request shows on the next read"
    );
    app.ok(
        &owner.access,
        "mutation($g: ID!, $u: ID!) { approveJoinRequest(groupId: $g, userId: $u) }",
        json!({"g": group, "u": asker.user_id}),
    )
    .await;
    let approved = app.ok(&owner.access, query, vars).await;
    assert_eq!(approved["group"]["joinRequests"]["edges"], json!([]));
    assert_eq!(
        approved["group"]["members"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        approved["group"]["modLog"]["edges"][0]["node"]["action"], "APPROVE_JOIN",
        "the approval shows in the mod log on the next read"
    );
}
