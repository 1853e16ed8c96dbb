//! Sending one mail: through SMTP with lettre, or, when `HEARTH_SMTP_URL` is unset in
//! development, into the log (codes included, marked as development only).
use crate::config::MailSettings;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use std::time::Duration;

/// How long one SMTP conversation may take before it counts as a transient failure.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Clone)]
pub enum Mailer {
    /// Development without SMTP: mails are written to the log.
    Log,
    Smtp(Box<Smtp>),
}

#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Why a mail was not sent: worth another try later, or never going to work.
#[derive(Debug)]
pub enum Failure {
    Transient(String),
    Permanent(String),
}

impl Mailer {
    pub fn from_settings(settings: &MailSettings) -> anyhow::Result<Self> {
        let Some(url) = &settings.smtp_url else {
            return Ok(Mailer::Log);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
            .map_err(|e| anyhow::anyhow!("HEARTH_SMTP_URL: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from = settings
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("HEARTH_MAIL_FROM: {e}"))?;
        Ok(Mailer::Smtp(Box::new(Smtp { transport, from })))
    }

    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), Failure> {
        let Smtp { transport, from } = match self {
            Mailer::Log => {
                tracing::warn!(
                    to,
                    subject,
                    body,
                    "DEVELOPMENT ONLY: mail written to the log, not sent (HEARTH_SMTP_URL is unset)"
                );
                return Ok(());
            }
            Mailer::Smtp(smtp) => smtp.as_ref(),
        };
        let to: Mailbox = to
            .parse()
            .map_err(|e| Failure::Permanent(format!("not a mail address: {e}")))?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| Failure::Permanent(format!("cannot build the mail: {e}")))?;
        match transport.send(message).await {
            Ok(_) => Ok(()),
            Err(err) if err.is_permanent() => Err(Failure::Permanent(err.to_string())),
            Err(err) => Err(Failure::Transient(err.to_string())),
        }
    }
}
