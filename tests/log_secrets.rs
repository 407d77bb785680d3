//! Secrets never reach the log: a full NTLM handshake (W identity, so the password crosses the
//! boundary as UTF-16), messages, attribute queries, a wrong password and a tampered message,
//! with SECUR32_LOG=trace into SECUR32_LOG_FILE; the log must not contain the password (UTF-8,
//! UTF-16LE), its NT hash (raw, lower- or upper-case hex) or the session key. One test in this
//! binary, so the logger is initialised from the variables set here.
use secur32::ffi::consts::*;
use secur32::ffi::exports::*;
use secur32::ffi::types::*;
use std::ffi::c_void;
use std::ptr::null_mut;

const PASSWORD: &str = "Tr0ub4dor&3-Zebra!";

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn creds(inbound: bool, password: &str) -> CredHandle {
    let (mut u, mut d, mut p) = (wide("alice"), wide("CORP"), wide(password));
    let mut id = SEC_WINNT_AUTH_IDENTITY_W {
        User: u.as_mut_ptr(),
        UserLength: u.len() as u32,
        Domain: d.as_mut_ptr(),
        DomainLength: d.len() as u32,
        Password: p.as_mut_ptr(),
        PasswordLength: p.len() as u32,
        Flags: SEC_WINNT_AUTH_IDENTITY_UNICODE,
    };
    let mut pkg = wide("NTLM\0");
    let mut h = CredHandle::default();
    let mut ts = TimeStamp { QuadPart: 0 };
    let use_ = if inbound {
        SECPKG_CRED_INBOUND
    } else {
        SECPKG_CRED_OUTBOUND
    };
    // SAFETY: valid pointers to live locals.
    let s = unsafe {
        AcquireCredentialsHandleW(
            null_mut(),
            pkg.as_mut_ptr(),
            use_,
            null_mut(),
            &mut id as *mut _ as *mut c_void,
            None,
            null_mut(),
            &mut h,
            &mut ts,
        )
    };
    assert_eq!(s, SEC_E_OK);
    h
}

/// One ISC (client) or ASC (server) call with `input` → (status, output token).
fn step(
    client: bool,
    cred: &mut CredHandle,
    ctx: &mut CtxtHandle,
    first: bool,
    input: &[u8],
) -> (SECURITY_STATUS, Vec<u8>) {
    let mut out = vec![0u8; 4096];
    let mut inb = input.to_vec();
    let mut ib = SecBuffer {
        cbBuffer: inb.len() as u32,
        BufferType: SECBUFFER_TOKEN,
        pvBuffer: inb.as_mut_ptr() as *mut c_void,
    };
    let mut ob = SecBuffer {
        cbBuffer: 4096,
        BufferType: SECBUFFER_TOKEN,
        pvBuffer: out.as_mut_ptr() as *mut c_void,
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
    let (mut attrs, mut ts) = (0u32, TimeStamp { QuadPart: 0 });
    let mut prev = *ctx;
    let prevp = if first {
        null_mut()
    } else {
        &mut prev as *mut _
    };
    let req = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_SEQUENCE_DETECT;
    // SAFETY: valid pointers to live locals.
    let s = unsafe {
        if client {
            let mut spn = wide("host/logtest\0");
            InitializeSecurityContextW(
                cred,
                prevp,
                spn.as_mut_ptr(),
                req,
                0,
                0,
                if input.is_empty() {
                    null_mut()
                } else {
                    &mut id
                },
                0,
                ctx,
                &mut od,
                &mut attrs,
                &mut ts,
            )
        } else {
            AcceptSecurityContext(
                cred, prevp, &mut id, req, 0, ctx, &mut od, &mut attrs, &mut ts,
            )
        }
    };
    out.truncate(ob.cbBuffer as usize);
    (s, out)
}

/// Handshake; returns the final ASC status and the two contexts.
fn handshake(client_pw: &str) -> (SECURITY_STATUS, CtxtHandle, CtxtHandle) {
    let (mut cc, mut sc) = (creds(false, client_pw), creds(true, PASSWORD));
    let (mut c, mut s) = (CtxtHandle::default(), CtxtHandle::default());
    let (st, neg) = step(true, &mut cc, &mut c, true, &[]);
    assert_eq!(st, SEC_I_CONTINUE_NEEDED);
    let (st, chal) = step(false, &mut sc, &mut s, true, &neg);
    assert_eq!(st, SEC_I_CONTINUE_NEEDED);
    let (st, auth) = step(true, &mut cc, &mut c, false, &chal);
    assert_eq!(st, SEC_E_OK);
    let (st, _) = step(false, &mut sc, &mut s, false, &auth);
    // SAFETY: valid handles.
    unsafe {
        FreeCredentialsHandle(&mut cc);
        FreeCredentialsHandle(&mut sc);
    }
    (st, c, s)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn trace_log_never_contains_secrets() {
    let path = std::env::temp_dir().join(format!("secur32-log-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&path);
    std::env::set_var("SECUR32_LOG", "trace");
    std::env::set_var("SECUR32_LOG_FILE", &path);

    let (st, mut c, mut s) = handshake(PASSWORD);
    assert_eq!(st, SEC_E_OK);
    // Messages, a tampered one, and the session key.
    let mut sig = [0u8; 16];
    let mut data = *b"a message in the log test";
    let mut bufs = [
        SecBuffer {
            cbBuffer: 16,
            BufferType: SECBUFFER_TOKEN,
            pvBuffer: sig.as_mut_ptr() as _,
        },
        SecBuffer {
            cbBuffer: data.len() as u32,
            BufferType: SECBUFFER_DATA,
            pvBuffer: data.as_mut_ptr() as _,
        },
    ];
    let mut d = SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: 2,
        pBuffers: bufs.as_mut_ptr(),
    };
    let mut qop = 0;
    let mut key = SecPkgContext_SessionKey {
        SessionKeyLength: 0,
        SessionKey: null_mut(),
    };
    let session_key;
    // SAFETY: valid pointers to live locals.
    unsafe {
        assert_eq!(EncryptMessage(&mut c, 0, &mut d, 0), SEC_E_OK);
        let tamper = (bufs[0].pvBuffer as *mut u8).add(6);
        *tamper ^= 1;
        assert_eq!(
            DecryptMessage(&mut s, &mut d, 0, &mut qop),
            SEC_E_MESSAGE_ALTERED
        );
        *tamper ^= 1;
        assert_eq!(DecryptMessage(&mut s, &mut d, 0, &mut qop), SEC_E_OK);
        assert_eq!(
            QueryContextAttributesW(
                &mut c,
                SECPKG_ATTR_SESSION_KEY,
                &mut key as *mut _ as *mut c_void
            ),
            SEC_E_OK
        );
        session_key =
            std::slice::from_raw_parts(key.SessionKey, key.SessionKeyLength as usize).to_vec();
        FreeContextBuffer(key.SessionKey as *mut c_void);
        DeleteSecurityContext(&mut c);
        DeleteSecurityContext(&mut s);
    }
    // A wrong password (the failure path logs too).
    let (st, mut c, mut s) = handshake("Wrong-Password-42");
    assert_eq!(st, SEC_E_LOGON_DENIED);
    // SAFETY: valid handles.
    unsafe {
        DeleteSecurityContext(&mut c);
        DeleteSecurityContext(&mut s);
    }

    let log = std::fs::read(&path).expect("SECUR32_LOG_FILE written");
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&log);
    assert!(
        text.contains("AcceptSecurityContext"),
        "trace log is empty or incomplete:\n{text}"
    );
    assert!(text.contains("InitializeSecurityContextW"));
    let utf16: Vec<u8> = PASSWORD
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let nt_hash: [u8; 16] = {
        use md4::{Digest, Md4};
        Md4::digest(&utf16).into()
    };
    let forbidden: Vec<(&str, Vec<u8>)> = vec![
        ("password", PASSWORD.as_bytes().to_vec()),
        ("wrong password", b"Wrong-Password-42".to_vec()),
        ("password UTF-16LE", utf16.clone()),
        ("NT hash", nt_hash.to_vec()),
        ("NT hash hex", hex(&nt_hash).into_bytes()),
        ("NT hash HEX", hex(&nt_hash).to_uppercase().into_bytes()),
        ("session key", session_key.clone()),
        ("session key hex", hex(&session_key).into_bytes()),
    ];
    for (what, needle) in forbidden {
        assert!(!contains(&log, &needle), "{what} found in the trace log");
    }
}
