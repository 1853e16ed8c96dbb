//! The authorisation matrix: for each visibility × caller × operation, the expected outcome.
//! Something the caller may not see answers NOT_FOUND, exactly like a wrong id.
use crate::support::*;
use serde_json::{json, Value};

pub(crate) const CALLERS: [&str; 8] = [
    "signed out",
    "non-member",
    "pending",
    "member",
    "moderator",
    "owner",
    "banned",
    "blocked by author",
];

pub(crate) struct World {
    pub(crate) group: String,
    pub(crate) post: String,
    pub(crate) tokens: Vec<Option<String>>,
}

pub(crate) async fn world(app: &TestApp, visibility: &str) -> World {
    let tag = visibility.to_lowercase();
    let owner = app.register(&format!("Owner {tag}")).await;
    let people: Vec<Session> = {
        let mut v = Vec::new();
        for role in [
            "Outsider",
            "Pending",
            "Member",
            "Moderator",
            "Banned",
            "Blocked",
        ] {
            v.push(app.register(&format!("{role} {tag}")).await);
        }
        v
    };
    let [outsider, pending, member, moderator, banned, blocked] = &people[..] else {
        unreachable!()
    };
    let group = app
        .create_group(&owner, &format!("Matrix {tag}"), visibility)
        .await;
    let admit = |who: &Session| {
        let (app, owner, group, who) = (app, owner.clone(), group.clone(), who.clone());
        async move {
            match visibility {
                "PUBLIC" => {
                    app.join(&who, &group).await;
                }
                "PRIVATE" => {
                    app.join(&who, &group).await;
                    app.ok(&owner.access, "mutation($g: ID!, $u: ID!) { approveJoinRequest(groupId: $g, userId: $u) }", json!({"g": group, "u": who.user_id})).await;
                }
                _ => {
                    app.ok(
                        &owner.access,
                        "mutation($g: ID!, $u: ID!) { inviteMember(groupId: $g, userId: $u) }",
                        json!({"g": group, "u": who.user_id}),
                    )
                    .await;
                    app.join(&who, &group).await;
                }
            }
        }
    };
    for who in [member, moderator, banned, blocked] {
        admit(who).await;
    }
    // "Pending": a join request in a private group, an open invitation elsewhere.
    if visibility == "PRIVATE" {
        app.join(pending, &group).await;
    } else {
        app.ok(
            &owner.access,
            "mutation($g: ID!, $u: ID!) { inviteMember(groupId: $g, userId: $u) }",
            json!({"g": group, "u": pending.user_id}),
        )
        .await;
    }
    app.ok(&owner.access, "mutation($g: ID!, $u: ID!) { setMemberRole(groupId: $g, userId: $u, role: MODERATOR) { role } }", json!({"g": group, "u": moderator.user_id})).await;
    app.ok(
        &owner.access,
        "mutation($g: ID!, $u: ID!) { banMember(groupId: $g, userId: $u, reason: \"matrix\") }",
        json!({"g": group, "u": banned.user_id}),
    )
    .await;
    let post = app.post(&owner, &group, "The author's post").await;
    app.ok(
        &owner.access,
        "mutation($u: ID!) { blockUser(userId: $u) }",
        json!({"u": blocked.user_id}),
    )
    .await;
    let _ = outsider;
    let mut tokens = vec![
        None,
        Some(outsider.access.clone()),
        Some(pending.access.clone()),
        Some(member.access.clone()),
        Some(moderator.access.clone()),
        Some(owner.access.clone()),
    ];
    tokens.push(Some(banned.access.clone()));
    tokens.push(Some(blocked.access.clone()));
    World {
        group,
        post,
        tokens,
    }
}

/// Outcomes per caller in `CALLERS` order: "ok" or an error code (U = UNAUTHENTICATED,
/// F = FORBIDDEN, N = NOT_FOUND).
fn expand(row: [&str; 8]) -> Vec<&'static str> {
    row.iter()
        .map(|o| match *o {
            "ok" => "ok",
            "U" => "UNAUTHENTICATED",
            "F" => "FORBIDDEN",
            "N" => "NOT_FOUND",
            other => panic!("unknown outcome {other}"),
        })
        .collect()
}

struct Operation {
    name: &'static str,
    query: &'static str,
    public: [&'static str; 8],
    private: [&'static str; 8],
    hidden: [&'static str; 8],
}

/// In the order they run: reads, then writes that leave each caller's standing as it was,
/// then joining.
const OPERATIONS: &[Operation] = &[
    Operation {
        name: "group",
        query: "query($g: ID!) { group(id: $g) { id name } }",
        public: ["U", "ok", "ok", "ok", "ok", "ok", "ok", "ok"],
        private: ["U", "ok", "ok", "ok", "ok", "ok", "ok", "ok"],
        hidden: ["U", "N", "ok", "ok", "ok", "ok", "N", "ok"],
    },
    Operation {
        name: "group.posts",
        query: "query($g: ID!) { group(id: $g) { posts { edges { node { id } } } } }",
        public: ["U", "ok", "ok", "ok", "ok", "ok", "ok", "ok"],
        private: ["U", "F", "F", "ok", "ok", "ok", "F", "ok"],
        hidden: ["U", "N", "F", "ok", "ok", "ok", "N", "ok"],
    },
    Operation {
        name: "group.members",
        query: "query($g: ID!) { group(id: $g) { members { edges { node { role } } } } }",
        public: ["U", "F", "F", "ok", "ok", "ok", "F", "ok"],
        private: ["U", "F", "F", "ok", "ok", "ok", "F", "ok"],
        hidden: ["U", "N", "F", "ok", "ok", "ok", "N", "ok"],
    },
    Operation {
        name: "post",
        query: "query($p: ID!) { post(id: $p) { id title } }",
        public: ["U", "ok", "ok", "ok", "ok", "ok", "ok", "N"],
        private: ["U", "N", "N", "ok", "ok", "ok", "N", "N"],
        hidden: ["U", "N", "N", "ok", "ok", "ok", "N", "N"],
    },
    Operation {
        name: "reports",
        query: "query($g: ID!) { reports(groupId: $g) { edges { node { id } } } }",
        public: ["U", "F", "F", "F", "ok", "ok", "F", "F"],
        private: ["U", "F", "F", "F", "ok", "ok", "F", "F"],
        hidden: ["U", "N", "F", "F", "ok", "ok", "N", "F"],
    },
    Operation {
        name: "createPost",
        query: "mutation($g: ID!) { createPost(input: {groupId: $g, title: \"t\", body: \"b\"}) { id } }",
        public: ["U", "F", "F", "ok", "ok", "ok", "F", "ok"],
        private: ["U", "F", "F", "ok", "ok", "ok", "F", "ok"],
        hidden: ["U", "N", "F", "ok", "ok", "ok", "N", "ok"],
    },
    Operation {
        name: "createReply",
        query: "mutation($p: ID!) { createReply(input: {postId: $p, body: \"r\"}) { id } }",
        public: ["U", "F", "F", "ok", "ok", "ok", "F", "N"],
        private: ["U", "N", "N", "ok", "ok", "ok", "N", "N"],
        hidden: ["U", "N", "N", "ok", "ok", "ok", "N", "N"],
    },
    Operation {
        name: "react",
        query: "mutation($p: ID!) { react(input: {targetType: POST, targetId: $p, kind: SUPPORT}) }",
        public: ["U", "F", "F", "ok", "ok", "ok", "F", "N"],
        private: ["U", "N", "N", "ok", "ok", "ok", "N", "N"],
        hidden: ["U", "N", "N", "ok", "ok", "ok", "N", "N"],
    },
    Operation {
        name: "report",
        query: "mutation($p: ID!) { report(input: {targetType: POST, targetId: $p, reason: \"check\"}) { id } }",
        public: ["U", "ok", "ok", "ok", "ok", "ok", "ok", "N"],
        private: ["U", "N", "N", "ok", "ok", "ok", "N", "N"],
        hidden: ["U", "N", "N", "ok", "ok", "ok", "N", "N"],
    },
    Operation {
        name: "lockPost",
        query: "mutation($p: ID!) { lockPost(id: $p) { locked } }",
        public: ["U", "F", "F", "F", "ok", "ok", "F", "F"],
        private: ["U", "N", "N", "F", "ok", "ok", "N", "F"],
        hidden: ["U", "N", "N", "F", "ok", "ok", "N", "F"],
    },
    Operation {
        name: "joinGroup",
        query: "mutation($g: ID!) { joinGroup(groupId: $g) { state } }",
        public: ["U", "ok", "ok", "ok", "ok", "ok", "F", "ok"],
        private: ["U", "ok", "ok", "ok", "ok", "ok", "F", "ok"],
        hidden: ["U", "N", "ok", "ok", "ok", "ok", "N", "ok"],
    },
];

async fn run_matrix(visibility: &str) {
    let app = TestApp::spawn_with(|s| s.posting_limits.posts_per_hour = 100).await;
    let world = world(&app, visibility).await;
    let vars = json!({"g": world.group, "p": world.post});
    let mut failures = Vec::new();
    for op in OPERATIONS {
        let row = match visibility {
            "PUBLIC" => op.public,
            "PRIVATE" => op.private,
            _ => op.hidden,
        };
        for (i, expected) in expand(row).into_iter().enumerate() {
            let body: Value = app
                .gql(world.tokens[i].as_deref(), op.query, vars.clone())
                .await;
            let got = match body.get("errors") {
                None => "ok".to_owned(),
                Some(_) => error_code(&body).to_owned(),
            };
            if got != expected {
                failures.push(format!(
                    "{visibility} {} as {}: expected {expected}, got {got} ({body})",
                    op.name, CALLERS[i]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn authorisation_matrix_public() {
    run_matrix("PUBLIC").await;
}

#[tokio::test]
async fn authorisation_matrix_private() {
    run_matrix("PRIVATE").await;
}

#[tokio::test]
async fn authorisation_matrix_hidden() {
    run_matrix("HIDDEN").await;
}
