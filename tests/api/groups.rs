use crate::support::*;
use serde_json::{json, Value};

const GROUP: &str = "query($id: ID!) { group(id: $id) { id name visibility memberCount postCount myMembership { role state alias } } }";

#[tokio::test]
async fn groups_are_created_listed_searched_and_hidden() {
    let app = TestApp::spawn().await;
    let owner = app.register("Group Owner").await;
    let other = app.register("Someone Else").await;
    let public = app.create_group(&owner, "Morning Walkers", "PUBLIC").await;
    let private = app.create_group(&owner, "Night Owls", "PRIVATE").await;
    let hidden = app.create_group(&owner, "Secret Garden", "HIDDEN").await;

    let mine = app.ok(&owner.access, GROUP, json!({"id": public})).await;
    assert_eq!(
        mine["group"]["myMembership"],
        json!({"role": "OWNER", "state": "ACTIVE", "alias": null})
    );
    assert_eq!(mine["group"]["memberCount"], 1);

    let list =
        "query($s: String, $t: Topic) { groups(search: $s, topic: $t) { edges { node { id } } } }";
    let ids = |data: &serde_json::Value| -> Vec<String> {
        data["groups"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let seen = ids(&app.ok(&other.access, list, json!({})).await);
    assert!(
        seen.contains(&public) && seen.contains(&private) && !seen.contains(&hidden),
        "{seen:?}"
    );
    assert!(ids(&app.ok(&owner.access, list, json!({})).await).contains(&hidden));
    assert_eq!(
        ids(&app.ok(&other.access, list, json!({"s": "walkers"})).await),
        vec![public.clone()]
    );
    assert_eq!(
        ids(&app.ok(&other.access, list, json!({"s": "%"})).await),
        Vec::<String>::new()
    );
    assert!(ids(&app.ok(&other.access, list, json!({"t": "GRIEF"})).await).is_empty());

    let missing = app
        .gql(Some(&other.access), GROUP, json!({"id": hidden}))
        .await;
    let wrong_id = app
        .gql(Some(&other.access), GROUP, json!({"id": "no-such-group"}))
        .await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
    assert_eq!(
        missing["errors"][0]["message"],
        wrong_id["errors"][0]["message"]
    );

    let bad = app
        .gql(
            Some(&owner.access),
            "mutation($i: CreateGroupInput!) { createGroup(input: $i) { id } }",
            json!({"i": {"name": "x", "topic": "GRIEF", "visibility": "PUBLIC", "ledBy": "PEER"}}),
        )
        .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
    assert_eq!(
        error_code(&app.gql(None, list, json!({})).await),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn joining_public_and_private_groups() {
    let app = TestApp::spawn().await;
    let owner = app.register("Circle Owner").await;
    let ana = app.register("Ana Member").await;
    let bo = app.register("Bo Member").await;
    let public = app.create_group(&owner, "Open Circle", "PUBLIC").await;
    let private = app.create_group(&owner, "Closed Circle", "PRIVATE").await;

    assert_eq!(
        app.join(&ana, &public).await["data"]["joinGroup"],
        json!({"state": "ACTIVE", "role": "MEMBER"})
    );
    assert_eq!(
        app.join(&ana, &public).await["data"]["joinGroup"]["state"],
        "ACTIVE",
        "joining twice is harmless"
    );
    assert_eq!(
        app.ok(&ana.access, GROUP, json!({"id": public})).await["group"]["memberCount"],
        2
    );

    assert_eq!(
        app.join(&ana, &private).await["data"]["joinGroup"]["state"],
        "PENDING"
    );
    assert_eq!(
        app.join(&bo, &private).await["data"]["joinGroup"]["state"],
        "PENDING"
    );
    let requests = app
        .ok(&owner.access, "query($id: ID!) { group(id: $id) { joinRequests { edges { node { user { displayName } } } } } }", json!({"id": private}))
        .await;
    assert_eq!(
        requests["group"]["joinRequests"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // A pending member cannot read posts or members yet.
    let early = app
        .gql(
            Some(&ana.access),
            "query($id: ID!) { group(id: $id) { posts { edges { node { id } } } } }",
            json!({"id": private}),
        )
        .await;
    assert_eq!(error_code(&early), "FORBIDDEN");

    let decide = "mutation($g: ID!, $u: ID!) { approveJoinRequest(groupId: $g, userId: $u) }";
    assert_eq!(
        error_code(
            &app.gql(
                Some(&bo.access),
                decide,
                json!({"g": private, "u": ana.user_id})
            )
            .await
        ),
        "FORBIDDEN"
    );
    app.ok(
        &owner.access,
        decide,
        json!({"g": private, "u": ana.user_id}),
    )
    .await;
    app.ok(
        &owner.access,
        "mutation($g: ID!, $u: ID!) { declineJoinRequest(groupId: $g, userId: $u) }",
        json!({"g": private, "u": bo.user_id}),
    )
    .await;
    let after = app.ok(&ana.access, GROUP, json!({"id": private})).await;
    assert_eq!(after["group"]["myMembership"]["state"], "ACTIVE");
    assert_eq!(after["group"]["memberCount"], 2);
    assert_eq!(
        app.ok(&bo.access, GROUP, json!({"id": private})).await["group"]["myMembership"],
        json!(null)
    );

    let members = app
        .ok(&ana.access, "query($id: ID!) { group(id: $id) { members { totalCount edges { node { role user { displayName } } } } } }", json!({"id": private}))
        .await;
    assert_eq!(members["group"]["members"]["totalCount"], 2);
    let outsider = app
        .gql(
            Some(&bo.access),
            "query($id: ID!) { group(id: $id) { members { totalCount } } }",
            json!({"id": private}),
        )
        .await;
    assert_eq!(error_code(&outsider), "FORBIDDEN");

    let leave = "mutation($g: ID!) { leaveGroup(groupId: $g) }";
    app.ok(&ana.access, leave, json!({"g": private})).await;
    assert_eq!(
        app.ok(&owner.access, GROUP, json!({"id": private})).await["group"]["memberCount"],
        1
    );
    assert_eq!(
        error_code(
            &app.gql(Some(&owner.access), leave, json!({"g": private}))
                .await
        ),
        "BAD_USER_INPUT"
    );
}

#[tokio::test]
async fn hidden_groups_are_joined_by_invitation_or_code() {
    let app = TestApp::spawn().await;
    let owner = app.register("Hidden Host").await;
    let ana = app.register("Invited Ana").await;
    let bo = app.register("Coded Bo").await;
    let hidden = app.create_group(&owner, "Quiet Room", "HIDDEN").await;

    assert_eq!(error_code(&app.join(&ana, &hidden).await), "NOT_FOUND");
    app.ok(
        &owner.access,
        "mutation($g: ID!, $u: ID!) { inviteMember(groupId: $g, userId: $u) }",
        json!({"g": hidden, "u": ana.user_id}),
    )
    .await;
    assert_eq!(
        app.ok(&ana.access, GROUP, json!({"id": hidden})).await["group"]["myMembership"]["state"],
        "INVITED"
    );
    assert_eq!(
        app.join(&ana, &hidden).await["data"]["joinGroup"]["state"],
        "ACTIVE"
    );

    let code = app
        .ok(
            &owner.access,
            "mutation($g: ID!) { createInviteCode(groupId: $g, validHours: 1) { code expiresAt } }",
            json!({"g": hidden}),
        )
        .await["createInviteCode"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let with_code = "mutation($c: String!) { joinWithInviteCode(code: $c) { id memberCount myMembership { state } } }";
    assert_eq!(
        error_code(
            &app.gql(Some(&bo.access), with_code, json!({"c": "made-up"}))
                .await
        ),
        "NOT_FOUND"
    );
    let joined = app.ok(&bo.access, with_code, json!({"c": code})).await;
    assert_eq!(joined["joinWithInviteCode"]["id"], json!(hidden));
    assert_eq!(joined["joinWithInviteCode"]["memberCount"], 3);
    let bad_hours = app
        .gql(
            Some(&owner.access),
            "mutation($g: ID!) { createInviteCode(groupId: $g, validHours: 0) { code } }",
            json!({"g": hidden}),
        )
        .await;
    assert_eq!(error_code(&bad_hours), "BAD_USER_INPUT");
}

#[tokio::test]
async fn aliases_are_unique_per_group_and_shown_instead_of_the_pseudonym() {
    let app = TestApp::spawn().await;
    let owner = app.register("Alias Owner").await;
    let ana = app.register("Ana Real").await;
    let group = app.create_group(&owner, "Masks On", "PUBLIC").await;
    app.join(&ana, &group).await;
    let set = "mutation($g: ID!, $a: String) { updateMembership(groupId: $g, alias: $a, notificationLevel: MUTED) { alias notificationLevel } }";
    let done = app
        .ok(&ana.access, set, json!({"g": group, "a": "Blue Heron"}))
        .await;
    assert_eq!(
        done["updateMembership"],
        json!({"alias": "Blue Heron", "notificationLevel": "MUTED"})
    );
    assert_eq!(
        error_code(
            &app.gql(
                Some(&owner.access),
                set,
                json!({"g": group, "a": "blue heron"})
            )
            .await
        ),
        "CONFLICT"
    );

    let post = app.post(&ana, &group, "Hello").await;
    let author = app
        .ok(
            &owner.access,
            "query($id: ID!) { post(id: $id) { author { id displayName } } }",
            json!({"id": post}),
        )
        .await;
    assert_eq!(
        author["post"]["author"],
        json!({"id": ana.user_id, "displayName": "Blue Heron"})
    );

    app.ok(&ana.access, set, json!({"g": group, "a": null}))
        .await;
    let plain = app
        .ok(
            &owner.access,
            "query($id: ID!) { post(id: $id) { author { displayName } } }",
            json!({"id": post}),
        )
        .await;
    assert_eq!(plain["post"]["author"]["displayName"], "Ana Real");
}

/// A group page and the feed read their posts' authors with the posts, in one statement; they
/// must show each author exactly as the post alone does (an alias, a role, a member who left,
/// an anonymous post).
#[tokio::test]
async fn lists_show_authors_as_the_post_alone_does() {
    let app = TestApp::spawn().await;
    let owner = app.register("List Owner").await;
    let ana = app.register("List Ana").await;
    let bo = app.register("List Bo").await;
    let group = app.create_group(&owner, "Listed Faces", "PUBLIC").await;
    for who in [&ana, &bo] {
        app.join(who, &group).await;
    }
    app.ok(
        &ana.access,
        "mutation($g: ID!) { updateMembership(groupId: $g, alias: \"Grey Wren\") { alias } }",
        json!({"g": group}),
    )
    .await;
    app.ok(
        &owner.access,
        "mutation($g: ID!, $u: ID!) { setMemberRole(groupId: $g, userId: $u, role: MODERATOR) { role } }",
        json!({"g": group, "u": ana.user_id}),
    )
    .await;
    let mut posts = vec![
        app.post(&owner, &group, "By the owner").await,
        app.post(&ana, &group, "By a moderator with an alias").await,
        app.post(&bo, &group, "By one who then left").await,
    ];
    let hidden = app
        .ok(
            &bo.access,
            "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
            json!({"i": {"groupId": group, "anonymous": true, "title": "Unsigned", "body": "Unsigned: the body"}}),
        )
        .await;
    posts.push(hidden["createPost"]["id"].as_str().unwrap().to_owned());
    app.ok(
        &bo.access,
        "mutation($g: ID!) { leaveGroup(groupId: $g) }",
        json!({"g": group}),
    )
    .await;

    let author = "author { id displayName role }";
    let page = app
        .ok(
            &owner.access,
            &format!("query($g: ID!) {{ group(id: $g) {{ posts(first: 10) {{ edges {{ node {{ id {author} }} }} }} }} }}"),
            json!({"g": group}),
        )
        .await;
    let feed = app
        .ok(
            &owner.access,
            &format!("{{ feed(first: 10) {{ edges {{ node {{ id {author} }} }} }} }}"),
            json!({}),
        )
        .await;
    let listed = |data: &Value| -> Vec<(String, Value)> {
        data["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["node"]["id"].as_str().unwrap().to_owned(),
                    e["node"]["author"].clone(),
                )
            })
            .collect()
    };
    let on_page = listed(&page["group"]["posts"]);
    let in_feed = listed(&feed["feed"]);
    assert_eq!(on_page.len(), posts.len());
    assert_eq!(on_page, in_feed);
    for (id, shown) in &on_page {
        let alone = app
            .ok(
                &owner.access,
                &format!("query($id: ID!) {{ post(id: $id) {{ {author} }} }}"),
                json!({"id": id}),
            )
            .await;
        assert_eq!(shown, &alone["post"]["author"], "post {id}");
    }
    let by = |post: &str| on_page.iter().find(|(id, _)| id == post).unwrap().1.clone();
    assert_eq!(by(&posts[0])["role"], "OWNER");
    assert_eq!(
        by(&posts[1]),
        json!({"id": ana.user_id, "displayName": "Grey Wren", "role": "MODERATOR"})
    );
    assert_eq!(
        by(&posts[2]),
        json!({"id": bo.user_id, "displayName": "List Bo", "role": null})
    );
    assert_eq!(by(&posts[3]), Value::Null);
}

/// The feed shows each post's group as `post(id)` does, a hidden one included, with the
/// caller's own standing in it (`myMembership`).
#[tokio::test]
async fn the_feed_shows_groups_as_the_post_alone_does() {
    let app = TestApp::spawn().await;
    let owner = app.register("Feed Group Owner").await;
    let ana = app.register("Feed Group Ana").await;
    let open = app.create_group(&owner, "Open Hearth", "PUBLIC").await;
    let hidden = app.create_group(&owner, "Quiet Room", "HIDDEN").await;
    app.join(&ana, &open).await;
    let posts = [
        app.post(&owner, &open, "In the open").await,
        app.post(&ana, &open, "Also in the open").await,
        app.post(&owner, &hidden, "In the quiet room").await,
    ];
    let group = "group { id name description topic tags visibility ledBy memberCount postCount createdAt myMembership { role } }";
    let feed = app
        .ok(
            &owner.access,
            &format!("{{ feed(first: 10) {{ edges {{ node {{ id {group} }} }} }} }}"),
            json!({}),
        )
        .await;
    let edges = feed["feed"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), posts.len());
    for edge in edges {
        let id = edge["node"]["id"].as_str().unwrap();
        let alone = app
            .ok(
                &owner.access,
                &format!("query($id: ID!) {{ post(id: $id) {{ {group} }} }}"),
                json!({"id": id}),
            )
            .await;
        assert_eq!(edge["node"]["group"], alone["post"]["group"], "post {id}");
    }
    let quiet = edges
        .iter()
        .find(|e| e["node"]["id"] == posts[2].as_str())
        .unwrap();
    assert_eq!(quiet["node"]["group"]["name"], "Quiet Room");
    assert_eq!(quiet["node"]["group"]["visibility"], "HIDDEN");
    assert_eq!(quiet["node"]["group"]["myMembership"]["role"], "OWNER");
}

#[tokio::test]
async fn roles_are_set_by_the_owner() {
    let app = TestApp::spawn().await;
    let owner = app.register("Role Owner").await;
    let ana = app.register("Role Ana").await;
    let bo = app.register("Role Bo").await;
    let group = app.create_group(&owner, "Role Play", "PRIVATE").await;
    for who in [&ana, &bo] {
        app.join(who, &group).await;
        app.ok(
            &owner.access,
            "mutation($g: ID!, $u: ID!) { approveJoinRequest(groupId: $g, userId: $u) }",
            json!({"g": group, "u": who.user_id}),
        )
        .await;
    }
    let set_role = "mutation($g: ID!, $u: ID!, $r: Role!) { setMemberRole(groupId: $g, userId: $u, role: $r) { role } }";
    assert_eq!(
        error_code(
            &app.gql(
                Some(&ana.access),
                set_role,
                json!({"g": group, "u": bo.user_id, "r": "MODERATOR"})
            )
            .await
        ),
        "FORBIDDEN"
    );
    assert_eq!(
        app.ok(
            &owner.access,
            set_role,
            json!({"g": group, "u": ana.user_id, "r": "MODERATOR"})
        )
        .await["setMemberRole"]["role"],
        "MODERATOR"
    );
    let moderators = app
        .ok(
            &bo.access,
            "query($id: ID!) { group(id: $id) { moderators { role user { displayName } } } }",
            json!({"id": group}),
        )
        .await;
    assert_eq!(
        moderators["group"]["moderators"].as_array().unwrap().len(),
        2
    );

    // Handing over: the new owner owns, the old one moderates.
    app.ok(
        &owner.access,
        set_role,
        json!({"g": group, "u": bo.user_id, "r": "OWNER"}),
    )
    .await;
    assert_eq!(
        app.ok(&owner.access, GROUP, json!({"id": group})).await["group"]["myMembership"]["role"],
        "MODERATOR"
    );
    assert_eq!(
        app.ok(&bo.access, GROUP, json!({"id": group})).await["group"]["myMembership"]["role"],
        "OWNER"
    );
    let log = app.ok(&bo.access, "query($id: ID!) { group(id: $id) { modLog { edges { node { action actor { displayName } } } } } }", json!({"id": group})).await;
    let actions: Vec<&str> = log["group"]["modLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[0], "SET_ROLE_OWNER");
    assert!(
        actions.contains(&"SET_ROLE_MODERATOR") && actions.contains(&"APPROVE_JOIN"),
        "{actions:?}"
    );
}
