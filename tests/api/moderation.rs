use crate::support::*;
use serde_json::json;

const REPORT: &str = "mutation($i: ReportInput!) { report(input: $i) { id status } }";
const REPORTS: &str =
    "query($g: ID) { reports(groupId: $g) { edges { node { id reason targetType status } } } }";

#[tokio::test]
async fn reports_reach_the_groups_moderators_and_admins() {
    let app = TestApp::spawn().await;
    let owner = app.register("Mod Owner").await;
    let ana = app.register("Mod Ana").await;
    let bo = app.register("Mod Bo").await;
    let admin = app.register("Site Admin").await;
    app.make_admin(&admin).await;
    let group = app.create_group(&owner, "Moderated", "PUBLIC").await;
    app.join(&ana, &group).await;
    app.join(&bo, &group).await;
    let post = app.post(&bo, &group, "Questionable").await;

    let input = json!({"i": {"targetType": "POST", "targetId": post, "reason": "unkind"}});
    let report = app.ok(&ana.access, REPORT, input.clone()).await;
    assert_eq!(
        app.ok(&ana.access, REPORT, input).await,
        report,
        "a second report while open is the same report"
    );
    let empty = app
        .gql(
            Some(&ana.access),
            REPORT,
            json!({"i": {"targetType": "POST", "targetId": post, "reason": " "}}),
        )
        .await;
    assert_eq!(error_code(&empty), "BAD_USER_INPUT");

    let seen = app.ok(&owner.access, REPORTS, json!({"g": group})).await;
    assert_eq!(seen["reports"]["edges"][0]["node"]["reason"], "unkind");
    assert_eq!(
        error_code(
            &app.gql(Some(&ana.access), REPORTS, json!({"g": group}))
                .await
        ),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&app.gql(Some(&owner.access), REPORTS, json!({})).await),
        "FORBIDDEN"
    );
    assert_eq!(
        app.ok(&admin.access, REPORTS, json!({})).await["reports"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let id = report["report"]["id"].as_str().unwrap();
    let resolve = "mutation($id: ID!) { resolveReport(id: $id, status: RESOLVED, note: \"talked to them\") { status } }";
    assert_eq!(
        error_code(&app.gql(Some(&ana.access), resolve, json!({"id": id})).await),
        "NOT_FOUND"
    );
    assert_eq!(
        app.ok(&owner.access, resolve, json!({"id": id})).await["resolveReport"]["status"],
        "RESOLVED"
    );
    assert_eq!(
        app.ok(&owner.access, REPORTS, json!({"g": group})).await["reports"]["edges"],
        json!([])
    );
}

#[tokio::test]
async fn moderators_remove_lock_and_pin() {
    let app = TestApp::spawn().await;
    let owner = app.register("Lock Owner").await;
    let ana = app.register("Lock Ana").await;
    let group = app.create_group(&owner, "Locked Room", "PUBLIC").await;
    app.join(&ana, &group).await;
    let post = app.post(&ana, &group, "Lock me").await;
    let reply = app.reply(&ana, &post, "to be removed").await;

    let lock = "mutation($id: ID!) { lockPost(id: $id) { locked } }";
    assert_eq!(
        error_code(&app.gql(Some(&ana.access), lock, json!({"id": post})).await),
        "FORBIDDEN"
    );
    app.ok(&owner.access, lock, json!({"id": post})).await;
    let refused = app
        .gql(
            Some(&ana.access),
            "mutation($i: CreateReplyInput!) { createReply(input: $i) { id } }",
            json!({"i": {"postId": post, "body": "more"}}),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");

    app.ok(
        &owner.access,
        "mutation($id: ID!) { pinPost(id: $id) { pinned } }",
        json!({"id": post}),
    )
    .await;
    let pinned = app
        .ok(
            &ana.access,
            "query($id: ID!) { group(id: $id) { pinnedPosts { id } } }",
            json!({"id": group}),
        )
        .await;
    assert_eq!(pinned["group"]["pinnedPosts"][0]["id"], json!(post));

    let removed = app
        .ok(
            &owner.access,
            "mutation($id: ID!) { removeReply(id: $id, reason: \"off topic\") { status body } }",
            json!({"id": reply}),
        )
        .await;
    assert_eq!(
        removed["removeReply"],
        json!({"status": "REMOVED", "body": null})
    );
    // Its author cannot edit it back, and nobody reacts to it.
    crate::posts::assert_reply_is_gone(&app, &ana, &owner, &reply).await;
    let post_now = app
        .ok(
            &ana.access,
            "query($id: ID!) { post(id: $id) { replyCount } }",
            json!({"id": post}),
        )
        .await;
    assert_eq!(post_now["post"]["replyCount"], 0);
    app.ok(
        &owner.access,
        "mutation($id: ID!) { removePost(id: $id, reason: \"rules\") { status } }",
        json!({"id": post}),
    )
    .await;
    let listed = app
        .ok(
            &ana.access,
            "query($id: ID!) { group(id: $id) { postCount posts { edges { node { id } } } } }",
            json!({"id": group}),
        )
        .await;
    assert_eq!(listed["group"]["posts"]["edges"], json!([]));
    assert_eq!(listed["group"]["postCount"], 0);

    let log = app
        .ok(
            &owner.access,
            "query($id: ID!) { group(id: $id) { modLog { edges { node { action reason } } } } }",
            json!({"id": group}),
        )
        .await;
    let actions: Vec<&str> = log["group"]["modLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec!["REMOVE_POST", "REMOVE_REPLY", "PIN_POST", "LOCK_POST"]
    );
    assert_eq!(
        error_code(
            &app.gql(
                Some(&ana.access),
                "query($id: ID!) { group(id: $id) { modLog { edges { cursor } } } }",
                json!({"id": group})
            )
            .await
        ),
        "FORBIDDEN"
    );
}

#[tokio::test]
async fn banned_members_cannot_take_part() {
    let app = TestApp::spawn().await;
    let owner = app.register("Ban Owner").await;
    let moderator = app.register("Ban Moderator").await;
    let ana = app.register("Ban Ana").await;
    let group = app.create_group(&owner, "Ban Hall", "PUBLIC").await;
    app.join(&moderator, &group).await;
    app.join(&ana, &group).await;
    app.ok(&owner.access, "mutation($g: ID!, $u: ID!) { setMemberRole(groupId: $g, userId: $u, role: MODERATOR) { role } }", json!({"g": group, "u": moderator.user_id})).await;
    let post = app.post(&owner, &group, "Before the ban").await;

    let ban =
        "mutation($g: ID!, $u: ID!) { banMember(groupId: $g, userId: $u, reason: \"harassment\") }";
    assert_eq!(
        error_code(
            &app.gql(
                Some(&moderator.access),
                ban,
                json!({"g": group, "u": owner.user_id})
            )
            .await
        ),
        "FORBIDDEN"
    );
    app.ok(
        &moderator.access,
        ban,
        json!({"g": group, "u": ana.user_id}),
    )
    .await;
    let count = app
        .ok(
            &owner.access,
            "query($id: ID!) { group(id: $id) { memberCount } }",
            json!({"id": group}),
        )
        .await;
    assert_eq!(count["group"]["memberCount"], 2);

    assert_eq!(error_code(&app.join(&ana, &group).await), "FORBIDDEN");
    let posting = app
        .gql(
            Some(&ana.access),
            "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
            json!({"i": {"groupId": group, "title": "t", "body": "b"}}),
        )
        .await;
    assert_eq!(error_code(&posting), "FORBIDDEN");
    let reacting = app
        .gql(
            Some(&ana.access),
            "mutation($i: ReactionInput!) { react(input: $i) }",
            json!({"i": {"targetType": "POST", "targetId": post, "kind": "SUPPORT"}}),
        )
        .await;
    assert_eq!(error_code(&reacting), "FORBIDDEN");

    app.ok(
        &owner.access,
        "mutation($g: ID!, $u: ID!) { unbanMember(groupId: $g, userId: $u) }",
        json!({"g": group, "u": ana.user_id}),
    )
    .await;
    assert_eq!(
        app.join(&ana, &group).await["data"]["joinGroup"]["state"],
        "ACTIVE"
    );
    let past = app.gql(Some(&owner.access), "mutation($g: ID!, $u: ID!) { banMember(groupId: $g, userId: $u, reason: \"x\", until: \"2000-01-01T00:00:00Z\") }", json!({"g": group, "u": ana.user_id})).await;
    assert_eq!(error_code(&past), "BAD_USER_INPUT");
}

/// Banning someone whose join request is pending turns the request away; no member leaves, so
/// the member count stays.
#[tokio::test]
async fn banning_a_pending_requester_keeps_the_member_count() {
    let app = TestApp::spawn().await;
    let owner = app.register("Gate Owner").await;
    let knocker = app.register("Gate Knocker").await;
    let group = app.create_group(&owner, "Gated Room", "PRIVATE").await;
    app.join(&knocker, &group).await;
    let standing = "query($id: ID!) { group(id: $id) { memberCount joinRequests { edges { node { user { id } } } } } }";
    let before = app.ok(&owner.access, standing, json!({"id": group})).await;
    assert_eq!(before["group"]["memberCount"], 1);
    assert_eq!(
        before["group"]["joinRequests"]["edges"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    app.ok(
        &owner.access,
        "mutation($g: ID!, $u: ID!) { banMember(groupId: $g, userId: $u, reason: \"spam\") }",
        json!({"g": group, "u": knocker.user_id}),
    )
    .await;
    let after = app.ok(&owner.access, standing, json!({"id": group})).await;
    assert_eq!(after["group"]["memberCount"], 1);
    assert_eq!(after["group"]["joinRequests"]["edges"], json!([]));
}
