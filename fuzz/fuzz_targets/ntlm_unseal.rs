//! NTLM DecryptMessage / VerifySignature on arbitrary tokens, on an established context pair:
//! [TOKEN, DATA], [TOKEN, DATA, READONLY DATA], the [STREAM, DATA] form, and genuine messages
//! sealed by the peer with fuzzer-chosen bits flipped (a zero mask must decrypt, any other must
//! be refused, and the context must stay usable either way).
#![no_main]
use fuzz_util::consts::*;
use fuzz_util::exports::*;
use fuzz_util::types::*;
use fuzz_util::*;
use libfuzzer_sys::fuzz_target;
use std::sync::{Mutex as Lock, OnceLock};

static PAIR: OnceLock<Lock<(Pair, u32)>> = OnceLock::new();

fn buf(t: u32, b: &mut [u8]) -> SecBuffer {
    SecBuffer {
        cbBuffer: b.len() as u32,
        BufferType: t,
        pvBuffer: b.as_mut_ptr() as *mut _,
    }
}

fn call(ctx: &mut CtxtHandle, bufs: &mut [SecBuffer], verify: bool) -> SECURITY_STATUS {
    let mut d = SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: bufs.len() as u32,
        pBuffers: bufs.as_mut_ptr(),
    };
    let mut qop = 0u32;
    // SAFETY: the descriptor points at live local buffers.
    let s = unsafe {
        if verify {
            VerifySignature(ctx, &mut d, 0, &mut qop)
        } else {
            DecryptMessage(ctx, &mut d, 0, &mut qop)
        }
    };
    check(
        if verify {
            "VerifySignature"
        } else {
            "DecryptMessage"
        },
        s,
    )
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let mut guard = PAIR
        .get_or_init(|| Lock::new((Pair::new(), 0)))
        .lock()
        .unwrap();
    // A fresh pair every 512 inputs: a refused message re-keys RC4 and skips the keystream
    // used so far (the rc4 crate's state cannot be copied; see the README), so a context that
    // has carried millions of messages makes every refusal slow.
    guard.1 += 1;
    if guard.1 % 512 == 0 {
        let old = std::mem::replace(&mut guard.0, Pair::new());
        let (mut c, mut s) = (old.cctx, old.sctx);
        delete(&mut c);
        delete(&mut s);
        let (mut cc, mut sc) = (old.ccred, old.scred);
        // SAFETY: valid handles.
        unsafe {
            FreeCredentialsHandle(&mut cc);
            FreeCredentialsHandle(&mut sc);
        }
    }
    let p = &mut guard.0;
    let mode = data[0];
    let rest = &data[1..];
    let (mut from, mut to) = if mode & 0x80 != 0 {
        (p.sctx, p.cctx)
    } else {
        (p.cctx, p.sctx)
    };
    let verify = mode & 0x40 != 0;
    match mode & 0x7 {
        0 | 1 => {
            // Arbitrary signature and data.
            let split = rest.len().min(16);
            let mut sig = rest[..split].to_vec();
            let mut dat = rest[split..].to_vec();
            let mut b = [
                buf(SECBUFFER_TOKEN, &mut sig),
                buf(SECBUFFER_DATA, &mut dat),
            ];
            let s = call(&mut to, &mut b, verify);
            assert_ne!(s, SEC_E_OK, "forged message accepted");
        }
        2 => {
            // Three buffers, one READONLY_WITH_CHECKSUM.
            let a = rest.len() / 3;
            let mut sig = rest[..a.min(16)].to_vec();
            let mut d1 = rest[a..2 * a].to_vec();
            let mut d2 = rest[2 * a..].to_vec();
            let mut b = [
                buf(SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, &mut d1),
                buf(SECBUFFER_TOKEN, &mut sig),
                buf(SECBUFFER_DATA, &mut d2),
            ];
            assert_ne!(call(&mut to, &mut b, verify), SEC_E_OK);
        }
        3 => {
            // STREAM form.
            let mut stream = rest.to_vec();
            let mut b = [
                buf(SECBUFFER_STREAM, &mut stream),
                SecBuffer {
                    cbBuffer: 0,
                    BufferType: SECBUFFER_DATA,
                    pvBuffer: std::ptr::null_mut(),
                },
            ];
            assert_ne!(call(&mut to, &mut b, false), SEC_E_OK);
        }
        _ => {
            // A genuine message, then the fuzzer's XOR mask over signature ‖ data.
            let n = rest.len() / 2;
            let plain = &rest[..n];
            let mask = &rest[n..];
            let mut sig = [0u8; 16];
            let mut dat = plain.to_vec();
            let mut b = [
                buf(SECBUFFER_TOKEN, &mut sig),
                buf(SECBUFFER_DATA, &mut dat),
            ];
            let mut d = SecBufferDesc {
                ulVersion: SECBUFFER_VERSION,
                cBuffers: 2,
                pBuffers: b.as_mut_ptr(),
            };
            let s = if verify {
                // SAFETY: live local buffers.
                unsafe { MakeSignature(&mut from, 0, &mut d, 0) }
            } else {
                // SAFETY: live local buffers.
                unsafe { EncryptMessage(&mut from, 0, &mut d, 0) }
            };
            assert_eq!(s, SEC_E_OK);
            let (gsig, gdat) = (sig, dat.clone());
            let mut changed = false;
            for (i, m) in mask.iter().enumerate() {
                if *m == 0 {
                    continue;
                }
                let k = i % (16 + dat.len());
                if k < 16 {
                    sig[k] ^= m;
                } else {
                    dat[k - 16] ^= m;
                }
            }
            changed |= sig != gsig || dat != gdat;
            let mut b = [
                buf(SECBUFFER_TOKEN, &mut sig),
                buf(SECBUFFER_DATA, &mut dat),
            ];
            let s = call(&mut to, &mut b, verify);
            if changed {
                assert_ne!(s, SEC_E_OK, "altered message accepted");
                // The genuine message still opens: the failed call consumed nothing.
                let (mut sig, mut dat) = (gsig, gdat);
                let mut b = [
                    buf(SECBUFFER_TOKEN, &mut sig),
                    buf(SECBUFFER_DATA, &mut dat),
                ];
                assert_eq!(call(&mut to, &mut b, verify), SEC_E_OK);
                assert_eq!(dat, plain);
            } else {
                assert_eq!(s, SEC_E_OK);
                assert_eq!(dat, plain);
            }
        }
    }
});
