//! What mutations answer, for an app's normalized cache: the changed objects (a reply with its
//! post's new count, an answer with its question), and for a deletion the deleted id beside
//! what the app shows. The Boolean deletions of the released schema keep working, deprecated.
use crate::support::*;
use serde_json::json;

const ASK: &str = "mutation { askQuestion(input: {title: \"How do you rest on bad days?\", body: \"Asking for ideas.\", topic: OTHER}) { id answerCount } }";
const ANSWER: &str = "mutation($q: ID!, $b: String!) { answerQuestion(input: {questionId: $q, body: $b}) { id question { id answerCount } } }";

#[tokio::test]
async fn a_reply_answers_with_its_post_as_it_is_now() {
    let app = TestApp::spawn().await;
    let owner = app.register("Answer Owner").await;
    let group = app
        .create_group(&owner, "Counts in answers", "PUBLIC")
        .await;
    let post = app.post(&owner, &group, "What helps").await;
    let reply = app
        .ok(
            &owner.access,
            "mutation($p: ID!) { createReply(input: {postId: $p, body: \"Walking.\"}) { id post { id replyCount } } }",
            json!({"p": post}),
        )
        .await["createReply"]
        .clone();
    assert_eq!(reply["post"], json!({"id": post, "replyCount": 1}));
    let second = app
        .ok(
            &owner.access,
            "mutation($p: ID!) { createReply(input: {postId: $p, body: \"Tea.\"}) { post { replyCount } } }",
            json!({"p": post}),
        )
        .await;
    assert_eq!(second["createReply"]["post"]["replyCount"], 2);
    let deleted = app
        .ok(
            &owner.access,
            "mutation($r: ID!) { deleteReply(id: $r) { id status post { id replyCount } } }",
            json!({"r": reply["id"]}),
        )
        .await;
    assert_eq!(deleted["deleteReply"]["status"], "DELETED");
    let typed = app
        .ok(
            &owner.access,
            "query($p: ID!) { post(id: $p) { replyCount } }",
            json!({"p": post}),
        )
        .await;
    assert_eq!(
        deleted["deleteReply"]["post"]["replyCount"],
        typed["post"]["replyCount"]
    );
}

#[tokio::test]
async fn deletions_answer_the_deleted_id_and_what_changed_with_it() {
    let app = TestApp::spawn().await;
    let asker = app.register("Deleting Asker").await;
    let helper = app.register("Deleting Helper").await;
    let admin = app.register("Deleting Admin").await;
    app.make_admin(&admin).await;

    // An answer withdrawn by its author: its id, and the question one answer fewer.
    let question = app.ok(&asker.access, ASK, json!({})).await["askQuestion"]["id"].clone();
    let first = app
        .ok(
            &helper.access,
            ANSWER,
            json!({"q": question, "b": "A short walk."}),
        )
        .await["answerQuestion"]
        .clone();
    assert_eq!(first["question"]["answerCount"], 1);
    let second = app
        .ok(
            &helper.access,
            ANSWER,
            json!({"q": question, "b": "Music, low."}),
        )
        .await["answerQuestion"]
        .clone();
    assert_eq!(second["question"]["answerCount"], 2);
    let withdrawn = app
        .ok(
            &helper.access,
            "mutation($a: ID!) { withdrawAnswer(id: $a) { deletedId question { id answerCount } } }",
            json!({"a": first["id"]}),
        )
        .await["withdrawAnswer"]
        .clone();
    assert_eq!(withdrawn["deletedId"], first["id"]);
    assert_eq!(
        withdrawn["question"],
        json!({"id": question, "answerCount": 1})
    );

    // Taken down by a moderator: the same answer.
    let taken = app
        .ok(
            &admin.access,
            "mutation($a: ID!) { takeDownAnswer(id: $a, reason: \"Off topic for this question\") { deletedId question { answerCount } } }",
            json!({"a": second["id"]}),
        )
        .await["takeDownAnswer"]
        .clone();
    assert_eq!(taken["deletedId"], second["id"]);
    assert_eq!(taken["question"]["answerCount"], 0);

    // Someone else's answer is not mine to withdraw, and nothing changes.
    let third = app
        .ok(
            &helper.access,
            ANSWER,
            json!({"q": question, "b": "Sleep early."}),
        )
        .await["answerQuestion"]["id"]
        .clone();
    let refused = app
        .gql(
            Some(&asker.access),
            "mutation($a: ID!) { withdrawAnswer(id: $a) { deletedId } }",
            json!({"a": third}),
        )
        .await;
    assert!(refused.get("errors").is_some(), "{refused}");

    // Questions: withdrawn by the asker, taken down by a moderator; gone from node too.
    let withdrawn = app
        .ok(
            &asker.access,
            "mutation($q: ID!) { withdrawQuestion(id: $q) { deletedId } }",
            json!({"q": question}),
        )
        .await;
    assert_eq!(withdrawn["withdrawQuestion"]["deletedId"], question);
    let gone = app
        .ok(
            &asker.access,
            "query($q: ID!) { node(id: $q) { id } }",
            json!({"q": question}),
        )
        .await;
    assert!(gone["node"].is_null());
    let another = app.ok(&asker.access, ASK, json!({})).await["askQuestion"]["id"].clone();
    let taken = app
        .ok(
            &admin.access,
            "mutation($q: ID!) { takeDownQuestion(id: $q, reason: \"Not a question for here\") { deletedId } }",
            json!({"q": another}),
        )
        .await;
    assert_eq!(taken["takeDownQuestion"]["deletedId"], another);

    // A check-in: its id.
    let checkin = app
        .ok(
            &asker.access,
            "mutation { logMood(input: {score: 3}) { checkin { id } } }",
            json!({}),
        )
        .await["logMood"]["checkin"]["id"]
        .clone();
    let deleted = app
        .ok(
            &asker.access,
            "mutation($c: ID!) { deleteMoodCheckin(id: $c) { deletedId } }",
            json!({"c": checkin}),
        )
        .await;
    assert_eq!(deleted["deleteMoodCheckin"]["deletedId"], checkin);
    let again = app
        .gql(
            Some(&asker.access),
            "mutation($c: ID!) { deleteMoodCheckin(id: $c) { deletedId } }",
            json!({"c": checkin}),
        )
        .await;
    assert_eq!(error_code(&again), "NOT_FOUND");
}

#[tokio::test]
async fn the_released_boolean_deletions_still_work_and_say_what_replaces_them() {
    let app = TestApp::spawn().await;
    let me = app.register("Released App").await;
    let checkin = app
        .ok(
            &me.access,
            "mutation { logMood(input: {score: 7}) { checkin { id } } }",
            json!({}),
        )
        .await["logMood"]["checkin"]["id"]
        .clone();
    let deleted = app
        .ok(
            &me.access,
            "mutation($c: ID!) { deleteMood(id: $c) }",
            json!({"c": checkin}),
        )
        .await;
    assert_eq!(deleted["deleteMood"], true);
    let question = app.ok(&me.access, ASK, json!({})).await["askQuestion"]["id"].clone();
    let deleted = app
        .ok(
            &me.access,
            "mutation($q: ID!) { deleteQuestion(id: $q) }",
            json!({"q": question}),
        )
        .await;
    assert_eq!(deleted["deleteQuestion"], true);

    let fields = app
        .ok(
            &me.access,
            "{ __type(name: \"Mutation\") { fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }",
            json!({}),
        )
        .await;
    let fields = fields["__type"]["fields"].as_array().unwrap();
    for (old, new) in [
        ("deleteMood", "deleteMoodCheckin"),
        ("deleteQuestion", "withdrawQuestion"),
        ("deleteAnswer", "withdrawAnswer"),
        ("removeQuestion", "takeDownQuestion"),
        ("removeAnswer", "takeDownAnswer"),
        ("react", "addReaction"),
        ("unreact", "removeReaction"),
        ("markNotificationsRead", "readNotifications"),
        ("leaveGroup", "quitGroup"),
        ("blockUser", "blockPerson"),
        ("unblockUser", "unblockPerson"),
        ("unregisterDevice", "forgetDevice"),
        ("approveJoinRequest", "acceptJoinRequest"),
        ("declineJoinRequest", "refuseJoinRequest"),
        ("inviteMember", "invitePerson"),
        ("banMember", "banPerson"),
        ("unbanMember", "unbanPerson"),
    ] {
        let field = fields.iter().find(|f| f["name"] == old).unwrap();
        assert_eq!(field["isDeprecated"], true, "{old}");
        assert!(
            field["deprecationReason"]
                .as_str()
                .unwrap()
                .contains(&format!("`{new}`")),
            "{old}: {field}"
        );
    }
}

#[tokio::test]
async fn reactions_and_reading_answer_what_they_changed() {
    let app = TestApp::spawn().await;
    let owner = app.register("Reacting Owner").await;
    let member = app.register("Reacting Member").await;
    let group = app
        .create_group(&owner, "Reactions answered", "PUBLIC")
        .await;
    app.join(&member, &group).await;
    let post = app.post(&owner, &group, "Small wins").await;
    let reply = app.reply(&owner, &post, "I went outside today").await;

    let on_post = app
        .ok(
            &member.access,
            "mutation($p: ID!) { addReaction(input: {targetType: POST, targetId: $p, kind: SUPPORT}) { post { id reactionCounts { kind count } myReactions } reply { id } } }",
            json!({"p": post}),
        )
        .await["addReaction"]
        .clone();
    assert_eq!(on_post["post"]["id"], post);
    assert_eq!(on_post["post"]["myReactions"], json!(["SUPPORT"]));
    let support = |change: &serde_json::Value, on: &str| {
        change[on]["reactionCounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == "SUPPORT")
            .map_or(0, |c| c["count"].as_i64().unwrap())
    };
    assert_eq!(support(&on_post, "post"), 1);
    assert!(on_post["reply"].is_null());
    let taken_back = app
        .ok(
            &member.access,
            "mutation($p: ID!) { removeReaction(input: {targetType: POST, targetId: $p, kind: SUPPORT}) { post { reactionCounts { kind count } myReactions } } }",
            json!({"p": post}),
        )
        .await["removeReaction"]
        .clone();
    assert_eq!(support(&taken_back, "post"), 0);
    assert_eq!(taken_back["post"]["myReactions"], json!([]));
    let on_reply = app
        .ok(
            &member.access,
            "mutation($r: ID!) { addReaction(input: {targetType: REPLY, targetId: $r, kind: SUPPORT}) { post { id } reply { id reactionCounts { kind count } } } }",
            json!({"r": reply}),
        )
        .await["addReaction"]
        .clone();
    assert_eq!(on_reply["reply"]["id"], reply);
    assert_eq!(support(&on_reply, "reply"), 1);
    assert!(on_reply["post"].is_null());

    // The owner was told of the reactions and of nothing else here: read one, then all.
    let inbox = app
        .ok(
            &owner.access,
            "{ notifications { edges { node { id read } } } me { unreadNotificationCount } }",
            json!({}),
        )
        .await;
    let unread = inbox["me"]["unreadNotificationCount"].as_i64().unwrap();
    assert!(unread >= 1, "{inbox}");
    let first = inbox["notifications"]["edges"][0]["node"]["id"].clone();
    let read = app
        .ok(
            &owner.access,
            "mutation($ids: [ID!]) { readNotifications(ids: $ids) { marked notifications { id read } account { unreadNotificationCount } } }",
            json!({"ids": [first]}),
        )
        .await["readNotifications"]
        .clone();
    assert_eq!(read["marked"], 1);
    assert_eq!(read["notifications"], json!([{"id": first, "read": true}]));
    assert_eq!(read["account"]["unreadNotificationCount"], unread - 1);
    let all = app
        .ok(
            &owner.access,
            "mutation { readNotifications(all: true) { marked notifications { id } account { unreadNotificationCount } } }",
            json!({}),
        )
        .await["readNotifications"]
        .clone();
    assert_eq!(all["marked"], unread - 1);
    assert_eq!(all["account"]["unreadNotificationCount"], 0);
    // Someone else's notification is not among mine to read or to show.
    let theirs = app
        .ok(
            &member.access,
            "mutation($ids: [ID!]) { readNotifications(ids: $ids) { marked notifications { id } } }",
            json!({"ids": [first]}),
        )
        .await["readNotifications"]
        .clone();
    assert_eq!(theirs, json!({"marked": 0, "notifications": []}));
}

#[tokio::test]
async fn leaving_blocking_and_forgetting_a_device_answer_what_changed() {
    let app = TestApp::spawn().await;
    let owner = app.register("Quitting Owner").await;
    let member = app.register("Quitting Member").await;
    let public = app.create_group(&owner, "Left in the open", "PUBLIC").await;
    app.join(&member, &public).await;
    let left = app
        .ok(
            &member.access,
            "mutation($g: ID!) { quitGroup(groupId: $g) { groupId group { id memberCount myMembership { state } } } }",
            json!({"g": public}),
        )
        .await["quitGroup"]
        .clone();
    assert_eq!(left["groupId"], public);
    assert_eq!(left["group"]["memberCount"], 1);
    assert!(left["group"]["myMembership"].is_null());
    // A hidden group is no longer mine to see once left.
    let hidden = app.create_group(&owner, "Left unseen", "HIDDEN").await;
    app.invite(&owner, &hidden, &member).await;
    app.join(&member, &hidden).await;
    let left = app
        .ok(
            &member.access,
            "mutation($g: ID!) { quitGroup(groupId: $g) { groupId group { id } } }",
            json!({"g": hidden}),
        )
        .await["quitGroup"]
        .clone();
    assert_eq!(left, json!({"groupId": hidden, "group": null}));

    // Blocking answers my account with the people I blocked.
    let blocked = app
        .ok(
            &owner.access,
            "mutation($u: ID!) { blockPerson(userId: $u) { id blockedUsers { id } } }",
            json!({"u": member.user_id}),
        )
        .await["blockPerson"]
        .clone();
    assert_eq!(blocked["id"], owner.user_id.as_str());
    assert_eq!(blocked["blockedUsers"], json!([{"id": member.user_id}]));
    let unblocked = app
        .ok(
            &owner.access,
            "mutation($u: ID!) { unblockPerson(userId: $u) { blockedUsers { id } } }",
            json!({"u": member.user_id}),
        )
        .await["unblockPerson"]
        .clone();
    assert_eq!(unblocked["blockedUsers"], json!([]));

    // A device forgotten answers its id; a second time there is none.
    let device = app
        .ok(
            &member.access,
            "mutation { registerDevice(input: {token: \"fcm-token-forget\", platform: IOS}) { id } }",
            json!({}),
        )
        .await["registerDevice"]["id"]
        .clone();
    let forgot = app
        .ok(
            &member.access,
            "mutation { forgetDevice(token: \"fcm-token-forget\") { deletedId } }",
            json!({}),
        )
        .await;
    assert_eq!(forgot["forgetDevice"]["deletedId"], device);
    let again = app
        .gql(
            Some(&member.access),
            "mutation { forgetDevice(token: \"fcm-token-forget\") { deletedId } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&again), "NOT_FOUND");
    let listed = app
        .ok(&member.access, "{ me { devices { id } } }", json!({}))
        .await;
    assert_eq!(listed["me"]["devices"], json!([]));
}

#[tokio::test]
async fn a_moderators_decisions_answer_the_group_as_it_is_now() {
    let app = TestApp::spawn().await;
    let owner = app.register("Deciding Owner").await;
    let asker = app.register("Deciding Asker").await;
    let other = app.register("Deciding Other").await;
    let group = app.create_group(&owner, "Decided on", "PRIVATE").await;
    const COUNT: &str = "{ id memberCount }";
    app.join(&asker, &group).await;
    let accepted = app
        .ok(
            &owner.access,
            &format!("mutation($g: ID!, $u: ID!) {{ acceptJoinRequest(groupId: $g, userId: $u) {COUNT} }}"),
            json!({"g": group, "u": asker.user_id}),
        )
        .await;
    assert_eq!(
        accepted["acceptJoinRequest"],
        json!({"id": group, "memberCount": 2})
    );
    app.join(&other, &group).await;
    let refused = app
        .ok(
            &owner.access,
            &format!("mutation($g: ID!, $u: ID!) {{ refuseJoinRequest(groupId: $g, userId: $u) {COUNT} }}"),
            json!({"g": group, "u": other.user_id}),
        )
        .await;
    assert_eq!(refused["refuseJoinRequest"]["memberCount"], 2);
    let invited = app
        .ok(
            &owner.access,
            &format!(
                "mutation($g: ID!, $u: ID!) {{ invitePerson(groupId: $g, userId: $u) {COUNT} }}"
            ),
            json!({"g": group, "u": other.user_id}),
        )
        .await;
    assert_eq!(invited["invitePerson"]["memberCount"], 2);
    let banned = app
        .ok(
            &owner.access,
            &format!("mutation($g: ID!, $u: ID!) {{ banPerson(groupId: $g, userId: $u, reason: \"Harassment\") {COUNT} }}"),
            json!({"g": group, "u": asker.user_id}),
        )
        .await;
    assert_eq!(banned["banPerson"]["memberCount"], 1);
    let unbanned = app
        .ok(
            &owner.access,
            &format!(
                "mutation($g: ID!, $u: ID!) {{ unbanPerson(groupId: $g, userId: $u) {COUNT} }}"
            ),
            json!({"g": group, "u": asker.user_id}),
        )
        .await;
    assert_eq!(unbanned["unbanPerson"]["memberCount"], 1);
    // Not a moderator: refused, as by the released mutations.
    let refused = app
        .gql(
            Some(&other.access),
            &format!(
                "mutation($g: ID!, $u: ID!) {{ invitePerson(groupId: $g, userId: $u) {COUNT} }}"
            ),
            json!({"g": group, "u": asker.user_id}),
        )
        .await;
    assert!(refused.get("errors").is_some(), "{refused}");
}
