//! Schannel DecryptMessage on arbitrary input streams, on an established in-process TLS pair:
//! [DATA(stream), EMPTY, EMPTY, EMPTY] as Schannel callers pass it (partial records,
//! several records, EXTRA), and genuine records from EncryptMessage with fuzzer-chosen XOR
//! masks (a zero mask must decrypt to the plaintext; any change must be refused).
#![no_main]
use fuzz_util::consts::*;
use fuzz_util::exports::*;
use fuzz_util::types::*;
use fuzz_util::*;
use libfuzzer_sys::fuzz_target;
use std::sync::{Mutex, OnceLock};

struct State {
    c: CredHandle,
    s: CredHandle,
    cctx: CtxtHandle,
    sctx: CtxtHandle,
    n: u32,
}

static STATE: OnceLock<Mutex<State>> = OnceLock::new();

fn decrypt(ctx: &mut CtxtHandle, stream: &mut [u8]) -> (SECURITY_STATUS, Vec<u8>) {
    let mut b = [
        SecBuffer {
            cbBuffer: stream.len() as u32,
            BufferType: SECBUFFER_DATA,
            pvBuffer: stream.as_mut_ptr() as *mut _,
        },
        SecBuffer {
            cbBuffer: 0,
            BufferType: SECBUFFER_EMPTY,
            pvBuffer: std::ptr::null_mut(),
        },
        SecBuffer {
            cbBuffer: 0,
            BufferType: SECBUFFER_EMPTY,
            pvBuffer: std::ptr::null_mut(),
        },
        SecBuffer {
            cbBuffer: 0,
            BufferType: SECBUFFER_EMPTY,
            pvBuffer: std::ptr::null_mut(),
        },
    ];
    let mut d = SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: 4,
        pBuffers: b.as_mut_ptr(),
    };
    let mut qop = 0;
    // SAFETY: live local buffers.
    let st = unsafe { DecryptMessage(ctx, &mut d, 0, &mut qop) };
    assert_ne!(st, SEC_E_INTERNAL_ERROR, "caught panic");
    let mut plain = Vec::new();
    if st == SEC_E_OK {
        for x in &b {
            if x.BufferType == SECBUFFER_DATA && !x.pvBuffer.is_null() {
                // SAFETY: points into `stream`.
                plain.extend_from_slice(unsafe {
                    std::slice::from_raw_parts(x.pvBuffer as *const u8, x.cbBuffer as usize)
                });
            }
        }
    }
    (st, plain)
}

fn encrypt(ctx: &mut CtxtHandle, plain: &[u8]) -> Vec<u8> {
    // Header 5 + trailer (tag 16 + content type 1) is enough for TLS 1.2/1.3 AEAD suites.
    let (h, t) = (5usize, 64usize);
    let mut buf = vec![0u8; h + plain.len() + t];
    buf[h..h + plain.len()].copy_from_slice(plain);
    let p = buf.as_mut_ptr();
    let mut b = [
        SecBuffer {
            cbBuffer: h as u32,
            BufferType: SECBUFFER_STREAM_HEADER,
            pvBuffer: p as *mut _,
        },
        SecBuffer {
            cbBuffer: plain.len() as u32,
            BufferType: SECBUFFER_DATA,
            pvBuffer: p.wrapping_add(h) as *mut _,
        },
        SecBuffer {
            cbBuffer: t as u32,
            BufferType: SECBUFFER_STREAM_TRAILER,
            pvBuffer: p.wrapping_add(h + plain.len()) as *mut _,
        },
        SecBuffer {
            cbBuffer: 0,
            BufferType: SECBUFFER_EMPTY,
            pvBuffer: std::ptr::null_mut(),
        },
    ];
    let mut d = SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: 4,
        pBuffers: b.as_mut_ptr(),
    };
    // SAFETY: live local buffers.
    let st = unsafe { EncryptMessage(ctx, 0, &mut d, 0) };
    assert_eq!(st, SEC_E_OK, "EncryptMessage");
    let n = (b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer) as usize;
    buf.truncate(n);
    buf
}

fn fresh(st: &mut State) {
    let (c, s) = sch::pair(&mut st.c, &mut st.s);
    st.cctx = c;
    st.sctx = s;
}

fuzz_target!(|data: &[u8]| {
    let mut g = STATE
        .get_or_init(|| {
            let (c, s) = sch::creds();
            let mut st = State {
                c,
                s,
                cctx: CtxtHandle::default(),
                sctx: CtxtHandle::default(),
                n: 0,
            };
            fresh(&mut st);
            Mutex::new(st)
        })
        .lock()
        .unwrap();
    let st = &mut *g;
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (from, to) = if mode & 0x80 != 0 {
        (st.sctx, st.cctx)
    } else {
        (st.cctx, st.sctx)
    };
    let (mut from, mut to) = (from, to);
    let mut broken = false;
    if mode & 1 == 0 {
        // Arbitrary stream.
        let mut stream = rest.to_vec();
        let (s, _) = decrypt(&mut to, &mut stream);
        broken = s != SEC_E_INCOMPLETE_MESSAGE && s < 0;
    } else {
        // A genuine record with the fuzzer's XOR mask.
        let n = rest.len() / 2;
        let (plain, mask) = rest.split_at(n);
        let plain = if plain.is_empty() { &b"x"[..] } else { plain };
        let rec = encrypt(&mut from, plain);
        let mut forged = rec.clone();
        for (i, m) in mask.iter().enumerate() {
            let k = i % forged.len();
            forged[k] ^= m;
        }
        let changed = forged != rec;
        let (s, out) = decrypt(&mut to, &mut forged);
        if !changed {
            assert_eq!(s, SEC_E_OK);
            assert_eq!(out, plain);
        } else {
            assert_ne!(s, SEC_E_OK, "altered record accepted");
            broken = true; // TLS: a bad record ends the connection
        }
    }
    if broken {
        // Is the receiving context still usable for a genuine record? (TLS allows either:
        // a refused record may end the connection.) Renew the pair only when it is not.
        let rec = encrypt(&mut from, b"probe");
        let mut r = rec.clone();
        let (s, out) = decrypt(&mut to, &mut r);
        broken = !(s == SEC_E_OK && out == b"probe");
    }
    st.n += 1;
    if broken || st.n % 4096 == 0 {
        // SAFETY: our handles.
        unsafe {
            DeleteSecurityContext(&mut st.cctx);
            DeleteSecurityContext(&mut st.sctx);
        }
        fresh(st);
    }
});
