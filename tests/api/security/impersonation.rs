//! Nobody can pass for someone else, and leaving a hidden group leaves it.
use crate::support::*;
use serde_json::{json, Value};

const CYRILLIC_OWNER: &str = "\u{41e}wner \u{41e}live"; // "Оwner Оlive", Cyrillic О
const ALIAS: &str =
    "mutation($g: ID!, $a: String) { updateMembership(groupId: $g, alias: $a) { alias } }";

fn conflict_on<'a>(body: &'a Value, field: &str) -> &'a Value {
    assert_eq!(error_code(body), "CONFLICT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    body
}

#[tokio::test]
async fn look_alike_names_and_aliases_are_refused() {
    let app = TestApp::spawn().await;
    let owner = app.register("Owner Olive").await;
    let group = app.create_group(&owner, "Look Alikes", "PUBLIC").await;
    let mallory = app.register("Mallory Moth").await;
    app.join(&mallory, &group).await;

    // Capital I for l, and trailing or doubled punctuation, are the same name too.
    for alike in [
        "0wner 0live",
        CYRILLIC_OWNER,
        "OWNER OLIVE",
        "Owner OIive",
        "Owner Olive.",
        "Owner. Olive",
        "Owner__Olive",
    ] {
        let register = app
            .gql(
                None,
                "mutation($i: RegisterInput!) { register(input: $i) { status } }",
                json!({"i": {"email": format!("{}@example.org", alike.len()), "password": PASSWORD, "displayName": alike}}),
            )
            .await;
        conflict_on(&register, "displayName");
        let profile = app
            .gql(
                Some(&mallory.access),
                "mutation($n: String) { updateProfile(displayName: $n) { displayName } }",
                json!({"n": alike}),
            )
            .await;
        conflict_on(&profile, "displayName");
        let alias = app
            .gql(
                Some(&mallory.access),
                ALIAS,
                json!({"g": group, "a": alike}),
            )
            .await;
        conflict_on(&alias, "alias");
    }
    // An alias of her own is fine; a look-alike of it is not, for anyone else here...
    let own = app
        .ok(
            &mallory.access,
            ALIAS,
            json!({"g": group, "a": "Quiet Heron"}),
        )
        .await;
    assert_eq!(own["updateMembership"]["alias"], "Quiet Heron");
    let bob = app.register("Bob Badger").await;
    app.join(&bob, &group).await;
    let copied = app
        .gql(
            Some(&bob.access),
            ALIAS,
            json!({"g": group, "a": "QUIET HER0N"}),
        )
        .await;
    conflict_on(&copied, "alias");
    // ...nor as a new display name.
    let named = app
        .gql(
            Some(&bob.access),
            "mutation($n: String) { updateProfile(displayName: $n) { displayName } }",
            json!({"n": "QUIET HERON"}),
        )
        .await;
    conflict_on(&named, "displayName");
    // Her own display name may be her alias, and a different name goes through.
    app.ok(
        &owner.access,
        ALIAS,
        json!({"g": group, "a": "Owner Olive"}),
    )
    .await;
    app.ok(
        &bob.access,
        ALIAS,
        json!({"g": group, "a": "Bright Badger"}),
    )
    .await;
}

#[tokio::test]
async fn invisible_and_direction_changing_characters_are_refused_in_names_and_titles() {
    let app = TestApp::spawn().await;
    let owner = app.register("Owner Olive").await;
    let moderator = app.register("Mod Mia").await;
    let group = app.create_group(&owner, "Open Circle", "PUBLIC").await;
    let mallory = app.register("Mallory Moth").await;
    app.join(&mallory, &group).await;
    app.join(&moderator, &group).await;
    let refused = |body: &Value, field: &str| {
        assert_eq!(error_code(body), "BAD_USER_INPUT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("invisible"),
            "{body}"
        );
    };
    // The Hangul fillers and the Braille blank draw as a space; U+202E turns the rest around.
    for name in [
        "Owner\u{3164}Olive",
        "Owner\u{115F}Olive",
        "Owner\u{FFA0}Olive",
        "Owner\u{2800}Olive",
        "Owner Olive\u{200B}",
        "evil\u{202E}evilO",
    ] {
        let profile = app
            .gql(
                Some(&mallory.access),
                "mutation($n: String) { updateProfile(displayName: $n) { displayName } }",
                json!({"n": name}),
            )
            .await;
        refused(&profile, "displayName");
        let alias = app
            .gql(Some(&mallory.access), ALIAS, json!({"g": group, "a": name}))
            .await;
        refused(&alias, "alias");
    }
    // A moderator's name with a full stop after it is still the moderator's.
    let alias = app
        .gql(
            Some(&mallory.access),
            ALIAS,
            json!({"g": group, "a": "Mod Mia."}),
        )
        .await;
    conflict_on(&alias, "alias");
    let title = "Group rules\u{202E}txt.exe";
    let group_name = app
        .gql(
            Some(&owner.access),
            "mutation($i: CreateGroupInput!) { createGroup(input: $i) { id } }",
            json!({"i": {"name": title, "description": "", "topic": "DEPRESSION", "visibility": "PUBLIC", "ledBy": "PEER"}}),
        )
        .await;
    refused(&group_name, "name");
    let renamed = app
        .gql(
            Some(&owner.access),
            "mutation($g: ID!, $n: String) { updateGroup(id: $g, input: {name: $n}) { id } }",
            json!({"g": group, "n": title}),
        )
        .await;
    refused(&renamed, "name");
    let post = app
        .gql(
            Some(&mallory.access),
            "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
            json!({"i": {"groupId": group, "title": title, "body": "hello"}}),
        )
        .await;
    refused(&post, "title");
    let question = app
        .gql(
            Some(&mallory.access),
            "mutation($i: AskQuestionInput!) { askQuestion(input: $i) { id } }",
            json!({"i": {"title": title, "topic": "DEPRESSION"}}),
        )
        .await;
    refused(&question, "title");
    // Right-to-left text itself is welcome, in titles and in names.
    app.post(&mallory, &group, "مساء الخير").await;
    app.ok(
        &mallory.access,
        "mutation($n: String) { updateProfile(displayName: $n) { displayName } }",
        json!({"n": "نور الهدى"}),
    )
    .await;
}

#[tokio::test]
async fn authors_show_their_role_in_the_group() {
    let app = TestApp::spawn().await;
    let owner = app.register("Role Owner").await;
    let group = app.create_group(&owner, "Roles Shown", "PUBLIC").await;
    let ana = app.register("Role Member").await;
    app.join(&ana, &group).await;
    let post = app.post(&owner, &group, "Welcome").await;
    app.reply(&ana, &post, "Thank you").await;
    let read = "query($p: ID!) { post(id: $p) { author { displayName role } replies { edges { node { author { displayName role } } } } } }";
    let seen = app.ok(&ana.access, read, json!({"p": post})).await;
    assert_eq!(seen["post"]["author"]["role"], "OWNER");
    assert_eq!(
        seen["post"]["replies"]["edges"][0]["node"]["author"]["role"],
        "MEMBER"
    );
    app.ok(
        &ana.access,
        "mutation($g: ID!) { leaveGroup(groupId: $g) }",
        json!({"g": group}),
    )
    .await;
    let seen = app.ok(&owner.access, read, json!({"p": post})).await;
    let author = &seen["post"]["replies"]["edges"][0]["node"]["author"];
    assert_eq!(author["displayName"], "Role Member");
    assert_eq!(author["role"], Value::Null, "no longer a member: no role");
}

#[tokio::test]
async fn leaving_a_hidden_group_leaves_every_way_to_it() {
    let app = TestApp::spawn().await;
    let owner = app.register("Hidden Keeper").await;
    let ana = app.register("Hidden Leaver").await;
    let group = app.create_group(&owner, "Unlisted Circle", "HIDDEN").await;
    app.invite(&owner, &group, &ana).await;
    app.join(&ana, &group).await;
    let post = app.post(&ana, &group, "My first words here").await;
    app.reply(&owner, &post, "Welcome in").await;
    let notifications = "{ notifications { edges { node { kind group { name memberCount moderators { role } } } } } }";
    let timeline = "{ myTimeline { edges { node { ... on Post { title group { name } } } } } }";
    let before = app.ok(&ana.access, notifications, json!({})).await;
    assert_eq!(
        before["notifications"]["edges"][0]["node"]["group"]["name"],
        "Unlisted Circle"
    );
    let before = app.ok(&ana.access, timeline, json!({})).await;
    assert_eq!(
        before["myTimeline"]["edges"][0]["node"]["group"]["name"],
        "Unlisted Circle"
    );

    app.ok(
        &ana.access,
        "mutation($g: ID!) { leaveGroup(groupId: $g) }",
        json!({"g": group}),
    )
    .await;
    let after = app.ok(&ana.access, notifications, json!({})).await;
    let node = &after["notifications"]["edges"][0]["node"];
    assert_eq!(node["kind"], "REPLY", "{after}");
    assert_eq!(node["group"], Value::Null, "{after}");
    let after = app.ok(&ana.access, timeline, json!({})).await;
    let node = &after["myTimeline"]["edges"][0]["node"];
    assert_eq!(node["title"], "My first words here");
    assert_eq!(node["group"], Value::Null, "{after}");
    // The owner, still in it, sees it on the same edges.
    let kept = app
        .ok(
            &owner.access,
            "query($p: ID!) { post(id: $p) { group { name } } }",
            json!({"p": post}),
        )
        .await;
    assert_eq!(kept["post"]["group"]["name"], "Unlisted Circle");
}

#[tokio::test]
async fn a_banned_member_can_delete_their_words_but_not_edit_them() {
    let app = TestApp::spawn().await;
    let owner = app.register("Ban Keeper").await;
    let group = app.create_group(&owner, "Banned Edits", "PUBLIC").await;
    let ana = app.register("Ban Subject").await;
    app.join(&ana, &group).await;
    let post = app.post(&ana, &group, "Before the ban").await;
    let reply = app.reply(&ana, &post, "my reply").await;
    app.ok(
        &owner.access,
        "mutation($g: ID!, $u: ID!) { banMember(groupId: $g, userId: $u, reason: \"spam\") }",
        json!({"g": group, "u": ana.user_id}),
    )
    .await;
    let edit_post = app
        .gql(
            Some(&ana.access),
            "mutation($p: ID!) { editPost(id: $p, body: \"rewritten after the ban\") { body } }",
            json!({"p": post}),
        )
        .await;
    assert_eq!(error_code(&edit_post), "FORBIDDEN", "{edit_post}");
    let edit_reply = app
        .gql(
            Some(&ana.access),
            "mutation($r: ID!) { editReply(id: $r, body: \"rewritten\") { body } }",
            json!({"r": reply}),
        )
        .await;
    assert_eq!(error_code(&edit_reply), "FORBIDDEN", "{edit_reply}");
    let read = app
        .ok(
            &owner.access,
            "query($p: ID!) { post(id: $p) { body replies { edges { node { body } } } } }",
            json!({"p": post}),
        )
        .await;
    assert_eq!(read["post"]["body"], "Before the ban: the body");
    assert_eq!(
        read["post"]["replies"]["edges"][0]["node"]["body"],
        "my reply"
    );
    app.ok(
        &ana.access,
        "mutation($r: ID!) { deleteReply(id: $r) { id } }",
        json!({"r": reply}),
    )
    .await;
}
