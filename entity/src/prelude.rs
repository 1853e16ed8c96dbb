pub use super::devices::Entity as Devices;
pub use super::refresh_tokens::Entity as RefreshTokens;
pub use super::sessions::Entity as Sessions;
pub use super::users::Entity as Users;
