//! `bench-load`: an open-loop load generator for `bench/run`'s latency
//! figures (what `wrk2` does; Debian does not package it).
//!
//! `bench-load URL RATE SECONDS` sends `GET URL` at a fixed RATE per second
//! for SECONDS, each request at its scheduled time whether or not earlier
//! ones have been answered (new connections are opened as needed), and
//! measures each latency from the time the request was *scheduled*: a slow
//! answer cannot hide the requests that queue behind it (no coordinated
//! omission). Times include up to about a millisecond of this generator's
//! timer granularity.
//!
//! Prints one line for `bench/run`:
//! `OPENLOOP sent=… ok=… failed=… rate=… p50_us=… p90_us=… p99_us=… p999_us=… max_us=…`

use std::process::ExitCode;
use std::time::{Duration, Instant};

fn usage() -> ExitCode {
    eprintln!("usage: bench-load URL RATE SECONDS   (GET URL at RATE requests/s for SECONDS)");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, rate, seconds] = args.as_slice() else {
        return usage();
    };
    let (Ok(rate), Ok(seconds)) = (rate.parse::<f64>(), seconds.parse::<f64>()) else {
        return usage();
    };
    if !(rate > 0.0 && seconds > 0.0) {
        return usage();
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bench-load: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(url.clone(), rate, seconds))
}

async fn run(url: String, rate: f64, seconds: f64) -> ExitCode {
    let client = match reqwest::Client::builder()
        .pool_max_idle_per_host(4096)
        .timeout(Duration::from_secs(30))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bench-load: {e}");
            return ExitCode::FAILURE;
        }
    };
    let total = (rate * seconds).round() as u64;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Duration, bool)>();
    let start = Instant::now();
    for i in 0..total {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let (client, url, tx) = (client.clone(), url.clone(), tx.clone());
        tokio::spawn(async move {
            let ok = match client.get(&url).send().await {
                Ok(resp) => {
                    let status = resp.status();
                    resp.bytes().await.is_ok() && status.is_success()
                }
                Err(_) => false,
            };
            let _ = tx.send((due.elapsed(), ok));
        });
    }
    drop(tx);
    let mut latencies = Vec::with_capacity(total as usize);
    let mut failed = 0u64;
    while let Some((latency, ok)) = rx.recv().await {
        latencies.push(latency.as_micros() as u64);
        if !ok {
            failed += 1;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let pct = |p: f64| -> u64 {
        if latencies.is_empty() {
            return 0;
        }
        let idx = ((p / 100.0) * latencies.len() as f64).ceil() as usize;
        latencies[idx.clamp(1, latencies.len()) - 1]
    };
    println!(
        "OPENLOOP sent={} ok={} failed={} rate={:.1} p50_us={} p90_us={} p99_us={} p999_us={} max_us={}",
        latencies.len(),
        latencies.len() as u64 - failed,
        failed,
        latencies.len() as f64 / elapsed,
        pct(50.0),
        pct(90.0),
        pct(99.0),
        pct(99.9),
        latencies.last().copied().unwrap_or(0)
    );
    if failed > 0 {
        eprintln!("bench-load: {failed} requests failed or were not 2xx");
    }
    ExitCode::SUCCESS
}
