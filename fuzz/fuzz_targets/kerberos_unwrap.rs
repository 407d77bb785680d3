//! Kerberos DecryptMessage on arbitrary tokens (RFC 4121 wrap tokens for AES session keys,
//! RFC 4757 tokens for RC4), in the `[STREAM, DATA]` and `[TOKEN, DATA]` forms; must never
//! panic, and random input must not verify.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(!secur32::packages::kerberos::wrap::fuzz_api::unwrap(data));
});
