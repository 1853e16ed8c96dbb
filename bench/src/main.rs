//! Benchmarks that print figures. `cargo run --release -p bench -- <scenario> [options]`.
//! The server runs in this process on a temp SQLite file, or on `HEARTH_BENCH_DATABASE_URL`.
mod abuse;
mod charts;
mod compare;
/// The fake FCM of the tests (OAuth and FCM HTTP v1 on loopback), for the push and scale-out runs.
#[allow(clippy::unwrap_used, clippy::expect_used, dead_code)]
#[path = "../../tests/api/fake_fcm.rs"]
mod fake_fcm;
mod fanout;
mod feed;
mod lifecycle;
mod load;
mod login;
mod meetings;
mod mix;
mod mood;
mod process;
mod push;
mod questions;
mod replies;
mod scaleout;
mod words;

use std::process::ExitCode;

/// The allocator the server binary ships with, so the in-process server is measured as it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: bench login|feed|questions [--requests N] [--concurrency C] | fanout [--sockets N] [--across] | push [--jobs N] [--latency-ms L] | mood [--requests N] | abuse [--seconds S] | lifecycle [--tries N] [--accounts N] | meetings [--seconds S] [--concurrency C] [--people N] | compare [--requests N] [--concurrency C] | replies [--requests N] [--concurrency C] | mix [--seconds S] [--concurrency C] [--members N] | scale-out";

fn option(args: &[String], name: &str, default: usize) -> anyhow::Result<usize> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => Ok(args
            .get(i + 1)
            .ok_or_else(|| anyhow::anyhow!("{name} needs a value"))?
            .parse()?),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The server's log, when asked for (`RUST_LOG=warn`): a bench is quiet otherwise.
    if std::env::var_os("RUST_LOG").is_some() {
        api::telemetry::init_logging(false);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("bench: {err}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match args.first().map(String::as_str) {
            Some("login") => {
                login::run(
                    option(&args, "--requests", 400)?,
                    option(&args, "--concurrency", 8)?,
                )
                .await
            }
            Some("feed") => {
                feed::run(
                    option(&args, "--requests", 5_000)?,
                    option(&args, "--concurrency", 32)?,
                )
                .await
            }
            Some("questions") => {
                questions::run(
                    option(&args, "--requests", 2_000)?,
                    option(&args, "--concurrency", 32)?,
                )
                .await
            }
            Some("fanout") => {
                fanout::run(
                    option(&args, "--sockets", 1_000)?,
                    args.iter().any(|a| a == "--across"),
                )
                .await
            }
            Some("push") => {
                push::run(
                    option(&args, "--jobs", 5_000)?,
                    option(&args, "--latency-ms", 40)? as u64,
                )
                .await
            }
            Some("mood") => mood::run(option(&args, "--requests", 200)?).await,
            Some("abuse") => abuse::run(option(&args, "--seconds", 10)?).await,
            Some("compare") => {
                compare::run(
                    option(&args, "--requests", 3_000)?,
                    option(&args, "--concurrency", 32)?,
                )
                .await
            }
            Some("replies") => {
                replies::run(
                    option(&args, "--requests", 3_000)?,
                    option(&args, "--concurrency", 32)?,
                )
                .await
            }
            Some("mix") => {
                mix::run(mix::Options {
                    seconds: option(&args, "--seconds", 8)?,
                    concurrency: option(&args, "--concurrency", 32)?,
                    members: option(&args, "--members", 64)?,
                })
                .await
            }
            Some("scale-out") => scaleout::run().await,
            Some("lifecycle") => {
                lifecycle::run(
                    option(&args, "--tries", 50)?,
                    option(&args, "--accounts", 1)?,
                )
                .await
            }
            Some("meetings") => {
                meetings::run(meetings::Options {
                    seconds: option(&args, "--seconds", 10)?,
                    concurrency: option(&args, "--concurrency", 32)?,
                    people: option(&args, "--people", 32)?,
                })
                .await
            }
            _ => Err(anyhow::anyhow!(USAGE)),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench: {err:#}");
            ExitCode::FAILURE
        }
    }
}
