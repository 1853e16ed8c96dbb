use crate::ids::MailJobId;
use sea_orm::entity::prelude::*;

/// A mail in the outbox: kept until it is sent, then deleted. One that cannot be sent before
/// `expires_at` (a code that no longer works) is dropped.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: MailJobId,
    /// The address, sealed under the server's key (a mail may go to an address that is no
    /// one's account yet).
    pub to_address: String,
    /// Keyed blind index of the address: an account's deletion finds its mails by it.
    pub to_index: Option<String>,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
    pub due_at: DateTimeUtc,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<DateTimeUtc>,
    pub expires_at: DateTimeUtc,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
