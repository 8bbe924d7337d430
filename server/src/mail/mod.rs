//! Sending mail through lettre: `.eml` files in a folder by default, SMTP when configured.
use crate::settings::Settings;
use anyhow::Context;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("could not build the message: {0}")]
    Build(String),
    #[error("mail transport failed: {0}")]
    Transport(String),
}

#[derive(Clone)]
enum Transport {
    File(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

/// A message before addressing: subject, plain text and optional HTML.
pub struct Outgoing {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let from: Mailbox = settings.mail.from.parse().context("mail.from")?;
        let transport = if settings.uses_smtp() {
            let url = settings.mail.smtp_url.expose_secret();
            let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .context("mail.smtp_url is not a valid SMTP URL")?
                .timeout(Some(Duration::from_secs(settings.mail.timeout_seconds)))
                .build();
            Transport::Smtp(transport)
        } else {
            std::fs::create_dir_all(&settings.mail.file_dir).with_context(|| {
                format!(
                    "creating mail.file_dir {}",
                    settings.mail.file_dir.display()
                )
            })?;
            Transport::File(AsyncFileTransport::<Tokio1Executor>::new(
                &settings.mail.file_dir,
            ))
        };
        Ok(Mailer { transport, from })
    }

    pub async fn send(&self, mail: Outgoing) -> Result<(), MailError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| MailError::Build(format!("recipient: {e}")))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject);
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text);
        let message = match mail.html {
            Some(html) => builder.multipart(
                MultiPart::alternative().singlepart(text).singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html),
                ),
            ),
            None => builder.singlepart(text),
        }
        .map_err(|e| MailError::Build(e.to_string()))?;
        let sent = match &self.transport {
            Transport::File(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
        };
        sent.map_err(MailError::Transport)
    }
}
