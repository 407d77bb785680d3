//! NTLM's per-message HMAC-MD5 at 1 byte (`cargo bench --bench hmac_md5`): where a short
//! message's MAC time goes. The floor is two dependent MD5 compressions (`md-5`'s own
//! compression function: the inner hash's one block, then the outer hash's), the least any
//! HMAC-MD5 over 4 + 1 bytes costs once the keyed ipad/opad states are cached; the two rows
//! after it are the `hmac` crate's buffered `Hmac<Md5>` and the block-level `HmacCore` that
//! `src/packages/ntlm/hmac_md5.rs` drives (that file, compiled in here). Their distance to the
//! floor is the crates' finalisation (padding, copies, and wiping with their `zeroize`
//! features), which the library takes as it is.

mod common;

#[path = "../src/packages/ntlm/hmac_md5.rs"]
#[allow(dead_code)] // only `new` and `state` are measured
mod hmac_md5;

use common::{report, time};
use hmac::{Hmac, Mac};
use md5::Md5;
use std::hint::black_box;

fn main() {
    let key = [7u8; 16];
    let seq = 5u32.to_le_bytes();
    let data = [1u8];

    let mut state = [0x6745_2301u32, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    let block = [[0x33u8; 64]];
    report(
        "floor: 2 dependent MD5 compressions (md-5 compress)",
        time(10_000, || {
            md5::block_api::compress(black_box(&mut state), black_box(&block));
            md5::block_api::compress(black_box(&mut state), black_box(&block));
        }),
    );

    let wrapper = <Hmac<Md5> as hmac::KeyInit>::new_from_slice(&key).expect("any key length");
    report(
        "hmac::Hmac<Md5>: clone, 4 + 1 bytes, finalize",
        time(10_000, || {
            let mut m = black_box(&wrapper).clone();
            m.update(black_box(&seq));
            m.update(black_box(&data));
            black_box(m.finalize().into_bytes());
        }),
    );

    let core = hmac_md5::HmacKey::new(&key);
    report(
        "HmacCore (ntlm::hmac_md5::MacState): same",
        time(10_000, || {
            let mut m = black_box(&core).state();
            m.update(black_box(&seq));
            m.update(black_box(&data));
            black_box(m.finalize());
        }),
    );
}
