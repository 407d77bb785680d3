//! SPNEGO NegotiationToken decoder alone (RFC 4178 §4.2, MS-SPNG NegTokenInit2), with the
//! re-encoding round trip: the fast target for long campaigns (`spnego` also drives contexts).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    secur32::packages::negotiate::fuzz_api::spnego(data);
});
