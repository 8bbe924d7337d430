//! A real SMTP server (mailin-embedded) on a random local port that keeps every message it
//! accepts, and can be told to misbehave the ways mail servers do: answer 4xx, refuse with
//! 5xx, or stall past the client's timeout.
use mailin_embedded::response::{self, Response};
use mailin_embedded::{Handler, Server, SslConfig};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One accepted message, as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub raw: Vec<u8>,
}

/// How the server answers each message's DATA command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Accept,
    /// 451 for the next `n` messages, then accept.
    TemporaryFailures(u32),
    /// 554 for every message.
    Reject,
    /// Wait this long before answering (longer than the client's timeout: a stall).
    Stall(Duration),
}

#[derive(Debug)]
struct State {
    received: Vec<Received>,
    behaviour: Behaviour,
    /// Time spent on each message before answering, like a real server writing to disk.
    delay: Duration,
}

#[derive(Clone)]
struct Sink {
    state: Arc<Mutex<State>>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Sink {
    /// The answer to the DATA command. Failures are given here, not after the data: mailin
    /// stays in its data state after an error at the end of the data, where a real server
    /// would take the client's next command.
    fn answer(&self) -> Response {
        let (behaviour, delay) = {
            let mut s = self.state.lock().unwrap();
            let b = s.behaviour;
            if let Behaviour::TemporaryFailures(n) = b {
                s.behaviour = if n > 1 {
                    Behaviour::TemporaryFailures(n - 1)
                } else {
                    Behaviour::Accept
                };
            }
            (b, s.delay)
        };
        std::thread::sleep(delay);
        match behaviour {
            Behaviour::Accept => response::START_DATA,
            Behaviour::TemporaryFailures(_) => response::INTERNAL_ERROR,
            Behaviour::Reject => response::TRANSACTION_FAILED,
            Behaviour::Stall(wait) => {
                std::thread::sleep(wait);
                response::INTERNAL_ERROR
            }
        }
    }
}

impl Handler for Sink {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.from = from.to_string();
        self.to = to.to_vec();
        self.data.clear();
        self.answer()
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        self.state.lock().unwrap().received.push(Received {
            from: self.from.clone(),
            to: self.to.clone(),
            raw: std::mem::take(&mut self.data),
        });
        response::OK
    }
}

/// A running sink; it serves until the test process ends.
pub struct SmtpSink {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        Self::start_with(SslConfig::None)
    }

    /// A sink that offers STARTTLS with this certificate and key (PEM files).
    pub fn start_with_starttls(cert_path: &str, key_path: &str) -> SmtpSink {
        Self::start_with(SslConfig::SelfSigned {
            cert_path: cert_path.to_string(),
            key_path: key_path.to_string(),
        })
    }

    fn start_with(ssl: SslConfig) -> SmtpSink {
        roundtable::tls::use_ring();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the SMTP sink");
        let port = listener.local_addr().expect("sink address").port();
        let state = Arc::new(Mutex::new(State {
            received: Vec::new(),
            behaviour: Behaviour::Accept,
            delay: Duration::ZERO,
        }));
        let handler = Sink {
            state: state.clone(),
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        };
        let mut server = Server::new(handler);
        server
            .with_name("sink.test")
            .with_num_threads(64)
            .with_tcp_listener(listener);
        server.with_ssl(ssl).expect("the sink's TLS settings");
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpSink { port, state }
    }

    /// `mail.smtp_url` for a server that should deliver here.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn set_behaviour(&self, behaviour: Behaviour) {
        self.state.lock().unwrap().behaviour = behaviour;
    }

    pub fn set_delay(&self, delay: Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn count(&self) -> usize {
        self.state.lock().unwrap().received.len()
    }

    pub fn clear(&self) {
        self.state.lock().unwrap().received.clear();
    }

    /// Waits until at least `n` messages arrived or `within` passed; returns what arrived.
    pub fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        while self.count() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.received()
    }
}
