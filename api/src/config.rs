//! Typed settings: defaults, then an optional `hearth.toml`, then `HEARTH_*` variables.
//! Validated once at start; a bad value fails with one line naming the variable.
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// A secret that never prints, and whose bytes are wiped when it is dropped.
#[derive(Clone)]
pub struct Secret(zeroize::Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(zeroize::Zeroizing::new(value.into()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Limits on sign-in and sign-up attempts: strict per account, loose per IP address.
#[derive(Clone, Debug)]
pub struct AuthLimits {
    /// Failed sign-ins against one account from one address.
    pub login_failures_per_account: u32,
    /// Failed sign-ins against one account from anywhere.
    pub login_failures_per_account_total: u32,
    pub login_attempts_per_ip: u32,
    pub login_window: Duration,
    pub registrations_per_ip: u32,
    pub registration_window: Duration,
}

/// Per-user posting limits (per hour), counted across instances when Redis is configured.
#[derive(Clone, Copy, Debug)]
pub struct PostingLimits {
    pub posts_per_hour: u32,
    /// Replies and answers.
    pub replies_per_hour: u32,
    pub questions_per_hour: u32,
}

/// The push worker's settings.
#[derive(Clone, Debug)]
pub struct PushWorkerSettings {
    /// How long a claim holds; a job whose worker died is taken again after it.
    pub lease: Duration,
    pub max_attempts: i32,
    /// First retry delay; doubles with each attempt (plus jitter), or what `Retry-After` says.
    pub retry_base: Duration,
}

/// Where mail goes, and how the mail worker retries.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// `smtp://`, `smtps://` (or `smtp://…?tls=required` for STARTTLS), with credentials in the
    /// URL when the server wants them. Unset: mails are written to the log (development only).
    pub smtp_url: Option<Secret>,
    /// The sender, e.g. `Hearth <no-reply@example.org>`.
    pub from: String,
    /// First retry delay; doubles with each attempt (plus jitter).
    pub retry_base: Duration,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub env: Environment,
    pub bind: SocketAddr,
    /// Where `/metrics` is served on its own; unset: on `bind` in development, nowhere in production.
    pub metrics_bind: Option<SocketAddr>,
    pub database_url: String,
    /// Most PostgreSQL connections one instance holds (`db::connect_pooled`).
    pub database_pool: u32,
    pub redis_url: Option<String>,
    /// Prefix of every Redis key and channel, so several deployments (or tests) can share a server.
    pub redis_prefix: String,
    pub data_dir: PathBuf,
    pub jwt_secret: Option<Secret>,
    /// The file holding the key-encryption key (32 random bytes in base64).
    pub kek_file: Option<PathBuf>,
    /// The key-encryption key itself, for development only.
    pub kek: Option<Secret>,
    /// Files of earlier key-encryption keys, still accepted while `hearth keys rotate` runs.
    pub retired_kek_files: Vec<PathBuf>,
    pub fcm_credentials: Option<PathBuf>,
    pub fcm_endpoint: String,
    /// JSON file of crisis resources by country; unset: the built-in international list.
    pub crisis_resources: Option<PathBuf>,
    /// When set, only the documents of this manifest (hash → document) run.
    pub trusted_documents: Option<PathBuf>,
    pub trust_forwarded_for: bool,
    pub auth_limits: AuthLimits,
    /// How long a rotated refresh token is still accepted (an app's two concurrent refreshes).
    pub refresh_reuse_grace: Duration,
    /// How long an instance trusts a session it has checked; bounds how late a revocation bites.
    pub session_check_interval: Duration,
    /// How long an instance keeps the group pages and feeds it read (`page_cache`); zero keeps
    /// none. Bounds how late what changes without a request (a ban running out) shows.
    pub page_cache_keep: Duration,
    /// How often an instance checks the versions of what it keeps (`read_versions`), whatever
    /// it hears from the others; under its one-second bound, so that a check that is late or
    /// slow leaves no kept read served past the bound.
    pub read_check_every: Duration,
    pub access_token_ttl: Duration,
    pub session_ttl: Duration,
    /// How long a WebSocket client has to send `connection_init` (closed with 4408 after).
    pub ws_init_timeout: Duration,
    pub posting_limits: PostingLimits,
    /// Run the background workers in this process (`hearth serve --no-workers` turns them off).
    pub run_workers: bool,
    /// Serve the API in this process (`hearth worker` turns it off: background work, health
    /// checks and metrics only).
    pub serve_api: bool,
    pub push_worker: PushWorkerSettings,
    pub mail: MailSettings,
}

#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: String,
    pub message: String,
}

fn bad(variable: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable: variable.to_string(),
        message: message.into(),
    }
}

/// Every setting, as `HEARTH_<KEY>` in the environment or `<key>` in `hearth.toml`.
pub const KEYS: &[&str] = &[
    "ENV",
    "BIND",
    "METRICS_BIND",
    "DATABASE_URL",
    "DATABASE_POOL",
    "REDIS_URL",
    "REDIS_PREFIX",
    "DATA_DIR",
    "JWT_SECRET",
    "KEK_FILE",
    "KEK",
    "KEK_RETIRED_FILES",
    "FCM_CREDENTIALS",
    "FCM_ENDPOINT",
    "CRISIS_RESOURCES",
    "TRUSTED_DOCUMENTS",
    "TRUST_FORWARDED_FOR",
    "SMTP_ALLOW_PLAINTEXT",
    "LOGIN_FAILURES_PER_ACCOUNT",
    "LOGIN_FAILURES_PER_ACCOUNT_TOTAL",
    "LOGIN_ATTEMPTS_PER_IP",
    "LOGIN_WINDOW_SECS",
    "REGISTRATIONS_PER_IP",
    "REGISTRATION_WINDOW_SECS",
    "REFRESH_REUSE_GRACE_SECS",
    "SESSION_CHECK_SECS",
    "PAGE_MEMO_SECS",
    "WS_INIT_TIMEOUT_SECS",
    "POSTS_PER_HOUR",
    "REPLIES_PER_HOUR",
    "QUESTIONS_PER_HOUR",
    "PUSH_MAX_ATTEMPTS",
    "PUSH_RETRY_BASE_MS",
    "PUSH_CLAIM_SECS",
    "SMTP_URL",
    "MAIL_FROM",
    "MAIL_RETRY_BASE_MS",
];

impl Settings {
    /// Reads `hearth.toml` (or the file named by `HEARTH_CONFIG`) when present, then the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let file = match env.get("HEARTH_CONFIG") {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| bad("HEARTH_CONFIG", format!("cannot read {path}: {e}")))?,
            ),
            None => std::fs::read_to_string("hearth.toml").ok(),
        };
        Self::from_sources(file.as_deref(), &env)
    }

    /// Builds settings from a TOML text (keys like `database_url`) and `HEARTH_*` variables, which win.
    pub fn from_sources(
        file: Option<&str>,
        env: &HashMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let mut raw: HashMap<&str, String> = HashMap::new();
        if let Some(text) = file {
            let table: toml::Table = text
                .parse()
                .map_err(|e| bad("hearth.toml", format!("not valid TOML: {e}")))?;
            for (key, value) in table {
                let upper = key.to_ascii_uppercase();
                let Some(known) = KEYS.iter().find(|k| **k == upper) else {
                    return Err(bad("hearth.toml", format!("unknown key `{key}`")));
                };
                let text = match value {
                    toml::Value::String(s) => s,
                    other => other.to_string(),
                };
                raw.insert(known, text);
            }
        }
        for key in KEYS {
            if let Some(value) = env.get(&format!("HEARTH_{key}")) {
                raw.insert(key, value.clone());
            }
        }
        let get = |key: &str| {
            raw.get(key)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let env_kind = match get("ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                return Err(bad(
                    "HEARTH_ENV",
                    format!("must be `development` or `production`, not `{other}`"),
                ))
            }
        };
        let bind = get("BIND")
            .unwrap_or_else(|| "127.0.0.1:8000".into())
            .parse()
            .map_err(|_| bad("HEARTH_BIND", "must be an address like 127.0.0.1:8000"))?;
        let metrics_bind = get("METRICS_BIND")
            .map(|v| {
                v.parse().map_err(|_| {
                    bad(
                        "HEARTH_METRICS_BIND",
                        "must be an address like 127.0.0.1:9100",
                    )
                })
            })
            .transpose()?;
        let database_url =
            get("DATABASE_URL").unwrap_or_else(|| "sqlite://hearth-data/hearth.db?mode=rwc".into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(bad(
                "HEARTH_DATABASE_URL",
                "must start with sqlite: or postgres://",
            ));
        }
        let redis_url = get("REDIS_URL");
        if let Some(url) = &redis_url {
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(bad(
                    "HEARTH_REDIS_URL",
                    "must start with redis:// or rediss://",
                ));
            }
        }
        let jwt_secret = get("JWT_SECRET").map(Secret::new);
        if env_kind == Environment::Production {
            match &jwt_secret {
                None => return Err(bad("HEARTH_JWT_SECRET", "is required in production")),
                Some(s) if s.expose().len() < 32 => {
                    return Err(bad("HEARTH_JWT_SECRET", "must be at least 32 bytes"))
                }
                Some(s) if shannon_bits(s.expose()) < MIN_SECRET_BITS => {
                    return Err(bad(
                        "HEARTH_JWT_SECRET",
                        "is too predictable: use 32 random bytes, e.g. `openssl rand -base64 32`",
                    ))
                }
                Some(_) => {}
            }
        }
        let kek_file = get("KEK_FILE").map(PathBuf::from);
        let kek = get("KEK").map(Secret::new);
        let retired_kek_files = get("KEK_RETIRED_FILES")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from)
                    .collect()
            })
            .unwrap_or_default();
        let fcm_endpoint =
            get("FCM_ENDPOINT").unwrap_or_else(|| "https://fcm.googleapis.com".into());
        if !(fcm_endpoint.starts_with("https://") || fcm_endpoint.starts_with("http://")) {
            return Err(bad("HEARTH_FCM_ENDPOINT", "must be an http(s) URL"));
        }
        let fcm_credentials = get("FCM_CREDENTIALS").map(PathBuf::from);
        if let Some(path) = &fcm_credentials {
            if !path.is_file() {
                return Err(bad(
                    "HEARTH_FCM_CREDENTIALS",
                    "must name a readable service-account JSON file",
                ));
            }
        }
        let flag = |key: &str| -> Result<bool, ConfigError> {
            match get(key).as_deref() {
                None | Some("false") | Some("0") => Ok(false),
                Some("true") | Some("1") => Ok(true),
                Some(_) => Err(bad(&format!("HEARTH_{key}"), "must be true or false")),
            }
        };
        let smtp_url = get("SMTP_URL");
        match &smtp_url {
            None if env_kind == Environment::Production => {
                return Err(bad(
                    "HEARTH_SMTP_URL",
                    "is required in production (codes and account mail go out through it)",
                ))
            }
            Some(url)
                if !(url.starts_with("smtp://") || url.starts_with("smtps://"))
                    || lettre_url_is_bad(url) =>
            {
                return Err(bad(
                    "HEARTH_SMTP_URL",
                    "must be a URL like smtps://user:password@mail.example.org",
                ))
            }
            Some(url)
                if env_kind == Environment::Production
                    && in_clear_off_host(url)
                    && !flag("SMTP_ALLOW_PLAINTEXT")? =>
            {
                return Err(bad(
                    "HEARTH_SMTP_URL",
                    "would send mail (codes included) in clear to another host: use smtps://, \
                     add ?tls=required for STARTTLS, or set HEARTH_SMTP_ALLOW_PLAINTEXT=true if \
                     the network to it is yours",
                ))
            }
            _ => {}
        }
        let mail_from = match get("MAIL_FROM") {
            None if env_kind == Environment::Production => {
                return Err(bad("HEARTH_MAIL_FROM", "is required in production"))
            }
            None => "Hearth <no-reply@localhost>".to_owned(),
            Some(from) => {
                if from.parse::<lettre::message::Mailbox>().is_err() {
                    return Err(bad(
                        "HEARTH_MAIL_FROM",
                        "must be an address like `Hearth <no-reply@example.org>`",
                    ));
                }
                from
            }
        };
        let crisis_resources = get("CRISIS_RESOURCES").map(PathBuf::from);
        if crisis_resources
            .as_ref()
            .is_some_and(|path| !path.is_file())
        {
            return Err(bad(
                "HEARTH_CRISIS_RESOURCES",
                "must name a readable JSON file of crisis resources",
            ));
        }
        let trusted_documents = get("TRUSTED_DOCUMENTS").map(PathBuf::from);
        if trusted_documents
            .as_ref()
            .is_some_and(|path| !path.is_file())
        {
            return Err(bad(
                "HEARTH_TRUSTED_DOCUMENTS",
                "must name a readable JSON manifest of trusted documents",
            ));
        }
        let number = |key: &str, default: u64, min: u64| -> Result<u64, ConfigError> {
            match get(key) {
                None => Ok(default),
                Some(v) => match v.parse::<u64>() {
                    Ok(n) if n >= min => Ok(n),
                    _ => Err(bad(
                        &format!("HEARTH_{key}"),
                        format!("must be a whole number of at least {min}"),
                    )),
                },
            }
        };
        if env_kind == Environment::Production {
            if kek.is_some() {
                return Err(bad(
                    "HEARTH_KEK",
                    "is for development: in production give the key as a file \
                     (HEARTH_KEK_FILE), kept out of the environment and of the database's backups",
                ));
            }
            if kek_file.is_none() {
                return Err(bad(
                    "HEARTH_KEK_FILE",
                    "is required in production: a file holding 32 random bytes in base64 \
                     (`openssl rand -base64 32`); docs/OPERATIONS.md says how to keep it",
                ));
            }
        }
        let as_u32 = |n: u64, key: &str| {
            u32::try_from(n).map_err(|_| bad(&format!("HEARTH_{key}"), "is too large"))
        };

        Ok(Settings {
            env: env_kind,
            bind,
            metrics_bind,
            database_url,
            database_pool: as_u32(
                number("DATABASE_POOL", u64::from(crate::db::DEFAULT_POOL), 1)?,
                "DATABASE_POOL",
            )?,
            redis_url,
            redis_prefix: get("REDIS_PREFIX").unwrap_or_else(|| "hearth".into()),
            data_dir: PathBuf::from(get("DATA_DIR").unwrap_or_else(|| "hearth-data".into())),
            jwt_secret,
            kek_file,
            kek,
            retired_kek_files,
            fcm_credentials,
            fcm_endpoint,
            crisis_resources,
            trusted_documents,
            trust_forwarded_for: flag("TRUST_FORWARDED_FOR")?,
            auth_limits: AuthLimits {
                login_failures_per_account: as_u32(
                    number("LOGIN_FAILURES_PER_ACCOUNT", 5, 1)?,
                    "LOGIN_FAILURES_PER_ACCOUNT",
                )?,
                login_failures_per_account_total: as_u32(
                    number("LOGIN_FAILURES_PER_ACCOUNT_TOTAL", 100, 1)?,
                    "LOGIN_FAILURES_PER_ACCOUNT_TOTAL",
                )?,
                login_attempts_per_ip: as_u32(
                    number("LOGIN_ATTEMPTS_PER_IP", 300, 1)?,
                    "LOGIN_ATTEMPTS_PER_IP",
                )?,
                login_window: Duration::from_secs(number("LOGIN_WINDOW_SECS", 900, 1)?),
                registrations_per_ip: as_u32(
                    number("REGISTRATIONS_PER_IP", 50, 1)?,
                    "REGISTRATIONS_PER_IP",
                )?,
                registration_window: Duration::from_secs(number(
                    "REGISTRATION_WINDOW_SECS",
                    3600,
                    1,
                )?),
            },
            refresh_reuse_grace: Duration::from_secs(number("REFRESH_REUSE_GRACE_SECS", 10, 0)?),
            session_check_interval: Duration::from_secs(number("SESSION_CHECK_SECS", 30, 0)?),
            page_cache_keep: Duration::from_secs(number("PAGE_MEMO_SECS", 5, 0)?),
            read_check_every: Duration::from_millis(400),
            access_token_ttl: Duration::from_secs(15 * 60),
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            ws_init_timeout: Duration::from_secs(number("WS_INIT_TIMEOUT_SECS", 10, 1)?),
            posting_limits: PostingLimits {
                posts_per_hour: as_u32(number("POSTS_PER_HOUR", 10, 1)?, "POSTS_PER_HOUR")?,
                replies_per_hour: as_u32(number("REPLIES_PER_HOUR", 60, 1)?, "REPLIES_PER_HOUR")?,
                questions_per_hour: as_u32(
                    number("QUESTIONS_PER_HOUR", 5, 1)?,
                    "QUESTIONS_PER_HOUR",
                )?,
            },
            run_workers: true,
            serve_api: true,
            push_worker: PushWorkerSettings {
                lease: Duration::from_secs(number("PUSH_CLAIM_SECS", 60, 1)?),
                max_attempts: i32::try_from(number("PUSH_MAX_ATTEMPTS", 5, 1)?)
                    .map_err(|_| bad("HEARTH_PUSH_MAX_ATTEMPTS", "is too large"))?,
                retry_base: Duration::from_millis(number("PUSH_RETRY_BASE_MS", 1_000, 1)?),
            },
            mail: MailSettings {
                smtp_url: smtp_url.map(Secret::new),
                from: mail_from,
                retry_base: Duration::from_millis(number("MAIL_RETRY_BASE_MS", 5_000, 1)?),
            },
        })
    }

    /// `/metrics` shares the public port only in development with no address of its own.
    pub fn metrics_on_public_port(&self) -> bool {
        self.metrics_bind.is_none() && !self.is_production()
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }

    /// In development, a JWT secret generated on first start and kept in the data directory.
    pub fn ensure_dev_jwt_secret(&mut self) -> Result<(), ConfigError> {
        if self.jwt_secret.is_some() {
            return Ok(());
        }
        let path = self.data_dir.join("jwt-secret");
        let secret = read_or_create_secret(&path).map_err(|e| {
            bad(
                "HEARTH_JWT_SECRET",
                format!("cannot keep a dev secret in {}: {e}", path.display()),
            )
        })?;
        self.jwt_secret = Some(Secret::new(secret));
        Ok(())
    }

    /// In development without a key-encryption key, one generated on first start and kept in
    /// the data directory (beside the embedded database, which it must not be backed up with).
    pub fn ensure_dev_kek(&mut self) -> Result<(), ConfigError> {
        if self.kek.is_some() || self.kek_file.is_some() {
            return Ok(());
        }
        let path = self.data_dir.join("kek");
        create_key_file_once(&path).map_err(|e| {
            bad(
                "HEARTH_KEK_FILE",
                format!("cannot keep a dev key in {}: {e}", path.display()),
            )
        })?;
        self.kek_file = Some(path);
        Ok(())
    }

    /// Creates the directory of a `sqlite://` database file, so the embedded default just works.
    pub fn ensure_sqlite_dir(&self) -> Result<(), ConfigError> {
        if let Some(rest) = self.database_url.strip_prefix("sqlite://") {
            let file = rest.split('?').next().unwrap_or_default();
            if let Some(dir) = Path::new(file)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir).map_err(|e| {
                    bad(
                        "HEARTH_DATABASE_URL",
                        format!("cannot create {}: {e}", dir.display()),
                    )
                })?;
            }
        }
        Ok(())
    }
}

/// Whether lettre would refuse this SMTP URL (an unknown `tls=` value, no host…).
/// A plain `smtp://` URL without `tls=required` whose host is not this machine: mail would
/// cross a network unencrypted.
fn in_clear_off_host(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    if parsed.scheme() != "smtp"
        || parsed
            .query_pairs()
            .any(|(k, v)| k == "tls" && v == "required")
    {
        return false;
    }
    let host = parsed.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    !loopback
}

fn lettre_url_is_bad(url: &str) -> bool {
    lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url).is_err()
}

/// Least entropy a production JWT secret must show, in bits over its length.
const MIN_SECRET_BITS: f64 = 100.0;

/// The Shannon entropy of the text's characters times its length: 0 for 32 × `a`, about 190
/// for 32 random bytes in base64. It cannot prove a secret random, only catch a lazy one.
fn shannon_bits(text: &str) -> f64 {
    let mut counts: HashMap<char, usize> = HashMap::new();
    let mut total = 0_usize;
    for c in text.chars() {
        *counts.entry(c).or_default() += 1;
        total += 1;
    }
    let total_f = total as f64;
    let per_char: f64 = counts
        .values()
        .map(|&n| {
            let p = n as f64 / total_f;
            -p * p.log2()
        })
        .sum();
    per_char * total_f
}

/// Writes 32 random bytes in base64 to `path` unless a file is there already: an existing key
/// is never replaced, whatever it holds (what it sealed would be lost); starting reports a bad
/// one.
fn create_key_file_once(path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    match options.open(path) {
        Ok(mut file) => file.write_all(crate::secrets::random_token().as_bytes()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

fn read_or_create_secret(path: &Path) -> std::io::Result<String> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim().to_string();
        if existing.len() >= 32 {
            return Ok(existing);
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let secret = crate::secrets::random_token();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    options.open(path)?.write_all(secret.as_bytes())?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_run_embedded() {
        let s = Settings::from_sources(None, &env(&[])).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:8000");
        assert!(s.database_url.starts_with("sqlite://hearth-data/"));
        assert!(s.redis_url.is_none());
        assert!(!s.is_production());
        assert_eq!(s.page_cache_keep, Duration::from_secs(5));
    }

    #[test]
    fn the_page_memo_keeps_what_is_set_among_instances_too() {
        let redis = ("HEARTH_REDIS_URL", "redis://127.0.0.1:6379");
        let s = Settings::from_sources(None, &env(&[redis])).unwrap();
        assert_eq!(s.page_cache_keep, Duration::from_secs(5));
        let s =
            Settings::from_sources(None, &env(&[redis, ("HEARTH_PAGE_MEMO_SECS", "0")])).unwrap();
        assert!(s.page_cache_keep.is_zero());
    }

    #[test]
    fn production_refuses_a_short_secret() {
        let e = Settings::from_sources(
            None,
            &env(&[("HEARTH_ENV", "production"), ("HEARTH_JWT_SECRET", "short")]),
        )
        .unwrap_err();
        assert_eq!(e.variable, "HEARTH_JWT_SECRET");
        let e = Settings::from_sources(None, &env(&[("HEARTH_ENV", "production")])).unwrap_err();
        assert_eq!(e.variable, "HEARTH_JWT_SECRET");
        let random = crate::secrets::random_token();
        let e = Settings::from_sources(
            None,
            &env(&[("HEARTH_ENV", "production"), ("HEARTH_JWT_SECRET", &random)]),
        )
        .unwrap_err();
        assert_eq!(
            e.variable, "HEARTH_SMTP_URL",
            "production needs a way to send mail"
        );
        for lazy in ["a".repeat(32), "abab".repeat(10), "password".repeat(4)] {
            let e = Settings::from_sources(
                None,
                &env(&[("HEARTH_ENV", "production"), ("HEARTH_JWT_SECRET", &lazy)]),
            )
            .unwrap_err();
            assert_eq!(e.variable, "HEARTH_JWT_SECRET", "{lazy}");
        }
        let mut vars = vec![
            ("HEARTH_ENV", "production"),
            ("HEARTH_JWT_SECRET", random.as_str()),
            ("HEARTH_SMTP_URL", "smtps://user:pass@mail.example.org"),
            ("HEARTH_MAIL_FROM", "Hearth <no-reply@example.org>"),
        ];
        let e = Settings::from_sources(None, &env(&vars)).unwrap_err();
        assert_eq!(e.variable, "HEARTH_KEK_FILE", "production needs a KEK");
        assert!(
            e.message.contains("required in production"),
            "{}",
            e.message
        );
        vars.push(("HEARTH_KEK", "c2hvcnQ="));
        let e = Settings::from_sources(None, &env(&vars)).unwrap_err();
        assert_eq!(
            e.variable, "HEARTH_KEK",
            "a KEK in the environment is for development"
        );
        vars.pop();
        vars.push(("HEARTH_KEK_FILE", "/run/secrets/hearth-kek"));
        assert!(Settings::from_sources(None, &env(&vars)).is_ok());
    }

    #[test]
    fn production_refuses_mail_in_clear_to_another_host() {
        let random = crate::secrets::random_token();
        let start = |url: &str, plain_ok: Option<&str>| {
            let mut vars = vec![
                ("HEARTH_ENV", "production"),
                ("HEARTH_JWT_SECRET", random.as_str()),
                ("HEARTH_SMTP_URL", url),
                ("HEARTH_MAIL_FROM", "Hearth <no-reply@example.org>"),
                ("HEARTH_KEK_FILE", "/run/secrets/hearth-kek"),
            ];
            if let Some(ok) = plain_ok {
                vars.push(("HEARTH_SMTP_ALLOW_PLAINTEXT", ok));
            }
            Settings::from_sources(None, &env(&vars))
        };
        for clear in [
            "smtp://mail.example.org",
            "smtp://user:pass@mail.example.org:587",
            "smtp://10.0.0.5:25",
            "smtp://mail.example.org?tls=opportunistic",
        ] {
            let e = start(clear, None).unwrap_err();
            assert_eq!(e.variable, "HEARTH_SMTP_URL", "{clear}");
            assert!(e.message.contains("in clear"), "{clear}: {}", e.message);
            assert!(start(clear, Some("true")).is_ok(), "{clear}, allowed");
        }
        for safe in [
            "smtps://user:pass@mail.example.org",
            "smtp://user:pass@mail.example.org:587?tls=required",
            "smtp://127.0.0.1:2525",
            "smtp://localhost:25",
            "smtp://[::1]:25",
        ] {
            assert!(start(safe, None).is_ok(), "{safe}");
        }
        // Development keeps plain SMTP anywhere (a mail catcher on the next machine).
        let dev = Settings::from_sources(
            None,
            &env(&[("HEARTH_SMTP_URL", "smtp://mailpit.internal:1025")]),
        );
        assert!(dev.is_ok());
    }

    #[test]
    fn bad_values_name_their_variable() {
        let e = Settings::from_sources(None, &env(&[("HEARTH_BIND", "nowhere")])).unwrap_err();
        assert_eq!(e.variable, "HEARTH_BIND");
        let e = Settings::from_sources(None, &env(&[("HEARTH_DATABASE_URL", "mysql://x")]))
            .unwrap_err();
        assert_eq!(e.variable, "HEARTH_DATABASE_URL");
        let e =
            Settings::from_sources(None, &env(&[("HEARTH_LOGIN_WINDOW_SECS", "-3")])).unwrap_err();
        assert_eq!(e.variable, "HEARTH_LOGIN_WINDOW_SECS");
        let e = Settings::from_sources(None, &env(&[("HEARTH_SMTP_URL", "mail.example.org")]))
            .unwrap_err();
        assert_eq!(e.variable, "HEARTH_SMTP_URL");
        let e = Settings::from_sources(None, &env(&[("HEARTH_MAIL_FROM", "not an address")]))
            .unwrap_err();
        assert_eq!(e.variable, "HEARTH_MAIL_FROM");
    }

    #[test]
    fn environment_overrides_the_file() {
        let s = Settings::from_sources(
            Some("bind = \"127.0.0.1:9000\"\nlogin_failures_per_account = 7\n"),
            &env(&[("HEARTH_BIND", "127.0.0.1:9100")]),
        )
        .unwrap();
        assert_eq!(s.bind.port(), 9100);
        assert_eq!(s.auth_limits.login_failures_per_account, 7);
        let e = Settings::from_sources(Some("colour = 1"), &env(&[])).unwrap_err();
        assert_eq!(e.variable, "hearth.toml");
    }
}
