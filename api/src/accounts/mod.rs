//! Accounts: registration, sign-in, sessions with rotating refresh tokens, profile, devices.
pub mod devices;
mod graphql;
mod input;
mod service;

pub use graphql::{Account, AccountMutation, AccountQuery};
pub use input::{DisplayName, Email, Password, Timezone};
pub use service::*;
