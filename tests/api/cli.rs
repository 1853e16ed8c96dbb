use std::process::Command;

/// The server binary with the tests' key-encryption key: its commands share databases with
/// each other and with in-process servers.
pub(crate) fn hearth() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hearth"));
    command.env("HEARTH_KEK", crate::support::TEST_KEK);
    command
}

#[test]
fn schema_command_matches_the_committed_sdl() {
    let output = hearth().arg("schema").output().unwrap();
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        printed == committed,
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql` and commit it"
    );
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["worker", "--help"],
        &["healthcheck", "--help"],
        &["migrate", "--help"],
        &["schema", "--help"],
        &["admin", "create-admin", "--help"],
        &["admin", "grant-expert", "--help"],
    ] {
        let output = hearth().args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("Usage"),
            "{args:?}"
        );
    }
    let serve = hearth().args(["serve", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&serve.stdout);
    assert!(text.contains("--bind") && text.contains("--no-workers"));
}

#[test]
fn bad_configuration_fails_with_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    for (variable, value) in [
        ("HEARTH_BIND", "nowhere"),
        ("HEARTH_ENV", "staging"),
        ("HEARTH_REDIS_URL", "http://x"),
    ] {
        let output = hearth()
            .current_dir(dir.path())
            .env(variable, value)
            .arg("migrate")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{variable}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(variable), "{stderr}");
    }
    let production = hearth()
        .current_dir(dir.path())
        .env("HEARTH_ENV", "production")
        .env_remove("HEARTH_JWT_SECRET")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(production.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&production.stderr).contains("HEARTH_JWT_SECRET"));
}

#[test]
fn migrate_creates_the_embedded_database_and_a_kept_dev_secret() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let output = hearth()
            .current_dir(dir.path())
            .env_remove("HEARTH_DATABASE_URL")
            .env_remove("HEARTH_JWT_SECRET")
            .env_remove("HEARTH_ENV")
            .arg("migrate")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert!(dir.path().join("hearth-data/hearth.db").exists());
    let secret = std::fs::read_to_string(dir.path().join("hearth-data/jwt-secret")).unwrap();
    assert!(secret.len() >= 32);
}

/// `hearth admin create-admin` and `grant-expert` on the running server's database: the
/// first admin can then grant standing over the API, and the expert's answers show it.
#[tokio::test]
async fn the_first_admin_and_an_expert_are_made_on_the_command_line() {
    use crate::support::TestApp;
    use serde_json::json;
    let app = TestApp::spawn().await;
    let admin = app.register("Cli Admin").await;
    let expert = app.register("Cli Expert").await;
    let run = |args: &[&str]| {
        let output = hearth()
            .env("HEARTH_DATABASE_URL", &app.db.url)
            .env(
                "HEARTH_JWT_SECRET",
                "a-test-secret-of-at-least-thirty-two-bytes",
            )
            .env_remove("HEARTH_ENV")
            .args(args)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let revoke = "mutation($u: ID!) { revokeExpert(userId: $u) }";
    let before = app
        .gql(Some(&admin.access), revoke, json!({"u": expert.user_id}))
        .await;
    assert_eq!(crate::support::error_code(&before), "FORBIDDEN");

    let (ok, out, err) = run(&["admin", "create-admin", "  CLI.Admin@example.org "]);
    assert!(ok, "{err}");
    assert!(
        out.contains("cli.admin@example.org is a platform admin"),
        "{out}"
    );
    let (ok, out, err) = run(&[
        "admin",
        "grant-expert",
        "cli.expert@example.org",
        "Registered psychiatric nurse",
        "--days",
        "30",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("Registered psychiatric nurse"), "{out}");
    let (ok, _, err) = run(&["admin", "create-admin", "nobody@example.org"]);
    assert!(!ok);
    assert!(err.contains("no such account"), "{err}");

    let asked = app
        .ok(
            &expert.access,
            "mutation($i: AskQuestionInput!) { askQuestion(input: $i) { id } }",
            json!({"i": {"title": "Checking my own standing", "topic": "OTHER"}}),
        )
        .await;
    let question = asked["askQuestion"]["id"].as_str().unwrap();
    let answered = app
        .ok(
            &expert.access,
            "mutation($i: AnswerQuestionInput!) { answerQuestion(input: $i) { author { expert { title verifiedUntil } } } }",
            json!({"i": {"questionId": question, "body": "An answer with standing"}}),
        )
        .await;
    assert_eq!(
        answered["answerQuestion"]["author"]["expert"]["title"],
        "Registered psychiatric nurse"
    );
    // The admin made on the command line acts over the API.
    let revoked = app
        .ok(&admin.access, revoke, json!({"u": expert.user_id}))
        .await;
    assert_eq!(revoked["revokeExpert"], true);
}

#[tokio::test]
async fn staff_accounts_are_made_on_the_command_line_without_mail() {
    use crate::support::{error_code, TestApp, PASSWORD};
    let app = TestApp::spawn().await;
    let create = |email: &str, name: &str, password: Option<&str>, stdin: &str| {
        let mut command = hearth();
        command
            .env("HEARTH_DATABASE_URL", &app.db.url)
            .env(
                "HEARTH_JWT_SECRET",
                "a-test-secret-of-at-least-thirty-two-bytes",
            )
            .env_remove("HEARTH_ENV")
            .env_remove("HEARTH_NEW_PASSWORD")
            .args(["admin", "create-user", email, name])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if let Some(password) = password {
            command.env("HEARTH_NEW_PASSWORD", password);
        }
        let mut child = command.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let from_env = create("staff@example.org", "Staff Member", Some(PASSWORD), "");
    assert!(
        from_env.status.success(),
        "{}",
        String::from_utf8_lossy(&from_env.stderr)
    );
    let from_stdin = create(
        "piped@example.org",
        "Piped Member",
        None,
        &format!("{PASSWORD}\n"),
    );
    assert!(
        from_stdin.status.success(),
        "{}",
        String::from_utf8_lossy(&from_stdin.stderr)
    );
    for email in ["staff@example.org", "piped@example.org"] {
        let login = app.login(email, PASSWORD).await;
        assert!(login["data"]["login"]["accessToken"].is_string(), "{login}");
    }
    // The same checks as the app: a short password or a taken address is refused.
    let short = create("short@example.org", "Short Pass", Some("short"), "");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("create-user"));
    let taken = create("staff@example.org", "Other Name", Some(PASSWORD), "");
    assert!(!taken.status.success());
    assert_eq!(
        error_code(&app.login("short@example.org", "short").await),
        "UNAUTHENTICATED"
    );
}

/// `hearth worker`: background work without the API. A mail queued by an API-only instance is
/// sent by a worker process on the same database; the worker answers its health checks and
/// serves no GraphQL.
#[tokio::test]
async fn a_worker_process_sends_what_an_api_only_instance_queued_and_serves_no_api() {
    use crate::fake_smtp::FakeSmtp;
    use crate::registration::{api_only_with_smtp, register};
    use serde_json::json;
    let smtp = FakeSmtp::start().await;
    let api_only = api_only_with_smtp(&smtp).await;
    let email = "worker.process@example.org";
    let answer = register(&api_only, email, "Worker Wren").await;
    assert_eq!(
        answer["data"]["register"]["status"], "CODE_SENT",
        "{answer}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut worker = KillOnDrop(
        hearth()
            .env("HEARTH_DATABASE_URL", &api_only.db.url)
            .env(
                "HEARTH_JWT_SECRET",
                "a-test-secret-of-at-least-thirty-two-bytes",
            )
            .env("HEARTH_SMTP_URL", smtp.url())
            .env("HEARTH_BIND", format!("127.0.0.1:{port}"))
            .env_remove("HEARTH_ENV")
            .env_remove("HEARTH_REDIS_URL")
            .arg("worker")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let code = smtp.code(email, 1).await;
    assert_eq!(code.len(), 6);

    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    for health in ["/healthz", "/readyz"] {
        let answer = http.get(format!("{base}{health}")).send().await.unwrap();
        assert_eq!(answer.status(), 200, "{health}");
    }
    let graphql = http
        .post(format!("{base}/graphql"))
        .json(&json!({"query": "{ __typename }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(graphql.status(), 404);
    assert!(worker.0.try_wait().unwrap().is_none(), "the worker exited");
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The image's HEALTHCHECK: `hearth healthcheck` exits 0 when the server on HEARTH_BIND's port
/// answers /healthz, and 1 with one line when nothing answers.
#[tokio::test]
async fn healthcheck_asks_the_server_on_its_own_port() {
    let app = crate::support::TestApp::spawn().await;
    // Listening everywhere is asked on loopback, as inside a container.
    let everywhere = format!("0.0.0.0:{}", app.addr.port());
    // Off the test's runtime thread, which also serves the app.
    let up = tokio::task::spawn_blocking(move || {
        hearth()
            .env("HEARTH_BIND", &everywhere)
            .env_remove("HEARTH_ENV")
            .arg("healthcheck")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );

    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nobody = free.local_addr().unwrap().to_string();
    drop(free);
    let down = hearth()
        .args(["healthcheck", "--bind", &nobody])
        .env_remove("HEARTH_ENV")
        .output()
        .unwrap();
    assert_eq!(down.status.code(), Some(1));
    let said = String::from_utf8_lossy(&down.stderr);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(said.contains(&format!("http://{nobody}/healthz")), "{said}");
}

fn in_repository(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_schema_breaks_no_shipped_app() {
    let output = hearth()
        .args(["schema", "check", "--released"])
        .arg(in_repository("schema.released.graphql"))
        .arg("--changelog")
        .arg(in_repository("docs/SCHEMA_CHANGES.md"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_breaking_change_not_in_the_changelog_fails_the_check() {
    // A released schema with a field today's has not: as if it had been removed.
    let dir = tempfile::tempdir().unwrap();
    let released = std::fs::read_to_string(in_repository("schema.released.graphql")).unwrap();
    let released = released.replacen(
        "type Query {\n",
        "type Query {\n\t\"\"\"\n\tGone since.\n\t\"\"\"\n\tretiredField(id: ID!): String\n",
        1,
    );
    let released_path = dir.path().join("released.graphql");
    std::fs::write(&released_path, released).unwrap();
    let changelog = dir.path().join("changes.md");
    let check = |changelog_text: &str| {
        std::fs::write(&changelog, changelog_text).unwrap();
        hearth()
            .args(["schema", "check", "--released"])
            .arg(&released_path)
            .arg("--changelog")
            .arg(&changelog)
            .output()
            .unwrap()
    };
    let output = check("None.\n");
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("Query.retiredField: field removed"), "{said}");
    // Listed with its reason, it may go.
    let output = check("- `Query.retiredField`: no app version in the stores reads it\n");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_committed_type_policies_match_the_schema() {
    for (client, file) in [
        ("kotlin", "docs/clients/extra.graphqls"),
        ("swift", "docs/clients/SchemaConfiguration.swift"),
    ] {
        let output = hearth()
            .args(["schema", "type-policies", client])
            .output()
            .unwrap();
        assert!(output.status.success());
        let committed = std::fs::read_to_string(in_repository(file)).unwrap();
        assert!(
            String::from_utf8_lossy(&output.stdout) == committed,
            "{file} is stale: run `cargo run -- schema type-policies {client} > {file}` and commit it"
        );
    }
}
