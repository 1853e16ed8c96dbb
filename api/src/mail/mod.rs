//! Mail: a durable outbox written in the action's transaction (`outbox`), the transport that
//! sends one mail (`transport`: SMTP, or the log in development), and the worker that empties
//! the outbox (`worker`), retrying until a mail is sent or no longer of use.
pub mod outbox;
pub mod transport;
pub mod worker;

pub use outbox::Mail;
pub use transport::Mailer;
