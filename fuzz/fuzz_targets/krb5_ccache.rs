//! MIT credential cache files (KRB5CCNAME FILE: caches): the parser, and the re-encoding of
//! every credential it reads (ccache.rs `store` format) back to the same credential.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    secur32::packages::kerberos::fuzz_api::ccache(data);
});
