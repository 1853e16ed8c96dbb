//! Push delivery: preferences, the FCM HTTP v1 sender (or a log-only one when no credentials are
//! configured), and the workers that claim durable jobs and deliver them.
pub mod fcm;
pub mod message;
pub mod preferences;
pub mod recheck;
pub mod worker;
