//! SPNEGO (RFC 4178 / MS-SPNG): the NegotiationToken decoder with a re-encoding round trip, the
//! Negotiate acceptor's first legs and the initiator's second leg on arbitrary tokens.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    secur32::packages::negotiate::fuzz_api::spnego(data);
    secur32::packages::negotiate::fuzz_api::accept(data);
    secur32::packages::negotiate::fuzz_api::initiate(data);
});
