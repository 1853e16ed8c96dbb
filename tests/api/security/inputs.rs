//! No input reaches a panic or an internal error: dates at chrono's ends, NUL, surrogates, huge
//! and negative numbers, long strings, in every argument and input field of the schema.
use crate::support::*;
use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};
use chrono::Utc;
use futures::StreamExt as _;
use serde_json::{json, Value};
use std::collections::HashMap;

const FAR_FUTURE_DAY: &str = "+262142-12-31";

#[tokio::test]
async fn dates_at_the_ends_of_the_calendar_are_bad_input() {
    let app = TestApp::spawn().await;
    let ana = app.register("Calendar End").await;
    let summary = "query($f: Date!, $t: Date!) { moodSummary(from: $f, to: $t) { checkinCount } }";
    for (from, to, field) in [
        ("2026-01-01", FAR_FUTURE_DAY, "to"),
        (FAR_FUTURE_DAY, FAR_FUTURE_DAY, "from"),
        ("-262143-01-01", "2026-01-01", "from"),
    ] {
        let body = app
            .gql(Some(&ana.access), summary, json!({"f": from, "t": to}))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    let checkins = "query($f: DateTime) { moodCheckins(from: $f) { edges { cursor } } }";
    let body = app
        .gql(
            Some(&ana.access),
            checkins,
            json!({"f": "+262142-12-31T23:59:59Z"}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "from");
}

#[tokio::test]
async fn a_refused_shared_mood_range_is_not_counted_as_an_access() {
    let app = TestApp::spawn().await;
    let ana = app.register("Share Range").await;
    let created = app
        .ok(
            &ana.access,
            "mutation($i: CreateMoodShareInput!) { createMoodShare(input: $i) { token } }",
            json!({"i": {"label": "Dr Okafor", "expiresAt": Utc::now() + chrono::Duration::days(3)}}),
        )
        .await;
    let token = created["createMoodShare"]["token"].as_str().unwrap();
    let body = app
        .gql(
            None,
            "query($t: String!, $f: Date!, $to: Date!) { sharedMood(token: $t, from: $f, to: $to) { label } }",
            json!({"t": token, "f": FAR_FUTURE_DAY, "to": FAR_FUTURE_DAY}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let shares = app
        .ok(&ana.access, "{ moodShares { accessCount } }", json!({}))
        .await;
    assert_eq!(shares["moodShares"][0]["accessCount"], 0);
}

#[tokio::test]
async fn nul_in_any_text_is_bad_input_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let ana = app.register("Nul Writer").await;
    let group = app.create_group(&ana, "Nul Group", "PUBLIC").await;
    let create = "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }";
    let body = app
        .gql(
            Some(&ana.access),
            create,
            json!({"i": {"groupId": group, "title": "fine", "body": "a\u{0}b"}}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "body");
    // The same in a literal of the document.
    let literal = format!(
        r#"mutation {{ createPost(input: {{groupId: "{group}", title: "a\u0000b", body: "fine"}}) {{ id }} }}"#
    );
    let body = app.gql(Some(&ana.access), &literal, json!({})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "title");
    let posts = app
        .ok(
            &ana.access,
            "query($g: ID!) { group(id: $g) { posts { edges { node { id } } } } }",
            json!({"g": group}),
        )
        .await;
    assert_eq!(posts["group"]["posts"]["edges"], json!([]));
}

#[tokio::test]
async fn surrogate_escapes_in_a_document_are_answered() {
    let app = TestApp::spawn().await;
    // GraphQL strings cannot carry UTF-16 surrogates; the parser refuses them.
    for query in [
        r#"{ groups(search: "\uD800") { totalCount } }"#,
        r#"{ groups(search: "\uD83D\uDE00") { totalCount } }"#,
    ] {
        let body = app.gql(None, query, json!({})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        let get = app
            .http
            .get(app.url("/graphql"))
            .query(&[("query", query)])
            .send()
            .await
            .unwrap();
        let body: Value = get.json().await.unwrap();
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    }
    // A lone surrogate in JSON variables is not JSON text: the request itself is refused.
    let response = app
        .http
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(r#"{"query":"query($s: String) { groups(search: $s) { totalCount } }","variables":{"s":"\ud800"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(
        app.gql(None, "{ __typename }", json!({})).await["data"]["__typename"],
        "Query"
    );
}

/// The schema's shape, read from the SDL the server serves.
struct Shape {
    objects: HashMap<String, Vec<Field>>,
    inputs: HashMap<String, Vec<Arg>>,
    enums: HashMap<String, Vec<String>>,
}

struct Field {
    name: String,
    args: Vec<Arg>,
    composite: bool,
}

#[derive(Clone)]
struct Arg {
    name: String,
    ty: String,
    list: bool,
    /// The type as written in a variable definition.
    written: String,
}

fn shape() -> Shape {
    let document = async_graphql::parser::parse_schema(api::schema::sdl()).unwrap();
    let mut shape = Shape {
        objects: HashMap::new(),
        inputs: HashMap::new(),
        enums: HashMap::new(),
    };
    let arg = |v: &async_graphql::parser::types::InputValueDefinition| {
        let (ty, list) = match &v.ty.node.base {
            BaseType::Named(name) => (name.to_string(), false),
            BaseType::List(inner) => (inner.base.to_string(), true),
        };
        Arg {
            name: v.name.node.to_string(),
            ty,
            list,
            written: v.ty.node.to_string(),
        }
    };
    for definition in document.definitions {
        let TypeSystemDefinition::Type(definition) = definition else {
            continue;
        };
        let name = definition.node.name.node.to_string();
        match definition.node.kind {
            TypeKind::Object(object) => {
                let fields = object
                    .fields
                    .iter()
                    .map(|f| Field {
                        name: f.node.name.node.to_string(),
                        args: f.node.arguments.iter().map(|a| arg(&a.node)).collect(),
                        composite: false,
                    })
                    .collect();
                shape.objects.insert(name, fields);
            }
            TypeKind::InputObject(input) => {
                let fields = input.fields.iter().map(|f| arg(&f.node)).collect();
                shape.inputs.insert(name, fields);
            }
            TypeKind::Enum(values) => {
                let values = values
                    .values
                    .iter()
                    .map(|v| v.node.value.node.to_string())
                    .collect();
                shape.enums.insert(name, values);
            }
            _ => {}
        }
    }
    // Which fields need a selection: those returning an object, interface or union.
    let returns: HashMap<String, bool> = async_graphql::parser::parse_schema(api::schema::sdl())
        .unwrap()
        .definitions
        .into_iter()
        .filter_map(|d| match d {
            TypeSystemDefinition::Type(t) => Some((
                t.node.name.node.to_string(),
                matches!(
                    t.node.kind,
                    TypeKind::Object(_) | TypeKind::Interface(_) | TypeKind::Union(_)
                ),
            )),
            _ => None,
        })
        .collect();
    let document = async_graphql::parser::parse_schema(api::schema::sdl()).unwrap();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(definition) = definition else {
            continue;
        };
        let TypeKind::Object(object) = definition.node.kind else {
            continue;
        };
        let fields = shape
            .objects
            .get_mut(definition.node.name.node.as_str())
            .unwrap();
        for (field, defined) in fields.iter_mut().zip(object.fields) {
            let mut base = &defined.node.ty.node.base;
            while let BaseType::List(inner) = base {
                base = &inner.base;
            }
            field.composite = returns.get(&base.to_string()).copied().unwrap_or(false);
        }
    }
    shape
}

/// Real ids to aim at, so that calls get past "not found" into the code behind it.
struct Targets {
    group: String,
    post: String,
    reply: String,
    user: String,
}

impl Shape {
    /// An ordinary value for an argument, input objects filled in whole.
    fn ordinary(&self, arg: &Arg, targets: &Targets) -> Value {
        let one = match arg.ty.as_str() {
            "ID" => json!(match arg.name.as_str() {
                "postId" | "id" => &targets.post,
                "replyId" | "parentReplyId" => &targets.reply,
                "userId" => &targets.user,
                _ => &targets.group,
            }),
            "String" => json!(match arg.name.as_str() {
                "email" => "fuzz.target@example.org",
                "password" | "currentPassword" | "newPassword" => PASSWORD,
                "timezone" => "Europe/London",
                "country" => "GB",
                "localTime" | "start" | "end" => "21:30",
                _ => "An ordinary sentence",
            }),
            "Int" => json!(1),
            "Float" => json!(1.0),
            "Boolean" => json!(true),
            "DateTime" => json!(Utc::now() + chrono::Duration::days(1)),
            "Date" => json!(Utc::now().date_naive()),
            other => match (self.enums.get(other), self.inputs.get(other)) {
                (Some(values), _) => json!(values[0]),
                (_, Some(fields)) => Value::Object(
                    fields
                        .iter()
                        .map(|f| (f.name.clone(), self.ordinary(f, targets)))
                        .collect(),
                ),
                _ => Value::Null,
            },
        };
        if arg.list {
            json!([one])
        } else {
            one
        }
    }

    /// Every position of a scalar inside an argument: a path of input field names.
    fn slots(&self, arg: &Arg, path: Vec<String>, out: &mut Vec<(Vec<String>, Arg)>) {
        if let Some(fields) = self.inputs.get(&arg.ty) {
            if !arg.list {
                for field in fields {
                    let mut inner = path.clone();
                    inner.push(field.name.clone());
                    self.slots(field, inner, out);
                }
            }
        } else if !self.enums.contains_key(&arg.ty) && arg.ty != "Boolean" {
            out.push((path, arg.clone()));
        }
    }
}

/// Values at and past the edge of each scalar type.
fn extremes(arg: &Arg) -> Vec<Value> {
    let mut values = match arg.ty.as_str() {
        "String" | "ID" => vec![
            json!(""),
            json!("   "),
            json!("a\u{0}b"),
            json!("\u{202E}\u{0301}\u{FEFF}"),
            json!("😀".repeat(2_000)),
            json!("x".repeat(60_000)),
            json!("'; DROP TABLE users; --"),
        ],
        "Int" => vec![
            json!(i32::MIN),
            json!(-1),
            json!(0),
            json!(i32::MAX),
            json!(1_i64 << 40),
        ],
        "Float" => vec![
            json!(-1e308),
            json!(1e308),
            json!(-0.0),
            json!(5e-324),
            json!(1e-9),
        ],
        "DateTime" => vec![
            json!("+262142-12-31T23:59:59Z"),
            json!("-262143-01-01T00:00:00Z"),
            json!("0000-01-01T00:00:00Z"),
            json!("9999-12-31T23:59:59Z"),
            json!("1969-12-31T23:59:59Z"),
            json!("2026-02-30T25:61:00Z"),
        ],
        "Date" => vec![
            json!("+262142-12-31"),
            json!("-262143-01-01"),
            json!("0001-01-01"),
            json!("9999-12-31"),
            json!("2026-02-30"),
        ],
        _ => vec![],
    };
    if arg.list {
        let many = values.first().cloned().unwrap_or(Value::Null);
        values = values.into_iter().map(|v| json!([v])).collect();
        values.push(json!([]));
        values.push(Value::Array(vec![many; 2_000]));
    }
    values
}

fn set_at(value: &mut Value, path: &[String], new: Value) {
    match path.split_first() {
        None => *value = new,
        Some((head, rest)) => set_at(&mut value[head.as_str()], rest, new),
    }
}

/// Sends one operation and checks the answer: any HTTP status with a JSON body, every error
/// with a code, none `INTERNAL`.
async fn probe(app: &TestApp, token: &str, query: String, variables: Value) -> Result<(), String> {
    let response = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .map_err(|e| format!("{query}: the connection failed: {e}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("{query}: answered {status} without a JSON body: {e}"))?;
    for error in body["errors"].as_array().into_iter().flatten() {
        match error["extensions"]["code"].as_str() {
            None => return Err(format!("{query}: an error without a code: {body}")),
            Some("INTERNAL") => {
                let shown: String = variables.to_string().chars().take(300).collect();
                return Err(format!("{query} with {shown}: INTERNAL: {body}"));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[tokio::test]
async fn no_argument_of_the_schema_reaches_an_internal_error() {
    let app = TestApp::spawn_with(|s| {
        s.posting_limits.posts_per_hour = 10_000;
        s.posting_limits.replies_per_hour = 10_000;
    })
    .await;
    let ana = app.register("Fuzz Target").await;
    let bob = app.register("Fuzz Other").await;
    let group = app.create_group(&ana, "Fuzz Group", "PUBLIC").await;
    app.join(&bob, &group).await;
    let post = app.post(&ana, &group, "Fuzz post").await;
    let reply = app.reply(&bob, &post, "Fuzz reply").await;
    let targets = Targets {
        group,
        post,
        reply,
        user: bob.user_id.clone(),
    };
    let shape = shape();
    let mut probes = Vec::new();
    for (root, keyword) in [("Query", "query"), ("Mutation", "mutation")] {
        for field in &shape.objects[root] {
            // Signing out or changing the password would end the session the probes use.
            if matches!(field.name.as_str(), "logout" | "changePassword") {
                continue;
            }
            let definitions: Vec<String> = field
                .args
                .iter()
                .map(|a| format!("${}: {}", a.name, a.written))
                .collect();
            let uses: Vec<String> = field
                .args
                .iter()
                .map(|a| format!("{0}: ${0}", a.name))
                .collect();
            let selection = if field.composite {
                " { __typename }"
            } else {
                ""
            };
            let query = format!(
                "{keyword}{} {{ {}{}{selection} }}",
                if definitions.is_empty() {
                    String::new()
                } else {
                    format!("({})", definitions.join(", "))
                },
                field.name,
                if uses.is_empty() {
                    String::new()
                } else {
                    format!("({})", uses.join(", "))
                },
            );
            let ordinary: serde_json::Map<String, Value> = field
                .args
                .iter()
                .map(|a| (a.name.clone(), shape.ordinary(a, &targets)))
                .collect();
            for arg in &field.args {
                let mut slots = Vec::new();
                shape.slots(arg, vec![arg.name.clone()], &mut slots);
                for (path, slot) in slots {
                    for extreme in extremes(&slot) {
                        let mut variables = Value::Object(ordinary.clone());
                        set_at(&mut variables, &path, extreme);
                        probes.push((query.clone(), variables));
                    }
                }
            }
        }
    }
    assert!(probes.len() > 300, "only {} probes", probes.len());
    let failures: Vec<String> = futures::stream::iter(probes)
        .map(|(query, variables)| probe(&app, &ana.access, query, variables))
        .buffer_unordered(4)
        .filter_map(|result| async move { result.err() })
        .collect()
        .await;
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}
