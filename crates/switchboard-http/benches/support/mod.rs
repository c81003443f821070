//! The load generator both benches drive the server with: `concurrency`
//! tasks in this process, each sending one request at a time, every latency
//! recorded so that p50 and p99 are exact.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

/// What one measured slice did.
pub struct Run {
    pub requests: usize,
    /// Answers whose status was not the expected one, and failed requests.
    pub errors: usize,
    pub elapsed: Duration,
    /// Sorted.
    pub latencies_us: Vec<u32>,
}

impl Run {
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        f64::from(self.latencies_us[i]) / 1000.0
    }

    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// The median, lowest and highest of `ratios`.
pub fn spread(mut ratios: Vec<f64>) -> Option<(f64, f64, f64)> {
    ratios.sort_by(f64::total_cmp);
    let median = *ratios.get(ratios.len() / 2)?;
    Some((median, ratios[0], ratios[ratios.len() - 1]))
}

/// [`measure_expecting`] where any 2xx is the expected answer.
pub async fn measure<F>(concurrency: usize, seconds: u64, max_requests: usize, make: F) -> Run
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    measure_expecting(
        concurrency,
        seconds,
        max_requests,
        |s: StatusCode| s.is_success(),
        make,
    )
    .await
}

/// Runs `concurrency` tasks, each sending `make(i)` until the time is up or
/// `max_requests` have been started, and gathers the latencies; an answer
/// whose status `expected` refuses counts as an error.
pub async fn measure_expecting<F>(
    concurrency: usize,
    seconds: u64,
    max_requests: usize,
    expected: fn(StatusCode) -> bool,
    make: F,
) -> Run
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let counter = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let make = make.clone();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            while Instant::now() < deadline {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                if i >= max_requests {
                    break;
                }
                let sent = Instant::now();
                match make(i).send().await {
                    Ok(response) if expected(response.status()) => {
                        let _ = response.bytes().await;
                    }
                    _ => errors += 1,
                }
                latencies.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
            }
            (latencies, errors)
        }));
    }
    let mut latencies_us = Vec::new();
    let mut errors = 0;
    for task in tasks {
        if let Ok((l, e)) = task.await {
            latencies_us.extend(l);
            errors += e;
        }
    }
    let elapsed = started.elapsed();
    latencies_us.sort_unstable();
    Run {
        requests: latencies_us.len(),
        errors,
        elapsed,
        latencies_us,
    }
}
