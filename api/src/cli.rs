//! The `hearth` command line: serve (default), worker, migrate, schema, demo, admin, keys.
use crate::app::{termination_signal, App};
use crate::config::Settings;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "hearth",
    version,
    about = "Backend of the Hearth peer-support apps"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API (and background workers). The default command.
    Serve {
        /// Listen address; overrides HEARTH_BIND.
        #[arg(long)]
        bind: Option<SocketAddr>,
        /// Serve the API only; run workers elsewhere.
        #[arg(long)]
        no_workers: bool,
        /// Fill an empty database with demo people, groups, posts and replies first.
        #[arg(long)]
        demo: bool,
    },
    /// Run the background workers only (pushes, mail, exports, reminders): no API. Serves
    /// /healthz, /readyz and /metrics on HEARTH_BIND for the orchestrator.
    Worker {
        /// Listen address of the health checks; overrides HEARTH_BIND.
        #[arg(long)]
        bind: Option<SocketAddr>,
    },
    /// Ask this machine's server for its health (GET /healthz on HEARTH_BIND's port): exit 0
    /// when it answers 200. The container image's HEALTHCHECK, which has no curl.
    Healthcheck {
        /// The server's listen address; overrides HEARTH_BIND.
        #[arg(long)]
        bind: Option<SocketAddr>,
    },
    /// Fill an empty database with demo people, groups, posts and replies, and exit.
    Demo,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL) the apps are built against; or check it, or print the
    /// native clients' type policies from it.
    Schema {
        #[command(subcommand)]
        action: Option<SchemaCommand>,
    },
    /// Platform administration that has no API on purpose.
    Admin {
        #[command(subcommand)]
        action: AdminCommand,
    },
    /// The key-encryption key: check it opens every data key, rotate to a new one.
    Keys {
        #[command(subcommand)]
        action: KeysCommand,
    },
}

#[derive(Subcommand)]
enum SchemaCommand {
    /// Fail (exit 1) on a change from the released schema that would break a shipped app and
    /// is not listed with its reason in the changelog, and on a type, field or argument
    /// without a description.
    Check {
        /// The schema the apps on phones were built against.
        #[arg(long, default_value = "schema.released.graphql")]
        released: std::path::PathBuf,
        /// Where each breaking change is listed with its reason.
        #[arg(long, default_value = "docs/SCHEMA_CHANGES.md")]
        changelog: std::path::PathBuf,
    },
    /// Print the type policies of the native clients: every type with an `id` is keyed by it.
    TypePolicies {
        /// Which client's file: `kotlin` (Apollo Kotlin's extra.graphqls) or `swift` (Apollo
        /// iOS's SchemaConfiguration.swift).
        client: crate::type_policies::Client,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Print a new key-encryption key (32 random bytes in base64) for a key file.
    New,
    /// Open every person's wrapped data key with the configured KEKs; exit 1 if any does not.
    Check,
    /// Rewrap every data key under the KEK of HEARTH_KEK_FILE, the old one being named in
    /// HEARTH_KEK_RETIRED_FILES. Safe while servers run (they must have both keys); stopped,
    /// it resumes where it was when run again.
    Rotate {
        /// People rewrapped per batch.
        #[arg(long, default_value_t = 100)]
        batch: u64,
        /// Stop after this many people (to spread a rotation over several runs).
        #[arg(long)]
        limit: Option<u64>,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Make an account whose address counts as verified, with no mail sent (for staff, demo
    /// and benchmark accounts). The password is read from HEARTH_NEW_PASSWORD, or from the
    /// first line of standard input.
    CreateUser { email: String, display_name: String },
    /// Make the account with this email a platform admin (the first admin is made here).
    CreateAdmin { email: String },
    /// Give the account with this email expert standing with a shown credential.
    GrantExpert {
        email: String,
        /// The credential shown beside their answers, e.g. "Licensed clinical social worker".
        title: String,
        /// How many days the standing lasts before it must be renewed.
        #[arg(long, default_value_t = 365)]
        days: u32,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Schema { action }) = cli.command {
        return schema(action);
    }
    let mut settings = match Settings::load() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("hearth: configuration error: {err}");
            return ExitCode::from(2);
        }
    };
    if let Some(Command::Healthcheck { bind }) = cli.command {
        return healthcheck(bind.unwrap_or(settings.bind));
    }
    crate::telemetry::init_logging(settings.is_production());
    let prepared = settings.ensure_sqlite_dir().and_then(|()| {
        if settings.is_production() {
            Ok(())
        } else {
            settings
                .ensure_dev_jwt_secret()
                .and_then(|()| settings.ensure_dev_kek())
        }
    });
    if let Err(err) = prepared {
        eprintln!("hearth: configuration error: {err}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("hearth: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        match cli.command {
            Some(Command::Migrate) => migrate(&settings).await,
            Some(Command::Admin { action }) => admin(&settings, action).await,
            Some(Command::Keys { action }) => keys(&settings, action).await,
            Some(Command::Demo) => demo(&settings).await,
            Some(Command::Serve {
                bind,
                no_workers,
                demo: with_demo,
            }) => {
                if with_demo {
                    demo(&settings).await?;
                }
                let duties = if no_workers {
                    Duties::Api
                } else {
                    Duties::ApiAndWorkers
                };
                serve(settings, bind, duties).await
            }
            Some(Command::Worker { bind }) => serve(settings, bind, Duties::Workers).await,
            None | Some(Command::Schema { .. } | Command::Healthcheck { .. }) => {
                serve(settings, None, Duties::ApiAndWorkers).await
            }
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("hearth: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let db = crate::db::connect_pooled(&settings.database_url, settings.database_pool).await?;
    crate::db::migrate(&db).await?;
    tracing::info!("migrations applied");
    Ok(())
}

/// The database, migrated, and the key ring checked against it.
async fn open_with_keys(
    settings: &Settings,
) -> anyhow::Result<(sea_orm::DatabaseConnection, crate::keys::Vault)> {
    let vault = crate::keys::Vault::from_settings(settings).map_err(|e| anyhow::anyhow!("{e}"))?;
    let db = crate::db::connect_pooled(&settings.database_url, settings.database_pool).await?;
    crate::db::migrate(&db).await?;
    crate::keys::rotation::check_at_start(&db, &vault, crate::keys::KeyRing::variable(settings))
        .await?;
    Ok((db, vault))
}

async fn keys(settings: &Settings, action: KeysCommand) -> anyhow::Result<()> {
    use crate::keys::rotation;
    let failed = |what: &str, e: crate::error::AppError| anyhow::anyhow!("{what}: {}", e.message());
    if let KeysCommand::New = action {
        println!("{}", crate::keys::ring::new_kek_text().as_str());
        return Ok(());
    }
    let vault = crate::keys::Vault::from_settings(settings).map_err(|e| anyhow::anyhow!("{e}"))?;
    let db = crate::db::connect_pooled(&settings.database_url, settings.database_pool).await?;
    crate::db::migrate(&db).await?;
    match action {
        KeysCommand::New => {}
        KeysCommand::Check => {
            let checked = rotation::check(&db, &vault)
                .await
                .map_err(|e| failed("check", e))?;
            let current = vault.ring().current_id();
            for (kek, count) in &checked.by_kek {
                let mark = if kek == current { " (current)" } else { "" };
                println!("{count} data keys under KEK {kek}{mark}");
            }
            if !checked.unopened.is_empty() {
                anyhow::bail!(
                    "{} data keys do not open with the configured KEKs (first: person {})",
                    checked.unopened.len(),
                    checked.unopened[0]
                );
            }
            println!("every data key opens");
        }
        KeysCommand::Rotate { batch, limit } => {
            let rotated = rotation::rotate(&db, &vault, batch.max(1), limit)
                .await
                .map_err(|e| failed("rotate", e))?;
            println!(
                "{} data keys rewrapped under KEK {}; {} left",
                rotated.rewrapped,
                vault.ring().current_id(),
                rotated.left
            );
            if rotated.left == 0 {
                println!("done: the retired KEK may be removed from HEARTH_KEK_RETIRED_FILES");
            }
        }
    }
    Ok(())
}

async fn admin(settings: &Settings, action: AdminCommand) -> anyhow::Result<()> {
    let (db, vault) = open_with_keys(settings).await?;
    let failed = |what: &str, e: crate::error::AppError| anyhow::anyhow!("{what}: {}", e.message());
    match action {
        AdminCommand::CreateUser {
            email,
            display_name,
        } => {
            let password = match std::env::var("HEARTH_NEW_PASSWORD") {
                Ok(password) => password,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let passwords = crate::auth::passwords::PasswordHasher::new()
                .map_err(|e| failed("password hasher", e))?;
            let user = crate::accounts::create_verified(
                &db,
                &vault,
                &passwords,
                &email,
                &display_name,
                &password,
            )
            .await
            .map_err(|e| failed("create-user", e))?;
            println!("{} can sign in as {}.", user.email, user.display_name);
        }
        AdminCommand::CreateAdmin { email } => {
            let user = crate::accounts::find_by_email(&db, &vault, &email)
                .await
                .map_err(|e| failed("no such account", e))?;
            crate::accounts::make_admin(&db, &user.id)
                .await
                .map_err(|e| failed("create-admin", e))?;
            let address = crate::accounts::addresses::address_of(&db, &vault, &user)
                .await
                .map_err(|e| failed("create-admin", e))?;
            println!("{address} is a platform admin.");
        }
        AdminCommand::GrantExpert { email, title, days } => {
            let user = crate::accounts::find_by_email(&db, &vault, &email)
                .await
                .map_err(|e| failed("no such account", e))?;
            let address = crate::accounts::addresses::address_of(&db, &vault, &user)
                .await
                .map_err(|e| failed("grant-expert", e))?;
            let until = crate::clock::now() + chrono::Duration::days(i64::from(days));
            let standing = crate::questions::experts::write(&db, &user.id, None, &title, until)
                .await
                .map_err(|e| failed("grant-expert", e))?;
            println!(
                "{} is an expert ({}) until {}.",
                address,
                standing.title,
                standing.verified_until.format("%Y-%m-%d")
            );
        }
    }
    Ok(())
}

async fn demo(settings: &Settings) -> anyhow::Result<()> {
    let (db, vault) = open_with_keys(settings).await?;
    let filled = crate::demo::fill(&db, &vault)
        .await
        .map_err(|e| anyhow::anyhow!("demo data: {e:?}"))?;
    if filled {
        println!(
            "Demo data created. Sign in with any of these, password `{}`:",
            crate::demo::DEMO_PASSWORD
        );
        for email in crate::demo::credentials() {
            println!("  {email}");
        }
    } else {
        println!("The database already has accounts; demo data not added.");
    }
    Ok(())
}

/// GET /healthz on the server listening at `bind` (on loopback when it listens everywhere).
fn healthcheck(bind: SocketAddr) -> ExitCode {
    let host = match bind.ip() {
        ip if !ip.is_unspecified() => ip,
        std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
    };
    let url = format!("http://{}/healthz", SocketAddr::new(host, bind.port()));
    let answer = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| {
            runtime.block_on(async {
                // Its own port, whatever proxy the environment names.
                let client = reqwest::Client::builder()
                    .no_proxy()
                    .timeout(std::time::Duration::from_secs(2))
                    .build()?;
                Ok(client.get(&url).send().await?.status())
            })
        });
    match answer {
        Ok(status) if status.is_success() => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("hearth: {url} answered {status}");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("hearth: {url}: {err}");
            ExitCode::FAILURE
        }
    }
}

/// What one process runs: both (the default), the API alone (`serve --no-workers`), or the
/// background workers alone (`worker`).
#[derive(Clone, Copy, Debug)]
enum Duties {
    ApiAndWorkers,
    Api,
    Workers,
}

async fn serve(
    mut settings: Settings,
    bind: Option<SocketAddr>,
    duties: Duties,
) -> anyhow::Result<()> {
    if let Some(bind) = bind {
        settings.bind = bind;
    }
    settings.run_workers = !matches!(duties, Duties::Api);
    settings.serve_api = !matches!(duties, Duties::Workers);
    let app = App::build(settings).await?;
    tracing::info!(address = %app.local_addr(), ?duties, "hearth listening");
    let shutdown = app.shutdown_token();
    tokio::spawn(async move {
        termination_signal().await;
        tracing::info!("shutting down");
        shutdown.cancel();
    });
    app.run_until_stopped().await
}

fn schema(action: Option<SchemaCommand>) -> ExitCode {
    let sdl = crate::graphql::schema::sdl();
    match action {
        None => {
            print!("{sdl}");
            ExitCode::SUCCESS
        }
        Some(SchemaCommand::TypePolicies { client }) => {
            match crate::type_policies::generate(&sdl, client) {
                Ok(policies) => {
                    print!("{policies}");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("hearth: {err:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(SchemaCommand::Check {
            released,
            changelog,
        }) => {
            match check_schema(&sdl, &released, &changelog) {
                Ok(problems) if problems.is_empty() => {
                    println!("schema: no unlisted breaking change, every type, field and argument described");
                    ExitCode::SUCCESS
                }
                Ok(problems) => {
                    for problem in problems {
                        eprintln!("{problem}");
                    }
                    ExitCode::FAILURE
                }
                Err(err) => {
                    eprintln!("hearth: {err:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn check_schema(
    sdl: &str,
    released: &std::path::Path,
    changelog: &std::path::Path,
) -> anyhow::Result<Vec<String>> {
    use crate::schema_changes::{compare, undocumented, unlisted};
    use anyhow::Context as _;
    let released_sdl = std::fs::read_to_string(released)
        .with_context(|| format!("reading {}", released.display()))?;
    let listed = std::fs::read_to_string(changelog)
        .with_context(|| format!("reading {}", changelog.display()))?;
    let changes = compare(&released_sdl, sdl)?;
    let mut problems: Vec<String> = unlisted(&changes, &listed)
        .into_iter()
        .map(|change| {
            format!(
                "breaking change not listed in {}: {change}",
                changelog.display()
            )
        })
        .collect();
    problems.extend(
        undocumented(sdl)?
            .into_iter()
            .map(|coordinate| format!("no description: {coordinate}")),
    );
    Ok(problems)
}
