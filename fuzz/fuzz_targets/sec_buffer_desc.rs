//! The SecBufferDesc view through every export that takes one: fuzzer-chosen ulVersion,
//! cBuffers, buffer types and attribute bits, sizes, NULL and overlapping pvBuffer pointers and
//! misaligned pBuffers, into EncryptMessage, DecryptMessage, MakeSignature, VerifySignature,
//! CompleteAuthToken, ApplyControlToken and both legs' input/output of ISC and ASC (with and
//! without *_REQ_ALLOCATE_MEMORY). Every pointer handed over is valid for its declared size
//! (as the API requires); the library must never crash and must return a documented status.
#![no_main]
use fuzz_util::consts::*;
use fuzz_util::exports::*;
use fuzz_util::types::*;
use fuzz_util::*;
use libfuzzer_sys::fuzz_target;
use std::ptr::null_mut;
use std::sync::{Mutex, OnceLock};

static PAIR: OnceLock<Mutex<Pair>> = OnceLock::new();
const ARENA: usize = 4096;
const TYPES: [u32; 12] = [
    SECBUFFER_EMPTY,
    SECBUFFER_DATA,
    SECBUFFER_TOKEN,
    SECBUFFER_STREAM,
    SECBUFFER_PADDING,
    SECBUFFER_EXTRA,
    SECBUFFER_MISSING,
    SECBUFFER_CHANNEL_BINDINGS,
    SECBUFFER_DATA | SECBUFFER_READONLY,
    SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM,
    SECBUFFER_TOKEN | SECBUFFER_READONLY,
    SECBUFFER_STREAM_HEADER,
];

struct Input<'a>(&'a [u8]);
impl Input<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, r)) => {
                self.0 = r;
                *b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
}

/// A descriptor built from the input, with its buffers pointing into `arena`.
struct Desc {
    desc: SecBufferDesc,
    storage: Vec<u64>,
    null_desc: bool,
}

fn build(inp: &mut Input<'_>, arena: &mut [u8]) -> Desc {
    let shape = inp.u8();
    let n = match shape & 0x3 {
        0 | 1 => (inp.u8() % 8) as usize,
        2 => inp.u8() as usize,
        _ => 0,
    };
    // Room for n SecBuffers plus one byte of misalignment.
    let mut storage = vec![0u64; n * 2 + 1];
    let base = storage.as_mut_ptr() as *mut u8;
    let misalign = shape & 0x10 != 0 && n > 0;
    let bufs = (if misalign { base.wrapping_add(1) } else { base }) as *mut SecBuffer;
    for i in 0..n {
        let t = inp.u8();
        let ty = if t & 0x80 != 0 {
            inp.u32()
        } else {
            TYPES[(t as usize) % TYPES.len()]
        };
        let kind = inp.u8();
        let mut size = inp.u16() as usize;
        let ptr = if kind & 0x3 == 0 {
            null_mut()
        } else {
            let off = (inp.u16() as usize) % ARENA;
            size = size.min(ARENA - off);
            arena[off..].as_mut_ptr() as *mut _
        };
        let b = SecBuffer {
            cbBuffer: size as u32,
            BufferType: ty,
            pvBuffer: ptr,
        };
        // SAFETY: inside `storage` (n entries from `bufs`, which is at most 1 byte in).
        unsafe { bufs.add(i).write_unaligned(b) };
    }
    let version = match shape & 0x0c {
        0x0c => inp.u32(),
        _ => SECBUFFER_VERSION,
    };
    let c_buffers = if shape & 0x20 != 0 {
        n as u32 | (inp.u32() & 0xFFFF_0000)
    } else {
        n as u32
    };
    // A huge cBuffers only with nothing behind it would be a caller bug (the view must refuse
    // it before reading): allowed, since MAX_BUFFERS is checked first.
    let c_buffers = if c_buffers as usize > n && (c_buffers as usize) <= 64 {
        n as u32
    } else {
        c_buffers
    };
    let p = if shape & 0x40 != 0 { null_mut() } else { bufs };
    Desc {
        desc: SecBufferDesc {
            ulVersion: version,
            cBuffers: c_buffers,
            pBuffers: p,
        },
        storage,
        null_desc: shape & 0x80 != 0 && shape & 0x3 == 3,
    }
}

impl Desc {
    fn ptr(&mut self) -> *mut SecBufferDesc {
        if self.null_desc {
            null_mut()
        } else {
            &mut self.desc
        }
    }
    /// Frees anything the library allocated into these buffers (FreeContextBuffer refuses
    /// pointers it did not hand out, so arena pointers are safely rejected).
    fn free_allocated(&mut self) {
        let _ = &self.storage;
        if self.desc.pBuffers.is_null() || self.desc.cBuffers as usize > 64 {
            return;
        }
        for i in 0..self.desc.cBuffers as usize {
            // SAFETY: inside storage.
            let b = unsafe { self.desc.pBuffers.add(i).read_unaligned() };
            if !b.pvBuffer.is_null() {
                // SAFETY: any pointer value is accepted by FreeContextBuffer.
                unsafe { FreeContextBuffer(b.pvBuffer) };
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input(data);
    let op = inp.u8();
    let mut arena = vec![0u8; ARENA];
    let fill = inp.u16() as usize;
    for (i, a) in arena.iter_mut().enumerate().take(fill % ARENA) {
        *a = inp.0.get(i % inp.0.len().max(1)).copied().unwrap_or(0);
    }
    let mut guard = PAIR.get_or_init(|| Mutex::new(Pair::new())).lock().unwrap();
    let p = &mut *guard;
    let mut d = build(&mut inp, &mut arena);
    let mut ctx = if op & 0x80 != 0 { p.sctx } else { p.cctx };
    let mut qop = 0u32;
    let qop_in = if op & 0x40 != 0 {
        SECQOP_WRAP_NO_ENCRYPT
    } else {
        0
    };
    // SAFETY: every pointer in the descriptor is NULL or valid for its declared size.
    unsafe {
        match op % 10 {
            0 => {
                check(
                    "EncryptMessage",
                    EncryptMessage(&mut ctx, qop_in, d.ptr(), 0),
                );
            }
            1 => {
                check(
                    "DecryptMessage",
                    DecryptMessage(&mut ctx, d.ptr(), 0, &mut qop),
                );
            }
            2 => {
                check("MakeSignature", MakeSignature(&mut ctx, 0, d.ptr(), 0));
            }
            3 => {
                check(
                    "VerifySignature",
                    VerifySignature(&mut ctx, d.ptr(), 0, &mut qop),
                );
            }
            4 => {
                check("CompleteAuthToken", CompleteAuthToken(&mut ctx, d.ptr()));
                check("ApplyControlToken", ApplyControlToken(&mut ctx, d.ptr()));
            }
            5 | 6 => {
                // ISC first leg with the fuzzed output descriptor (op 6: allocate).
                let req = ISC_REQ
                    | if op % 10 == 6 {
                        ISC_REQ_ALLOCATE_MEMORY
                    } else {
                        0
                    };
                let mut new = CtxtHandle::default();
                let (mut attrs, mut ts) = (0u32, TimeStamp { QuadPart: 0 });
                let s = check(
                    "ISC",
                    InitializeSecurityContextA(
                        &mut p.ccred,
                        null_mut(),
                        SPN.as_ptr() as *mut _,
                        req,
                        0,
                        0,
                        null_mut(),
                        0,
                        &mut new,
                        d.ptr(),
                        &mut attrs,
                        &mut ts,
                    ),
                );
                if s == SEC_I_CONTINUE_NEEDED {
                    d.free_allocated();
                    delete(&mut new);
                }
            }
            7 | 8 => {
                // ASC first leg: fuzzed input descriptor, then (op 8) fuzzed output too.
                let mut out = build(&mut inp, &mut arena);
                let req = ASC_REQ
                    | if op & 0x20 != 0 {
                        ASC_REQ_ALLOCATE_MEMORY
                    } else {
                        0
                    };
                let mut new = CtxtHandle::default();
                let (mut attrs, mut ts) = (0u32, TimeStamp { QuadPart: 0 });
                let mut tok = [0u8; 512];
                let mut ob = SecBuffer {
                    cbBuffer: 512,
                    BufferType: SECBUFFER_TOKEN,
                    pvBuffer: tok.as_mut_ptr() as *mut _,
                };
                let mut od = SecBufferDesc {
                    ulVersion: SECBUFFER_VERSION,
                    cBuffers: 1,
                    pBuffers: &mut ob,
                };
                let outp = if op % 10 == 8 {
                    out.ptr()
                } else {
                    &mut od as *mut _
                };
                let s = check(
                    "ASC",
                    AcceptSecurityContext(
                        &mut p.scred,
                        null_mut(),
                        d.ptr(),
                        req,
                        0,
                        &mut new,
                        outp,
                        &mut attrs,
                        &mut ts,
                    ),
                );
                if s == SEC_I_CONTINUE_NEEDED {
                    if op % 10 == 8 {
                        out.free_allocated();
                    } else if ob.pvBuffer != tok.as_mut_ptr() as *mut _ {
                        FreeContextBuffer(ob.pvBuffer);
                    }
                    delete(&mut new);
                }
            }
            _ => {
                // ISC second leg on a fresh client context with the fuzzed input descriptor.
                let mut c = CtxtHandle::default();
                let (s, _) = isc(&mut p.ccred, None, &mut c, None);
                assert_eq!(s, SEC_I_CONTINUE_NEEDED);
                let mut prev = c;
                let mut tok = [0u8; 2048];
                let mut ob = SecBuffer {
                    cbBuffer: 2048,
                    BufferType: SECBUFFER_TOKEN,
                    pvBuffer: tok.as_mut_ptr() as *mut _,
                };
                let mut od = SecBufferDesc {
                    ulVersion: SECBUFFER_VERSION,
                    cBuffers: 1,
                    pBuffers: &mut ob,
                };
                let (mut attrs, mut ts) = (0u32, TimeStamp { QuadPart: 0 });
                check(
                    "ISC2",
                    InitializeSecurityContextA(
                        &mut p.ccred,
                        &mut prev,
                        SPN.as_ptr() as *mut _,
                        ISC_REQ,
                        0,
                        0,
                        d.ptr(),
                        0,
                        &mut c,
                        &mut od,
                        &mut attrs,
                        &mut ts,
                    ),
                );
                delete(&mut c);
            }
        }
    }
});
