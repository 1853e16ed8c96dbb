use crate::support::*;
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

const INBOX: &str = "query($u: Boolean) { notifications(unreadOnly: $u) { edges { node { id kind count text read postId replyId group { id } actor { displayName } } } } me { unreadNotificationCount } }";

fn kinds(inbox: &Value) -> Vec<String> {
    inbox["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn public_group(app: &TestApp, names: &[&str]) -> (String, Vec<Session>) {
    let mut people = Vec::new();
    for name in names {
        people.push(app.register(name).await);
    }
    let group = app.create_group(&people[0], "Notify Room", "PUBLIC").await;
    for who in &people[1..] {
        app.join(who, &group).await;
    }
    (group, people)
}

#[tokio::test]
async fn replies_notify_the_author_and_the_thread_but_not_the_replier() {
    let app = TestApp::spawn().await;
    let (group, p) = public_group(
        &app,
        &[
            "Note Author",
            "Note Follower",
            "Note Replier",
            "Note Muted",
            "Note Blocker",
        ],
    )
    .await;
    let (author, follower, replier, muted, blocker) = (&p[0], &p[1], &p[2], &p[3], &p[4]);
    app.ok(&muted.access, "mutation($g: ID!) { updateMembership(groupId: $g, notificationLevel: MUTED) { notificationLevel } }", json!({"g": group})).await;
    let post = app.post(author, &group, "Talk to me").await;
    app.reply(follower, &post, "I'm here").await;
    app.reply(muted, &post, "me too").await;
    app.reply(blocker, &post, "and me").await;
    app.ok(
        &blocker.access,
        "mutation($u: ID!) { blockUser(userId: $u) }",
        json!({"u": replier.user_id}),
    )
    .await;
    app.reply(replier, &post, "hello all").await;

    // The first reply tells the author; the next ones join that unread notification.
    let inbox = app.ok(&author.access, INBOX, json!({})).await;
    assert_eq!(kinds(&inbox), vec!["REPLY"]);
    assert_eq!(
        inbox["notifications"]["edges"][0]["node"]["text"],
        "Note Follower replied to your post"
    );
    assert_eq!(inbox["me"]["unreadNotificationCount"], 1);
    // The follower heard of the muted member's reply (muting stops what one hears, not what
    // one says); the replies after it joined that one.
    let follower_inbox = app.ok(&follower.access, INBOX, json!({})).await;
    assert_eq!(kinds(&follower_inbox), vec!["THREAD_REPLY"]);
    assert_eq!(
        follower_inbox["notifications"]["edges"][0]["node"]["text"],
        "Note Muted replied in a thread you follow"
    );
    assert_eq!(
        kinds(&app.ok(&muted.access, INBOX, json!({})).await),
        Vec::<String>::new()
    );
    // The blocker hears nothing from the person they blocked.
    assert_eq!(
        kinds(&app.ok(&blocker.access, INBOX, json!({})).await),
        Vec::<String>::new()
    );
    assert_eq!(
        kinds(&app.ok(&replier.access, INBOX, json!({})).await),
        Vec::<String>::new()
    );

    let first = inbox["notifications"]["edges"][0]["node"]["id"].clone();
    let marked = app
        .ok(
            &author.access,
            "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) }",
            json!({"ids": [first]}),
        )
        .await;
    assert_eq!(marked["markNotificationsRead"], 1);
    assert_eq!(
        app.ok(&author.access, INBOX, json!({"u": true})).await["me"]["unreadNotificationCount"],
        0
    );
    // Read, the next reply is news again.
    app.reply(replier, &post, "still here").await;
    let unread = app.ok(&author.access, INBOX, json!({"u": true})).await;
    assert_eq!(kinds(&unread), vec!["REPLY"]);
    assert_eq!(
        unread["notifications"]["edges"][0]["node"]["text"],
        "Note Replier replied to your post"
    );
    let all = app
        .ok(
            &author.access,
            "mutation { markNotificationsRead(all: true) }",
            json!({}),
        )
        .await;
    assert_eq!(all["markNotificationsRead"], 1);
    assert_eq!(
        app.ok(&author.access, INBOX, json!({})).await["me"]["unreadNotificationCount"],
        0
    );
    // Someone else's notification is not mine to mark.
    let theirs = follower_inbox["notifications"]["edges"][0]["node"]["id"].clone();
    assert_eq!(
        app.ok(
            &author.access,
            "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) }",
            json!({"ids": [theirs]})
        )
        .await["markNotificationsRead"],
        0
    );
}

async fn push_jobs_of(app: &TestApp, who: &Session) -> u64 {
    entity::push_jobs::Entity::find()
        .filter(entity::push_jobs::Column::UserId.eq(who.user_id.as_str()))
        .count(&app.context.db)
        .await
        .unwrap()
}

/// A busy thread: each person has one unread notification (and one push) for it, every reply
/// costs the same few statements however many people follow the thread, and a reply after a
/// quiet spell is told again even when the last notification was never read.
#[tokio::test]
async fn a_busy_thread_tells_each_person_once_at_a_bounded_cost() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let names: Vec<String> = (0..9).map(|n| format!("Busy {n}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (group, p) = public_group(&app, &names).await;
    for who in &p[..2] {
        app.ok(
            &who.access,
            "mutation($t: String!) { registerDevice(input: {token: $t, platform: IOS}) { id } }",
            json!({"t": format!("busy-phone-{}", who.user_id)}),
        )
        .await;
    }
    let (author, follower) = (&p[0], &p[1]);
    let post = app.post(author, &group, "A busy evening").await;
    let mut costs = Vec::new();
    for round in 0..3 {
        for who in &p[1..] {
            let before = app.context.metrics.db_query_count();
            app.reply(who, &post, &format!("round {round}")).await;
            costs.push(app.context.metrics.db_query_count() - before);
        }
    }
    // 24 replies: the author heard of the first, the follower of the second.
    assert_eq!(
        kinds(&app.ok(&author.access, INBOX, json!({})).await),
        vec!["REPLY"]
    );
    assert_eq!(
        kinds(&app.ok(&follower.access, INBOX, json!({})).await),
        vec!["THREAD_REPLY"]
    );
    assert_eq!(push_jobs_of(&app, author).await, 1);
    assert_eq!(push_jobs_of(&app, follower).await, 1);
    // Eight people follow the thread by the last round, and it costs what the first reply did.
    println!("statements per reply: {costs:?}");
    let (first, last) = (costs[0], costs[costs.len() - 1]);
    assert!(
        last <= first,
        "the 24th reply took {last}, the first {first}"
    );
    // PostgreSQL counts a reply into its post after the commit (`posts::reply_counts`): one more.
    let most = if app.db.is_postgres() { 10 } else { 9 };
    assert!(costs.iter().all(|&cost| cost <= most), "{costs:?}");

    // Ten quiet minutes later (the notifications are aged), the next reply is news again.
    entity::notifications::Entity::update_many()
        .col_expr(
            entity::notifications::Column::CreatedAt,
            Expr::value(Utc::now() - Duration::minutes(11)),
        )
        .filter(entity::notifications::Column::PostId.eq(post.as_str()))
        .exec(&app.context.db)
        .await
        .unwrap();
    app.reply(&p[2], &post, "after a while").await;
    assert_eq!(
        kinds(&app.ok(&author.access, INBOX, json!({})).await),
        vec!["REPLY", "REPLY"]
    );
    assert_eq!(
        kinds(&app.ok(&follower.access, INBOX, json!({})).await),
        vec!["THREAD_REPLY", "THREAD_REPLY"]
    );
    assert_eq!(push_jobs_of(&app, author).await, 2);
    assert_eq!(push_jobs_of(&app, follower).await, 2);
}

#[tokio::test]
async fn reactions_batch_while_unread() {
    let app = TestApp::spawn().await;
    let (group, p) = public_group(
        &app,
        &["Batch Author", "Batch One", "Batch Two", "Batch Three"],
    )
    .await;
    let post = app.post(&p[0], &group, "Hard day").await;
    for who in &p[1..] {
        app.ok(
            &who.access,
            "mutation($i: ReactionInput!) { react(input: $i) }",
            json!({"i": {"targetType": "POST", "targetId": post, "kind": "SUPPORT"}}),
        )
        .await;
    }
    let inbox = app.ok(&p[0].access, INBOX, json!({})).await;
    assert_eq!(kinds(&inbox), vec!["REACTION"]);
    assert_eq!(inbox["notifications"]["edges"][0]["node"]["count"], 3);
    assert_eq!(
        inbox["notifications"]["edges"][0]["node"]["text"],
        "3 people sent support"
    );
    // It leads to the post, shown with its group.
    assert_eq!(
        inbox["notifications"]["edges"][0]["node"]["postId"],
        json!(post)
    );
    assert_eq!(
        inbox["notifications"]["edges"][0]["node"]["group"]["id"],
        json!(group)
    );
    // Once read, the next reaction starts a new entry.
    app.ok(
        &p[0].access,
        "mutation { markNotificationsRead(all: true) }",
        json!({}),
    )
    .await;
    app.ok(
        &p[1].access,
        "mutation($i: ReactionInput!) { react(input: $i) }",
        json!({"i": {"targetType": "POST", "targetId": post, "kind": "THANKS"}}),
    )
    .await;
    let again = app.ok(&p[0].access, INBOX, json!({"u": true})).await;
    assert_eq!(
        again["notifications"]["edges"][0]["node"]["text"],
        "Batch One said thanks"
    );
}

#[tokio::test]
async fn join_requests_approvals_and_removals_are_notified() {
    let app = TestApp::spawn().await;
    let owner = app.register("Door Keeper").await;
    let ana = app.register("Door Knocker").await;
    let group = app.create_group(&owner, "Behind a Door", "PRIVATE").await;
    app.join(&ana, &group).await;
    assert_eq!(
        kinds(&app.ok(&owner.access, INBOX, json!({})).await),
        vec!["JOIN_REQUEST"]
    );
    app.ok(
        &owner.access,
        "mutation($g: ID!, $u: ID!) { approveJoinRequest(groupId: $g, userId: $u) }",
        json!({"g": group, "u": ana.user_id}),
    )
    .await;
    assert_eq!(
        kinds(&app.ok(&ana.access, INBOX, json!({})).await),
        vec!["JOIN_APPROVED"]
    );

    let post = app.post(&ana, &group, "Rule breaker").await;
    app.ok(
        &owner.access,
        "mutation($id: ID!) { removePost(id: $id, reason: \"rules\") { status } }",
        json!({"id": post}),
    )
    .await;
    let inbox = app.ok(&ana.access, INBOX, json!({})).await;
    assert_eq!(kinds(&inbox), vec!["MODERATION", "JOIN_APPROVED"]);
    let removal = &inbox["notifications"]["edges"][0]["node"];
    assert_eq!(removal["text"], "A moderator removed your post");
    assert_eq!(
        (&removal["postId"], &removal["group"]["id"]),
        (&json!(post), &json!(group))
    );

    // A removed reply says so, and leads to its post.
    let kept = app.post(&owner, &group, "House rules").await;
    let reply = app.reply(&ana, &kept, "Off topic").await;
    app.ok(
        &owner.access,
        "mutation($id: ID!) { removeReply(id: $id, reason: \"off topic\") { status } }",
        json!({"id": reply}),
    )
    .await;
    let inbox = app.ok(&ana.access, INBOX, json!({})).await;
    let removal = &inbox["notifications"]["edges"][0]["node"];
    assert_eq!(removal["text"], "A moderator removed your reply");
    assert_eq!(
        (&removal["postId"], &removal["group"]["id"]),
        (&json!(kept), &json!(group))
    );
    assert_eq!(removal["replyId"], json!(reply));
}

#[tokio::test]
async fn notifications_arrive_live() {
    let app = TestApp::spawn().await;
    let (group, p) = public_group(&app, &["Live Author", "Live Replier"]).await;
    let post = app.post(&p[0], &group, "Anyone?").await;
    let mut socket = app.socket().await;
    socket
        .subscribe_ready(
            &p[0].access,
            "n",
            "subscription { notificationAdded { kind text postId } }",
            json!({}),
        )
        .await;
    app.reply(&p[1], &post, "Yes").await;
    let next = socket.expect_json(std::time::Duration::from_secs(5)).await;
    assert_eq!(
        next["payload"]["data"]["notificationAdded"],
        json!({"kind": "REPLY", "text": "Live Replier replied to your post", "postId": post})
    );
    // The replier's own action is not announced to them.
    let mut theirs = app.socket().await;
    theirs
        .subscribe_ready(
            &p[1].access,
            "n",
            "subscription { notificationAdded { kind } }",
            json!({}),
        )
        .await;
    // Read, the next reply is news again.
    app.ok(
        &p[0].access,
        "mutation { markNotificationsRead(all: true) }",
        json!({}),
    )
    .await;
    app.reply(&p[1], &post, "Again").await;
    assert_eq!(
        socket.expect_json(std::time::Duration::from_secs(5)).await["payload"]["data"]
            ["notificationAdded"]["kind"],
        "REPLY"
    );
    theirs
        .expect_silence(std::time::Duration::from_millis(500))
        .await;
}

/// A post to a group of 5 000 members who all asked for everything: 5 000 notifications, and
/// more bind parameters than one statement may carry on either backend, written in chunks.
#[tokio::test]
async fn a_post_tells_every_member_of_a_large_group() {
    use entity::enums::{MemberState, NotificationLevel, Role};
    use entity::ids::UserId;
    use sea_orm::Set;
    const MEMBERS: usize = 5_000;
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let owner = app.register("Large Owner").await;
    let group = app.create_group(&owner, "Large group", "PUBLIC").await;
    let now = Utc::now();
    let ids: Vec<UserId> = (0..MEMBERS).map(|_| UserId::generate()).collect();
    for chunk in ids.chunks(500) {
        let users = chunk.iter().map(|id| entity::users::ActiveModel {
            id: Set(id.clone()),
            email: Set(format!("{id}@example.org")),
            email_index: Set(None),
            display_name: Set(format!("M {}", &id.as_str()[24..])),
            display_name_key: Set(format!("m {}", &id.as_str()[24..])),
            password_hash: Set("not a hash".into()),
            timezone: Set("UTC".into()),
            country: Set(None),
            is_admin: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        });
        entity::users::Entity::insert_many(users)
            .exec_without_returning(&app.context.db)
            .await
            .unwrap();
        let members = chunk.iter().map(|id| entity::memberships::ActiveModel {
            group_id: Set(group.as_str().into()),
            user_id: Set(id.clone()),
            role: Set(Role::Member),
            state: Set(MemberState::Active),
            alias: Set(None),
            alias_key: Set(None),
            notification_level: Set(NotificationLevel::All),
            created_at: Set(now),
            joined_at: Set(Some(now)),
        });
        entity::memberships::Entity::insert_many(members)
            .exec_without_returning(&app.context.db)
            .await
            .unwrap();
    }
    let post = app.post(&owner, &group, "Hello everyone").await;
    let told = entity::notifications::Entity::find()
        .filter(entity::notifications::Column::PostId.eq(post.as_str()))
        .filter(entity::notifications::Column::Kind.eq("NEW_POST"))
        .count(&app.context.db)
        .await
        .unwrap();
    assert_eq!(told, MEMBERS as u64);
}

/// Deleting one's last reply in a thread stops hearing of it; replying again follows it again.
#[tokio::test]
async fn deleting_ones_last_reply_unfollows_the_thread() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let (group, p) = public_group(&app, &["Unfollow Author", "Unfollow Ana", "Unfollow Ben"]).await;
    let (author, ana, ben) = (&p[0], &p[1], &p[2]);
    let post = app.post(author, &group, "Quiet thread").await;
    let first = app.reply(ana, &post, "one").await;
    let second = app.reply(ana, &post, "two").await;
    let delete = "mutation($id: ID!) { deleteReply(id: $id) { id } }";
    // One of two deleted: Ana still follows.
    app.ok(&ana.access, delete, json!({"id": first})).await;
    app.reply(ben, &post, "hello").await;
    assert_eq!(
        kinds(&app.ok(&ana.access, INBOX, json!({})).await),
        vec!["THREAD_REPLY"]
    );
    let read_all = "mutation { markNotificationsRead(all: true) }";
    app.ok(&ana.access, read_all, json!({})).await;
    // Her last one deleted: she no longer does.
    app.ok(&ana.access, delete, json!({"id": second})).await;
    app.reply(ben, &post, "anyone?").await;
    assert_eq!(
        kinds(&app.ok(&ana.access, INBOX, json!({"u": true})).await),
        Vec::<String>::new()
    );
    // Replying again follows it again.
    app.reply(ana, &post, "back").await;
    app.reply(ben, &post, "welcome back").await;
    assert_eq!(
        kinds(&app.ok(&ana.access, INBOX, json!({"u": true})).await),
        vec!["THREAD_REPLY"]
    );
}
