//! argon2id hashing on blocking threads, at most one hash per core at a time.
use crate::error::{AppError, AppResult};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore as _;
use std::sync::Arc;
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    cores: usize,
    /// Verified against when the email is unknown, so both failures cost the same time.
    dummy_hash: Arc<String>,
}

fn argon2() -> AppResult<Argon2<'static>> {
    // OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane.
    let params =
        Params::new(19_456, 2, 1, None).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_blocking(password: &str) -> AppResult<String> {
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|e| AppError::internal(anyhow::anyhow!("salt: {e}")))?;
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("hashing failed: {e}")))
}

fn verify_blocking(password: &str, hash: &str) -> AppResult<bool> {
    let parsed = PasswordHash::new(hash)
        .map_err(|e| AppError::internal(anyhow::anyhow!("stored hash unreadable: {e}")))?;
    Ok(argon2()?
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

impl PasswordHasher {
    pub fn new() -> AppResult<Self> {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Ok(Self {
            permits: Arc::new(Semaphore::new(cores)),
            cores,
            dummy_hash: Arc::new(hash_blocking("not a real password, only a timing twin")?),
        })
    }

    /// Hashes running now (what a test waits for to know a sign-in is in flight).
    pub fn running(&self) -> usize {
        self.cores.saturating_sub(self.permits.available_permits())
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        tokio::task::spawn_blocking(job)
            .await
            .map_err(AppError::internal)?
    }

    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let password = password.to_owned();
        self.run(move || hash_blocking(&password)).await
    }

    /// Checks a password against a stored hash, or against the dummy hash when there is none
    /// (or the account has no password: the "Deleted member" row's `!` is no hash).
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> AppResult<bool> {
        let password = password.to_owned();
        let hash = hash.filter(|h| h.starts_with("$argon2"));
        let known = hash.is_some();
        let hash = hash
            .map(str::to_owned)
            .unwrap_or_else(|| self.dummy_hash.as_ref().clone());
        let ok = self.run(move || verify_blocking(&password, &hash)).await?;
        Ok(ok && known)
    }
}
