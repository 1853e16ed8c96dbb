//! The worst documents we can construct, sent to the real `hearth` binary in its own process so
//! its CPU and memory are its own: CPU per answer, peak RSS over the baseline, and `/healthz`
//! latency while 8 clients send them. Needs `cargo build --release` (the `hearth` binary next
//! to this one).
use crate::process::{cpu, memory_kib, ServerProcess};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The server's body limit: every document here stays under it.
const BODY_LIMIT: usize = 256 * 1024;

/// Fragments that spread the one below ten times, `levels` deep: 10^levels fields.
fn exploding(levels: usize) -> String {
    let mut query = format!("query {{ ...F{levels} }}\nfragment F0 on Query {{ __typename }}\n");
    for level in 1..=levels {
        let spreads = format!(" ...F{}", level - 1).repeat(10);
        query.push_str(&format!("fragment F{level} on Query {{{spreads} }}\n"));
    }
    query
}

/// As many fragments as fit, each spreading every earlier one: the widest fragment graph.
fn fragment_mesh() -> String {
    let mut query = String::from("query { ...M0 } fragment M0 on Query { __typename } ");
    let mut n = 1;
    loop {
        let spreads: String = (0..n.min(60))
            .map(|k| format!(" ...M{}", n - 1 - k))
            .collect();
        let next = format!("fragment M{n} on Query {{{spreads} }} ");
        if query.len() + next.len() > BODY_LIMIT - 200 {
            break;
        }
        query.push_str(&next);
        n += 1;
    }
    query.replacen("{ ...M0 }", &format!("{{ ...M{} }}", n - 1), 1)
}

/// One field repeated under aliases to the body limit.
fn alias_flood() -> String {
    let mut query = String::from("{");
    let mut n = 0;
    while query.len() < BODY_LIMIT - 100 {
        query.push_str(&format!(" a{n}: __typename"));
        n += 1;
    }
    query.push('}');
    query
}

/// As many aliases as the token limit lets through (3 tokens each): parsed, then priced.
fn aliases_under_the_token_limit() -> String {
    let fields: String = (0..1_630).map(|n| format!(" a{n}: __typename")).collect();
    format!("{{{fields} }}")
}

/// Fragments each spreading the 20 before them (20^n selections unexpanded), as many as fit
/// in `tokens` tokens.
fn fragment_mesh_within(tokens: usize) -> String {
    let mut query = String::from("query { ...M0 } fragment M0 on Query { __typename } ");
    let mut used = 12;
    let mut n = 1;
    loop {
        let width = n.min(20);
        let spreads: String = (0..width).map(|k| format!(" ...M{}", n - 1 - k)).collect();
        // `fragment Mn on Query {` and `}`, then two tokens a spread.
        let cost = 6 + 2 * width;
        if used + cost > tokens {
            break;
        }
        query.push_str(&format!("fragment M{n} on Query {{{spreads} }} "));
        used += cost;
        n += 1;
    }
    query.replacen("{ ...M0 }", &format!("{{ ...M{} }}", n - 1), 1)
}

/// Nested pages as deep as the nesting limit lets them go.
fn nested_pages() -> String {
    "{ feed(first: 100) { edges { node { replies(first: 100) { edges { node { body author { displayName } } } } group { posts(first: 100) { edges { node { title body } } } } } } } }".into()
}

fn summaries(n: usize) -> String {
    let fields: String = (0..n)
        .map(|i| format!(r#" s{i}: moodSummary(from: "2024-01-01", to: "2026-03-10") {{ buckets {{ start checkinCount averageScore minScore maxScore }} }}"#))
        .collect();
    format!("{{{fields} }}")
}

/// The whole-schema introspection query, many times under aliases.
fn introspection_flood() -> String {
    let mut query = String::from("query {");
    while query.len() < 8 * 1024 {
        let n = query.len();
        query.push_str(&format!(
            " s{n}: __schema {{ types {{ name fields {{ name args {{ name type {{ name ofType {{ name }} }} }} type {{ name ofType {{ name ofType {{ name }} }} }} }} }} }}"
        ));
    }
    query.push('}');
    query
}

/// The query GraphiQL sends when it opens (graphql-js `getIntrospectionQuery`).
const GRAPHIQL_INTROSPECTION: &str = "query IntrospectionQuery { __schema { queryType { name } mutationType { name } subscriptionType { name } types { ...FullType } directives { name description locations args { ...InputValue } } } } fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason } inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } } fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue } fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }";

/// Fields of fields of fields of the largest types, through `ofType`.
fn introspection_nested() -> String {
    // Whichever wrapper a field's type is (named, non-null, list of non-null), its fields.
    let mut inner = String::from("name description");
    for _ in 0..2 {
        inner = format!(
            "name description type {{ fields {{ {inner} }} ofType {{ fields {{ {inner} }} ofType {{ fields {{ {inner} }} ofType {{ fields {{ {inner} }} }} }} }} }}"
        );
    }
    format!("{{ a: __type(name: \"Query\") {{ fields {{ {inner} }} }} b: __type(name: \"Mutation\") {{ fields {{ {inner} }} }} }}")
}

/// The costliest document that is still accepted: just under the budget, all of it resolved.
fn largest_accepted() -> String {
    let fields = " __typename".repeat(999);
    let spreads = " ...T".repeat(10);
    format!("{{{spreads} }} fragment T on Query {{{fields} }}")
}

struct Probe {
    name: &'static str,
    query: String,
    signed_in: bool,
}

async fn send(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
) -> anyhow::Result<Value> {
    let mut request = http.post(url).json(&json!({"query": query}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await?;
    let status = response.status();
    let text = response.text().await?;
    serde_json::from_str(&text).map_err(|_| {
        let start: String = text.chars().take(200).collect();
        anyhow::anyhow!("answered {status} without JSON: {start}")
    })
}

fn outcome(body: &Value) -> String {
    match body["errors"][0]["extensions"]["code"].as_str() {
        Some(code) => code.to_owned(),
        None => "data".to_owned(),
    }
}

pub async fn run(seconds: usize) -> anyhow::Result<()> {
    let server = ServerProcess::start(|command| {
        if let Ok(database) = std::env::var("HEARTH_BENCH_DATABASE_URL") {
            command.env("HEARTH_DATABASE_URL", database);
        }
        command
            .env("HEARTH_REGISTRATIONS_PER_IP", "1000")
            .env("RUST_LOG", "error")
            .args(["serve"]);
    })
    .await?;
    let pid = server.pid();
    let url = server.url("/graphql");
    let http = reqwest::Client::new();
    server.create_user(
        "abuse@example.org",
        "Abuse Bench",
        "an abuse bench password",
    )?;
    let (token, _) =
        crate::load::sign_in(&http, &url, "abuse@example.org", "an abuse bench password").await?;

    let probes = vec![
        Probe {
            name: "fragments 10^9 (exploding spreads)",
            query: exploding(9),
            signed_in: false,
        },
        Probe {
            name: "fragment mesh to the body limit",
            query: fragment_mesh(),
            signed_in: false,
        },
        Probe {
            name: "fragment mesh within 5 000 tokens",
            query: fragment_mesh_within(4_900),
            signed_in: false,
        },
        Probe {
            name: "aliases to the body limit",
            query: alias_flood(),
            signed_in: false,
        },
        Probe {
            name: "aliases within 5 000 tokens",
            query: aliases_under_the_token_limit(),
            signed_in: false,
        },
        Probe {
            name: "nested pages 100x100x100",
            query: nested_pages(),
            signed_in: true,
        },
        Probe {
            name: "100 x moodSummary over 800 days",
            query: summaries(100),
            signed_in: true,
        },
        Probe {
            name: "introspection under many aliases",
            query: introspection_flood(),
            signed_in: false,
        },
        Probe {
            name: "largest accepted (cost 9 990)",
            query: largest_accepted(),
            signed_in: false,
        },
        Probe {
            name: "one moodSummary over 800 days",
            query: summaries(1),
            signed_in: true,
        },
        Probe {
            name: "GraphiQL's introspection (development)",
            query: GRAPHIQL_INTROSPECTION.to_owned(),
            signed_in: false,
        },
        Probe {
            name: "introspection nested through types",
            query: introspection_nested(),
            signed_in: false,
        },
    ];
    // Warm up, then take the baseline.
    for probe in &probes {
        let token = probe.signed_in.then_some(token.as_str());
        send(&http, &url, token, &probe.query).await?;
    }
    let baseline_rss = memory_kib(pid, "VmRSS:")?;
    println!(
        "server pid {pid}: baseline RSS {:.1} MiB",
        baseline_rss as f64 / 1024.0
    );
    println!(
        "{:<40} {:>8} {:>10} {:>12} {:>12}",
        "document", "KiB", "answer", "CPU/answer", "wall/answer"
    );
    const ROUNDS: u32 = 20;
    for probe in &probes {
        let token = probe.signed_in.then_some(token.as_str());
        let cpu_before = cpu(pid)?;
        let started = Instant::now();
        let mut answer = String::new();
        for _ in 0..ROUNDS {
            answer = outcome(&send(&http, &url, token, &probe.query).await?);
        }
        let wall = started.elapsed() / ROUNDS;
        let spent = cpu(pid)?.saturating_sub(cpu_before) / ROUNDS;
        println!(
            "{:<40} {:>8.1} {:>10} {:>9.2} ms {:>9.2} ms",
            probe.name,
            probe.query.len() as f64 / 1024.0,
            answer,
            spent.as_secs_f64() * 1e3,
            wall.as_secs_f64() * 1e3
        );
    }

    // 8 clients send the worst documents for `seconds` while one asks /healthz every 10 ms.
    let probes = Arc::new(probes);
    let stop = Arc::new(AtomicBool::new(false));
    let cpu_before = cpu(pid)?;
    let mut senders = Vec::new();
    for client in 0..8 {
        let (http, url, token, probes, stop) = (
            http.clone(),
            url.clone(),
            token.clone(),
            probes.clone(),
            stop.clone(),
        );
        senders.push(tokio::spawn(async move {
            let mut sent = 0_u64;
            let mut i = client;
            while !stop.load(Ordering::Relaxed) {
                let probe = &probes[i % (probes.len() - 1)];
                let token = probe.signed_in.then_some(token.as_str());
                if send(&http, &url, token, &probe.query).await.is_ok() {
                    sent += 1;
                }
                i += 1;
            }
            sent
        }));
    }
    let health_url = server.url("/healthz");
    let started = Instant::now();
    let mut health = Vec::new();
    let mut failed = 0;
    while started.elapsed() < Duration::from_secs(seconds as u64) {
        let asked = Instant::now();
        match http.get(&health_url).send().await {
            Ok(response) if response.status().is_success() => health.push(asked.elapsed()),
            _ => failed += 1,
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut sent = 0;
    for sender in senders {
        sent += sender.await.unwrap_or(0);
    }
    let spent = cpu(pid)?.saturating_sub(cpu_before);
    health.sort();
    let at = |p: f64| {
        health
            .get(((health.len().max(1) - 1) as f64 * p) as usize)
            .copied()
            .unwrap_or_default()
    };
    let peak = memory_kib(pid, "VmHWM:")?;
    println!(
        "8 clients, {seconds} s: {sent} hostile documents answered ({:.1}/s), server CPU {:.2} s ({:.2} ms each)",
        sent as f64 / seconds as f64,
        spent.as_secs_f64(),
        spent.as_secs_f64() * 1e3 / sent.max(1) as f64
    );
    println!(
        "/healthz meanwhile: {} answers, {failed} failed, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        health.len(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        health.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    println!(
        "peak RSS {:.1} MiB: {:.1} MiB over the baseline",
        peak as f64 / 1024.0,
        peak.saturating_sub(baseline_rss) as f64 / 1024.0
    );
    Ok(())
}
