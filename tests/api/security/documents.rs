//! A document's cost is bounded before anything runs.
use crate::support::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const BUDGET: &str = "10000";

/// Fragments that spread the one below ten times each, `levels` deep: 10^levels fields.
fn exploding(levels: usize, leaf: &str) -> String {
    let mut query = format!("query {{ ...F{levels} }}\nfragment F0 on Query {{ {leaf} }}\n");
    for level in 1..=levels {
        let spreads = format!(" ...F{}", level - 1).repeat(10);
        query.push_str(&format!("fragment F{level} on Query {{{spreads} }}\n"));
    }
    query
}

fn assert_too_complex(body: &Value) {
    assert_eq!(error_code(body), "QUERY_TOO_COMPLEX", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(BUDGET), "the budget is named: {message}");
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
}

#[tokio::test]
async fn exploding_fragments_are_refused_before_anything_runs() {
    let app = TestApp::spawn().await;
    for levels in [5, 7, 9] {
        let started = Instant::now();
        let body = app
            .gql(None, &exploding(levels, "__typename"), json!({}))
            .await;
        assert_too_complex(&body);
        // A refusal is cheap whatever the document would cost (10^9 fields here at most).
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{levels}: {:?}",
            started.elapsed()
        );
    }
    // Under the budget, the same shape runs: 10^3 `__typename`s.
    let body = app.gql(None, &exploding(3, "__typename"), json!({})).await;
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
}

#[tokio::test]
async fn mutations_over_budget_write_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.register("Budget Owner").await;
    let creates: String = (0..11)
        .map(|n| {
            format!(
                r#" g{n}: createGroup(input: {{name: "Group {n}", description: "d", topic: "DEPRESSION", visibility: PUBLIC, ledBy: PEER}}) {{ id }}"#
            )
        })
        .collect();
    let body = app
        .gql(
            Some(&owner.access),
            &format!("mutation {{{creates} }}"),
            json!({}),
        )
        .await;
    assert_too_complex(&body);
    let mine = app
        .ok(
            &owner.access,
            "{ groups(first: 100) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(mine["groups"]["edges"], json!([]), "nothing was created");
}

#[tokio::test]
async fn aliases_and_pages_count() {
    let app = TestApp::spawn().await;
    let ana = app.register("Alias Counter").await;
    // 100 summaries of 800 days would answer megabytes; refused up front.
    let summaries: String = (0..100)
        .map(|n| {
            format!(
                r#" s{n}: moodSummary(from: "2024-01-01", to: "2026-03-10") {{ buckets {{ start checkinCount averageScore }} }}"#
            )
        })
        .collect();
    let body = app
        .gql(Some(&ana.access), &format!("{{{summaries} }}"), json!({}))
        .await;
    assert_too_complex(&body);
    // One of them is an ordinary screen.
    let one = app
        .ok(
            &ana.access,
            r#"{ moodSummary(from: "2024-01-01", to: "2026-03-10") { buckets { start checkinCount averageScore } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(one["moodSummary"]["buckets"].as_array().unwrap().len(), 800);

    // Pages given through variables weigh as much as literals: 100 posts x 100 replies each.
    let nested = "query($n: Int) { feed(first: $n) { edges { node { id replies(first: $n) { edges { node { id body } } } } } } }";
    assert_too_complex(&app.gql(Some(&ana.access), nested, json!({"n": 100})).await);
    let small = app.ok(&ana.access, nested, json!({"n": 5})).await;
    assert_eq!(small["feed"]["edges"], json!([]));

    // `__typename` counts like any field: 11 x 1 000 of them.
    let names = " __typename".repeat(1_000);
    let spreads = " ...T".repeat(11);
    let typenames = format!("{{{spreads} }} fragment T on Query {{{names} }}");
    assert_too_complex(&app.gql(None, &typenames, json!({})).await);
}

#[tokio::test]
async fn a_document_longer_than_a_person_writes_is_refused_unparsed() {
    let app = TestApp::spawn().await;
    let aliases: String = (0..3_000).map(|n| format!(" a{n}: __typename")).collect();
    let body = app.gql(None, &format!("{{{aliases} }}"), json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("5000 tokens"));
    // Long text in one string is one token: a long post body is not refused for it.
    let ana = app.register("Long Writer").await;
    let group = app.create_group(&ana, "Long Reads", "PUBLIC").await;
    let body_text = "word ".repeat(3_000);
    let literal = format!(
        r#"mutation {{ createPost(input: {{groupId: "{group}", title: "Long", body: "{body_text}"}}) {{ id }} }}"#
    );
    let created = app.ok(&ana.access, &literal, json!({})).await;
    assert!(created["createPost"]["id"].is_string());
}

#[tokio::test]
async fn cycles_and_deep_fragment_chains_are_refused() {
    let app = TestApp::spawn().await;
    let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
    let body = app.gql(None, cycle, json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
    let mut chain = String::from("{ ...F0 }");
    for n in 0..40 {
        chain.push_str(&format!(" fragment F{n} on Query {{ ...F{} }}", n + 1));
    }
    chain.push_str(" fragment F40 on Query { __typename }");
    let body = app.gql(None, &chain, json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
}

#[tokio::test]
async fn graphiql_can_still_read_the_schema_in_development() {
    let app = TestApp::spawn().await;
    let introspection = r#"query IntrospectionQuery { __schema {
        queryType { name } mutationType { name } subscriptionType { name }
        types { ...FullType } directives { name description locations args { ...InputValue } } } }
      fragment FullType on __Type { kind name description
        fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
        inputFields { ...InputValue } interfaces { ...TypeRef }
        enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
        possibleTypes { ...TypeRef } }
      fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
      fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name
        ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }"#;
    let body = app.gql(None, introspection, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert!(body["data"]["__schema"]["types"].as_array().unwrap().len() > 50);
}

#[tokio::test]
async fn a_socket_applies_the_same_budget() {
    let app = TestApp::spawn().await;
    let ana = app.register("Socket Budget").await;
    let mut socket = app.socket().await;
    socket.init(&ana.access).await;
    assert_eq!(
        socket.expect_json(Duration::from_secs(5)).await["type"],
        "connection_ack"
    );
    socket
        .start("1", &exploding(8, "__typename"), json!({}))
        .await;
    let next = socket.expect_json(Duration::from_secs(5)).await;
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(error_code(&next["payload"]), "QUERY_TOO_COMPLEX");
    // The socket stays usable.
    socket.start("2", "{ me { displayName } }", json!({})).await;
    let mut answer = socket.expect_json(Duration::from_secs(5)).await;
    while answer["id"] != "2" || answer["type"] != "next" {
        answer = socket.expect_json(Duration::from_secs(5)).await;
    }
    assert_eq!(
        answer["payload"]["data"]["me"]["displayName"],
        "Socket Budget"
    );
}
