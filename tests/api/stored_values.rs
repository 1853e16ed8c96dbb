//! Values kept as text are read as their types: a stored text that is none of the type's values
//! is an error, never quietly read as some default (an unknown visibility must not make a hidden
//! group public, an unknown role must not be read as a plain member).
use crate::support::*;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;

async fn corrupt(app: &TestApp, sql: &str, id: &str) {
    let backend = app.context.db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => sql.replace('?', "$1"),
        _ => sql.to_owned(),
    };
    app.context
        .db
        .execute_raw(Statement::from_sql_and_values(backend, sql, [id.into()]))
        .await
        .unwrap();
    // Written behind the server's back: the versions it changed are checked now rather than
    // within the bound.
    app.context.after_writes.written().await;
}

#[tokio::test]
async fn an_unknown_stored_value_is_an_error_not_a_default() {
    let app = TestApp::spawn().await;
    let owner = app.register("Owner").await;
    let group = app.create_group(&owner, "Night owls", "HIDDEN").await;
    let read = "query($id: ID!) { group(id: $id) { name visibility myMembership { role } } }";

    let before = app.ok(&owner.access, read, json!({"id": group})).await;
    assert_eq!(before["group"]["visibility"], "HIDDEN");
    assert_eq!(before["group"]["myMembership"]["role"], "OWNER");

    // Each corruption, the default it must not be read as, and the repair before the next.
    let cases = [
        (
            "UPDATE memberships SET role = 'WIZARD' WHERE group_id = ?",
            "MEMBER",
            "UPDATE memberships SET role = 'OWNER' WHERE group_id = ?",
        ),
        (
            "UPDATE groups SET visibility = 'SECRET' WHERE id = ?",
            "PUBLIC",
            "UPDATE groups SET visibility = 'HIDDEN' WHERE id = ?",
        ),
    ];
    for (corruption, default, repair) in cases {
        corrupt(&app, corruption, &group).await;
        let body = app
            .gql(Some(&owner.access), read, json!({"id": group}))
            .await;
        assert_eq!(error_code(&body), "INTERNAL", "{body}");
        assert!(!body.to_string().contains(default), "{body}");
        corrupt(&app, repair, &group).await;
    }
}
