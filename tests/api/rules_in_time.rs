//! Rules with an end: bans that run out, invite codes that expire, and what a ban keeps shut.
use crate::support::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

const BAN: &str = "mutation($g: ID!, $u: ID!, $until: DateTime) { banMember(groupId: $g, userId: $u, until: $until, reason: \"cooling off\") }";
const CODE: &str =
    "mutation($g: ID!) { createInviteCode(groupId: $g, validHours: 1) { code expiresAt } }";
const REDEEM: &str = "mutation($c: String!) { joinWithInviteCode(code: $c) { id } }";

/// A fresh invite code to the group, made by its owner.
async fn invite_code(app: &TestApp, owner: &Session, group: &str) -> String {
    app.ok(&owner.access, CODE, json!({"g": group})).await["createInviteCode"]["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Moves every ban in the group into the past, as if its time had run out.
async fn let_bans_run_out(app: &TestApp, group: &str) {
    entity::bans::Entity::update_many()
        .col_expr(
            entity::bans::Column::Until,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .filter(entity::bans::Column::GroupId.eq(group))
        .exec(&app.context.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_ban_that_runs_out_lets_the_person_back() {
    let app = TestApp::spawn().await;
    let owner = app.register("Timed Owner").await;
    let ana = app.register("Timed Guest").await;
    let group = app.create_group(&owner, "Timed Bans", "PUBLIC").await;
    app.join(&ana, &group).await;
    let until = chrono::Utc::now() + chrono::Duration::days(1);
    app.ok(
        &owner.access,
        BAN,
        json!({"g": group, "u": ana.user_id, "until": until}),
    )
    .await;
    // While it lasts: no way back in, by joining or by a code.
    assert_eq!(error_code(&app.join(&ana, &group).await), "FORBIDDEN");
    let code = invite_code(&app, &owner, &group).await;
    let redeemed = app.gql(Some(&ana.access), REDEEM, json!({"c": code})).await;
    assert_eq!(error_code(&redeemed), "FORBIDDEN", "{redeemed}");

    let_bans_run_out(&app, &group).await;
    let back = app.join(&ana, &group).await;
    assert_eq!(back["data"]["joinGroup"]["state"], "ACTIVE", "{back}");
    app.post(&ana, &group, "Back again").await;
}

#[tokio::test]
async fn a_ban_for_good_keeps_the_code_shut() {
    let app = TestApp::spawn().await;
    let owner = app.register("Forever Owner").await;
    let ana = app.register("Forever Guest").await;
    let group = app.create_group(&owner, "For Good", "HIDDEN").await;
    app.invite(&owner, &group, &ana).await;
    app.join(&ana, &group).await;
    app.ok(
        &owner.access,
        BAN,
        json!({"g": group, "u": ana.user_id, "until": null}),
    )
    .await;
    let code = invite_code(&app, &owner, &group).await;
    let redeemed = app.gql(Some(&ana.access), REDEEM, json!({"c": code})).await;
    assert_eq!(error_code(&redeemed), "FORBIDDEN", "{redeemed}");
    // Someone else uses the same code: it works, so the refusal was the ban's.
    let bo = app.register("Forever Other").await;
    let joined = app.ok(&bo.access, REDEEM, json!({"c": code})).await;
    assert_eq!(joined["joinWithInviteCode"]["id"], json!(group));
}

#[tokio::test]
async fn an_expired_invite_code_is_refused() {
    let app = TestApp::spawn().await;
    let owner = app.register("Code Owner").await;
    let ana = app.register("Code Late").await;
    let group = app.create_group(&owner, "Expiring Codes", "HIDDEN").await;
    let code = invite_code(&app, &owner, &group).await;
    entity::invite_codes::Entity::update_many()
        .col_expr(
            entity::invite_codes::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(entity::invite_codes::Column::GroupId.eq(group.as_str()))
        .exec(&app.context.db)
        .await
        .unwrap();
    let late = app.gql(Some(&ana.access), REDEEM, json!({"c": code})).await;
    assert_eq!(error_code(&late), "NOT_FOUND", "{late}");
    let seen = app
        .gql(
            Some(&ana.access),
            "query($g: ID!) { group(id: $g) { id } }",
            json!({"g": group}),
        )
        .await;
    assert_eq!(
        error_code(&seen),
        "NOT_FOUND",
        "the hidden group stays hidden: {seen}"
    );
}
