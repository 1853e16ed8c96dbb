//! GraphiQL works with no network: the page is loaded in headless Chromium that can reach
//! nothing but the server (every other host fails to resolve, and everything else goes to a
//! proxy that is not there), a signed-in query is run from it by pressing its button, and the
//! test checks that every request the page made went to the server and that its
//! Content-Security-Policy was never broken.
//!
//! Chromium is found at `HEARTH_TEST_CHROMIUM` or `/usr/bin/chromium`. Without it the test says
//! so and passes, unless `HEARTH_REQUIRE_CHROMIUM=1` (as `.ci/run` sets, after installing it).
use crate::support::*;
use futures::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn chromium() -> Option<String> {
    let path = std::env::var("HEARTH_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if std::path::Path::new(&path).exists() {
        return Some(path);
    }
    assert!(
        std::env::var("HEARTH_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
        "HEARTH_REQUIRE_CHROMIUM=1 but there is no Chromium at {path}"
    );
    eprintln!(
        "skipped: no Chromium at {path} (apt-get install chromium, or set HEARTH_TEST_CHROMIUM)"
    );
    None
}

/// A page in Chromium, driven over the DevTools protocol; it keeps every event it is sent.
struct Page {
    stream: Stream,
    next_id: u64,
    events: Vec<Value>,
}

impl Page {
    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let message = json!({"id": id, "method": method, "params": params});
        self.stream
            .send(Message::text(message.to_string()))
            .await
            .unwrap();
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(30), self.stream.next())
                .await
                .expect("Chromium answers")
                .expect("the DevTools socket is open")
                .unwrap();
            let Message::Text(text) = frame else { continue };
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["id"] == id {
                assert!(value.get("error").is_none(), "{method}: {value}");
                return value["result"].clone();
            }
            self.events.push(value);
        }
    }

    /// What `expression` gives in the page (awaited if it is a promise).
    async fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            )
            .await;
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }

    /// Waits until `expression` is truthy in the page.
    async fn wait_for(&mut self, expression: &str, what: &str) -> Value {
        let start = Instant::now();
        loop {
            let value = self.eval(expression).await;
            if !value.is_null() && value != json!(false) && value != json!("") {
                return value;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "waited 30 s for {what}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[tokio::test]
async fn graphiql_runs_a_query_with_no_network_but_the_server() {
    let Some(chromium) = chromium() else { return };
    let app = TestApp::spawn().await;
    let person = app.register("Offline Tester").await;
    let profile = tempfile::tempdir().unwrap();
    let mut browser = tokio::process::Command::new(chromium)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-port=0",
            // No name resolves but the server's address; anything else goes to a proxy that
            // is not there (loopback is never sent to a proxy).
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--proxy-server=http://127.0.0.1:9",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .kill_on_drop(true)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();

    // Chromium writes its DevTools port into the profile once it listens.
    let active = profile.path().join("DevToolsActivePort");
    let start = Instant::now();
    let port = loop {
        if let Ok(text) = std::fs::read_to_string(&active) {
            if let Some(port) = text.lines().next().filter(|l| !l.is_empty()) {
                break port.to_owned();
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "Chromium did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let targets: Value = reqwest::get(format!("http://127.0.0.1:{port}/json/list"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let target = targets
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "page")
        .expect("a page")["webSocketDebuggerUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let (stream, _) = tokio_tungstenite::connect_async(target).await.unwrap();
    let mut page = Page {
        stream,
        next_id: 0,
        events: Vec::new(),
    };
    page.call("Network.enable", json!({})).await;
    page.call("Page.enable", json!({})).await;
    page.call(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({"source": "window.__violations = []; document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"}),
    )
    .await;

    let origin = app.url("");
    let origin = origin.trim_end_matches('/');
    page.call("Page.navigate", json!({"url": format!("{origin}/graphql")}))
        .await;
    page.wait_for(
        "!!document.querySelector('.graphiql-execute-button') && !!document.querySelector('.graphiql-query-editor .CodeMirror')",
        "GraphiQL to render",
    )
    .await;

    // Sign in through the Headers tab, write a query, press the button.
    let headers = json!({"Authorization": format!("Bearer {}", person.access)}).to_string();
    page.eval("document.querySelector('button[data-name=\"headers\"]').click(); true")
        .await;
    const SHOWN_TOOL: &str = "[...document.querySelectorAll('.graphiql-editor-tool .graphiql-editor')].find(e => !e.classList.contains('hidden'))";
    page.wait_for(
        &format!("(({SHOWN_TOOL}) || {{}}).querySelector && !!({SHOWN_TOOL}).querySelector('.CodeMirror')"),
        "the headers editor",
    )
    .await;
    page.eval(&format!(
        "({SHOWN_TOOL}).querySelector('.CodeMirror').CodeMirror.setValue({}); true",
        serde_json::to_string(&headers).unwrap()
    ))
    .await;
    page.eval(
        "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('{ me { displayName } }'); true",
    )
    .await;
    page.eval("document.querySelector('.graphiql-execute-button').click(); true")
        .await;
    let answer = page
        .wait_for(
            "(document.querySelector('.graphiql-response .CodeMirror') || {CodeMirror: {getValue: () => ''}}).CodeMirror.getValue()",
            "the answer",
        )
        .await;
    let answer: Value = serde_json::from_str(answer.as_str().unwrap()).unwrap();
    assert_eq!(
        answer,
        json!({"data": {"me": {"displayName": "Offline Tester"}}})
    );

    // Nothing was asked of anyone but the server, and the policy held.
    let violations = page.eval("window.__violations").await;
    assert_eq!(violations, json!([]), "Content-Security-Policy violations");
    let asked: Vec<String> = page
        .events
        .iter()
        .filter(|e| e["method"] == "Network.requestWillBeSent")
        .map(|e| e["params"]["request"]["url"].as_str().unwrap().to_owned())
        .collect();
    assert!(asked
        .iter()
        .any(|u| u.ends_with("/graphiql/graphiql.min.js")));
    let elsewhere: Vec<&String> = asked
        .iter()
        .filter(|u| !u.starts_with(origin) && !u.starts_with("data:"))
        .collect();
    assert!(elsewhere.is_empty(), "asked of others: {elsewhere:?}");
    let failed: Vec<&Value> = page
        .events
        .iter()
        .filter(|e| e["method"] == "Network.loadingFailed")
        .collect();
    assert!(failed.is_empty(), "requests that failed: {failed:?}");
    browser.kill().await.ok();
}

#[tokio::test]
async fn graphiql_page_and_files_say_what_they_allow() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let page = client
        .get(app.url("/graphql"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(policy.contains("script-src 'self';"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("http"),
        "the page names no other origin: {html}"
    );
    let script = client
        .get(app.url("/graphiql/graphiql.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(script.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(script.bytes().await.unwrap().len() > 1_000_000);
    // Only the page's own files: no other name, however spelt, reaches a file.
    for other in [
        "/graphiql/Cargo.toml",
        "/graphiql/..%2FCargo.toml",
        "/graphiql/..%2F..%2Fschema.graphql",
        "/graphiql/dist%2Fgraphiql.min.js",
    ] {
        let missing = client.get(app.url(other)).send().await.unwrap();
        assert_eq!(missing.status(), 404, "{other}");
    }
}
