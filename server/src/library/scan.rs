//! Malware scanning with ClamAV's daemon, over its socket protocol: `zINSTREAM`, then the file
//! in length-prefixed chunks, then a zero length; clamd answers `stream: OK` or
//! `stream: NAME FOUND`. Anything else (no daemon, a timeout, an error reply) is a failure
//! to scan, and the upload is refused: a file is never accepted unscanned.
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const CHUNK: usize = 64 * 1024;
/// clamd's own replies are short; a longer one is not clamd.
const REPLY_MAX: usize = 4096;

/// Where clamd listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clamd {
    Unix(PathBuf),
    Tcp(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    /// The signature's name, as clamd reports it.
    Infected(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("cannot reach the virus scanner: {0}")]
    Unreachable(std::io::Error),
    #[error("the virus scanner did not answer within {0} seconds")]
    Timeout(u64),
    #[error("the virus scanner could not scan the file: {0}")]
    Refused(String),
    #[error("reading the upload to scan it: {0}")]
    Io(std::io::Error),
}

impl Clamd {
    /// `unix:/run/clamav/clamd.ctl` or `tcp:127.0.0.1:3310`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if let Some(path) = raw.strip_prefix("unix:") {
            if path.is_empty() {
                return Err("unix: needs the socket's path".into());
            }
            return Ok(Clamd::Unix(PathBuf::from(path)));
        }
        if let Some(addr) = raw.strip_prefix("tcp:") {
            let ok = addr
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !ok {
                return Err(format!("{addr:?} is not HOST:PORT"));
            }
            return Ok(Clamd::Tcp(addr.to_string()));
        }
        Err(format!(
            "{raw:?}: write unix:/path/to/clamd.socket or tcp:HOST:PORT"
        ))
    }

    /// Scans the file at `path`, within `timeout` for the whole exchange.
    pub async fn scan_file(&self, path: &Path, timeout: Duration) -> Result<Verdict, ScanError> {
        let file = tokio::fs::File::open(path).await.map_err(ScanError::Io)?;
        let secs = timeout.as_secs();
        tokio::time::timeout(timeout, self.scan(file))
            .await
            .map_err(|_| ScanError::Timeout(secs))?
    }

    async fn scan(&self, file: impl AsyncRead + Unpin) -> Result<Verdict, ScanError> {
        match self {
            Clamd::Unix(path) => {
                let stream = tokio::net::UnixStream::connect(path)
                    .await
                    .map_err(ScanError::Unreachable)?;
                instream(stream, file).await
            }
            Clamd::Tcp(addr) => {
                let stream = tokio::net::TcpStream::connect(addr)
                    .await
                    .map_err(ScanError::Unreachable)?;
                instream(stream, file).await
            }
        }
    }

    /// Whether clamd answers `PING` (for the admin page).
    pub async fn ping(&self, timeout: Duration) -> bool {
        async fn ping_on(mut s: impl AsyncRead + AsyncWrite + Unpin) -> std::io::Result<bool> {
            s.write_all(b"zPING\0").await?;
            let reply = read_reply(&mut s).await?;
            Ok(reply == "PONG")
        }
        let attempt = async {
            match self {
                Clamd::Unix(p) => ping_on(tokio::net::UnixStream::connect(p).await?).await,
                Clamd::Tcp(a) => ping_on(tokio::net::TcpStream::connect(a).await?).await,
            }
        };
        matches!(tokio::time::timeout(timeout, attempt).await, Ok(Ok(true)))
    }
}

async fn read_reply(stream: &mut (impl AsyncRead + Unpin)) -> std::io::Result<String> {
    let mut reply = Vec::new();
    let mut byte = [0u8; 1];
    while reply.len() < REPLY_MAX {
        if stream.read(&mut byte).await? == 0 || byte[0] == 0 {
            break;
        }
        reply.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&reply).trim().to_string())
}

async fn instream(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    mut file: impl AsyncRead + Unpin,
) -> Result<Verdict, ScanError> {
    let io = ScanError::Unreachable;
    stream.write_all(b"zINSTREAM\0").await.map_err(io)?;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut buf).await.map_err(ScanError::Io)?;
        if n == 0 {
            break;
        }
        let len = u32::try_from(n).expect("chunks are small");
        stream.write_all(&len.to_be_bytes()).await.map_err(io)?;
        if let Err(e) = stream.write_all(&buf[..n]).await {
            // clamd closes the stream when the file passes its StreamMaxLength; its reason
            // is waiting to be read.
            let reason = read_reply(&mut stream).await.unwrap_or_default();
            return Err(if reason.is_empty() {
                ScanError::Unreachable(e)
            } else {
                ScanError::Refused(reason)
            });
        }
    }
    stream.write_all(&0u32.to_be_bytes()).await.map_err(io)?;
    stream.flush().await.map_err(io)?;
    let reply = read_reply(&mut stream).await.map_err(io)?;
    verdict(&reply)
}

fn verdict(reply: &str) -> Result<Verdict, ScanError> {
    let body = reply.strip_prefix("stream:").unwrap_or(reply).trim();
    if body == "OK" {
        return Ok(Verdict::Clean);
    }
    if let Some(name) = body.strip_suffix(" FOUND") {
        return Ok(Verdict::Infected(name.trim().to_string()));
    }
    Err(ScanError::Refused(if body.is_empty() {
        "no answer".to_string()
    } else {
        body.to_string()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_read_as_verdicts() {
        assert_eq!(verdict("stream: OK").unwrap(), Verdict::Clean);
        assert_eq!(
            verdict("stream: Eicar-Test-Signature FOUND").unwrap(),
            Verdict::Infected("Eicar-Test-Signature".into())
        );
        assert!(matches!(
            verdict("INSTREAM size limit exceeded. ERROR"),
            Err(ScanError::Refused(_))
        ));
        assert!(matches!(verdict(""), Err(ScanError::Refused(_))));
    }

    #[test]
    fn addresses_parse() {
        assert_eq!(
            Clamd::parse("unix:/run/clamav/clamd.ctl"),
            Ok(Clamd::Unix("/run/clamav/clamd.ctl".into()))
        );
        assert_eq!(
            Clamd::parse("tcp:127.0.0.1:3310"),
            Ok(Clamd::Tcp("127.0.0.1:3310".into()))
        );
        assert!(Clamd::parse("127.0.0.1:3310").is_err());
        assert!(Clamd::parse("tcp:nohost").is_err());
    }
}
