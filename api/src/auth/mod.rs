//! Credentials and tokens: password hashing, JWT access tokens, opaque refresh tokens,
//! and the signed-in viewer a request carries.
pub mod device_proof;
pub mod passwords;
pub mod revocation;
pub mod tokens;
mod viewer;

pub use viewer::{authenticate, bearer_token, Auth, RequestMeta, SessionCache, Viewer};
