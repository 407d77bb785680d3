//! AUTHENTICATE_MESSAGE on the side that receives it: the parser (and the NTLMv2 response's AV
//! pairs, and SEC_CHANNEL_BINDINGS hashing) directly, then AcceptSecurityContext's second leg
//! with the bytes as the input token after a genuine NEGOTIATE/CHALLENGE exchange.
#![no_main]
use fuzz_util::consts::*;
use fuzz_util::types::*;
use fuzz_util::*;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static CREDS: OnceLock<(CredHandle, CredHandle)> = OnceLock::new();
static NEGOTIATE: OnceLock<Vec<u8>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    secur32::packages::ntlm::fuzz_api::authenticate(data);
    secur32::packages::ntlm::fuzz_api::channel_bindings(data);
    let (mut ccred, mut scred) = *CREDS.get_or_init(|| (creds(false), creds(true)));
    let neg = NEGOTIATE.get_or_init(|| {
        let mut c = CtxtHandle::default();
        let (s, neg) = isc(&mut ccred, None, &mut c, None);
        assert_eq!(s, SEC_I_CONTINUE_NEEDED);
        delete(&mut c);
        neg
    });
    let mut sctx = CtxtHandle::default();
    let (s, _) = asc(&mut scred, None, &mut sctx, neg);
    assert_eq!(s, SEC_I_CONTINUE_NEEDED);
    let mut prev = sctx;
    let (s, _) = asc(&mut scred, Some(&mut prev), &mut sctx, data);
    check("ASC(AUTHENTICATE)", s);
    assert_ne!(s, SEC_E_OK, "a forged AUTHENTICATE was accepted");
    delete(&mut sctx);
});
