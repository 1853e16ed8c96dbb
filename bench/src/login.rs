//! Login throughput with the production argon2id parameters (m=19456 KiB, t=2, p=1).
use crate::load;
use serde_json::{json, Value};

const PASSWORD: &str = "a benchmark password";

pub async fn run(requests: usize, concurrency: usize) -> anyhow::Result<()> {
    let server = load::start_server().await?;
    let http = reqwest::Client::new();
    server
        .sign_up(&http, "bench@example.org", "Bench User", PASSWORD)
        .await?;

    let url = server.url.clone();
    let stats = load::run(requests, concurrency, move |_| {
        let http = http.clone();
        let url = url.clone();
        async move {
            let body = json!({
                "query": "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
                "variables": {"i": {"email": "bench@example.org", "password": PASSWORD}}
            });
            match http.post(&url).json(&body).send().await {
                Ok(response) => response
                    .json::<Value>()
                    .await
                    .is_ok_and(|v| v["data"]["login"]["accessToken"].is_string()),
                Err(_) => false,
            }
        }
    })
    .await;
    println!(
        "cores: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    stats.print(&format!(
        "login (argon2id m=19456 t=2 p=1, {concurrency} clients)"
    ));
    Ok(())
}
