//! Sending mail through lettre: `.eml` files in a folder by default, SMTP when configured.
use crate::settings::Settings;
use anyhow::Context;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("could not build the message: {0}")]
    Build(String),
    /// Worth trying again later: the server was unreachable, timed out or answered 4xx.
    #[error("mail transport failed: {0}")]
    Transient(String),
    /// The server refused the message for good (5xx): retrying will not help.
    #[error("mail server refused the message: {0}")]
    Permanent(String),
}

/// A subject as RFC 2047 encoded-words only. lettre leaves ASCII words as they are, and mail
/// clients decode any `=?charset?q?…?=` they find, so a thread titled with such text would show
/// something other than what was written; encoding every byte shows exactly the title.
fn fully_encoded_subject(subject: String) -> HeaderValue {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    // An encoded-word is at most 75 characters: 12 of framing leave 63 of base64, 45 bytes.
    const MAX_BYTES: usize = 45;
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in subject.chars().filter(|c| !c.is_control()) {
        if chunk.len() + c.len_utf8() > MAX_BYTES {
            words.push(format!("=?utf-8?b?{}?=", STANDARD.encode(&chunk)));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?utf-8?b?{}?=", STANDARD.encode(&chunk)));
    }
    HeaderValue::dangerous_new_pre_encoded(
        HeaderName::new_from_ascii_str("Subject"),
        subject,
        words.join("\r\n "),
    )
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
    /// lettre bounds only the connection attempt; this bounds a whole send.
    timeout: Duration,
}

/// A message before addressing: subject, plain text, optional HTML and extra headers.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// Without angle brackets; lettre generates one when `None`.
    pub message_id: Option<String>,
    /// Extra headers (`List-Id`, `List-Unsubscribe`, ...), ASCII names.
    pub headers: Vec<(&'static str, String)>,
}

/// The TLS mode `url` asks for (smtps: TLS from the start; `tls=required`: STARTTLS or fail;
/// otherwise STARTTLS when offered), trusting the CA certificates in `ca_file` (PEM), for
/// relays whose certificate comes from a private authority.
fn tls_with_ca(url: &str, ca_file: &std::path::Path) -> anyhow::Result<Tls> {
    let parsed = url::Url::parse(url).context("mail.smtp_url is not a valid URL")?;
    let host = parsed
        .host_str()
        .context("mail.smtp_url has no host")?
        .to_string();
    let pem = std::fs::read(ca_file)
        .with_context(|| format!("mail.smtp_ca_file: cannot read {}", ca_file.display()))?;
    anyhow::ensure!(
        String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----"),
        "mail.smtp_ca_file: {} holds no PEM certificate",
        ca_file.display()
    );
    let certificate = Certificate::from_pem(&pem).with_context(|| {
        format!(
            "mail.smtp_ca_file: {} is not a PEM certificate",
            ca_file.display()
        )
    })?;
    let params = TlsParameters::builder(host)
        .add_root_certificate(certificate)
        .build_rustls()
        .context("mail.smtp_ca_file: building the TLS settings")?;
    let required = parsed
        .query_pairs()
        .any(|(k, v)| k == "tls" && v == "required");
    Ok(match parsed.scheme() {
        "smtps" => Tls::Wrapper(params),
        _ if required => Tls::Required(params),
        _ => Tls::Opportunistic(params),
    })
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let from: Mailbox = settings.mail.from.parse().context("mail.from")?;
        let transport = if settings.uses_smtp() {
            let url = settings.mail.smtp_url.expose_secret();
            let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .context("mail.smtp_url is not a valid SMTP URL")?
                .timeout(Some(Duration::from_secs(settings.mail.timeout_seconds)))
                .pool_config(PoolConfig::new().max_size(settings.mail.smtp_pool_size));
            if !settings.mail.smtp_ca_file.as_os_str().is_empty() {
                builder = builder.tls(tls_with_ca(url, &settings.mail.smtp_ca_file)?);
            }
            let transport = builder.build();
            Transport::Smtp(transport)
        } else {
            crate::private_files::private_dir(&settings.mail.file_dir).context("mail.file_dir")?;
            Transport::File(AsyncFileTransport::<Tokio1Executor>::new(
                &settings.mail.file_dir,
            ))
        };
        Ok(Mailer {
            transport,
            from,
            timeout: Duration::from_secs(settings.mail.timeout_seconds),
        })
    }

    pub fn build(&self, mail: Outgoing) -> Result<Message, MailError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| MailError::Build(format!("recipient: {e}")))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .message_id(mail.message_id.map(|id| format!("<{id}>")));
        builder = if mail.subject.contains("=?") {
            builder.raw_header(fully_encoded_subject(mail.subject))
        } else {
            builder.subject(mail.subject)
        };
        for (name, value) in mail.headers {
            let name = HeaderName::new_from_ascii(name.to_string())
                .map_err(|e| MailError::Build(format!("header {name}: {e}")))?;
            builder = builder.raw_header(HeaderValue::new(name, value));
        }
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text);
        match mail.html {
            Some(html) => builder.multipart(
                MultiPart::alternative().singlepart(text).singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html),
                ),
            ),
            None => builder.singlepart(text),
        }
        .map_err(|e| MailError::Build(e.to_string()))
    }

    pub async fn send(&self, mail: Outgoing) -> Result<(), MailError> {
        let message = self.build(mail)?;
        self.send_message(message).await
    }

    pub async fn send_message(&self, message: Message) -> Result<(), MailError> {
        let sending = self.deliver(message);
        match tokio::time::timeout(self.timeout, sending).await {
            Ok(result) => result,
            Err(_) => Err(MailError::Transient(format!(
                "the mail server did not answer within {} s",
                self.timeout.as_secs()
            ))),
        }
    }

    async fn deliver(&self, message: Message) -> Result<(), MailError> {
        match &self.transport {
            Transport::File(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Transient(e.to_string())),
            Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    MailError::Permanent(e.to_string())
                } else {
                    MailError::Transient(e.to_string())
                }
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_word_lookalikes_are_sent_encoded() {
        use base64::Engine;
        let title = "OFFICIAL: =?utf-8?q?Urgent=3A_reset_your_password?= and more text \
                     that runs past one encoded word é";
        let header = fully_encoded_subject(title.to_string());
        let mut headers = lettre::message::header::Headers::new();
        headers.insert_raw(header);
        let rendered = headers.to_string();
        assert!(!rendered.contains("=?utf-8?q?"), "{rendered}");
        let decoded: String = rendered
            .trim_start_matches("Subject: ")
            .split_whitespace()
            .map(|w| {
                assert!(w.len() <= 75, "{w}");
                let b64 = w.trim_start_matches("=?utf-8?b?").trim_end_matches("?=");
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .expect("base64");
                String::from_utf8(bytes).expect("utf-8 chunks")
            })
            .collect();
        assert_eq!(decoded, title);
    }
}
