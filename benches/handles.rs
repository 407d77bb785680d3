//! Handle-table micro-benchmarks (`cargo bench --bench handles`): lookup, insert + remove, and
//! lookups from N threads at once — on N different handles (must scale: no global lock) and on
//! one handle (the slot's own lock and `Arc` count are the only shared writes).

mod common;

use common::{report, time};
use secur32::buffers::SecBuffers;
use secur32::ffi::types::SecHandle;
use secur32::handles::{self, ContextEntry};
use secur32::package::{Attribute, Context, Credentials, PackageInfo, Step, Unsealed};
use secur32::status::{Error, Outcome, SecResult};
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::Instant;

struct Cred;
impl Credentials for Cred {
    fn package(&self) -> &'static PackageInfo {
        &secur32::packages::ntlm::INFO
    }
    fn usage(&self) -> u32 {
        0
    }
    fn new_client_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
        Ok(Box::new(Ctx))
    }
    fn new_server_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
        Ok(Box::new(Ctx))
    }
}

struct Ctx;
impl Context for Ctx {
    fn package(&self) -> &'static PackageInfo {
        &secur32::packages::ntlm::INFO
    }
    fn initialize(&self, _: &mut Step<'_, '_>) -> SecResult<Outcome> {
        Ok(Outcome::Ok)
    }
    fn accept(&self, _: &mut Step<'_, '_>) -> SecResult<Outcome> {
        Ok(Outcome::Ok)
    }
    fn seal(&self, _: u32, _: &mut SecBuffers<'_>, _: u32) -> SecResult<()> {
        Ok(())
    }
    fn unseal(&self, _: &mut SecBuffers<'_>, _: u32) -> SecResult<Unsealed> {
        Ok(Unsealed {
            qop: 0,
            outcome: Outcome::Ok,
        })
    }
    fn make_signature(&self, _: u32, _: &mut SecBuffers<'_>, _: u32) -> SecResult<()> {
        Ok(())
    }
    fn verify_signature(&self, _: &mut SecBuffers<'_>, _: u32) -> SecResult<u32> {
        Ok(0)
    }
    fn query_attribute(&self, _: u32) -> SecResult<Attribute> {
        Err(Error::UnsupportedFunction)
    }
}

fn new_context(cred: &Arc<dyn Credentials>) -> SecHandle {
    handles::insert_context(ContextEntry {
        context: Box::new(Ctx),
        credential: cred.clone(),
    })
    .expect("insert")
}

/// Aggregate lookups/s of `n` threads, thread `t` looking up `hs[t % hs.len()]`.
fn threaded(n: usize, hs: &[SecHandle]) -> f64 {
    let barrier = Arc::new(Barrier::new(n));
    let budget = common::budget();
    let threads: Vec<_> = (0..n)
        .map(|t| {
            let h = hs[t % hs.len()];
            let b = barrier.clone();
            std::thread::spawn(move || {
                b.wait();
                let start = Instant::now();
                let mut k = 0u64;
                while start.elapsed() < budget {
                    for _ in 0..1000 {
                        black_box(handles::context(black_box(&h)).is_ok());
                    }
                    k += 1000;
                }
                k as f64 / start.elapsed().as_secs_f64()
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().expect("thread")).sum()
}

fn main() {
    let cred: Arc<dyn Credentials> = Arc::new(Cred);
    let h = new_context(&cred);
    report(
        "handles::context (lookup + Arc clone + drop)",
        time(1000, || {
            black_box(handles::context(black_box(&h)).is_ok());
        }),
    );
    let stale = {
        let s = new_context(&cred);
        handles::remove_context(&s).expect("remove");
        s
    };
    report(
        "handles::context on a deleted handle",
        time(1000, || {
            black_box(handles::context(black_box(&stale)).is_err());
        }),
    );
    report(
        "insert_context + remove_context",
        time(100, || {
            let c = new_context(&cred);
            handles::remove_context(&c).expect("remove");
        }),
    );
    let n = std::thread::available_parallelism().map_or(2, |n| n.get());
    let hs: Vec<SecHandle> = (0..n).map(|_| new_context(&cred)).collect();
    let one = threaded(1, &hs[..1]);
    let distinct = threaded(n, &hs);
    let same = threaded(n, &hs[..1]);
    println!("lookups/s: 1 thread {one:.0}; {n} threads on {n} handles {distinct:.0} ({:.2}x); {n} threads on 1 handle {same:.0} ({:.2}x)",
        distinct / one, same / one);
}
