//! NEGOTIATE_MESSAGE on the side that receives it: the parser directly, then
//! AcceptSecurityContext's first leg with the bytes as the input token.
#![no_main]
use fuzz_util::consts::*;
use fuzz_util::types::*;
use fuzz_util::*;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static SCRED: OnceLock<CredHandle> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    secur32::packages::ntlm::fuzz_api::negotiate(data);
    let mut cred = *SCRED.get_or_init(|| creds(true));
    let mut ctx = CtxtHandle::default();
    let (s, chal) = asc(&mut cred, None, &mut ctx, data);
    check("ASC(NEGOTIATE)", s);
    if s == SEC_I_CONTINUE_NEEDED {
        assert!(chal.starts_with(b"NTLMSSP\0"));
        delete(&mut ctx);
    } else {
        assert_eq!(ctx, CtxtHandle::default(), "no context on failure");
    }
});
