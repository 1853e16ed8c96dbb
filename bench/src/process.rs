//! The release server binary in a process of its own, so what it uses (CPU, memory) is read
//! apart from the load generator's. Needs `cargo build --release` (`hearth` beside `bench`).
/// The key-encryption key of the benchmarks' servers (32 bytes in base64; not a secret).
pub const BENCH_KEK: &str = "YmVuY2gta2VrLWJlbmNoLWtlay1iZW5jaC1rZWstMDE=";

/// The key ring of `BENCH_KEK`, for seeding the benchmarks' databases as a server would.
pub fn bench_vault() -> anyhow::Result<api::keys::Vault> {
    let kek = api::keys::ring::parse_kek(BENCH_KEK)?;
    Ok(api::keys::Vault::new(api::keys::KeyRing::new(kek, vec![])))
}
use anyhow::Context as _;
use std::ffi::OsString;
use std::process::{Child, Command};
use std::time::Duration;

pub struct ServerProcess {
    child: Child,
    binary: std::path::PathBuf,
    /// The variables the server was started with, so an admin command reaches its database.
    environment: Vec<(OsString, Option<OsString>)>,
    /// `127.0.0.1:<port>`.
    pub base: String,
    _dir: tempfile::TempDir,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    /// Starts `hearth` on a free port in a temp dir (its SQLite file and dev secret there, no
    /// Redis), with `configure` adding arguments and variables; returns once `/healthz` answers.
    pub async fn start(configure: impl FnOnce(&mut Command)) -> anyhow::Result<Self> {
        Self::start_at(free_port()?, configure).await
    }

    /// The same on a given port: a process started again in another's place keeps its address.
    pub async fn start_at(port: u16, configure: impl FnOnce(&mut Command)) -> anyhow::Result<Self> {
        let binary = server_binary()?;
        let dir = tempfile::tempdir()?;
        let mut command = Command::new(&binary);
        command
            .current_dir(dir.path())
            .env("HEARTH_BIND", format!("127.0.0.1:{port}"))
            .env(
                "HEARTH_JWT_SECRET",
                "bench-secret-bench-secret-bench-secret-0123",
            )
            // One key-encryption key for every process of a run: they share the database.
            .env("HEARTH_KEK", BENCH_KEK)
            .env("RUST_LOG", "warn")
            .env_remove("HEARTH_REDIS_URL")
            .env_remove("HEARTH_DATABASE_URL");
        configure(&mut command);
        let environment = command
            .get_envs()
            .map(|(key, value)| (key.to_owned(), value.map(OsString::from)))
            .collect();
        let server = ServerProcess {
            child: command.spawn()?,
            binary,
            environment,
            base: format!("127.0.0.1:{port}"),
            _dir: dir,
        };
        for _ in 0..100 {
            if reqwest::get(server.url("/healthz")).await.is_ok() {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("the server did not start")
    }

    /// A verified account made with `hearth admin create-user` on the server's database (with the
    /// server's own variables, in its directory): registration by mailed code is not what is measured.
    pub fn create_user(&self, email: &str, name: &str, password: &str) -> anyhow::Result<()> {
        let mut command = Command::new(&self.binary);
        command.current_dir(self._dir.path());
        for (key, value) in &self.environment {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        let output = command
            .env("HEARTH_NEW_PASSWORD", password)
            .args(["admin", "create-user", email, name])
            .output()?;
        anyhow::ensure!(
            output.status.success(),
            "create-user failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(())
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.base)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// `hearth migrate` with the variables `configure` sets, once, as the deployment's Job does
/// before any instance starts.
pub fn migrate(configure: impl FnOnce(&mut Command)) -> anyhow::Result<()> {
    let mut command = Command::new(server_binary()?);
    configure(&mut command);
    let migrated = command.arg("migrate").output()?;
    anyhow::ensure!(
        migrated.status.success(),
        "migrate: {}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    Ok(())
}

/// The `hearth` binary built beside this one.
pub fn server_binary() -> anyhow::Result<std::path::PathBuf> {
    let binary = std::env::current_exe()?.with_file_name("hearth");
    anyhow::ensure!(
        binary.exists(),
        "build the server first: cargo build --release -p hearth -p bench"
    );
    Ok(binary)
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// CPU time (user + system) a process has used, in 10 ms steps.
pub fn cpu(pid: u32) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("bad stat")?
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields.get(11).context("no utime")?.parse::<u64>()?
        + fields.get(12).context("no stime")?.parse::<u64>()?;
    // The kernel counts in USER_HZ, which is 100 on Linux.
    Ok(Duration::from_millis(ticks * 10))
}

/// A `Vm…:` line of a process's status, in KiB (`VmRSS:` now, `VmHWM:` at its peak).
pub fn memory_kib(pid: u32, key: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {key} in /proc status"))
}
