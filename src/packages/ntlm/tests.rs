//! Client↔server loopback through the `Context` trait, and MS-NLMP §4.2.4 session vectors.

use super::negotiate::*;
use super::seal::{Keystream, Session};
use super::{Ntlm, NtlmCredentials};
use crate::buffers::SecBuffers;
use crate::ffi::consts::*;
use crate::ffi::types::SecBuffer;
use crate::package::{
    Attribute, AuthData, Context, CredentialRequest, Credentials, Identity, SecurityPackage, Step,
};
use crate::status::{Error, Outcome, SecResult};
use std::sync::Arc;
use zeroize::Zeroizing;

fn sb(kind: u32, data: &mut [u8]) -> SecBuffer {
    SecBuffer {
        cbBuffer: data.len() as u32,
        BufferType: kind,
        pvBuffer: data.as_mut_ptr().cast(),
    }
}

fn ident(user: &str, domain: Option<&str>, pw: &str) -> AuthData {
    AuthData::Identity(Identity {
        user: Some(user.into()),
        domain: domain.map(Into::into),
        password: Some(Zeroizing::new(pw.into())),
        package_list: None,
    })
}

fn creds(auth: AuthData, usage: u32) -> SecResult<Arc<dyn Credentials>> {
    Ntlm.acquire_credentials(CredentialRequest {
        principal: None,
        usage,
        auth,
    })
}

/// One ISC or ASC step: input token (+ channel bindings), output buffer of `out_len`.
struct StepResult {
    r: SecResult<Outcome>,
    token: Vec<u8>,
    ret: u32,
}

fn run_step(
    ctx: &dyn Context,
    client: bool,
    req: u32,
    target: Option<&str>,
    input: Option<&[u8]>,
    cb: Option<&[u8]>,
    out_len: usize,
) -> StepResult {
    let mut out = vec![0u8; out_len];
    let mut ob = [sb(SECBUFFER_TOKEN, &mut out)];
    let mut osb = SecBuffers::from_slice(&mut ob);
    let mut tok = input.map(|t| t.to_vec()).unwrap_or_default();
    let mut cbv = cb.map(|c| c.to_vec()).unwrap_or_default();
    let mut ib = vec![sb(SECBUFFER_TOKEN, &mut tok)];
    if cb.is_some() {
        ib.push(sb(SECBUFFER_CHANNEL_BINDINGS, &mut cbv));
    }
    let mut isb = SecBuffers::from_slice(&mut ib);
    let mut step = Step {
        target,
        req_flags: req,
        input: if input.is_some() {
            Some(&mut isb)
        } else {
            None
        },
        output: Some(&mut osb),
        ret_flags: 0,
        expiry: 0,
    };
    let r = if client {
        ctx.initialize(&mut step)
    } else {
        ctx.accept(&mut step)
    };
    let ret = step.ret_flags;
    let n = ob[0].cbBuffer as usize;
    out.truncate(n);
    StepResult { r, token: out, ret }
}

const ISC: u32 = ISC_REQ_CONFIDENTIALITY
    | ISC_REQ_INTEGRITY
    | ISC_REQ_REPLAY_DETECT
    | ISC_REQ_SEQUENCE_DETECT
    | ISC_REQ_CONNECTION;
const ASC: u32 = ASC_REQ_CONFIDENTIALITY
    | ASC_REQ_INTEGRITY
    | ASC_REQ_REPLAY_DETECT
    | ASC_REQ_SEQUENCE_DETECT
    | ASC_REQ_CONNECTION;

fn server_creds() -> Arc<dyn Credentials> {
    creds(
        ident("User", Some("Domain"), "Password"),
        SECPKG_CRED_INBOUND,
    )
    .unwrap()
}

fn client_creds() -> Arc<dyn Credentials> {
    creds(
        ident("Domain\\User", None, "Password"),
        SECPKG_CRED_OUTBOUND,
    )
    .unwrap()
}

/// Full handshake; returns (client, server).
fn handshake_with(
    cc: Arc<dyn Credentials>,
    sc: Arc<dyn Credentials>,
    isc: u32,
    asc: u32,
    cb_client: Option<&[u8]>,
    cb_server: Option<&[u8]>,
) -> SecResult<(Box<dyn Context>, Box<dyn Context>)> {
    let c = cc.new_client_context()?;
    let s = sc.new_server_context()?;
    let t1 = run_step(&*c, true, isc, Some("host/localhost"), None, None, 4096);
    assert_eq!(t1.r?, Outcome::ContinueNeeded);
    let t2 = run_step(&*s, false, asc, None, Some(&t1.token), cb_server, 4096);
    assert_eq!(t2.r?, Outcome::ContinueNeeded);
    let t3 = run_step(
        &*c,
        true,
        isc,
        Some("host/localhost"),
        Some(&t2.token),
        cb_client,
        4096,
    );
    assert_eq!(t3.r?, Outcome::Ok);
    let t4 = run_step(&*s, false, asc, None, Some(&t3.token), cb_server, 4096);
    assert_eq!(t4.r?, Outcome::Ok);
    assert!(t4.token.is_empty());
    Ok((c, s))
}

fn handshake(isc: u32, asc: u32) -> (Box<dyn Context>, Box<dyn Context>) {
    handshake_with(client_creds(), server_creds(), isc, asc, None, None).unwrap()
}

/// EncryptMessage over [TOKEN, DATA]; returns (signature, ciphertext).
fn seal(ctx: &dyn Context, qop: u32, plain: &[u8]) -> SecResult<(Vec<u8>, Vec<u8>)> {
    let mut sig = vec![0u8; 32];
    let mut data = plain.to_vec();
    let mut b = [sb(SECBUFFER_TOKEN, &mut sig), sb(SECBUFFER_DATA, &mut data)];
    ctx.seal(qop, &mut SecBuffers::from_slice(&mut b), 0)?;
    let n = b[0].cbBuffer as usize;
    sig.truncate(n);
    Ok((sig, data))
}

fn unseal(ctx: &dyn Context, sig: &[u8], ct: &[u8]) -> SecResult<Vec<u8>> {
    let mut sig = sig.to_vec();
    let mut data = ct.to_vec();
    let mut b = [sb(SECBUFFER_DATA, &mut data), sb(SECBUFFER_TOKEN, &mut sig)];
    ctx.unseal(&mut SecBuffers::from_slice(&mut b), 0)?;
    Ok(data)
}

fn sign(ctx: &dyn Context, msg: &[u8]) -> SecResult<Vec<u8>> {
    let mut sig = vec![0u8; 16];
    let mut data = msg.to_vec();
    let mut b = [sb(SECBUFFER_TOKEN, &mut sig), sb(SECBUFFER_DATA, &mut data)];
    ctx.make_signature(0, &mut SecBuffers::from_slice(&mut b), 0)?;
    assert_eq!(data, msg);
    Ok(sig)
}

fn verify(ctx: &dyn Context, sig: &[u8], msg: &[u8]) -> SecResult<u32> {
    let mut sig = sig.to_vec();
    let mut data = msg.to_vec();
    let mut b = [sb(SECBUFFER_TOKEN, &mut sig), sb(SECBUFFER_DATA, &mut data)];
    ctx.verify_signature(&mut SecBuffers::from_slice(&mut b), 0)
}

fn round_trip(a: &dyn Context, b: &dyn Context, msg: &[u8]) {
    let (sig, ct) = seal(a, 0, msg).unwrap();
    assert_eq!(sig.len(), 16);
    if msg.len() > 4 {
        assert_ne!(ct, msg);
    }
    assert_eq!(unseal(b, &sig, &ct).unwrap(), msg);
}

const SPEC_FLAGS: u32 = 0xe28a_8233;

#[test]
fn ms_nlmp_4_2_4_4_seal_vector() {
    let plain: Vec<u8> = "Plaintext"
        .encode_utf16()
        .flat_map(|c| c.to_le_bytes())
        .collect();
    let client = Session::new(&[0x55; 16], SPEC_FLAGS, true);
    let mut sig = vec![0u8; 16];
    let mut data = plain.clone();
    let mut b = [sb(SECBUFFER_TOKEN, &mut sig), sb(SECBUFFER_DATA, &mut data)];
    client
        .seal(0, &mut SecBuffers::from_slice(&mut b), 0)
        .unwrap();
    assert_eq!(
        data,
        [
            0x54, 0xe5, 0x01, 0x65, 0xbf, 0x19, 0x36, 0xdc, 0x99, 0x60, 0x20, 0xc1, 0x81, 0x1b,
            0x0f, 0x06, 0xfb, 0x5f
        ]
    );
    assert_eq!(
        sig,
        [0x01, 0, 0, 0, 0x7f, 0xb3, 0x8e, 0xc5, 0xc5, 0x5d, 0x49, 0x76, 0, 0, 0, 0]
    );
    // The server side opens it.
    let server = Session::new(&[0x55; 16], SPEC_FLAGS, false);
    let mut b = [sb(SECBUFFER_TOKEN, &mut sig), sb(SECBUFFER_DATA, &mut data)];
    server
        .unseal(&mut SecBuffers::from_slice(&mut b), 0)
        .unwrap();
    assert_eq!(data, plain);
}

#[test]
fn keystream_rewind_resumes_where_it_was() {
    let key = [7u8; 16];
    let mut whole = [0u8; 1500];
    Keystream::new(&key).apply(&mut whole);
    let mut ks = Keystream::new(&key);
    let mut head = [0u8; 700];
    ks.apply(&mut head);
    let mut junk = [0u8; 333];
    ks.apply(&mut junk);
    ks.rewind_for_test(&key, 700);
    let mut tail = [0u8; 800];
    ks.apply(&mut tail);
    assert_eq!(&head[..], &whole[..700]);
    assert_eq!(&tail[..], &whole[700..]);
}

#[test]
fn loopback_handshake_flags_names_and_messages() {
    let cc = client_creds();
    let sc = server_creds();
    let c = cc.new_client_context().unwrap();
    let s = sc.new_server_context().unwrap();
    let t1 = run_step(&*c, true, ISC, Some("HTTP/server"), None, None, 4096);
    assert_eq!(t1.r, Ok(Outcome::ContinueNeeded));
    assert_eq!(&t1.token[..8], b"NTLMSSP\0");
    assert!(matches!(
        c.query_attribute(SECPKG_ATTR_NEGOTIATION_INFO),
        Ok(Attribute::NegotiationInfo {
            state: SECPKG_NEGOTIATION_IN_PROGRESS,
            ..
        })
    ));
    assert_eq!(
        c.query_attribute(SECPKG_ATTR_SESSION_KEY).err(),
        Some(Error::InvalidHandle)
    );
    let t2 = run_step(&*s, false, ASC, None, Some(&t1.token), None, 4096);
    assert_eq!(t2.r, Ok(Outcome::ContinueNeeded));
    let cf = u32::from_le_bytes(t2.token[20..24].try_into().unwrap());
    assert!(cf & NTLMSSP_NEGOTIATE_UNICODE != 0 && cf & NTLMSSP_NEGOTIATE_OEM == 0);
    let t3 = run_step(
        &*c,
        true,
        ISC,
        Some("HTTP/server"),
        Some(&t2.token),
        None,
        4096,
    );
    assert_eq!(t3.r, Ok(Outcome::Ok));
    assert_eq!(t3.ret & ISC_RET_ALLOCATED_MEMORY, 0);
    assert_eq!(t3.ret, ISC, "client grants what it asked for");
    let t4 = run_step(&*s, false, ASC, None, Some(&t3.token), None, 4096);
    assert_eq!(t4.r, Ok(Outcome::Ok));
    assert_eq!(t4.ret, ASC);

    for ctx in [&c, &s] {
        match ctx.query_attribute(SECPKG_ATTR_NAMES).unwrap() {
            Attribute::Names(n) => assert_eq!(n, "Domain\\User"),
            a => panic!("{a:?}"),
        }
        assert!(matches!(
            ctx.query_attribute(SECPKG_ATTR_SIZES),
            Ok(Attribute::Sizes {
                max_token: 2888,
                max_signature: 16,
                block_size: 0,
                security_trailer: 16
            })
        ));
        assert!(matches!(
            ctx.query_attribute(SECPKG_ATTR_KEY_INFO),
            Ok(Attribute::KeyInfo { key_size: 128, .. })
        ));
        assert!(matches!(
            ctx.query_attribute(SECPKG_ATTR_NEGOTIATION_INFO),
            Ok(Attribute::NegotiationInfo {
                state: SECPKG_NEGOTIATION_COMPLETE,
                ..
            })
        ));
        assert!(matches!(
            ctx.query_attribute(SECPKG_ATTR_PACKAGE_INFO),
            Ok(Attribute::PackageInfo(_))
        ));
        assert!(matches!(
            ctx.query_attribute(SECPKG_ATTR_LIFESPAN),
            Ok(Attribute::Lifespan { .. })
        ));
        assert!(matches!(
            ctx.query_attribute(SECPKG_ATTR_DCE_INFO),
            Ok(Attribute::DceInfo { authz_svc: 0 })
        ));
        assert_eq!(
            ctx.query_attribute(SECPKG_ATTR_STREAM_SIZES).err(),
            Some(Error::UnsupportedFunction)
        );
        assert_eq!(
            ctx.query_attribute(0x7777).err(),
            Some(Error::UnsupportedFunction)
        );
        match ctx.query_attribute(SECPKG_ATTR_NATIVE_NAMES).unwrap() {
            Attribute::NativeNames { client, server } => {
                assert_eq!(client, "Domain\\User");
                assert_eq!(server, "HTTP/server");
            }
            a => panic!("{a:?}"),
        }
    }
    assert!(matches!(
        c.query_attribute(SECPKG_ATTR_FLAGS),
        Ok(Attribute::Flags(ISC))
    ));
    assert!(matches!(
        s.query_attribute(SECPKG_ATTR_FLAGS),
        Ok(Attribute::Flags(ASC))
    ));
    let key = |ctx: &dyn Context| match ctx.query_attribute(SECPKG_ATTR_SESSION_KEY).unwrap() {
        Attribute::SessionKey(k) => k.to_vec(),
        a => panic!("{a:?}"),
    };
    assert_eq!(key(&*c).len(), 16);
    assert_eq!(key(&*c), key(&*s));

    // A further ISC/ASC call is refused.
    assert_eq!(
        run_step(&*c, true, ISC, None, Some(&t2.token), None, 4096).r,
        Err(Error::InvalidToken)
    );

    for m in [&b"hello world"[..], b"x", b"", &[7u8; 5000]] {
        round_trip(&*c, &*s, m);
        round_trip(&*s, &*c, m);
    }
    let sig = sign(&*c, b"signed").unwrap();
    assert_eq!(verify(&*s, &sig, b"signed"), Ok(0));
    let sig = sign(&*s, b"back").unwrap();
    assert_eq!(verify(&*c, &sig, b"bacK"), Err(Error::MessageAltered));
    assert_eq!(verify(&*c, &sig, b"back"), Ok(0));
}

#[test]
fn client_user_forms_and_wrong_password() {
    let sc = server_creds();
    for (u, d) in [
        ("Domain\\User", None),
        ("User", Some("Domain")),
        ("USER", Some("DOMAIN")),
    ] {
        let cc = creds(ident(u, d, "Password"), SECPKG_CRED_OUTBOUND).unwrap();
        handshake_with(cc, sc.clone(), ISC, ASC, None, None).unwrap();
    }
    // UPN: user "User@Domain", empty domain, matched against the Domain\User account.
    let cc = creds(
        ident("User@Domain", Some("Ignored"), "Password"),
        SECPKG_CRED_OUTBOUND,
    )
    .unwrap();
    let (c, _) = handshake_with(cc, sc.clone(), ISC, ASC, None, None).unwrap();
    assert!(
        matches!(c.query_attribute(SECPKG_ATTR_NAMES), Ok(Attribute::Names(n)) if n == "\\User@Domain")
    );

    let bad = creds(ident("Domain\\User", None, "wrong"), SECPKG_CRED_OUTBOUND).unwrap();
    assert_eq!(
        handshake_with(bad, sc.clone(), ISC, ASC, None, None).err(),
        Some(Error::LogonDenied)
    );
    let unknown = creds(
        ident("Domain\\Nobody", None, "Password"),
        SECPKG_CRED_OUTBOUND,
    )
    .unwrap();
    assert_eq!(
        handshake_with(unknown, sc.clone(), ISC, ASC, None, None).err(),
        Some(Error::LogonDenied)
    );
    let other_dom = creds(ident("Other\\User", None, "Password"), SECPKG_CRED_OUTBOUND).unwrap();
    assert_eq!(
        handshake_with(other_dom, sc, ISC, ASC, None, None).err(),
        Some(Error::LogonDenied)
    );
}

#[test]
fn user_file_accounts_and_default_credentials() {
    // The only test that touches NTLM_USER_FILE (process-global).
    let path = std::env::temp_dir().join(format!("ntlm_users_{}", std::process::id()));
    std::env::remove_var("NTLM_USER_FILE");
    assert_eq!(
        creds(AuthData::None, SECPKG_CRED_OUTBOUND).err(),
        Some(Error::NoCredentials)
    );
    let inbound = creds(AuthData::None, SECPKG_CRED_INBOUND).unwrap();
    std::fs::write(&path, "DOM:alice:secret\n:bob:pw:with:colons\n").unwrap();
    std::env::set_var("NTLM_USER_FILE", &path);
    // Default client credentials = first entry; server reads the file at accept time.
    let cc = creds(AuthData::None, SECPKG_CRED_OUTBOUND).unwrap();
    let (_, s) = handshake_with(cc, inbound.clone(), ISC, ASC, None, None).unwrap();
    assert!(
        matches!(s.query_attribute(SECPKG_ATTR_NAMES), Ok(Attribute::Names(n)) if n == "DOM\\alice")
    );
    // Empty file domain matches any domain; user is case-insensitive.
    let cc = creds(
        ident("ANYDOM\\BOB", None, "pw:with:colons"),
        SECPKG_CRED_OUTBOUND,
    )
    .unwrap();
    handshake_with(cc, inbound.clone(), ISC, ASC, None, None).unwrap();
    let cc = creds(ident("DOM\\alice", None, "nope"), SECPKG_CRED_OUTBOUND).unwrap();
    assert_eq!(
        handshake_with(cc, inbound.clone(), ISC, ASC, None, None).err(),
        Some(Error::LogonDenied)
    );
    // The server keeps the parsed file between accepts; a rewritten file (new password, same
    // length: the modification time or inode tells) takes effect at the next accept.
    let alice = |pw: &str| creds(ident("DOM\\alice", None, pw), SECPKG_CRED_OUTBOUND).unwrap();
    handshake_with(alice("secret"), inbound.clone(), ISC, ASC, None, None).unwrap();
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, "DOM:alice:SECRET\n:bob:pw:with:colons\n").unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    assert_eq!(
        handshake_with(alice("secret"), inbound.clone(), ISC, ASC, None, None).err(),
        Some(Error::LogonDenied)
    );
    handshake_with(alice("SECRET"), inbound.clone(), ISC, ASC, None, None).unwrap();
    std::fs::write(&path, "DOM:alice:secret\n").unwrap();
    handshake_with(alice("secret"), inbound, ISC, ASC, None, None).unwrap();
    std::env::remove_var("NTLM_USER_FILE");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn handshake_error_paths() {
    let c = client_creds().new_client_context().unwrap();
    let s = server_creds().new_server_context().unwrap();
    // Output too small: error, state unchanged.
    let t = run_step(&*c, true, ISC, None, None, None, 10);
    assert_eq!(t.r, Err(Error::BufferTooSmall));
    let t1 = run_step(&*c, true, ISC, None, None, None, 4096);
    assert_eq!(t1.r, Ok(Outcome::ContinueNeeded));
    // Missing or garbage input token.
    assert_eq!(
        run_step(&*s, false, ASC, None, None, None, 4096).r,
        Err(Error::InvalidToken)
    );
    assert_eq!(
        run_step(&*s, false, ASC, None, Some(b"garbage"), None, 4096).r,
        Err(Error::InvalidToken)
    );
    let t2 = run_step(&*s, false, ASC, None, Some(&t1.token), None, 4096);
    assert_eq!(t2.r, Ok(Outcome::ContinueNeeded));
    assert_eq!(
        run_step(&*c, true, ISC, None, None, None, 4096).r,
        Err(Error::InvalidToken)
    );
    assert_eq!(
        run_step(&*c, true, ISC, None, Some(&t2.token), None, 20).r,
        Err(Error::BufferTooSmall)
    );
    // Messages before completion.
    assert_eq!(seal(&*c, 0, b"x").err(), Some(Error::InvalidHandle));
    assert_eq!(sign(&*s, b"x").err(), Some(Error::InvalidHandle));
    let t3 = run_step(&*c, true, ISC, None, Some(&t2.token), None, 4096);
    assert_eq!(t3.r, Ok(Outcome::Ok));
    // A tampered MIC is rejected, the genuine message then accepted.
    let mut bad = t3.token.clone();
    bad[75] ^= 1;
    assert_eq!(
        run_step(&*s, false, ASC, None, Some(&bad), None, 4096).r,
        Err(Error::LogonDenied)
    );
    // Truncations never panic.
    for n in 0..t3.token.len() {
        assert!(
            run_step(&*s, false, ASC, None, Some(&t3.token[..n]), None, 4096)
                .r
                .is_err()
        );
    }
    assert_eq!(
        run_step(&*s, false, ASC, None, Some(&t3.token), None, 4096).r,
        Ok(Outcome::Ok)
    );
    round_trip(&*c, &*s, b"after errors");
}

#[test]
fn allocate_memory_reported() {
    let c = client_creds().new_client_context().unwrap();
    let mut ob = [SecBuffer {
        cbBuffer: 0,
        BufferType: SECBUFFER_TOKEN,
        pvBuffer: core::ptr::null_mut(),
    }];
    let mut osb = SecBuffers::from_slice(&mut ob);
    osb.set_allocate(true);
    let mut step = Step {
        target: None,
        req_flags: ISC | ISC_REQ_ALLOCATE_MEMORY,
        input: None,
        output: Some(&mut osb),
        ret_flags: 0,
        expiry: 0,
    };
    assert_eq!(c.initialize(&mut step), Ok(Outcome::ContinueNeeded));
    assert!(step.ret_flags & ISC_RET_ALLOCATED_MEMORY != 0);
    assert_eq!(ob[0].cbBuffer, 40);
    assert!(crate::buffers::free_context_buffer(ob[0].pvBuffer));
}

#[test]
fn message_error_codes() {
    let (c, s) = handshake(ISC, ASC);
    // No DATA, no TOKEN, short TOKEN.
    let mut sig = vec![0u8; 16];
    let mut b = [sb(SECBUFFER_TOKEN, &mut sig)];
    assert_eq!(
        c.seal(0, &mut SecBuffers::from_slice(&mut b), 0),
        Err(Error::InvalidToken)
    );
    let mut data = b"abc".to_vec();
    let mut b = [sb(SECBUFFER_DATA, &mut data)];
    assert_eq!(
        c.seal(0, &mut SecBuffers::from_slice(&mut b), 0),
        Err(Error::InvalidToken)
    );
    assert_eq!(
        c.unseal(&mut SecBuffers::from_slice(&mut b), 0).err(),
        Some(Error::InvalidToken)
    );
    let mut short = vec![0u8; 15];
    let mut b = [
        sb(SECBUFFER_TOKEN, &mut short),
        sb(SECBUFFER_DATA, &mut data),
    ];
    assert_eq!(
        c.seal(0, &mut SecBuffers::from_slice(&mut b), 0),
        Err(Error::BufferTooSmall)
    );
    assert_eq!(data, b"abc", "nothing encrypted on failure");
    assert_eq!(
        c.unseal(&mut SecBuffers::from_slice(&mut b), 0).err(),
        Some(Error::InvalidToken)
    );
    // Bad QOP.
    assert_eq!(seal(&*c, 1, b"x").err(), Some(Error::QopNotSupported));
    let mut sig = vec![0u8; 16];
    let mut b = [sb(SECBUFFER_TOKEN, &mut sig), sb(SECBUFFER_DATA, &mut data)];
    assert_eq!(
        c.make_signature(5, &mut SecBuffers::from_slice(&mut b), 0),
        Err(Error::QopNotSupported)
    );
    // WRAP_NO_ENCRYPT with SEAL negotiated: sealed anyway, as Windows does.
    let (sig, out) = seal(&*c, SECQOP_WRAP_NO_ENCRYPT, b"clear").unwrap();
    assert_ne!(out, b"clear");
    let mut out2 = out.clone();
    let mut sig2 = sig.clone();
    let mut b = [
        sb(SECBUFFER_TOKEN, &mut sig2),
        sb(SECBUFFER_DATA, &mut out2),
    ];
    assert_eq!(
        s.unseal(&mut SecBuffers::from_slice(&mut b), 0)
            .map(|u| u.qop),
        Ok(0)
    );
    assert_eq!(out2, b"clear");
    // Everything failed above consumed nothing.
    round_trip(&*c, &*s, b"still in sync");
    round_trip(&*s, &*c, b"both ways");

    // Only authentication negotiated: no integrity, no confidentiality. MakeSignature gives
    // MS-NLMP's dummy signature (§3.4.2; Windows: Wine dlls/secur32/tests/ntlm.c testSignSeal)
    // and VerifySignature accepts exactly that.
    let (c, s) = handshake(ISC_REQ_CONNECTION, ASC_REQ_CONNECTION);
    assert_eq!(seal(&*c, 0, b"x").err(), Some(Error::QopNotSupported));
    let dummy = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(sign(&*c, b"x").unwrap(), dummy);
    assert_eq!(verify(&*s, &dummy, b"x"), Ok(0));
    let mut forged = dummy;
    forged[9] = 1;
    assert_eq!(verify(&*s, &forged, b"x"), Err(Error::MessageAltered));
    // Integrity only: sign works, seal does not (unless WRAP_NO_ENCRYPT, which signs and
    // leaves the data in clear; DecryptMessage reports it in pfQOP).
    let (c, s) = handshake(ISC_REQ_INTEGRITY, ASC_REQ_INTEGRITY);
    assert_eq!(seal(&*c, 0, b"x").err(), Some(Error::QopNotSupported));
    let (mut sig, mut out) = seal(&*c, SECQOP_WRAP_NO_ENCRYPT, b"x").unwrap();
    assert_eq!(out, b"x");
    let mut b = [sb(SECBUFFER_TOKEN, &mut sig), sb(SECBUFFER_DATA, &mut out)];
    assert_eq!(
        s.unseal(&mut SecBuffers::from_slice(&mut b), 0)
            .map(|u| u.qop),
        Ok(SECQOP_WRAP_NO_ENCRYPT)
    );
    let (sig, _) = seal(&*c, SECQOP_WRAP_NO_ENCRYPT, b"y").unwrap();
    assert_eq!(verify(&*s, &sig, b"y"), Ok(0));
}

#[test]
fn every_bit_flip_is_detected_and_context_survives() {
    let (c, s) = handshake(ISC, ASC);
    let msg = b"integrity matters";
    let (sig, ct) = seal(&*c, 0, msg).unwrap();
    let total = (sig.len() + ct.len()) * 8;
    for bit in 0..total {
        let (mut sig2, mut ct2) = (sig.clone(), ct.clone());
        if bit < sig.len() * 8 {
            sig2[bit / 8] ^= 1 << (bit % 8);
        } else {
            let b = bit - sig.len() * 8;
            ct2[b / 8] ^= 1 << (b % 8);
        }
        let r = unseal(&*s, &sig2, &ct2);
        assert!(
            matches!(r, Err(Error::MessageAltered) | Err(Error::OutOfSequence)),
            "bit {bit}: {r:?}"
        );
    }
    // Tampered in-place data is restored to the ciphertext.
    let mut tsig = sig.clone();
    let mut data = ct.clone();
    data[0] ^= 0x80;
    let expect = data.clone();
    let mut b = [
        sb(SECBUFFER_TOKEN, &mut tsig),
        sb(SECBUFFER_DATA, &mut data),
    ];
    assert_eq!(
        s.unseal(&mut SecBuffers::from_slice(&mut b), 0).err(),
        Some(Error::MessageAltered)
    );
    assert_eq!(data, expect);
    assert_eq!(unseal(&*s, &sig, &ct).unwrap(), msg);
    // Signatures too.
    let sig = sign(&*s, msg).unwrap();
    for bit in 0..(16 + msg.len()) * 8 {
        let (mut sig2, mut m2) = (sig.clone(), msg.to_vec());
        if bit < 128 {
            sig2[bit / 8] ^= 1 << (bit % 8);
        } else {
            m2[(bit - 128) / 8] ^= 1 << (bit % 8);
        }
        assert!(verify(&*c, &sig2, &m2).is_err(), "bit {bit}");
    }
    assert_eq!(verify(&*c, &sig, msg), Ok(0));
    round_trip(&*c, &*s, b"next");
    round_trip(&*s, &*c, b"next");
}

#[test]
fn replay_and_reorder_are_out_of_sequence() {
    let (c, s) = handshake(ISC, ASC);
    let (sig1, ct1) = seal(&*c, 0, b"one").unwrap();
    let (sig2, ct2) = seal(&*c, 0, b"two").unwrap();
    assert_eq!(unseal(&*s, &sig2, &ct2).err(), Some(Error::OutOfSequence));
    assert_eq!(unseal(&*s, &sig1, &ct1).unwrap(), b"one");
    assert_eq!(unseal(&*s, &sig1, &ct1).err(), Some(Error::OutOfSequence));
    assert_eq!(unseal(&*s, &sig2, &ct2).unwrap(), b"two");
    let sig = sign(&*c, b"m").unwrap();
    assert_eq!(verify(&*s, &sig, b"m"), Ok(0));
    assert_eq!(verify(&*s, &sig, b"m"), Err(Error::OutOfSequence));
}

#[test]
fn multiple_and_readonly_data_buffers() {
    let (c, s) = handshake(ISC, ASC);
    let mut hdr = b"rpc header".to_vec();
    let mut body1 = b"first part ".to_vec();
    let mut body2 = b"second part".to_vec();
    let mut trailer = b"ro-chk".to_vec();
    let mut pad = vec![0u8; 8];
    let mut sig = vec![0u8; 16];
    let mut b = [
        sb(SECBUFFER_DATA | SECBUFFER_READONLY, &mut hdr),
        sb(SECBUFFER_DATA, &mut body1),
        sb(SECBUFFER_PADDING, &mut pad),
        sb(SECBUFFER_DATA, &mut body2),
        sb(
            SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM,
            &mut trailer,
        ),
        sb(SECBUFFER_TOKEN, &mut sig),
    ];
    c.seal(0, &mut SecBuffers::from_slice(&mut b), 0).unwrap();
    assert_eq!(hdr, b"rpc header");
    assert_eq!(trailer, b"ro-chk");
    assert_ne!(body1, b"first part ");
    assert_eq!(pad, [0; 8]);
    // The two writable buffers form one RC4 stream: same ciphertext as a single buffer would.
    let mut joined = [body1.clone(), body2.clone()].concat();
    let mut b = [
        sb(SECBUFFER_DATA | SECBUFFER_READONLY, &mut hdr),
        sb(SECBUFFER_DATA, &mut body1),
        sb(SECBUFFER_DATA, &mut body2),
        sb(
            SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM,
            &mut trailer,
        ),
        sb(SECBUFFER_TOKEN, &mut sig),
    ];
    // Altered read-only header is detected (it is in the MAC).
    hdr[0] ^= 1;
    let mut b2 = [
        sb(SECBUFFER_DATA | SECBUFFER_READONLY, &mut hdr),
        sb(SECBUFFER_DATA, &mut joined),
        sb(
            SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM,
            &mut trailer,
        ),
        sb(SECBUFFER_TOKEN, &mut sig),
    ];
    let _ = &mut b;
    assert_eq!(
        s.unseal(&mut SecBuffers::from_slice(&mut b2), 0).err(),
        Some(Error::MessageAltered)
    );
    hdr[0] ^= 1;
    let mut b2 = [
        sb(SECBUFFER_DATA | SECBUFFER_READONLY, &mut hdr),
        sb(SECBUFFER_DATA, &mut joined),
        sb(
            SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM,
            &mut trailer,
        ),
        sb(SECBUFFER_TOKEN, &mut sig),
    ];
    s.unseal(&mut SecBuffers::from_slice(&mut b2), 0).unwrap();
    assert_eq!(joined, b"first part second part");
}

#[test]
fn stream_form_unseal() {
    let (c, s) = handshake(ISC, ASC);
    for msg in [&b"stream data"[..], b"", b"z"] {
        let (sig, ct) = seal(&*c, 0, msg).unwrap();
        let mut stream = [sig, ct].concat();
        let mut pad = vec![0u8; 4];
        let mut b = [
            sb(SECBUFFER_STREAM, &mut stream),
            SecBuffer {
                cbBuffer: 0,
                BufferType: SECBUFFER_DATA,
                pvBuffer: core::ptr::null_mut(),
            },
            sb(SECBUFFER_PADDING, &mut pad),
        ];
        assert_eq!(
            s.unseal(&mut SecBuffers::from_slice(&mut b), 0)
                .unwrap()
                .qop,
            0
        );
        assert_eq!(b[1].BufferType, SECBUFFER_DATA);
        assert_eq!(b[1].cbBuffer as usize, msg.len());
        assert_eq!(b[1].pvBuffer as usize, stream.as_ptr() as usize + 16);
        assert_eq!(&stream[16..], msg);
    }
    // Too short a stream.
    let mut stream = vec![1u8, 0, 0, 0, 0];
    let mut b = [
        sb(SECBUFFER_STREAM, &mut stream),
        SecBuffer {
            cbBuffer: 0,
            BufferType: SECBUFFER_DATA,
            pvBuffer: core::ptr::null_mut(),
        },
    ];
    assert_eq!(
        s.unseal(&mut SecBuffers::from_slice(&mut b), 0).err(),
        Some(Error::InvalidToken)
    );
    // Tampered stream: error, then the genuine one works.
    let (sig, ct) = seal(&*c, 0, b"abc").unwrap();
    let good = [sig, ct].concat();
    let mut bad = good.clone();
    bad[17] ^= 4;
    let mut b = [
        sb(SECBUFFER_STREAM, &mut bad),
        SecBuffer {
            cbBuffer: 0,
            BufferType: SECBUFFER_DATA,
            pvBuffer: core::ptr::null_mut(),
        },
    ];
    assert_eq!(
        s.unseal(&mut SecBuffers::from_slice(&mut b), 0).err(),
        Some(Error::MessageAltered)
    );
    assert_eq!(unseal(&*s, &good[..16], &good[16..]).unwrap(), b"abc");
}

#[test]
fn datagram_contexts_use_caller_sequence_numbers() {
    let isc = ISC_REQ_DATAGRAM | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY;
    let asc = ASC_REQ_DATAGRAM | ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY;
    let (c, s) = handshake(isc, asc);
    assert!(
        matches!(c.query_attribute(SECPKG_ATTR_FLAGS), Ok(Attribute::Flags(f)) if f & ISC_RET_DATAGRAM != 0)
    );
    let mut msgs = Vec::new();
    for (i, m) in [b"aaa", b"bbb", b"ccc"].iter().enumerate() {
        let mut sig = vec![0u8; 16];
        let mut data = m.to_vec();
        let mut b = [sb(SECBUFFER_TOKEN, &mut sig), sb(SECBUFFER_DATA, &mut data)];
        c.seal(0, &mut SecBuffers::from_slice(&mut b), i as u32 + 10)
            .unwrap();
        msgs.push((i as u32 + 10, sig, data, m.to_vec()));
    }
    // Delivered out of order: each stands alone.
    for (seq, sig, data, plain) in msgs.iter_mut().rev() {
        let mut d = data.clone();
        let mut b = [sb(SECBUFFER_TOKEN, sig), sb(SECBUFFER_DATA, &mut d)];
        assert_eq!(
            s.unseal(&mut SecBuffers::from_slice(&mut b), *seq + 1)
                .err(),
            Some(Error::OutOfSequence)
        );
        let mut b = [sb(SECBUFFER_TOKEN, sig), sb(SECBUFFER_DATA, &mut d)];
        s.unseal(&mut SecBuffers::from_slice(&mut b), *seq).unwrap();
        assert_eq!(&d, plain);
    }
}

#[test]
fn channel_bindings() {
    let mut cb = vec![0u8; 32];
    let app = b"tls-server-end-point:0123456789";
    cb[24..28].copy_from_slice(&(app.len() as u32).to_le_bytes());
    cb[28..32].copy_from_slice(&32u32.to_le_bytes());
    cb.extend_from_slice(app);
    let mut other = cb.clone();
    *other.last_mut().unwrap() ^= 1;
    handshake_with(
        client_creds(),
        server_creds(),
        ISC,
        ASC,
        Some(&cb),
        Some(&cb),
    )
    .unwrap();
    // Client without bindings: all-zero MsvAvChannelBindings, accepted.
    handshake_with(client_creds(), server_creds(), ISC, ASC, None, Some(&cb)).unwrap();
    assert_eq!(
        handshake_with(
            client_creds(),
            server_creds(),
            ISC,
            ASC,
            Some(&cb),
            Some(&other)
        )
        .err(),
        Some(Error::BadBindings)
    );
}

#[test]
fn concurrent_send_and_receive() {
    let (c, s) = handshake(ISC, ASC);
    let (c, s): (Arc<dyn Context>, Arc<dyn Context>) = (Arc::from(c), Arc::from(s));
    let (c2, s2) = (c.clone(), s.clone());
    let t = std::thread::spawn(move || {
        for i in 0..200u32 {
            let (sig, ct) = seal(&*c2, 0, &i.to_le_bytes()).unwrap();
            assert_eq!(unseal(&*s2, &sig, &ct).unwrap(), i.to_le_bytes());
        }
    });
    for i in 0..200u32 {
        let (sig, ct) = seal(&*s, 0, &i.to_be_bytes()).unwrap();
        assert_eq!(unseal(&*c, &sig, &ct).unwrap(), i.to_be_bytes());
    }
    t.join().unwrap();
}

#[test]
fn credentials_usage_and_names() {
    let cc = client_creds();
    assert!(
        matches!(cc.query_attribute(SECPKG_CRED_ATTR_NAMES), Ok(Attribute::Names(n)) if n == "Domain\\User")
    );
    assert_eq!(cc.usage(), SECPKG_CRED_OUTBOUND);
    let inbound_only = NtlmCredentials::from_request(CredentialRequest {
        principal: None,
        usage: SECPKG_CRED_INBOUND,
        auth: AuthData::None,
    })
    .unwrap();
    assert_eq!(
        Arc::new(inbound_only).new_client_context().err(),
        Some(Error::NoCredentials)
    );
    // A server context refuses ISC, a client one ASC.
    let c = cc.new_client_context().unwrap();
    assert_eq!(
        run_step(&*c, false, ASC, None, Some(b"x"), None, 100).r,
        Err(Error::InvalidHandle)
    );
}

#[test]
fn oem_only_negotiate_gets_oem_challenge() {
    let s = server_creds().new_server_context().unwrap();
    let neg = build(BASE_FLAGS & !NTLMSSP_NEGOTIATE_UNICODE).unwrap();
    let t = run_step(&*s, false, ASC, None, Some(&neg), None, 4096);
    assert_eq!(t.r, Ok(Outcome::ContinueNeeded));
    let f = u32::from_le_bytes(t.token[20..24].try_into().unwrap());
    assert_eq!(
        f & (NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_NEGOTIATE_OEM),
        NTLMSSP_NEGOTIATE_OEM
    );
}

/// MS-NLMP §4.2.2.4 (NTLMv1, no extended session security): RandomSessionKey 0x55 × 16,
/// flags 0xe2028233, "Plaintext" in UTF-16LE sealed → data 56 fe 04 d8 …, CRC32 7d 84 aa 93,
/// sealed checksum 09 dc d1 df, SeqNum 2e 45 9d 36. The RandomPad goes out as zeros (the
/// §3.4.4.1 MAC ends "Set RandomPad to 0"; Windows' bytes in Wine's testSignSeal agree).
#[test]
fn ms_nlmp_4_2_2_4_seal_without_ess() {
    let key = [0x55u8; 16];
    let flags = 0xe202_8233;
    let client = Session::new(&key, flags, true);
    let server = Session::new(&key, flags, false);
    let mut data: Vec<u8> = "Plaintext"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let plain = data.clone();
    let mut sig = vec![0u8; 16];
    {
        let mut b = [sb(SECBUFFER_TOKEN, &mut sig), sb(SECBUFFER_DATA, &mut data)];
        client
            .seal(0, &mut SecBuffers::from_slice(&mut b), 0)
            .unwrap();
    }
    assert_eq!(
        data,
        [
            0x56, 0xfe, 0x04, 0xd8, 0x61, 0xf9, 0x31, 0x9a, 0xf0, 0xd7, 0x23, 0x8a, 0x2e, 0x3b,
            0x4d, 0x45, 0x7f, 0xb8
        ]
    );
    assert_eq!(
        sig,
        [1, 0, 0, 0, 0, 0, 0, 0, 0x09, 0xdc, 0xd1, 0xdf, 0x2e, 0x45, 0x9d, 0x36]
    );
    // The peer's one handle opens it, then a tampered copy is refused and changes nothing.
    let (mut d2, mut s2) = (data.clone(), sig.clone());
    {
        let mut b = [sb(SECBUFFER_TOKEN, &mut s2), sb(SECBUFFER_DATA, &mut d2)];
        assert_eq!(server.unseal(&mut SecBuffers::from_slice(&mut b), 0), Ok(0));
    }
    assert_eq!(d2, plain);
    // Half-duplex: the reply uses the same handle on both sides, and signatures verify.
    let mut reply = b"pong".to_vec();
    let mut rs = vec![0u8; 16];
    {
        let mut b = [sb(SECBUFFER_TOKEN, &mut rs), sb(SECBUFFER_DATA, &mut reply)];
        server
            .make_signature(0, &mut SecBuffers::from_slice(&mut b), 0)
            .unwrap();
    }
    assert_eq!(&rs[4..8], &[0, 0, 0, 0]);
    let mut bad = rs.clone();
    bad[10] ^= 1;
    {
        let mut b = [
            sb(SECBUFFER_TOKEN, &mut bad),
            sb(SECBUFFER_DATA, &mut reply),
        ];
        assert_eq!(
            client.verify_signature(&mut SecBuffers::from_slice(&mut b), 0),
            Err(Error::MessageAltered)
        );
    }
    {
        let mut b = [sb(SECBUFFER_TOKEN, &mut rs), sb(SECBUFFER_DATA, &mut reply)];
        assert_eq!(
            client.verify_signature(&mut SecBuffers::from_slice(&mut b), 0),
            Ok(0)
        );
    }
}

/// MS-NLMP §3.4.5.3 without ESS, LM_KEY: SealKey = ExportedSessionKey[0..6] ‖ 0xA0 (56-bit) or
/// [0..4] ‖ E5 38 B0 (40-bit), an 8-byte RC4 key; the data is sealed with that key's keystream
/// (checked against the rc4 crate keyed with the 8 bytes).
#[test]
fn lm_key_seal_keys_without_ess() {
    use rc4::{KeyInit, StreamCipher};
    let exported: [u8; 16] = core::array::from_fn(|i| 0x10 + i as u8);
    let base = NTLMSSP_NEGOTIATE_UNICODE
        | NTLMSSP_NEGOTIATE_SIGN
        | NTLMSSP_NEGOTIATE_SEAL
        | NTLMSSP_NEGOTIATE_NTLM
        | NTLMSSP_NEGOTIATE_LM_KEY;
    for (flags, tail) in [
        (
            base | NTLMSSP_NEGOTIATE_56 | NTLMSSP_NEGOTIATE_128,
            &[0xa0u8][..],
        ),
        (base, &[0xe5, 0x38, 0xb0][..]),
    ] {
        let mut key = [0u8; 8];
        key[..8 - tail.len()].copy_from_slice(&exported[..8 - tail.len()]);
        key[8 - tail.len()..].copy_from_slice(tail);
        let mut want = b"Plaintext".to_vec();
        let mut rc4 = rc4::Rc4::<rc4::consts::U8>::new(&key.into());
        rc4.apply_keystream(&mut want);
        let client = Session::new(&exported, flags, true);
        let mut data = b"Plaintext".to_vec();
        let mut sig = vec![0u8; 16];
        {
            let mut b = [sb(SECBUFFER_TOKEN, &mut sig), sb(SECBUFFER_DATA, &mut data)];
            client
                .seal(0, &mut SecBuffers::from_slice(&mut b), 0)
                .unwrap();
        }
        assert_eq!(data, want, "flags {flags:#x}");
        let server = Session::new(&exported, flags, false);
        let mut b = [sb(SECBUFFER_TOKEN, &mut sig), sb(SECBUFFER_DATA, &mut data)];
        assert_eq!(server.unseal(&mut SecBuffers::from_slice(&mut b), 0), Ok(0));
        assert_eq!(data, b"Plaintext");
        assert_eq!(
            super::seal::key_size(flags),
            if flags & NTLMSSP_NEGOTIATE_56 != 0 {
                56
            } else {
                40
            }
        );
    }
}
