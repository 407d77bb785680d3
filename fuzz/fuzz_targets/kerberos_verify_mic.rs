//! Kerberos VerifySignature on arbitrary MIC tokens (RFC 4121 04 04 and RFC 4757 01 01); must
//! never panic, and random input must not verify.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(!secur32::packages::kerberos::wrap::fuzz_api::verify_mic(
        data
    ));
});
