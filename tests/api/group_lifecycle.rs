//! A group's life after it starts: made private or hidden while people outside it read it (and
//! follow it live), and handed on when its owner deletes their account.
use crate::support::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);
const SILENCE: Duration = Duration::from_millis(500);

const MAKE: &str = "mutation($id: ID!, $v: Visibility!) { updateGroup(id: $id, input: {visibility: $v}) { id visibility } }";
const GROUP_PAGE: &str =
    "query($id: ID!) { group(id: $id) { id visibility myMembership { role state } } }";
const GROUP_POSTS: &str = "query($id: ID!) { group(id: $id) { id posts { nodes { id } } } }";
const PINNED: &str = "query($id: ID!) { group(id: $id) { pinnedPosts { id } } }";
const GROUPS: &str = "{ groups(first: 100) { nodes { id } } }";
const POST: &str = "query($id: ID!) { post(id: $id) { id title } }";
const SEARCH: &str =
    "query($q: String!, $g: ID) { searchPosts(query: $q, groupId: $g) { nodes { id } } }";
const FEED: &str = "{ feed { nodes { id } } }";
const ASK: &str = "mutation($i: AskQuestionInput!) { askQuestion(input: $i) { id } }";
const QUESTIONS: &str = "query($g: ID) { questions(groupId: $g) { nodes { id } } }";
const QUESTION: &str = "query($id: ID!) { question(id: $id) { id title } }";
const POST_ADDED: &str = "subscription($g: ID!) { postAdded(groupId: $g) { id title } }";
/// A word in every post of the group, and in no other.
const WORD: &str = "lanterns";

const APPROVE: &str = "mutation($g: ID!, $u: ID!) { approveJoinRequest(groupId: $g, userId: $u) }";
const SET_ROLE: &str = "mutation($g: ID!, $u: ID!, $r: Role!) { setMemberRole(groupId: $g, userId: $u, role: $r) { role } }";
const DELETE_ACCOUNT: &str =
    "mutation($p: String!, $r: Boolean!) { deleteAccount(password: $p, removeContent: $r) }";
const MEMBERS: &str = "query($id: ID!) { group(id: $id) { memberCount members(first: 100) { nodes { role joinedAt requestedAt user { id } } } } }";
const JOIN_REQUESTS: &str =
    "query($id: ID!) { group(id: $id) { joinRequests { nodes { user { id } } } } }";

fn ids(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no nodes in {connection}"))
        .iter()
        .map(|node| node["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn next_post(socket: &mut Socket) -> Value {
    let next = socket.expect_json(WAIT).await;
    assert_eq!(next["type"], "next", "{next}");
    next["payload"]["data"]["postAdded"].clone()
}

/// A public group with a post and a question in it, read from outside by someone signed in,
/// and followed live by that outsider and by a member.
struct Scene {
    owner: Session,
    member: Session,
    outsider: Session,
    group: String,
    post: String,
    question: String,
    member_live: Socket,
    outsider_live: Socket,
}

async fn public_group_read_from_outside(app: &TestApp) -> Scene {
    let owner = app.register("Lamp Owner").await;
    let member = app.register("Lamp Member").await;
    let outsider = app.register("Lamp Passerby").await;
    let group = app.create_group(&owner, "Lamplighters", "PUBLIC").await;
    assert_eq!(
        app.join(&member, &group).await["data"]["joinGroup"]["state"],
        "ACTIVE"
    );
    let post = app.post(&member, &group, "Evening lanterns").await;
    let asked = app
        .ok(
            &member.access,
            ASK,
            json!({"i": {"title": "Which lanterns help on long evenings?", "topic": "DEPRESSION", "groupId": group}}),
        )
        .await;
    let question = asked["askQuestion"]["id"].as_str().unwrap().to_owned();

    reads_everything(app, &outsider, &group, &[post.as_str()], &question).await;
    // The feed holds one's own groups only: the outsider never had the post there.
    assert!(!ids(&app.ok(&outsider.access, FEED, json!({})).await["feed"]).contains(&post));

    let mut member_live = app.socket().await;
    member_live
        .subscribe_ready(&member.access, "p", POST_ADDED, json!({"g": group}))
        .await;
    let mut outsider_live = app.socket().await;
    outsider_live
        .subscribe_ready(&outsider.access, "p", POST_ADDED, json!({"g": group}))
        .await;
    // While the group is public, both follow it.
    let live = app.post(&owner, &group, "Lanterns lit tonight").await;
    for socket in [&mut member_live, &mut outsider_live] {
        assert_eq!(next_post(socket).await["id"], json!(live));
    }
    Scene {
        owner,
        member,
        outsider,
        group,
        post,
        question,
        member_live,
        outsider_live,
    }
}

/// `who` reads every surface of the group: its page with its posts and pins, each post,
/// search (everywhere and within the group), and the group's question, listed and alone.
async fn reads_everything(
    app: &TestApp,
    who: &Session,
    group: &str,
    posts: &[&str],
    question: &str,
) {
    let page = app.ok(&who.access, GROUP_POSTS, json!({"id": group})).await;
    let listed = ids(&page["group"]["posts"]);
    app.ok(&who.access, PINNED, json!({"id": group})).await;
    let searched = ids(&app.ok(&who.access, SEARCH, json!({"q": WORD})).await["searchPosts"]);
    let searched_here = ids(&app
        .ok(&who.access, SEARCH, json!({"q": WORD, "g": group}))
        .await["searchPosts"]);
    for post in posts {
        let post = (*post).to_owned();
        assert!(listed.contains(&post), "{post} not on the page: {page}");
        assert_eq!(
            app.ok(&who.access, POST, json!({"id": post})).await["post"]["id"],
            json!(post)
        );
        assert!(searched.contains(&post), "{post} not found: {searched:?}");
        assert!(
            searched_here.contains(&post),
            "{post} not found in the group: {searched_here:?}"
        );
    }
    assert_eq!(
        ids(&app.ok(&who.access, QUESTIONS, json!({"g": group})).await["questions"]),
        vec![question.to_owned()]
    );
    assert_eq!(
        app.ok(&who.access, QUESTION, json!({"id": question})).await["question"]["id"],
        json!(question)
    );
}

/// The owner changes who may see the group; then a new post goes out. The member's socket shows
/// that it went out, and the outsider's, followed since the group was public, stays quiet (and
/// open: a closed socket is not silence). Returns the new post.
async fn owner_makes(app: &TestApp, scene: &mut Scene, visibility: &str) -> String {
    let changed = app
        .ok(
            &scene.owner.access,
            MAKE,
            json!({"id": scene.group, "v": visibility}),
        )
        .await;
    assert_eq!(changed["updateGroup"]["visibility"], visibility);
    let later = app
        .post(&scene.owner, &scene.group, "Lanterns after the change")
        .await;
    assert_eq!(next_post(&mut scene.member_live).await["id"], json!(later));
    scene.outsider_live.expect_silence(SILENCE).await;
    later
}

/// A subscription started now is refused as if the group were not there.
async fn live_refused(app: &TestApp, who: &Session, group: &str) {
    let mut socket = app.socket().await;
    socket
        .subscribe(&who.access, "late", POST_ADDED, json!({"g": group}))
        .await;
    let refused = socket.expect_json(WAIT).await;
    assert_eq!(refused["type"], "next", "{refused}");
    assert_eq!(refused["payload"]["data"], json!(null));
    assert_eq!(error_code(&refused["payload"]), "NOT_FOUND", "{refused}");
    assert_eq!(socket.expect_json(WAIT).await["type"], "complete");
}

/// Members lose nothing by the change: the group, every post, search, the question, the feed.
async fn the_member_keeps_everything(app: &TestApp, scene: &Scene, later: &str, visibility: &str) {
    let member = &scene.member;
    assert_eq!(
        app.ok(&member.access, GROUP_PAGE, json!({"id": scene.group}))
            .await["group"],
        json!({"id": scene.group, "visibility": visibility, "myMembership": {"role": "MEMBER", "state": "ACTIVE"}})
    );
    reads_everything(
        app,
        member,
        &scene.group,
        &[scene.post.as_str(), later],
        &scene.question,
    )
    .await;
    let feed = ids(&app.ok(&member.access, FEED, json!({})).await["feed"]);
    assert!(
        feed.contains(&scene.post) && feed.contains(&later.to_owned()),
        "{feed:?}"
    );
}

#[tokio::test]
async fn a_public_group_made_private_still_shows_outsiders_its_name_but_no_longer_its_posts() {
    let app = TestApp::spawn().await;
    let mut scene = public_group_read_from_outside(&app).await;
    let later = owner_makes(&app, &mut scene, "PRIVATE").await;
    let outsider = scene.outsider.access.as_str();
    let group = scene.group.as_str();

    // The group itself still shows, as private groups do, with no place in it for them.
    assert_eq!(
        app.ok(outsider, GROUP_PAGE, json!({"id": group})).await["group"],
        json!({"id": group, "visibility": "PRIVATE", "myMembership": null})
    );
    assert!(ids(&app.ok(outsider, GROUPS, json!({})).await["groups"]).contains(&scene.group));
    // Its content is members' only now: the very page query read before is refused.
    for query in [GROUP_POSTS, PINNED] {
        let refused = app.gql(Some(outsider), query, json!({"id": group})).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    }
    for post in [&scene.post, &later] {
        let gone = app.gql(Some(outsider), POST, json!({"id": post})).await;
        assert_eq!(error_code(&gone), "NOT_FOUND", "{gone}");
    }
    assert_eq!(
        ids(&app.ok(outsider, SEARCH, json!({"q": WORD})).await["searchPosts"]),
        Vec::<String>::new()
    );
    let within = app
        .gql(Some(outsider), SEARCH, json!({"q": WORD, "g": group}))
        .await;
    assert_eq!(error_code(&within), "FORBIDDEN", "{within}");
    assert_eq!(
        ids(&app.ok(outsider, QUESTIONS, json!({"g": group})).await["questions"]),
        Vec::<String>::new()
    );
    assert!(
        !ids(&app.ok(outsider, QUESTIONS, json!({})).await["questions"]).contains(&scene.question)
    );
    let question = app
        .gql(Some(outsider), QUESTION, json!({"id": scene.question}))
        .await;
    assert_eq!(error_code(&question), "NOT_FOUND", "{question}");
    live_refused(&app, &scene.outsider, group).await;

    the_member_keeps_everything(&app, &scene, &later, "PRIVATE").await;
}

#[tokio::test]
async fn a_public_group_made_hidden_is_not_found_by_outsiders_who_read_it_before() {
    let app = TestApp::spawn().await;
    let mut scene = public_group_read_from_outside(&app).await;
    let later = owner_makes(&app, &mut scene, "HIDDEN").await;
    let outsider = scene.outsider.access.as_str();
    let group = scene.group.as_str();

    for query in [GROUP_PAGE, GROUP_POSTS, PINNED] {
        let gone = app.gql(Some(outsider), query, json!({"id": group})).await;
        assert_eq!(error_code(&gone), "NOT_FOUND", "{gone}");
    }
    assert!(!ids(&app.ok(outsider, GROUPS, json!({})).await["groups"]).contains(&scene.group));
    for post in [&scene.post, &later] {
        let gone = app.gql(Some(outsider), POST, json!({"id": post})).await;
        assert_eq!(error_code(&gone), "NOT_FOUND", "{gone}");
    }
    assert_eq!(
        ids(&app.ok(outsider, SEARCH, json!({"q": WORD})).await["searchPosts"]),
        Vec::<String>::new()
    );
    let within = app
        .gql(Some(outsider), SEARCH, json!({"q": WORD, "g": group}))
        .await;
    assert_eq!(error_code(&within), "NOT_FOUND", "{within}");
    assert_eq!(
        ids(&app.ok(outsider, QUESTIONS, json!({"g": group})).await["questions"]),
        Vec::<String>::new()
    );
    assert!(
        !ids(&app.ok(outsider, QUESTIONS, json!({})).await["questions"]).contains(&scene.question)
    );
    let question = app
        .gql(Some(outsider), QUESTION, json!({"id": scene.question}))
        .await;
    assert_eq!(error_code(&question), "NOT_FOUND", "{question}");
    // Nor can they walk back in without an invitation.
    assert_eq!(
        error_code(&app.join(&scene.outsider, group).await),
        "NOT_FOUND"
    );
    live_refused(&app, &scene.outsider, group).await;

    the_member_keeps_everything(&app, &scene, &later, "HIDDEN").await;
}

/// Enough between two steps for their timestamps (kept to the microsecond) to differ.
async fn a_moment() {
    tokio::time::sleep(Duration::from_millis(20)).await;
}

async fn ask_to_join(app: &TestApp, who: &Session, group: &str) {
    assert_eq!(
        app.join(who, group).await["data"]["joinGroup"]["state"],
        "PENDING"
    );
    a_moment().await;
}

async fn let_in(app: &TestApp, owner: &Session, group: &str, who: &Session) {
    app.ok(
        &owner.access,
        APPROVE,
        json!({"g": group, "u": who.user_id}),
    )
    .await;
    a_moment().await;
}

/// The group's `memberCount` and members as `who` sees them.
async fn members_seen_by(app: &TestApp, who: &Session, group: &str) -> Value {
    app.ok(&who.access, MEMBERS, json!({"id": group})).await["group"].clone()
}

/// Each member's node, by their id.
fn by_person(group: &Value) -> BTreeMap<String, Value> {
    group["members"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no members in {group}"))
        .iter()
        .map(|node| {
            (
                node["user"]["id"].as_str().unwrap().to_owned(),
                node.clone(),
            )
        })
        .collect()
}

fn roles(group: &Value) -> BTreeMap<String, String> {
    by_person(group)
        .into_iter()
        .map(|(id, node)| (id, node["role"].as_str().unwrap().to_owned()))
        .collect()
}

fn instant(value: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"));
    chrono::DateTime::parse_from_rfc3339(text).unwrap()
}

fn role_map(pairs: &[(&Session, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(who, role)| (who.user_id.clone(), (*role).to_owned()))
        .collect()
}

async fn delete_account(app: &TestApp, who: &Session) {
    let deleted = app
        .ok(
            &who.access,
            DELETE_ACCOUNT,
            json!({"p": PASSWORD, "r": false}),
        )
        .await;
    assert_eq!(deleted["deleteAccount"], true);
}

/// Who is "longest-serving" is read from when each moderator joined (`joinedAt`, set when they
/// became an active member), not from when they asked to join nor from when they were made
/// moderator (nothing records that). So: asked in one order, let in in another, made
/// moderators in a third; and a plain member who joined before both.
#[tokio::test]
async fn an_owner_who_deletes_their_account_hands_the_group_to_the_moderator_who_joined_first() {
    let app = TestApp::spawn().await;
    let owner = app.register("Torch Owner").await;
    let early = app.register("Torch Early").await;
    let senior = app.register("Torch Senior").await;
    let junior = app.register("Torch Junior").await;
    let group = app.create_group(&owner, "Passing Torch", "PRIVATE").await;
    for who in [&junior, &early, &senior] {
        ask_to_join(&app, who, &group).await;
    }
    for who in [&early, &senior, &junior] {
        let_in(&app, &owner, &group, who).await;
    }
    for who in [&junior, &senior] {
        let named = app
            .ok(
                &owner.access,
                SET_ROLE,
                json!({"g": group, "u": who.user_id, "r": "MODERATOR"}),
            )
            .await;
        assert_eq!(named["setMemberRole"]["role"], "MODERATOR");
        a_moment().await;
    }
    let before = by_person(&members_seen_by(&app, &owner, &group).await);
    let joined = |who: &Session| instant(&before[who.user_id.as_str()]["joinedAt"]);
    let asked = |who: &Session| instant(&before[who.user_id.as_str()]["requestedAt"]);
    assert!(joined(&early) < joined(&senior) && joined(&senior) < joined(&junior));
    assert!(asked(&junior) < asked(&early) && asked(&early) < asked(&senior));

    delete_account(&app, &owner).await;

    let after = members_seen_by(&app, &senior, &group).await;
    assert_eq!(after["memberCount"], 3, "{after}");
    assert_eq!(
        roles(&after),
        role_map(&[
            (&senior, "OWNER"),
            (&junior, "MODERATOR"),
            (&early, "MEMBER")
        ]),
        "{after}"
    );
    // The heir has the owner's say; the other moderator still has not.
    let visibility = json!({"id": group, "v": "PUBLIC"});
    let refused = app
        .gql(Some(&junior.access), MAKE, visibility.clone())
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    assert_eq!(
        app.ok(&senior.access, MAKE, visibility).await["updateGroup"]["visibility"],
        "PUBLIC"
    );
}

/// With no moderator, the member who joined first (was let in first, though they asked later)
/// takes the group; someone still waiting to be let in, who asked before everyone, is not in
/// the group and does not.
#[tokio::test]
async fn with_no_moderator_the_member_who_joined_first_becomes_owner() {
    let app = TestApp::spawn().await;
    let owner = app.register("Harbour Owner").await;
    let waiting = app.register("Harbour Waiting").await;
    let asker = app.register("Harbour Asker").await;
    let first = app.register("Harbour First").await;
    let group = app.create_group(&owner, "Quiet Harbour", "PRIVATE").await;
    for who in [&waiting, &asker, &first] {
        ask_to_join(&app, who, &group).await;
    }
    for who in [&first, &asker] {
        let_in(&app, &owner, &group, who).await;
    }
    let before = by_person(&members_seen_by(&app, &owner, &group).await);
    let joined = |who: &Session| instant(&before[who.user_id.as_str()]["joinedAt"]);
    let asked = |who: &Session| instant(&before[who.user_id.as_str()]["requestedAt"]);
    assert!(joined(&first) < joined(&asker));
    assert!(asked(&asker) < asked(&first));

    delete_account(&app, &owner).await;

    let after = members_seen_by(&app, &first, &group).await;
    assert_eq!(after["memberCount"], 2, "{after}");
    assert_eq!(
        roles(&after),
        role_map(&[(&first, "OWNER"), (&asker, "MEMBER")]),
        "{after}"
    );
    assert_eq!(
        app.ok(&waiting.access, GROUP_PAGE, json!({"id": group}))
            .await["group"]["myMembership"],
        json!({"role": "MEMBER", "state": "PENDING"})
    );
    // The new owner sees the request waiting, as its moderators do.
    let requests = app
        .ok(&first.access, JOIN_REQUESTS, json!({"id": group}))
        .await;
    assert_eq!(
        requests["group"]["joinRequests"]["nodes"],
        json!([{"user": {"id": waiting.user_id}}])
    );
}
