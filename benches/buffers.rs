//! SecBufferDesc view micro-benchmarks (`cargo bench --bench buffers`): building the view and
//! the scans a message call makes (find TOKEN, count DATA, lend each DATA buffer).

mod common;

use common::{report, time};
use secur32::buffers::SecBuffers;
use secur32::ffi::consts::{SECBUFFER_DATA, SECBUFFER_TOKEN};
use std::hint::black_box;

fn main() {
    let mut sig = [0u8; 16];
    let mut data = [0u8; 64];
    let mut more = [0u8; 64];
    report(
        "with_parts [TOKEN, DATA] (view only)",
        time(1000, || {
            let mut parts = [
                (SECBUFFER_TOKEN, &mut sig[..]),
                (SECBUFFER_DATA, &mut data[..]),
            ];
            SecBuffers::with_parts(black_box(&mut parts), |m| black_box(m.len())).expect("view");
        }),
    );
    report(
        "with_parts [TOKEN, DATA, DATA] + message-call scans",
        time(1000, || {
            let mut parts = [
                (SECBUFFER_TOKEN, &mut sig[..]),
                (SECBUFFER_DATA, &mut data[..]),
                (SECBUFFER_DATA, &mut more[..]),
            ];
            SecBuffers::with_parts(black_box(&mut parts), |m| {
                let tok = m.find(SECBUFFER_TOKEN);
                let n = m.count(SECBUFFER_DATA);
                let mut total = 0;
                for i in 0..m.len() {
                    if m.kind(i) == SECBUFFER_DATA {
                        total += m.bytes_mut(i).map_or(0, |b| b.len());
                    }
                }
                black_box((tok, n, total))
            })
            .expect("view");
        }),
    );
}
