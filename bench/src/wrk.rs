//! Driving `wrk` and reading its report: requests per second and latency percentiles.
use anyhow::{bail, Context};

/// One `wrk` run.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// How hard `wrk` drives a URL: threads, connections, seconds.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    pub threads: usize,
    pub connections: usize,
    pub seconds: u64,
}

impl Load {
    /// The `wrk` options, as a command line shows them.
    pub fn describe(&self) -> String {
        format!(
            "wrk -t{} -c{} -d{}s --latency",
            self.threads, self.connections, self.seconds
        )
    }
}

/// Fails unless `wrk` can be run.
pub fn require_wrk() -> anyhow::Result<()> {
    if std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_err()
    {
        bail!("wrk is not installed (apt-get install -y wrk)");
    }
    Ok(())
}

/// Runs `wrk` against `url` with the extra request `headers` (`Name: value`). Fails if any
/// answer was not 2xx; says so on stderr if a request failed (connect, read, write errors or
/// wrk's 2 s timeout), as those leave slow requests out of the figures.
pub async fn run(url: &str, headers: &[&str], load: Load) -> anyhow::Result<Sample> {
    run_with(url, headers, None, load).await
}

/// As `run`, with a Lua `script` choosing each request (`wrk -s`), e.g. a random path.
pub async fn run_script(
    url: &str,
    headers: &[&str],
    script: &std::path::Path,
    load: Load,
) -> anyhow::Result<Sample> {
    run_with(url, headers, Some(script), load).await
}

async fn run_with(
    url: &str,
    headers: &[&str],
    script: Option<&std::path::Path>,
    load: Load,
) -> anyhow::Result<Sample> {
    let mut cmd = tokio::process::Command::new("wrk");
    cmd.args([
        &format!("-t{}", load.threads),
        &format!("-c{}", load.connections),
        &format!("-d{}s", load.seconds),
        "--latency",
    ]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    if let Some(script) = script {
        cmd.arg("-s").arg(script);
    }
    let out = cmd.arg(url).output().await.context("running wrk")?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        bail!(
            "wrk failed on {url}:\n{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    if text.contains("Non-2xx") {
        bail!("wrk saw error responses from {url}:\n{text}");
    }
    if let Some(line) = text.lines().find(|l| l.contains("Socket errors")) {
        eprintln!("warning: {url}: {}", line.trim());
    }
    let number = |prefix: &str| -> Option<f64> {
        let line = text.lines().find(|l| l.trim_start().starts_with(prefix))?;
        let value = line.split_whitespace().nth(1)?;
        parse_duration_ms(value).or_else(|| value.parse().ok())
    };
    Ok(Sample {
        requests_per_sec: number("Requests/sec:")
            .with_context(|| format!("no Requests/sec in {text}"))?,
        p50_ms: number("50%").with_context(|| format!("no p50 in {text}"))?,
        p99_ms: number("99%").with_context(|| format!("no p99 in {text}"))?,
    })
}

/// wrk prints latencies as `812.00us`, `1.23ms`, `1.01s` or `2.00m`.
pub fn parse_duration_ms(value: &str) -> Option<f64> {
    let (num, factor) = if let Some(v) = value.strip_suffix("us") {
        (v, 0.001)
    } else if let Some(v) = value.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = value.strip_suffix('s') {
        (v, 1000.0)
    } else if let Some(v) = value.strip_suffix('m') {
        (v, 60_000.0)
    } else {
        return None;
    };
    num.parse::<f64>().ok().map(|n| n * factor)
}

/// The median of each figure over the runs (each figure on its own).
pub fn medians(samples: &[Sample]) -> Sample {
    let of = |f: fn(&Sample) -> f64| crate::median(samples.iter().map(f).collect());
    Sample {
        requests_per_sec: of(|s| s.requests_per_sec),
        p50_ms: of(|s| s.p50_ms),
        p99_ms: of(|s| s.p99_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration_ms;

    #[test]
    fn reads_wrk_durations() {
        assert_eq!(parse_duration_ms("812.00us"), Some(0.812));
        assert_eq!(parse_duration_ms("1.50ms"), Some(1.5));
        assert_eq!(parse_duration_ms("1.01s"), Some(1010.0));
        assert_eq!(parse_duration_ms("2.00m"), Some(120_000.0));
        assert_eq!(parse_duration_ms("123"), None);
    }
}
