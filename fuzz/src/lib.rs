//! Shared helpers for the fuzz targets: everything goes through the exported C ABI functions,
//! exactly as a C caller would use them.
#![allow(clippy::missing_safety_doc)]

use secur32::ffi::consts::*;
use secur32::ffi::exports::*;
use secur32::ffi::types::*;
use std::ptr::{null, null_mut};

pub use secur32::ffi::consts;
pub use secur32::ffi::exports;
pub use secur32::ffi::schannel;
pub use secur32::ffi::types;

pub const ISC_REQ: u32 = ISC_REQ_CONFIDENTIALITY
    | ISC_REQ_INTEGRITY
    | ISC_REQ_REPLAY_DETECT
    | ISC_REQ_SEQUENCE_DETECT
    | ISC_REQ_CONNECTION;
pub const ASC_REQ: u32 = ASC_REQ_CONFIDENTIALITY
    | ASC_REQ_INTEGRITY
    | ASC_REQ_REPLAY_DETECT
    | ASC_REQ_SEQUENCE_DETECT
    | ASC_REQ_CONNECTION;
pub const SPN: &[u8] = b"host/fuzz\0";

/// Every status the exports document for hostile input; anything else is a finding.
pub fn documented(s: SECURITY_STATUS) -> bool {
    [
        SEC_E_OK,
        SEC_I_CONTINUE_NEEDED,
        SEC_E_INVALID_TOKEN,
        SEC_E_INVALID_PARAMETER,
        SEC_E_INVALID_HANDLE,
        SEC_E_LOGON_DENIED,
        SEC_E_MESSAGE_ALTERED,
        SEC_E_OUT_OF_SEQUENCE,
        SEC_E_BUFFER_TOO_SMALL,
        SEC_E_QOP_NOT_SUPPORTED,
        SEC_E_BAD_BINDINGS,
        SEC_E_INSUFFICIENT_MEMORY,
        SEC_E_UNSUPPORTED_FUNCTION,
        // Windows' code for some malformed buffers (a NULL ApplyControlToken descriptor, first
        // ISC output-buffer errors: issue #12). A panic inside the library cannot hide behind
        // it: libfuzzer-sys's panic hook aborts before the export's catch_unwind sees it.
        SEC_E_INTERNAL_ERROR,
    ]
    .contains(&s)
}

/// Asserts the status is documented (a panic here is a libFuzzer crash).
pub fn check(what: &str, s: SECURITY_STATUS) -> SECURITY_STATUS {
    assert!(
        documented(s),
        "{what}: undocumented status {:#010x}",
        s as u32
    );
    s
}

pub fn creds(inbound: bool) -> CredHandle {
    let mut id = SEC_WINNT_AUTH_IDENTITY_A {
        User: b"user".as_ptr() as *mut u8,
        UserLength: 4,
        Domain: b"DOMAIN".as_ptr() as *mut u8,
        DomainLength: 6,
        Password: b"Password01".as_ptr() as *mut u8,
        PasswordLength: 10,
        Flags: SEC_WINNT_AUTH_IDENTITY_ANSI,
    };
    let mut h = CredHandle::default();
    let mut ts = TimeStamp { QuadPart: 0 };
    let use_ = if inbound {
        SECPKG_CRED_INBOUND
    } else {
        SECPKG_CRED_OUTBOUND
    };
    // SAFETY: valid identity and out-pointers.
    let s = unsafe {
        AcquireCredentialsHandleA(
            null_mut(),
            b"NTLM\0".as_ptr() as *mut _,
            use_,
            null_mut(),
            &mut id as *mut _ as *mut _,
            None,
            null_mut(),
            &mut h,
            &mut ts,
        )
    };
    assert_eq!(s, SEC_E_OK);
    h
}

/// A call with one input TOKEN buffer (`input`) and one 4096-byte output TOKEN buffer;
/// returns (status, output token).
fn token_call(
    input: &[u8],
    call: impl FnOnce(&mut SecBufferDesc, &mut SecBufferDesc) -> SECURITY_STATUS,
) -> (SECURITY_STATUS, Vec<u8>) {
    let mut out = vec![0u8; 4096];
    let mut inbuf = input.to_vec();
    let mut ib = SecBuffer {
        cbBuffer: inbuf.len() as u32,
        BufferType: SECBUFFER_TOKEN,
        pvBuffer: inbuf.as_mut_ptr() as *mut _,
    };
    let mut ob = SecBuffer {
        cbBuffer: out.len() as u32,
        BufferType: SECBUFFER_TOKEN,
        pvBuffer: out.as_mut_ptr() as *mut _,
    };
    let mut id = SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: 1,
        pBuffers: &mut ib,
    };
    let mut od = SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: 1,
        pBuffers: &mut ob,
    };
    let s = call(&mut id, &mut od);
    out.truncate(ob.cbBuffer as usize);
    (s, out)
}

/// One ISC call: `input` (None on the first leg) → output token. Returns (status, token).
pub fn isc(
    cred: &mut CredHandle,
    ctx: Option<&mut CtxtHandle>,
    new: &mut CtxtHandle,
    input: Option<&[u8]>,
) -> (SECURITY_STATUS, Vec<u8>) {
    let ctxp = ctx.map_or(null_mut(), |c| c as *mut _);
    token_call(input.unwrap_or_default(), |id, od| {
        let (mut attrs, mut ts) = (0u32, TimeStamp { QuadPart: 0 });
        // SAFETY: all pointers are valid for the call.
        unsafe {
            InitializeSecurityContextA(
                cred,
                ctxp,
                SPN.as_ptr() as *mut _,
                ISC_REQ,
                0,
                SECURITY_NATIVE_DREP,
                if input.is_some() { id } else { null_mut() },
                0,
                new,
                od,
                &mut attrs,
                &mut ts,
            )
        }
    })
}

/// One ASC call.
pub fn asc(
    cred: &mut CredHandle,
    ctx: Option<&mut CtxtHandle>,
    new: &mut CtxtHandle,
    input: &[u8],
) -> (SECURITY_STATUS, Vec<u8>) {
    let ctxp = ctx.map_or(null_mut(), |c| c as *mut _);
    token_call(input, |id, od| {
        let (mut attrs, mut ts) = (0u32, TimeStamp { QuadPart: 0 });
        // SAFETY: all pointers are valid for the call.
        unsafe {
            AcceptSecurityContext(
                cred,
                ctxp,
                id,
                ASC_REQ,
                SECURITY_NATIVE_DREP,
                new,
                od,
                &mut attrs,
                &mut ts,
            )
        }
    })
}

/// An established client/server pair (credentials stay alive for the process).
pub struct Pair {
    pub ccred: CredHandle,
    pub scred: CredHandle,
    pub cctx: CtxtHandle,
    pub sctx: CtxtHandle,
}

impl Pair {
    pub fn new() -> Pair {
        let mut ccred = creds(false);
        let mut scred = creds(true);
        let mut cctx = CtxtHandle::default();
        let mut sctx = CtxtHandle::default();
        let (s, neg) = isc(&mut ccred, None, &mut cctx, None);
        assert_eq!(s, SEC_I_CONTINUE_NEEDED);
        let (s, chal) = asc(&mut scred, None, &mut sctx, &neg);
        assert_eq!(s, SEC_I_CONTINUE_NEEDED);
        let mut c2 = cctx;
        let (s, auth) = isc(&mut ccred, Some(&mut c2), &mut cctx, Some(&chal));
        assert_eq!(s, SEC_E_OK);
        let mut s2 = sctx;
        let (s, _) = asc(&mut scred, Some(&mut s2), &mut sctx, &auth);
        assert_eq!(s, SEC_E_OK);
        Pair {
            ccred,
            scred,
            cctx,
            sctx,
        }
    }
}

impl Default for Pair {
    fn default() -> Self {
        Self::new()
    }
}

/// Deletes a context handle (must succeed).
pub fn delete(h: &mut CtxtHandle) {
    // SAFETY: valid handle pointer.
    assert_eq!(unsafe { DeleteSecurityContext(h) }, SEC_E_OK);
}

/// NULL helper for optional pointers.
pub fn nul<T>() -> *const T {
    null()
}

/// Schannel: server credentials from fuzz/testdata/server.pfx (a throwaway self-signed P-256
/// certificate for CN=localhost, password "fuzz"), client credentials that validate nothing
/// and never resume, as c-tests/bench.c uses them.
pub mod sch {
    use super::*;
    use secur32::ffi::crypt32::*;
    use secur32::ffi::crypt32_store::*;
    use secur32::ffi::schannel::*;

    pub const PFX: &[u8] = include_bytes!("../testdata/server.pfx");
    pub const ISC: u32 = ISC_REQ_SEQUENCE_DETECT
        | ISC_REQ_REPLAY_DETECT
        | ISC_REQ_CONFIDENTIALITY
        | ISC_REQ_ALLOCATE_MEMORY
        | ISC_REQ_STREAM;
    pub const ASC: u32 = ASC_REQ_SEQUENCE_DETECT
        | ASC_REQ_REPLAY_DETECT
        | ASC_REQ_CONFIDENTIALITY
        | ASC_REQ_ALLOCATE_MEMORY
        | ASC_REQ_STREAM;

    fn wide(s: &str) -> Vec<u16> {
        s.encode_utf16().chain(Some(0)).collect()
    }

    /// (client, server) credentials; the client offers `protocols` (SP_PROT_*, 0 = default).
    pub fn creds_for(protocols: u32) -> (CredHandle, CredHandle) {
        let mut pw = wide("fuzz");
        let mut blob = CRYPT_DATA_BLOB {
            cbData: PFX.len() as u32,
            pbData: PFX.as_ptr() as *mut u8,
        };
        let mut pkg = wide("Microsoft Unified Security Protocol Provider");
        let (mut c, mut s) = (CredHandle::default(), CredHandle::default());
        let mut ts = TimeStamp { QuadPart: 0 };
        // SAFETY: valid pointers to live locals; the store and certificate are kept for the
        // process (leaked on purpose).
        unsafe {
            let store = PFXImportCertStore(&mut blob, pw.as_mut_ptr(), 0);
            assert!(!store.is_null(), "PFXImportCertStore");
            let mut cert = CertFindCertificateInStore(
                store,
                X509_ASN_ENCODING,
                0,
                CERT_FIND_ANY,
                std::ptr::null(),
                std::ptr::null(),
            );
            assert!(!cert.is_null());
            let mut sv: SCH_CREDENTIALS = std::mem::zeroed();
            sv.dwVersion = SCH_CREDENTIALS_VERSION;
            sv.cCreds = 1;
            sv.paCred = &mut cert;
            assert_eq!(
                AcquireCredentialsHandleW(
                    null_mut(),
                    pkg.as_mut_ptr(),
                    SECPKG_CRED_INBOUND,
                    null_mut(),
                    &mut sv as *mut _ as *mut _,
                    None,
                    null_mut(),
                    &mut s,
                    &mut ts
                ),
                SEC_E_OK
            );
            let mut cl: SCHANNEL_CRED = std::mem::zeroed();
            cl.dwVersion = SCHANNEL_CRED_VERSION;
            cl.grbitEnabledProtocols = protocols;
            cl.dwFlags = SCH_CRED_MANUAL_CRED_VALIDATION
                | SCH_CRED_NO_DEFAULT_CREDS
                | SCH_CRED_DISABLE_RECONNECTS;
            assert_eq!(
                AcquireCredentialsHandleW(
                    null_mut(),
                    pkg.as_mut_ptr(),
                    SECPKG_CRED_OUTBOUND,
                    null_mut(),
                    &mut cl as *mut _ as *mut _,
                    None,
                    null_mut(),
                    &mut c,
                    &mut ts
                ),
                SEC_E_OK
            );
        }
        (c, s)
    }

    /// (client, server) credentials with the default protocols.
    pub fn creds() -> (CredHandle, CredHandle) {
        creds_for(0)
    }

    /// One ISC/ASC step with input [TOKEN, EMPTY]; returns (status, output token, EXTRA bytes
    /// left unconsumed at the end of the input).
    pub fn step(
        server: bool,
        cred: &mut CredHandle,
        ctx: &mut CtxtHandle,
        have_ctx: bool,
        input: &[u8],
    ) -> (SECURITY_STATUS, Vec<u8>, usize) {
        let mut inb = input.to_vec();
        let mut ib = [
            SecBuffer {
                cbBuffer: inb.len() as u32,
                BufferType: SECBUFFER_TOKEN,
                pvBuffer: inb.as_mut_ptr() as *mut _,
            },
            SecBuffer {
                cbBuffer: 0,
                BufferType: SECBUFFER_EMPTY,
                pvBuffer: null_mut(),
            },
        ];
        let mut ob = [SecBuffer {
            cbBuffer: 0,
            BufferType: SECBUFFER_TOKEN,
            pvBuffer: null_mut(),
        }];
        let mut id = SecBufferDesc {
            ulVersion: SECBUFFER_VERSION,
            cBuffers: 2,
            pBuffers: ib.as_mut_ptr(),
        };
        let mut od = SecBufferDesc {
            ulVersion: SECBUFFER_VERSION,
            cBuffers: 1,
            pBuffers: ob.as_mut_ptr(),
        };
        let (mut attr, mut ts) = (0u32, TimeStamp { QuadPart: 0 });
        let mut target = wide("localhost");
        let mut prev = *ctx;
        let prevp = if have_ctx {
            &mut prev as *mut _
        } else {
            null_mut()
        };
        // SAFETY: valid pointers to live locals.
        let s = unsafe {
            if server {
                AcceptSecurityContext(
                    cred, prevp, &mut id, ASC, 0, ctx, &mut od, &mut attr, &mut ts,
                )
            } else {
                InitializeSecurityContextW(
                    cred,
                    prevp,
                    target.as_mut_ptr(),
                    ISC,
                    0,
                    0,
                    if input.is_empty() && !have_ctx {
                        null_mut()
                    } else {
                        &mut id
                    },
                    0,
                    ctx,
                    &mut od,
                    &mut attr,
                    &mut ts,
                )
            }
        };
        let mut out = Vec::new();
        if !ob[0].pvBuffer.is_null() {
            // SAFETY: the library's allocation of cbBuffer bytes.
            out = unsafe {
                std::slice::from_raw_parts(ob[0].pvBuffer as *const u8, ob[0].cbBuffer as usize)
            }
            .to_vec();
            // SAFETY: allocated by the library.
            unsafe { FreeContextBuffer(ob[0].pvBuffer) };
        }
        let extra = if ib[1].BufferType == SECBUFFER_EXTRA {
            ib[1].cbBuffer as usize
        } else {
            0
        };
        (s, out, extra)
    }

    /// A full in-process TLS handshake; (client ctx, server ctx).
    pub fn pair(c: &mut CredHandle, s: &mut CredHandle) -> (CtxtHandle, CtxtHandle) {
        let (mut cc, mut sc) = (CtxtHandle::default(), CtxtHandle::default());
        let (st, mut tok, _) = step(false, c, &mut cc, false, &[]);
        assert_eq!(st, SEC_I_CONTINUE_NEEDED);
        let (mut c_done, mut s_done, mut s_have) = (false, false, false);
        let mut to_server = true;
        for _ in 0..16 {
            if c_done && s_done {
                break;
            }
            if to_server {
                let (st, out, _) = step(true, s, &mut sc, s_have, &tok);
                s_have = true;
                assert!(st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED, "ASC {st:#x}");
                s_done = st == SEC_E_OK;
                tok = out;
            } else {
                let (st, out, _) = step(false, c, &mut cc, true, &tok);
                assert!(st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED, "ISC {st:#x}");
                c_done = st == SEC_E_OK;
                tok = out;
            }
            if !tok.is_empty() || (c_done && !s_done) || (s_done && !c_done) {
                to_server = !to_server;
            }
        }
        assert!(c_done && s_done, "handshake did not complete");
        (cc, sc)
    }
}
