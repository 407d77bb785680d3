//! Schannel DecryptMessage on arbitrary input streams, on established in-process TLS 1.3 and
//! TLS 1.2 pairs: [DATA(stream), EMPTY, EMPTY, EMPTY] as Schannel callers pass it (partial
//! records, several records, EXTRA), and genuine records from EncryptMessage with
//! fuzzer-chosen XOR masks (a zero mask must decrypt to the plaintext; any change must be
//! refused). After every refused input the receiver must still open the next genuine record.
#![no_main]
use fuzz_util::consts::*;
use fuzz_util::exports::*;
use fuzz_util::schannel::SP_PROT_TLS1_2_CLIENT;
use fuzz_util::types::*;
use fuzz_util::*;
use libfuzzer_sys::fuzz_target;
use std::sync::{Mutex, OnceLock};

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
    let mut sz = SecPkgContext_StreamSizes::default();
    // SAFETY: live context handle and a StreamSizes out-structure.
    let st = unsafe {
        QueryContextAttributesW(ctx, SECPKG_ATTR_STREAM_SIZES, &mut sz as *mut _ as *mut _)
    };
    assert_eq!(st, SEC_E_OK, "STREAM_SIZES");
    let (h, t) = (sz.cbHeader as usize, sz.cbTrailer as usize);
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

struct Pair {
    c: CredHandle,
    s: CredHandle,
    cctx: CtxtHandle,
    sctx: CtxtHandle,
}

impl Pair {
    fn new(protocols: u32) -> Pair {
        let (mut c, mut s) = sch::creds_for(protocols);
        let (cctx, sctx) = sch::pair(&mut c, &mut s);
        Pair { c, s, cctx, sctx }
    }

    fn renew(&mut self) {
        // SAFETY: our handles.
        unsafe {
            DeleteSecurityContext(&mut self.cctx);
            DeleteSecurityContext(&mut self.sctx);
        }
        (self.cctx, self.sctx) = sch::pair(&mut self.c, &mut self.s);
    }
}

struct State {
    pairs: [Pair; 2],
    n: u32,
}

static STATE: OnceLock<Mutex<State>> = OnceLock::new();

/// `plain` sealed by `from` must open on `to` to exactly `plain`.
fn genuine(from: &mut CtxtHandle, to: &mut CtxtHandle, rec: Option<Vec<u8>>, plain: &[u8]) {
    let mut r = rec.unwrap_or_else(|| encrypt(from, plain));
    let (s, out) = decrypt(to, &mut r);
    assert_eq!(s, SEC_E_OK, "genuine record refused after a refused input");
    assert_eq!(out, plain);
}

fuzz_target!(|data: &[u8]| {
    let mut g = STATE
        .get_or_init(|| {
            Mutex::new(State {
                pairs: [Pair::new(0), Pair::new(SP_PROT_TLS1_2_CLIENT)],
                n: 0,
            })
        })
        .lock()
        .unwrap();
    let st = &mut *g;
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let pair = &mut st.pairs[usize::from(mode & 0x40 != 0)];
    let (mut from, mut to) = if mode & 0x80 != 0 {
        (pair.sctx, pair.cctx)
    } else {
        (pair.cctx, pair.sctx)
    };
    if mode & 1 == 0 {
        // Arbitrary stream: nothing in it can be a record under this pair's keys.
        let mut stream = rest.to_vec();
        let (s, _) = decrypt(&mut to, &mut stream);
        assert_ne!(s, SEC_E_OK, "arbitrary stream accepted");
        genuine(&mut from, &mut to, None, b"probe");
    } else {
        // A genuine record with the fuzzer's XOR mask, then the genuine record itself.
        let n = rest.len() / 2;
        let (plain, mask) = rest.split_at(n);
        let plain = if plain.is_empty() { &b"x"[..] } else { plain };
        let rec = encrypt(&mut from, plain);
        let mut forged = rec.clone();
        for (i, m) in mask.iter().enumerate() {
            let k = i % forged.len();
            forged[k] ^= m;
        }
        if forged != rec {
            let (s, _) = decrypt(&mut to, &mut forged);
            assert_ne!(s, SEC_E_OK, "altered record accepted");
        }
        genuine(&mut from, &mut to, Some(rec), plain);
    }
    st.n += 1;
    if st.n % 8192 == 0 {
        for p in &mut st.pairs {
            p.renew();
        }
    }
});
