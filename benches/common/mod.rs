//! A tiny timing harness for `cargo bench` (no extra crates): runs a closure in batches until
//! the time budget is spent and prints ns per iteration. `BENCH_SECONDS` sets the budget
//! (default 0.3 s per figure).

use std::time::{Duration, Instant};

/// Seconds per figure.
pub fn budget() -> Duration {
    let s: f64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.3);
    Duration::from_secs_f64(s)
}

/// ns per call of `f`, measured over batches of `batch` calls.
pub fn time(batch: u64, mut f: impl FnMut()) -> f64 {
    for _ in 0..batch {
        f();
    }
    let budget = budget();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..batch {
            f();
        }
        n += batch;
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

/// Prints one result line.
pub fn report(name: &str, ns: f64) {
    println!("{name:<58} {ns:>10.1} ns/iter");
}
