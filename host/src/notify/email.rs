//! Sending email through the SMTP server of `[notifications.email]`, with `lettre`.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::sender::Failure;
use crate::identity::config::{EmailConfig, SmtpSecurity};

/// How long one SMTP command may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// An SMTP client for `[notifications.email]`.
pub struct Mailer {
    transport: Result<AsyncSmtpTransport<Tokio1Executor>, String>,
    from: Result<Mailbox, String>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("ready", &self.transport.is_ok())
            .finish()
    }
}

impl Mailer {
    /// A client for the configured server. Problems with the config (a TLS set-up that fails,
    /// an unreadable From) surface when a message is sent, as errors worth retrying: the
    /// operator may fix the config and restart.
    pub fn new(config: &EmailConfig) -> Mailer {
        let host = config.smtp_host.as_str();
        let builder = match config.security {
            SmtpSecurity::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                host,
            )),
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
        };
        let transport = builder
            .map(|builder| {
                let builder = builder.port(config.smtp_port).timeout(Some(SMTP_TIMEOUT));
                match &config.username {
                    Some(user) => builder
                        .credentials(Credentials::new(
                            user.clone(),
                            config.password.clone().unwrap_or_default(),
                        ))
                        .build(),
                    None => builder.build(),
                }
            })
            .map_err(|e| format!("the SMTP transport cannot be set up: {e}"));
        let from = config
            .from
            .parse::<Mailbox>()
            .map_err(|e| format!("`notifications.email.from` is not an address: {e}"));
        Mailer { transport, from }
    }

    /// Send a plain-text email. An address the message cannot go to (unreadable, or refused
    /// by the server for good) is a permanent failure; anything else may pass on a retry.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), Failure> {
        let transport = self
            .transport
            .as_ref()
            .map_err(|e| Failure::Retry(e.clone()))?;
        let from = self.from.as_ref().map_err(|e| Failure::Retry(e.clone()))?;
        let to = to
            .parse::<Mailbox>()
            .map_err(|e| Failure::Permanent(format!("the address is not valid: {e}")))?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(subject)
            .message_id(None)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| Failure::Permanent(format!("the message cannot be built: {e}")))?;
        match transport.send(message).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_permanent() => Err(Failure::Permanent(error.to_string())),
            Err(error) => Err(Failure::Retry(error.to_string())),
        }
    }
}
