//! WDigest's parsers and receiving legs on arbitrary bytes: the directive-list parser and
//! every token parser on it (digest-challenge, digest-response, rspauth, HTTP Authorization and
//! WWW-Authenticate), the ISC/ASC legs (SASL and HTTP) with the bytes as the peer's token, and
//! DecryptMessage / VerifySignature of the security layer (auth-int and each cipher).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    secur32::packages::digest::fuzz_api::parse_all(data);
    secur32::packages::digest::fuzz_api::handshake_legs(data);
    secur32::packages::digest::fuzz_api::unseal(data);
});
