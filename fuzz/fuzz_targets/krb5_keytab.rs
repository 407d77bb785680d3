//! MIT keytab files (KRB5_KTNAME): the parser and key lookups.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    secur32::packages::kerberos::fuzz_api::keytab(data);
});
