//! Authorisation beyond the plain member: moderators reaching for the owner's powers, members
//! reaching for moderators', people acting on others' words, moderators of one group acting on
//! another, and platform admins. Each refusal is checked against the data it would have changed.
use crate::support::*;
use serde_json::{json, Value};

struct Cast {
    app: TestApp,
    owner: Session,
    moderator: Session,
    second_moderator: Session,
    member: Session,
    group: String,
}

const SET_ROLE: &str = "mutation($g: ID!, $u: ID!, $r: Role!) { setMemberRole(groupId: $g, userId: $u, role: $r) { role } }";
const ROLES: &str = "query($g: ID!) { group(id: $g) { members(first: 100) { edges { node { role user { id } } } } } }";

async fn cast(visibility: &str) -> Cast {
    let app = TestApp::spawn().await;
    let tag = visibility.to_lowercase();
    let owner = app.register(&format!("Boss {tag}")).await;
    let moderator = app.register(&format!("Mod One {tag}")).await;
    let second_moderator = app.register(&format!("Mod Two {tag}")).await;
    let member = app.register(&format!("Plain {tag}")).await;
    let group = app
        .create_group(&owner, &format!("Powers {tag}"), visibility)
        .await;
    for who in [&moderator, &second_moderator, &member] {
        if visibility == "PUBLIC" {
            app.join(who, &group).await;
        } else {
            app.invite(&owner, &group, who).await;
            app.join(who, &group).await;
        }
    }
    for who in [&moderator, &second_moderator] {
        app.ok(
            &owner.access,
            SET_ROLE,
            json!({"g": group, "u": who.user_id, "r": "MODERATOR"}),
        )
        .await;
    }
    Cast {
        app,
        owner,
        moderator,
        second_moderator,
        member,
        group,
    }
}

/// Each member's role, by user id.
async fn roles(c: &Cast) -> std::collections::BTreeMap<String, String> {
    let data = c
        .app
        .ok(&c.owner.access, ROLES, json!({"g": c.group}))
        .await;
    data["group"]["members"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["user"]["id"].as_str().unwrap().to_owned(),
                e["node"]["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn refused(body: &Value, code: &str) {
    assert_eq!(error_code(body), code, "{body}");
}

#[tokio::test]
async fn moderators_cannot_take_the_owners_powers() {
    let c = cast("PUBLIC").await;
    let app = &c.app;
    let update = "mutation($g: ID!, $i: UpdateGroupInput!) { updateGroup(id: $g, input: $i) { name visibility ledBy } }";
    // What moderators may change, they change.
    let renamed = app
        .ok(
            &c.moderator.access,
            update,
            json!({"g": c.group, "i": {"name": "Renamed by a mod"}}),
        )
        .await;
    assert_eq!(renamed["updateGroup"]["name"], "Renamed by a mod");
    // Who may see it, and who leads it, are the owner's.
    for input in [
        json!({"visibility": "HIDDEN"}),
        json!({"ledBy": "PROFESSIONAL"}),
    ] {
        let body = app
            .gql(
                Some(&c.moderator.access),
                update,
                json!({"g": c.group, "i": input}),
            )
            .await;
        refused(&body, "FORBIDDEN");
    }
    let group = app
        .ok(
            &c.member.access,
            "query($g: ID!) { group(id: $g) { visibility ledBy } }",
            json!({"g": c.group}),
        )
        .await;
    assert_eq!(
        group["group"],
        json!({"visibility": "PUBLIC", "ledBy": "PEER"})
    );

    let before = roles(&c).await;
    // Promoting oneself, naming an owner, demoting another moderator: the owner's alone.
    for (who, target, role) in [
        (&c.moderator, &c.moderator, "OWNER"),
        (&c.moderator, &c.member, "MODERATOR"),
        (&c.moderator, &c.member, "OWNER"),
        (&c.moderator, &c.second_moderator, "MEMBER"),
        (&c.member, &c.member, "MODERATOR"),
    ] {
        let body = app
            .gql(
                Some(&who.access),
                SET_ROLE,
                json!({"g": c.group, "u": target.user_id, "r": role}),
            )
            .await;
        refused(&body, "FORBIDDEN");
    }
    assert_eq!(roles(&c).await, before);

    // A moderator does not ban another moderator (or the owner); the owner may.
    let ban =
        "mutation($g: ID!, $u: ID!) { banMember(groupId: $g, userId: $u, reason: \"power play\") }";
    for target in [&c.second_moderator, &c.owner] {
        let body = app
            .gql(
                Some(&c.moderator.access),
                ban,
                json!({"g": c.group, "u": target.user_id}),
            )
            .await;
        refused(&body, "FORBIDDEN");
    }
    assert_eq!(roles(&c).await, before);
    app.ok(
        &c.owner.access,
        ban,
        json!({"g": c.group, "u": c.second_moderator.user_id}),
    )
    .await;
    assert!(!roles(&c).await.contains_key(&c.second_moderator.user_id));
}

#[tokio::test]
async fn members_cannot_use_moderators_tools() {
    let c = cast("HIDDEN").await;
    let app = &c.app;
    let outsider = app.register("Hopeful Outsider").await;
    let calls = [
        (
            "mutation($g: ID!, $u: ID!) { inviteMember(groupId: $g, userId: $u) }",
            json!({"g": c.group, "u": outsider.user_id}),
        ),
        (
            "mutation($g: ID!) { createInviteCode(groupId: $g) { code } }",
            json!({"g": c.group}),
        ),
        (
            "mutation($g: ID!, $u: ID!) { declineJoinRequest(groupId: $g, userId: $u) }",
            json!({"g": c.group, "u": outsider.user_id}),
        ),
        (
            "mutation($g: ID!, $u: ID!) { unbanMember(groupId: $g, userId: $u) }",
            json!({"g": c.group, "u": outsider.user_id}),
        ),
        (
            "query($g: ID!) { group(id: $g) { joinRequests { edges { cursor } } } }",
            json!({"g": c.group}),
        ),
    ];
    for (query, variables) in calls {
        let body = app.gql(Some(&c.member.access), query, variables).await;
        refused(&body, "FORBIDDEN");
    }
    // The invitation did not happen: the hidden group is still nowhere for the outsider.
    let seen = app
        .gql(
            Some(&outsider.access),
            "query($g: ID!) { group(id: $g) { name } }",
            json!({"g": c.group}),
        )
        .await;
    refused(&seen, "NOT_FOUND");
}

#[tokio::test]
async fn nobody_edits_or_deletes_someone_elses_words() {
    let c = cast("PUBLIC").await;
    let app = &c.app;
    let post = app.post(&c.member, &c.group, "Mine alone").await;
    let reply = app.reply(&c.member, &post, "my own reply").await;
    for who in [&c.moderator, &c.owner, &c.second_moderator] {
        let edit_post = app
            .gql(
                Some(&who.access),
                "mutation($p: ID!) { editPost(id: $p, title: \"Rewritten\") { title } }",
                json!({"p": post}),
            )
            .await;
        refused(&edit_post, "FORBIDDEN");
        let delete_post = app
            .gql(
                Some(&who.access),
                "mutation($p: ID!) { deletePost(id: $p) { id } }",
                json!({"p": post}),
            )
            .await;
        refused(&delete_post, "FORBIDDEN");
        let edit_reply = app
            .gql(
                Some(&who.access),
                "mutation($r: ID!) { editReply(id: $r, body: \"rewritten\") { body } }",
                json!({"r": reply}),
            )
            .await;
        refused(&edit_reply, "FORBIDDEN");
    }
    let read = app
        .ok(
            &c.member.access,
            "query($p: ID!) { post(id: $p) { title status replies { edges { node { body } } } } }",
            json!({"p": post}),
        )
        .await;
    assert_eq!(read["post"]["title"], "Mine alone");
    assert_eq!(read["post"]["status"], "VISIBLE");
    assert_eq!(
        read["post"]["replies"]["edges"][0]["node"]["body"],
        "my own reply"
    );
}

#[tokio::test]
async fn a_moderator_of_one_group_has_no_say_in_another_and_admins_have_one_everywhere() {
    let c = cast("PRIVATE").await;
    let app = &c.app;
    // Group B, where our moderator is a plain member.
    let other_owner = app.register("Other Boss").await;
    let b = app.create_group(&other_owner, "Elsewhere", "PUBLIC").await;
    app.join(&c.moderator, &b).await;
    app.join(&c.member, &b).await;
    let post = app.post(&c.member, &b, "Reported elsewhere").await;
    let report = app
        .ok(
            &other_owner.access,
            "mutation($p: ID!) { report(input: {targetType: POST, targetId: $p, reason: \"spam\"}) { id } }",
            json!({"p": post}),
        )
        .await["report"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let queue = "query($g: ID) { reports(groupId: $g) { edges { node { id status } } } }";
    let body = app
        .gql(Some(&c.moderator.access), queue, json!({"g": b}))
        .await;
    refused(&body, "FORBIDDEN");
    let resolve = "mutation($r: ID!) { resolveReport(id: $r, status: DISMISSED) { status } }";
    let body = app
        .gql(Some(&c.moderator.access), resolve, json!({"r": report}))
        .await;
    refused(&body, "NOT_FOUND");
    let still = app.ok(&other_owner.access, queue, json!({"g": b})).await;
    assert_eq!(still["reports"]["edges"][0]["node"]["status"], "OPEN");

    // A platform admin, member of neither, moderates both.
    let admin = app.register("Platform Admin").await;
    app.make_admin(&admin).await;
    let closed = app.ok(&admin.access, resolve, json!({"r": report})).await;
    assert_eq!(closed["resolveReport"]["status"], "DISMISSED");
    let seen = app
        .ok(
            &admin.access,
            "query($g: ID!) { group(id: $g) { joinRequests { edges { cursor } } } }",
            json!({"g": c.group}),
        )
        .await;
    assert_eq!(seen["group"]["joinRequests"]["edges"], json!([]));
    // An admin handing a group over leaves it one owner.
    app.ok(
        &admin.access,
        SET_ROLE,
        json!({"g": c.group, "u": c.member.user_id, "r": "OWNER"}),
    )
    .await;
    let after = roles(&c).await;
    let owners: Vec<&String> = after
        .iter()
        .filter(|(_, r)| *r == "OWNER")
        .map(|(u, _)| u)
        .collect();
    assert_eq!(owners, vec![&c.member.user_id]);
    assert_eq!(after[&c.owner.user_id], "MODERATOR");
}
