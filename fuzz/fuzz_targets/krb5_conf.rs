//! krb5.conf text (KRB5_CONFIG): the profile parser and every accessor.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    secur32::packages::kerberos::fuzz_api::krb5_conf(&String::from_utf8_lossy(data));
});
