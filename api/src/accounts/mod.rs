//! Accounts: registration by mailed code, sign-in, sessions with rotating refresh tokens,
//! password reset, profile, devices.
pub mod addresses;
pub mod codes;
pub mod deletion;
pub mod devices;
pub mod export;
pub mod export_jobs;
pub mod export_worker;
pub mod input;
pub mod mailing;
pub mod recovery;
pub mod registration;
pub mod service;

pub use input::{DisplayName, Email, Password, Timezone};
pub use registration::create_verified;
pub use service::code_key;
pub use service::*;
