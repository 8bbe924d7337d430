//! Runs text extraction in a child process with hard limits, so a hostile file (a zip bomb,
//! an XML bomb, a PDF that sends its reader round in circles) fails that document only.
//!
//! The child is this same binary (`roundtable extract-text`), started with an address-space
//! limit (`RLIMIT_AS`), a CPU-time limit, no core files and no file writes; it reads the file
//! on standard input and writes the text on standard output. The parent kills it at the
//! wall-time limit and reads at most the text it asked for.
use super::extract;
use super::file_type::FileType;
use super::store::BlobReader;
use std::io::Read;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// The limits one extraction runs under.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub wall: Duration,
    pub memory_bytes: u64,
    pub max_chars: usize,
}

impl Budget {
    pub fn from_settings(s: &crate::settings::LibrarySettings) -> Self {
        Budget {
            wall: Duration::from_secs(s.extract_seconds),
            memory_bytes: s.extract_memory_mb.saturating_mul(1024 * 1024),
            max_chars: s.extract_max_chars,
        }
    }
}

/// Why no text came out, as the document's page and API show it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Unreadable(String),
    #[error("reading the file took longer than the {0} seconds allowed")]
    TooSlow(u64),
    #[error("reading the file needed more memory than the {0} MB allowed")]
    TooBig(u64),
    /// Our side failed (the process could not start): worth trying again later.
    #[error("the text extractor could not run: {0}")]
    NotRun(String),
}

impl Failure {
    /// Whether trying again could give another answer.
    pub fn is_transient(&self) -> bool {
        matches!(self, Failure::NotRun(_))
    }
}

/// The program run as the extractor: this binary, unless `ROUNDTABLE_EXTRACTOR` names another
/// build of it (benchmarks and tools that embed the server run as some other executable).
fn program() -> std::io::Result<std::path::PathBuf> {
    match std::env::var_os("ROUNDTABLE_EXTRACTOR") {
        Some(p) if !p.is_empty() => Ok(p.into()),
        _ => std::env::current_exe(),
    }
}

/// Extracts the text of `file` (of type `kind`) in a child process under `budget`.
pub async fn extract(
    kind: FileType,
    mut file: BlobReader,
    budget: Budget,
) -> Result<String, Failure> {
    let mut cmd =
        tokio::process::Command::new(program().map_err(|e| Failure::NotRun(e.to_string()))?);
    cmd.arg("extract-text")
        .arg(kind.as_str())
        .arg(budget.max_chars.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_clear()
        .kill_on_drop(true);
    let cpu_seconds = budget.wall.as_secs().max(1);
    let memory = budget.memory_bytes;
    #[cfg(unix)]
    // SAFETY: only async-signal-safe calls (setrlimit) run between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            limit(libc::RLIMIT_AS, memory)?;
            limit(libc::RLIMIT_CPU, cpu_seconds)?;
            limit(libc::RLIMIT_CORE, 0)?;
            limit(libc::RLIMIT_FSIZE, 0)?;
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(|e| Failure::NotRun(e.to_string()))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let feed = async move {
        // The child may stop reading early (it failed); that is its answer, not ours.
        let _ = tokio::io::copy(&mut file, &mut stdin).await;
    };
    // UTF-8 takes at most four bytes a character.
    let out_max = (budget.max_chars as u64 + 1) * 4;
    let read_out = async move {
        let mut out = Vec::new();
        let _ = (&mut stdout).take(out_max).read_to_end(&mut out).await;
        out
    };
    let read_err = async move {
        let mut err = Vec::new();
        let _ = (&mut stderr).take(4096).read_to_end(&mut err).await;
        err
    };
    let run = async {
        let ((), out, err, status) = tokio::join!(feed, read_out, read_err, child.wait());
        (out, err, status)
    };
    let (out, err, status) = match tokio::time::timeout(budget.wall, run).await {
        Ok(done) => done,
        Err(_) => {
            let _ = child.start_kill();
            let _ = child.wait().await;
            return Err(Failure::TooSlow(budget.wall.as_secs()));
        }
    };
    let status = status.map_err(|e| Failure::NotRun(e.to_string()))?;
    if status.success() {
        // The child's output is as untrusted as the file: no NUL reaches the database.
        return Ok(String::from_utf8_lossy(&out).replace('\0', ""));
    }
    // The child's words may echo bytes of the file: printable text only, and not much of it.
    let said: String = String::from_utf8_lossy(&err)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(500)
        .collect::<String>()
        .trim()
        .to_string();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        match status.signal() {
            Some(libc::SIGXCPU) | Some(libc::SIGKILL) => {
                return Err(Failure::TooSlow(budget.wall.as_secs()))
            }
            Some(_) if said.contains("memory") || said.is_empty() => {
                return Err(Failure::TooBig(memory / 1024 / 1024))
            }
            _ => {}
        }
    }
    if said.contains("memory allocation") || said.contains("capacity overflow") {
        return Err(Failure::TooBig(memory / 1024 / 1024));
    }
    Err(Failure::Unreadable(if said.is_empty() {
        format!("the file could not be read ({status})")
    } else {
        said
    }))
}

#[cfg(unix)]
fn limit(resource: libc::__rlimit_resource_t, value: u64) -> std::io::Result<()> {
    let lim = libc::rlimit {
        rlim_cur: value,
        rlim_max: value,
    };
    // SAFETY: setrlimit reads the struct we pass and nothing else.
    if unsafe { libc::setrlimit(resource, &lim) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The child's side (`roundtable extract-text TYPE MAX_CHARS`): the file on standard input,
/// the text on standard output; a reason on standard error and exit status 2 when the file
/// cannot be read.
pub fn child_main(kind: &str, max_chars: &str) -> std::process::ExitCode {
    use std::io::Write;
    let fail = |why: &str| {
        let _ = writeln!(std::io::stderr(), "{why}");
        std::process::ExitCode::from(2)
    };
    let (Some(kind), Ok(max_chars)) = (FileType::parse(kind), max_chars.parse::<usize>()) else {
        return fail("usage: roundtable extract-text TYPE MAX_CHARS");
    };
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        return fail(&format!("reading the file: {e}"));
    }
    // A reader that panics names the problem instead of printing a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let _ = writeln!(
            std::io::stderr(),
            "the file could not be read (its reader stopped: {})",
            what.chars().take(200).collect::<String>()
        );
    }));
    match std::panic::catch_unwind(|| extract::text_of(kind, &bytes, max_chars)) {
        Ok(Ok(text)) => {
            let mut out = std::io::stdout().lock();
            if out
                .write_all(text.as_bytes())
                .and_then(|_| out.flush())
                .is_err()
            {
                return std::process::ExitCode::from(3);
            }
            std::process::ExitCode::SUCCESS
        }
        Ok(Err(e)) => fail(&e.to_string()),
        Err(_) => std::process::ExitCode::from(2),
    }
}
