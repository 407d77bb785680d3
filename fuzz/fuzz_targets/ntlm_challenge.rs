//! CHALLENGE_MESSAGE on the side that receives it: the parser (and its TargetInfo AV pairs)
//! directly, then InitializeSecurityContext's second leg with the bytes as the input token.
#![no_main]
use fuzz_util::consts::*;
use fuzz_util::types::*;
use fuzz_util::*;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static CCRED: OnceLock<CredHandle> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    secur32::packages::ntlm::fuzz_api::challenge(data);
    secur32::packages::ntlm::fuzz_api::av_pairs(data);
    let mut cred = *CCRED.get_or_init(|| creds(false));
    let mut ctx = CtxtHandle::default();
    let (s, _) = isc(&mut cred, None, &mut ctx, None);
    assert_eq!(s, SEC_I_CONTINUE_NEEDED);
    let mut prev = ctx;
    let (s, auth) = isc(&mut cred, Some(&mut prev), &mut ctx, Some(data));
    check("ISC(CHALLENGE)", s);
    if s == SEC_E_OK {
        assert!(auth.starts_with(b"NTLMSSP\0"));
    }
    delete(&mut ctx);
});
