//! Schannel handshake input streams on the side that receives them: arbitrary bytes as the
//! TLS records a server reads first (ClientHello…) through AcceptSecurityContext, or as the
//! server flight a client reads after its ClientHello through InitializeSecurityContext; the
//! input is cut into up to 4 chunks (length-prefixed) fed as successive calls, so partial
//! records (SEC_E_INCOMPLETE_MESSAGE), EXTRA data and multi-step flows are exercised.
#![no_main]
use fuzz_util::consts::*;
use fuzz_util::types::*;
use fuzz_util::*;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static CREDS: OnceLock<(CredHandle, CredHandle)> = OnceLock::new();

/// Any failure code but SEC_E_INTERNAL_ERROR (a caught panic), or a documented outcome.
pub fn schannel_documented(s: SECURITY_STATUS) -> bool {
    s != SEC_E_INTERNAL_ERROR
        && (s < 0
            || [
                SEC_E_OK,
                SEC_I_CONTINUE_NEEDED,
                SEC_I_INCOMPLETE_CREDENTIALS,
                SEC_I_CONTEXT_EXPIRED,
                SEC_I_RENEGOTIATE,
            ]
            .contains(&s))
}

fuzz_target!(|data: &[u8]| {
    let (mut c, mut s) = *CREDS.get_or_init(sch::creds);
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let server = mode & 1 == 0;
    let mut ctx = CtxtHandle::default();
    let mut have = false;
    if !server {
        let (st, _, _) = sch::step(false, &mut c, &mut ctx, false, &[]);
        assert_eq!(st, SEC_I_CONTINUE_NEEDED);
        have = true;
    }
    let mut pending: Vec<u8> = Vec::new();
    for _ in 0..4 {
        if rest.is_empty() {
            break;
        }
        let n = (rest[0] as usize * 8 + 1).min(rest.len() - 1);
        pending.extend_from_slice(&rest[1..1 + n]);
        rest = &rest[1 + n..];
        let (st, _, extra) = sch::step(
            server,
            if server { &mut s } else { &mut c },
            &mut ctx,
            have,
            &pending,
        );
        assert!(st != SEC_E_INTERNAL_ERROR, "caught panic");
        assert!(
            schannel_documented(st),
            "undocumented status {:#010x}",
            st as u32
        );
        if st == SEC_E_INCOMPLETE_MESSAGE {
            // Keep the bytes and append the next chunk, as a caller does.
            continue;
        }
        if st == SEC_I_CONTINUE_NEEDED || st == SEC_E_OK {
            have = true;
            pending = pending.split_off(pending.len() - extra);
            if st == SEC_E_OK {
                break;
            }
            continue;
        }
        break; // a refusal ends the handshake
    }
    if have || ctx != CtxtHandle::default() {
        // SAFETY: our handle.
        unsafe { fuzz_util::exports::DeleteSecurityContext(&mut ctx) };
    }
});
