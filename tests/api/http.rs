use crate::support::*;
use serde_json::{json, Value};

const REGISTER_DOC: &str = "mutation { register(input: {email: \"get@example.org\", password: \"long enough pass\", displayName: \"Via Get\"}) { status } }";

#[tokio::test]
async fn malformed_requests_get_clear_errors() {
    let app = TestApp::spawn().await;
    let post = |body: Vec<u8>, content_type: &'static str| {
        app.http
            .post(app.url("/graphql"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    let bad_json = post(b"{\"query\": ".to_vec(), "application/json")
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
    let body: Value = bad_json.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");

    let wrong_type = post(b"{ me { id } }".to_vec(), "text/plain").await.unwrap();
    assert_eq!(wrong_type.status(), 415);

    let mut huge = br#"{"query": "{ me { id } }", "variables": {"pad": ""#.to_vec();
    huge.extend(std::iter::repeat_n(b'x', 300 * 1024));
    huge.extend(br#""}}"#);
    let oversize = post(huge, "application/json").await.unwrap();
    assert_eq!(oversize.status(), 413);

    let not_acceptable = app
        .http
        .post(app.url("/graphql"))
        .header("accept", "text/csv")
        .json(&json!({"query": "{ me { id } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(not_acceptable.status(), 406);
}

#[tokio::test]
async fn get_runs_queries_but_never_mutations() {
    let app = TestApp::spawn().await;
    let query = app
        .http
        .get(app.url("/graphql"))
        .query(&[
            ("query", "query Who { me { id } }"),
            ("operationName", "Who"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(query.status(), 200);
    assert_eq!(
        query.json::<Value>().await.unwrap(),
        json!({"data": {"me": null}})
    );

    let mutation = app
        .http
        .get(app.url("/graphql"))
        .query(&[("query", REGISTER_DOC)])
        .send()
        .await
        .unwrap();
    assert_eq!(mutation.status(), 405);
    assert_eq!(mutation.headers()["allow"], "POST");
    // A named mutation without operationName is still the mutation that would run.
    let named = app
        .http
        .get(app.url("/graphql"))
        .query(&[(
            "query",
            "mutation Read { markNotificationsRead(all: true) }",
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(named.status(), 405);
    // Nothing ran: no code was stored; the same registration over POST stores one.
    use sea_orm::{EntityTrait, PaginatorTrait};
    let codes = || entity::email_codes::Entity::find().count(&app.context.db);
    assert_eq!(codes().await.unwrap(), 0);
    let posted = app.gql(None, REGISTER_DOC, json!({})).await;
    assert_eq!(
        posted["data"]["register"]["status"], "CODE_SENT",
        "{posted}"
    );
    assert_eq!(codes().await.unwrap(), 1);

    // A mutation chosen by operationName in a document of several is refused too.
    let doc = format!(
        "query A {{ me {{ id }} }} {}",
        REGISTER_DOC.replacen("mutation", "mutation B", 1)
    );
    let chosen = app
        .http
        .get(app.url("/graphql"))
        .query(&[("query", doc.as_str()), ("operationName", "B")])
        .send()
        .await
        .unwrap();
    assert_eq!(chosen.status(), 405);
}

#[tokio::test]
async fn status_codes_follow_the_graphql_over_http_media_type() {
    let app = TestApp::spawn().await;
    let send = |accept: &'static str, query: &'static str| {
        app.http
            .post(app.url("/graphql"))
            .header("accept", accept)
            .json(&json!({"query": query}))
            .send()
    };
    let invalid = send("application/graphql-response+json", "{ nosuchfield }")
        .await
        .unwrap();
    assert_eq!(invalid.status(), 400);
    assert!(invalid.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/graphql-response+json"));
    let body: Value = invalid.json().await.unwrap();
    assert!(
        body.get("data").is_none(),
        "a request error has no data: {body}"
    );
    assert_eq!(error_code(&body), "BAD_USER_INPUT");

    let legacy = send("application/json", "{ nosuchfield }").await.unwrap();
    assert_eq!(legacy.status(), 200);
    assert!(legacy.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));

    // A field error is still a 200 with data.
    let field_error = send("application/graphql-response+json", "mutation { logout }")
        .await
        .unwrap();
    assert_eq!(field_error.status(), 200);
    let body: Value = field_error.json().await.unwrap();
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn batches_are_capped() {
    let app = TestApp::spawn().await;
    let op = json!({"query": "{ me { id } }"});
    let two = app
        .http
        .post(app.url("/graphql"))
        .json(&json!([op, op]))
        .send()
        .await
        .unwrap();
    assert_eq!(two.status(), 200);
    assert_eq!(
        two.json::<Value>().await.unwrap(),
        json!([{"data": {"me": null}}, {"data": {"me": null}}])
    );

    let eleven: Vec<Value> = std::iter::repeat_n(op.clone(), 11).collect();
    let refused = app
        .http
        .post(app.url("/graphql"))
        .json(&eleven)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(
        error_code(&refused.json::<Value>().await.unwrap()),
        "BAD_USER_INPUT"
    );
}

#[tokio::test]
async fn deep_queries_are_refused() {
    let app = TestApp::spawn().await;
    let mut deep = String::from("name");
    for _ in 0..20 {
        deep = format!("ofType {{ {deep} }}");
    }
    let body = app
        .gql(
            None,
            &format!("{{ __type(name: \"Account\") {{ {deep} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{body}"
    );
}

#[tokio::test]
async fn graphiql_and_introspection_in_development() {
    let app = TestApp::spawn().await;
    let page = app
        .http
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("graphiql"));
    // The introspection query GraphiQL sends fits the depth limit.
    let types = app
        .gql(None, "{ __schema { types { name fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }", json!({}))
        .await;
    assert!(types["data"]["__schema"]["types"].is_array(), "{types}");
}

#[tokio::test]
async fn production_hides_graphiql_introspection_and_suggestions() {
    let app = TestApp::spawn_with(|s| s.env = api::config::Environment::Production).await;
    let page = app
        .http
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 400);
    // Nor its files.
    for file in ["graphiql.min.js", "start.js"] {
        let asset = app
            .http
            .get(app.url(&format!("/graphiql/{file}")))
            .send()
            .await
            .unwrap();
        assert_eq!(asset.status(), 404, "{file}");
    }
    let introspection = app
        .gql(None, "{ __schema { types { name } } }", json!({}))
        .await;
    assert!(
        introspection["data"]["__schema"].is_null() || introspection.get("errors").is_some(),
        "{introspection}"
    );
    let typo = app.gql(None, "{ mee { id } }", json!({})).await;
    let message = typo["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
}

#[tokio::test]
async fn responses_are_compressed_when_asked() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .build()
        .unwrap();
    let big_query = "{ __schema { types { name description fields { name description } } } }";
    for encoding in ["gzip", "br"] {
        let response = client
            .post(app.url("/graphql"))
            .header("accept-encoding", encoding)
            .json(&json!({"query": big_query}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-encoding"], encoding);
        assert_eq!(response.headers()["vary"], "accept-encoding");
        let small = client
            .post(app.url("/graphql"))
            .header("accept-encoding", encoding)
            .json(&json!({"query": "{ __typename }"}))
            .send()
            .await
            .unwrap();
        assert!(small.headers().get("content-encoding").is_none());
        assert_eq!(
            small.text().await.unwrap(),
            r#"{"data":{"__typename":"Query"}}"#
        );
    }
    // What is sent decodes to the answer: a client that decodes brotli, and one that only
    // decodes gzip.
    let plain = client
        .post(app.url("/graphql"))
        .json(&json!({"query": big_query}))
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain: Value = plain.json().await.unwrap();
    for decoding in [
        reqwest::Client::new(),
        reqwest::Client::builder().no_brotli().build().unwrap(),
    ] {
        let decoded: Value = decoding
            .post(app.url("/graphql"))
            .json(&json!({"query": big_query}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(decoded, plain);
    }
}

#[tokio::test]
async fn internal_causes_never_reach_the_client() {
    let app = TestApp::spawn().await;
    let ana = app.register("Private Newt").await;
    // Break the database under a live request: the client sees INTERNAL and nothing more.
    use sea_orm::ConnectionTrait;
    app.context
        .db
        .execute_unprepared("DROP TABLE devices")
        .await
        .unwrap();
    let body = app.me(Some(&ana.access)).await;
    assert_eq!(body["errors"][0]["message"], "internal error");
    assert_eq!(body["errors"][0]["extensions"], json!({"code": "INTERNAL"}));
}
