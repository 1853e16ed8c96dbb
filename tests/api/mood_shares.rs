use crate::support::*;
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

const CREATE: &str = "mutation($i: CreateMoodShareInput!) { createMoodShare(input: $i) { token share { id label includeNotes active accessCount lastAccessedAt } } }";
const SHARED: &str = "query($t: String!, $f: Date!, $to: Date!) { sharedMood(token: $t, from: $f, to: $to, bucket: DAY) {
    label includesNotes checkins { score note emotions localDate }
    summary { checkinCount averageScore daysWithGroupActivity { days } buckets { checkinCount postsWritten } } } }";

async fn share(app: &TestApp, who: &Session, include_notes: bool) -> (String, String) {
    let created = app
        .ok(
            &who.access,
            CREATE,
            json!({"i": {"label": "Dr Okafor", "expiresAt": Utc::now() + Duration::days(30), "includeNotes": include_notes}}),
        )
        .await;
    (
        created["createMoodShare"]["token"]
            .as_str()
            .unwrap()
            .to_owned(),
        created["createMoodShare"]["share"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

fn range() -> Value {
    let today = Utc::now().date_naive();
    json!({"f": (today - Duration::days(2)).to_string(), "to": today.to_string()})
}

async fn open(app: &TestApp, token: &str) -> Value {
    let mut variables = range();
    variables["t"] = json!(token);
    app.gql(None, SHARED, variables).await
}

#[tokio::test]
async fn a_share_shows_moods_and_nothing_else_until_revoked() {
    let app = TestApp::spawn().await;
    let ana = app.register("Share Owner").await;
    let eve = app.register("Share Stranger").await;
    for (score, note) in [(4, "rough morning"), (8, "better after the group")] {
        app.ok(
            &ana.access,
            "mutation($i: LogMoodInput!) { logMood(input: $i) { checkin { id } } }",
            json!({"i": {"score": score, "note": note, "emotions": ["CALM"]}}),
        )
        .await;
    }
    let (token, id) = share(&app, &ana, false).await;

    // Anyone holding the token, no account needed: scores, no notes, no group activity.
    let seen = open(&app, &token).await;
    let view = &seen["data"]["sharedMood"];
    assert_eq!(view["label"], "Dr Okafor", "{seen}");
    assert_eq!(view["includesNotes"], false);
    assert_eq!(
        view["checkins"],
        json!([
            {"score": 8, "note": null, "emotions": ["CALM"], "localDate": Utc::now().date_naive().to_string()},
            {"score": 4, "note": null, "emotions": ["CALM"], "localDate": Utc::now().date_naive().to_string()},
        ])
    );
    assert_eq!(view["summary"]["checkinCount"], 2);
    assert_eq!(view["summary"]["averageScore"], 6.0);
    assert_eq!(view["summary"]["daysWithGroupActivity"], Value::Null);
    assert_eq!(view["summary"]["buckets"][2]["postsWritten"], Value::Null);
    assert!(!seen.to_string().contains("rough morning"));

    // With notes included, the notes come too.
    let (with_notes, _) = share(&app, &ana, true).await;
    let noted = open(&app, &with_notes).await;
    assert_eq!(
        noted["data"]["sharedMood"]["checkins"][1]["note"],
        "rough morning"
    );

    // The owner sees when it was used; each use is a row with a time and the share, nothing more.
    let mine = app
        .ok(
            &ana.access,
            "query { moodShares { id label active accessCount lastAccessedAt } }",
            json!({}),
        )
        .await;
    let listed = mine["moodShares"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    let first = listed.iter().find(|s| s["id"] == id.as_str()).unwrap();
    assert_eq!(first["accessCount"], 1);
    assert!(first["lastAccessedAt"].is_string());
    let accesses = entity::mood_share_accesses::Entity::find()
        .filter(entity::mood_share_accesses::Column::ShareId.eq(id.as_str()))
        .count(&app.context.db)
        .await
        .unwrap();
    assert_eq!(accesses, 1);

    // Nobody else sees or ends it.
    let theirs = app
        .ok(&eve.access, "query { moodShares { id } }", json!({}))
        .await;
    assert_eq!(theirs["moodShares"], json!([]));
    let revoke = "mutation($id: ID!) { revokeMoodShare(id: $id) { active revokedAt } }";
    let refused = app.gql(Some(&eve.access), revoke, json!({"id": id})).await;
    assert_eq!(error_code(&refused), "NOT_FOUND");
    assert!(open(&app, &token).await.get("errors").is_none());

    let revoked = app.ok(&ana.access, revoke, json!({"id": id})).await;
    assert_eq!(revoked["revokeMoodShare"]["active"], false);
    assert_eq!(error_code(&open(&app, &token).await), "NOT_FOUND");
    assert_eq!(error_code(&open(&app, "not-a-token").await), "NOT_FOUND");
}

#[tokio::test]
async fn an_expired_share_is_not_found_and_shares_are_bounded() {
    let app = TestApp::spawn().await;
    let ana = app.register("Share Expiry").await;
    let (token, id) = share(&app, &ana, false).await;
    assert!(open(&app, &token).await.get("errors").is_none());
    entity::mood_shares::Entity::update_many()
        .col_expr(
            entity::mood_shares::Column::ExpiresAt,
            Expr::value(Utc::now() - Duration::seconds(1)),
        )
        .filter(entity::mood_shares::Column::Id.eq(id.as_str()))
        .exec(&app.context.db)
        .await
        .unwrap();
    assert_eq!(error_code(&open(&app, &token).await), "NOT_FOUND");

    for expires in [
        Utc::now() - Duration::minutes(1),
        Utc::now() + Duration::days(400),
    ] {
        let body = app
            .gql(
                Some(&ana.access),
                CREATE,
                json!({"i": {"label": "Someone", "expiresAt": expires}}),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    }
    let anonymous = app
        .gql(
            None,
            CREATE,
            json!({"i": {"label": "Someone", "expiresAt": Utc::now() + Duration::days(1)}}),
        )
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}
