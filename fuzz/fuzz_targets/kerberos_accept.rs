//! Kerberos handshake tokens on the side that receives them, through the exports, with real
//! keys and tickets (fuzz/testdata/krb5: a throw-away MIT.TEST realm; user1's service ticket for
//! HTTP/localhost is valid until 2046). The first input byte picks the mode, the rest is the token:
//!   mode 0  the AP-REQ (InitialContextToken) given to AcceptSecurityContext;
//!   mode 1  the same with ASC_REQ_USE_DCE_STYLE (a bare AP-REQ);
//!   mode 2  the AP-REP given to the client's second InitializeSecurityContext, after a genuine
//!           AP-REQ from a fresh client context;
//!   mode 3  the same in DCE style;
//! (The DCE third leg into ASC is left to c-tests/kerberos_hostile.c: each try needs a fresh
//! server context that accepted a genuine AP-REQ, whose authenticator stays in the process-wide
//! replay cache for the clock skew — libFuzzer's leak check then rescans the heap after every
//! such run, ~45 ms each. The AP-REP decoder it reaches is the one modes 2 and 3 fuzz.)
//! Every status must be one the exports document; none may be SEC_E_INTERNAL_ERROR (a caught
//! panic); and no random input may complete a handshake.
#![no_main]
use fuzz_util::consts::*;
use fuzz_util::exports::*;
use fuzz_util::types::*;
use libfuzzer_sys::fuzz_target;
use std::ptr::null_mut;
use std::sync::OnceLock;

const SPN: &[u8] = b"HTTP/localhost\0";
const IREQ: u32 = fuzz_util::ISC_REQ | ISC_REQ_MUTUAL_AUTH;
const AREQ: u32 = fuzz_util::ASC_REQ | ASC_REQ_MUTUAL_AUTH;

struct Setup {
    ccred: CredHandle,
    scred: CredHandle,
}

fn acquire(inbound: bool) -> CredHandle {
    let mut h = CredHandle::default();
    let mut ts = TimeStamp { QuadPart: 0 };
    let use_ = if inbound {
        SECPKG_CRED_INBOUND
    } else {
        SECPKG_CRED_OUTBOUND
    };
    // SAFETY: valid package name and out-pointers; NULL auth data (ccache / keytab).
    let s = unsafe {
        AcquireCredentialsHandleA(
            null_mut(),
            b"Kerberos\0".as_ptr() as *mut _,
            use_,
            null_mut(),
            null_mut(),
            None,
            null_mut(),
            &mut h,
            &mut ts,
        )
    };
    assert_eq!(s, SEC_E_OK, "AcquireCredentialsHandle(Kerberos)");
    h
}

/// One call with an optional input TOKEN and a 16 KiB output TOKEN.
fn call(
    input: Option<&[u8]>,
    f: impl FnOnce(*mut SecBufferDesc, &mut SecBufferDesc) -> SECURITY_STATUS,
) -> (SECURITY_STATUS, Vec<u8>) {
    let mut out = vec![0u8; 16384];
    let mut inbuf = input.unwrap_or_default().to_vec();
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
    let idp: *mut SecBufferDesc = if input.is_some() { &mut id } else { null_mut() };
    let s = f(idp, &mut od);
    out.truncate(ob.cbBuffer as usize);
    (s, out)
}

fn isc(
    cred: &CredHandle,
    ctx: Option<&mut CtxtHandle>,
    new: &mut CtxtHandle,
    req: u32,
    input: Option<&[u8]>,
) -> (SECURITY_STATUS, Vec<u8>) {
    let mut cred = *cred;
    let ctxp = ctx.map_or(null_mut(), |c| c as *mut _);
    call(input, |id, od| {
        let (mut attrs, mut ts) = (0u32, TimeStamp { QuadPart: 0 });
        // SAFETY: all pointers are valid for the call.
        unsafe {
            InitializeSecurityContextA(
                &mut cred,
                ctxp,
                SPN.as_ptr() as *mut _,
                req,
                0,
                SECURITY_NATIVE_DREP,
                id,
                0,
                new,
                od,
                &mut attrs,
                &mut ts,
            )
        }
    })
}

fn asc(
    cred: &CredHandle,
    ctx: Option<&mut CtxtHandle>,
    new: &mut CtxtHandle,
    req: u32,
    input: &[u8],
) -> (SECURITY_STATUS, Vec<u8>) {
    let mut cred = *cred;
    let ctxp = ctx.map_or(null_mut(), |c| c as *mut _);
    call(Some(input), |id, od| {
        let (mut attrs, mut ts) = (0u32, TimeStamp { QuadPart: 0 });
        // SAFETY: all pointers are valid for the call.
        unsafe {
            AcceptSecurityContext(
                &mut cred,
                ctxp,
                id,
                req,
                SECURITY_NATIVE_DREP,
                new,
                od,
                &mut attrs,
                &mut ts,
            )
        }
    })
}

fn delete(ctx: &mut CtxtHandle) {
    // SAFETY: our handle.
    unsafe { DeleteSecurityContext(ctx) };
}

/// What a refused Kerberos handshake token may return (context.rs, MS-KILE §3.4.5).
fn documented(s: SECURITY_STATUS) -> bool {
    s != SEC_E_INTERNAL_ERROR
        && (fuzz_util::documented(s)
            || [
                SEC_E_WRONG_PRINCIPAL,
                SEC_E_TIME_SKEW,
                SEC_E_CONTEXT_EXPIRED,
                SEC_E_ALGORITHM_MISMATCH,
                SEC_E_NO_CREDENTIALS,
                SEC_E_TARGET_UNKNOWN,
            ]
            .contains(&s))
}

static SETUP: OnceLock<Setup> = OnceLock::new();

fn setup() -> Setup {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/krb5");
    // The package may store tickets in the ccache: a private copy.
    let dir = std::env::temp_dir().join(format!("secur32-fuzz-krb5-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cc = dir.join("ccache");
    std::fs::copy(format!("{data}/user1.ccache"), &cc).expect("ccache copy");
    std::env::set_var("KRB5_CONFIG", format!("{data}/krb5.conf"));
    std::env::set_var("KRB5CCNAME", format!("FILE:{}", cc.display()));
    std::env::set_var("KRB5_KTNAME", format!("FILE:{data}/http.keytab"));
    let s = Setup {
        ccred: acquire(false),
        scred: acquire(true),
    };
    if let Ok(out) = std::env::var("SECUR32_FUZZ_SEEDS") {
        write_seeds(&s, std::path::Path::new(&out));
    }
    s
}

/// SECUR32_FUZZ_SEEDS=DIR: genuine tokens of this realm, with their mode byte, as seeds.
fn write_seeds(s: &Setup, dir: &std::path::Path) {
    let _ = std::fs::create_dir_all(dir);
    let put = |name: &str, mode: u8, tok: &[u8]| {
        let mut b = vec![mode];
        b.extend_from_slice(tok);
        let _ = std::fs::write(dir.join(name), b);
    };
    for (dce, m_req, m_rep) in [(false, 0u8, 2u8), (true, 1, 3)] {
        let (ireq, areq) = if dce {
            (IREQ | ISC_REQ_USE_DCE_STYLE, AREQ | ASC_REQ_USE_DCE_STYLE)
        } else {
            (IREQ, AREQ)
        };
        let (mut c, mut sv) = (CtxtHandle::default(), CtxtHandle::default());
        let (_, ap_req) = isc(&s.ccred, None, &mut c, ireq, None);
        let (_, ap_rep) = asc(&s.scred, None, &mut sv, areq, &ap_req);
        let mut c2 = c;
        let _ = isc(&s.ccred, Some(&mut c), &mut c2, ireq, Some(&ap_rep));
        let style = if dce { "dce" } else { "gss" };
        put(&format!("{style}-ap-req"), m_req, &ap_req);
        put(&format!("{style}-ap-rep"), m_rep, &ap_rep);
        delete(&mut c);
        delete(&mut sv);
    }
}

fuzz_target!(|data: &[u8]| {
    let s = SETUP.get_or_init(setup);
    let Some((&mode, token)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 | 1 => {
            let dce = mode % 4 == 1;
            let req = if dce {
                AREQ | ASC_REQ_USE_DCE_STYLE
            } else {
                AREQ
            };
            let mut sv = CtxtHandle::default();
            let (st, _) = asc(&s.scred, None, &mut sv, req, token);
            assert!(
                documented(st),
                "ASC: undocumented status {:#010x}",
                st as u32
            );
            // Only a genuine AP-REQ (fresh authenticator) completes; random input cannot.
            assert!(
                st != SEC_E_OK && st != SEC_I_CONTINUE_NEEDED,
                "ASC accepted a fuzzed AP-REQ"
            );
        }
        _ => {
            let dce = mode % 4 == 3;
            let req = if dce {
                IREQ | ISC_REQ_USE_DCE_STYLE
            } else {
                IREQ
            };
            let mut c = CtxtHandle::default();
            let (st, _) = isc(&s.ccred, None, &mut c, req, None);
            assert_eq!(st, SEC_I_CONTINUE_NEEDED, "genuine AP-REQ");
            let mut c2 = c;
            let (st, _) = isc(&s.ccred, Some(&mut c), &mut c2, req, Some(token));
            assert!(
                documented(st),
                "ISC: undocumented status {:#010x}",
                st as u32
            );
            assert!(st != SEC_E_OK, "ISC accepted a fuzzed AP-REP");
            delete(&mut c);
        }
    }
});
