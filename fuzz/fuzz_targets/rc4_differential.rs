//! secur32's RC4 (`src/packages/ntlm/rc4.rs`) against the RustCrypto `rc4` crate: a random key
//! of one of eight lengths (1 to 256 bytes), a random message, drawn through secur32's RC4 in
//! random pieces (empty ones included) and through the crate in one call; the outputs must
//! match byte for byte.
//!
//! Input: [key-length selector] [key bytes] [piece count n] [n × piece length (u16 LE)] [data…]
#![no_main]
use libfuzzer_sys::fuzz_target;
use rc4::{consts::*, KeyInit, StreamCipher};
use secur32::packages::ntlm::fuzz_api::Rc4;

/// The crate's keystream of `key` over `data` in one call; the key's length picks the type.
fn reference(key: &[u8], data: &mut [u8]) {
    macro_rules! run {
        ($n:ty) => {
            rc4::Rc4::<$n>::new(key.into()).apply_keystream(data)
        };
    }
    match key.len() {
        1 => run!(U1),
        5 => run!(U5),
        7 => run!(U7),
        8 => run!(U8),
        13 => run!(U13),
        16 => run!(U16),
        32 => run!(U32),
        256 => run!(U256),
        n => unreachable!("no key length {n}"),
    }
}

fuzz_target!(|input: &[u8]| {
    const LENGTHS: [usize; 8] = [1, 5, 7, 8, 13, 16, 32, 256];
    let Some((&sel, rest)) = input.split_first() else {
        return;
    };
    let klen = LENGTHS[usize::from(sel) % LENGTHS.len()];
    if rest.len() < klen + 1 {
        return;
    }
    let (key, rest) = rest.split_at(klen);
    let n = usize::from(rest[0] % 16);
    let rest = &rest[1..];
    if rest.len() < 2 * n {
        return;
    }
    let (lens, data) = rest.split_at(2 * n);
    let mut want = data.to_vec();
    reference(key, &mut want);
    let mut got = data.to_vec();
    let mut c = Rc4::new(key);
    let mut at = 0;
    for l in lens.chunks_exact(2) {
        let l = usize::from(u16::from_le_bytes([l[0], l[1]])) % 1024;
        let end = (at + l).min(got.len());
        c.apply(&mut got[at..end]);
        at = end;
    }
    c.apply(&mut got[at..]);
    assert_eq!(got, want, "key {key:02x?}");
});
