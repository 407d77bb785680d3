//! Client↔server loopback through the `Context` trait: every qop and cipher, the Digest
//! message rules, tamper / replay / reorder, rollback of failed calls, HTTP mode.

use super::sasl::Cipher;
use super::Digest;
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

fn ident(user: &str, domain: &str, pw: &str) -> AuthData {
    AuthData::Identity(Identity {
        user: Some(user.into()),
        domain: Some(domain.into()),
        password: Some(Zeroizing::new(pw.into())),
        package_list: None,
    })
}

fn creds(auth: AuthData, usage: u32) -> Arc<dyn Credentials> {
    Digest
        .acquire_credentials(CredentialRequest {
            principal: None,
            usage,
            auth,
        })
        .unwrap()
}

/// One step; returns (result, output token, ret flags).
fn step(
    ctx: &dyn Context,
    client: bool,
    req: u32,
    target: Option<&str>,
    input: &[u8],
    params: &[&str],
) -> (SecResult<Outcome>, Vec<u8>, u32) {
    let mut out = vec![0u8; 4096];
    let mut tok = input.to_vec();
    let mut ps: Vec<Vec<u8>> = params.iter().map(|p| p.as_bytes().to_vec()).collect();
    let mut ib = vec![sb(SECBUFFER_TOKEN, &mut tok)];
    for p in ps.iter_mut() {
        ib.push(sb(SECBUFFER_PKG_PARAMS, p));
    }
    let mut ob = [sb(SECBUFFER_TOKEN, &mut out)];
    let mut isb = SecBuffers::from_slice(&mut ib);
    let mut osb = SecBuffers::from_slice(&mut ob);
    let mut s = Step {
        target,
        req_flags: req,
        input: Some(&mut isb),
        output: Some(&mut osb),
        ret_flags: 0,
        expiry: 0,
    };
    let r = if client {
        ctx.initialize(&mut s)
    } else {
        ctx.accept(&mut s)
    };
    let ret = s.ret_flags;
    let len = osb.size(0);
    out.truncate(len);
    (r, out, ret)
}

fn handshake(
    isc_req: u32,
    asc_req: u32,
    pw: &str,
) -> SecResult<(Box<dyn Context>, Box<dyn Context>)> {
    let c = creds(ident("alice", "EXAMPLE", pw), SECPKG_CRED_OUTBOUND).new_client_context()?;
    let s =
        creds(ident("alice", "EXAMPLE", "Secret-1"), SECPKG_CRED_INBOUND).new_server_context()?;
    let (r, t0, _) = step(&*c, true, isc_req, Some("ldap/host.example"), &[], &[]);
    assert_eq!(r, Ok(Outcome::ContinueNeeded));
    assert!(t0.is_empty());
    let (r, chal, _) = step(&*s, false, asc_req, None, &[], &[]);
    assert_eq!(r, Ok(Outcome::ContinueNeeded));
    let (r, resp, _) = step(&*c, true, isc_req, Some("ldap/host.example"), &chal, &[]);
    assert_eq!(r, Ok(Outcome::ContinueNeeded));
    let (r, rsp, _) = step(&*s, false, asc_req, None, &resp, &[]);
    r?;
    assert!(rsp.starts_with(b"rspauth="));
    let (r, fin, _) = step(&*c, true, isc_req, Some("ldap/host.example"), &rsp, &[]);
    assert_eq!(r, Ok(Outcome::Ok));
    assert!(fin.is_empty());
    Ok((c, s))
}

/// EncryptMessage `[DATA, PADDING]` → the wire token DATA ‖ PADDING.
fn seal(ctx: &dyn Context, msg: &[u8], qop: u32) -> SecResult<Vec<u8>> {
    let mut d = msg.to_vec();
    let mut p = [0u8; 24];
    let n = SecBuffers::with_parts(
        &mut [
            (SECBUFFER_DATA, &mut d[..]),
            (SECBUFFER_PADDING, &mut p[..]),
        ],
        |m| ctx.seal(qop, m, 0).map(|()| m.size(1)),
    )
    .unwrap()?;
    d.extend_from_slice(&p[..n]);
    Ok(d)
}

/// DecryptMessage on one DATA buffer holding the whole token.
fn unseal(ctx: &dyn Context, tok: &mut Vec<u8>) -> SecResult<u32> {
    let (r, n) = SecBuffers::with_parts(&mut [(SECBUFFER_DATA, &mut tok[..])], |m| {
        (ctx.unseal(m, 0), m.size(0))
    })
    .unwrap();
    let u = r?;
    tok.truncate(n);
    Ok(u.qop)
}

const CONF: u32 = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY;

#[test]
fn auth_only_has_no_layer() {
    let (c, s) = handshake(0, 0, "Secret-1").unwrap();
    assert_eq!(seal(&*c, b"x", 0), Err(Error::QopNotSupported));
    assert!(matches!(
        s.query_attribute(SECPKG_ATTR_NAMES),
        Ok(Attribute::Names(n)) if n == "EXAMPLE\\alice"
    ));
}

/// Issue #16: *_REQ_CONFIDENTIALITY / *_REQ_INTEGRITY are enforced. Client: no offered qop it
/// asked for → SEC_E_ALGORITHM_MISMATCH (it used to settle for auth with SEC_E_OK). Server:
/// the challenge offers only what it requires, and a response choosing less is refused.
#[test]
fn requested_layer_is_enforced() {
    let new_pair = || {
        (
            creds(ident("alice", "EXAMPLE", "Secret-1"), SECPKG_CRED_OUTBOUND)
                .new_client_context()
                .unwrap(),
            creds(ident("alice", "EXAMPLE", "Secret-1"), SECPKG_CRED_INBOUND)
                .new_server_context()
                .unwrap(),
        )
    };
    let qops_of = |chal: &[u8]| {
        let c = String::from_utf8_lossy(chal).to_string();
        let i = c.find("qop=\"").unwrap() + 5;
        c[i..i + c[i..].find('"').unwrap()].to_string()
    };
    // Client side: server offering only auth.
    for (isc, want) in [
        (CONF, Err(Error::AlgorithmMismatch)),
        (ISC_REQ_CONFIDENTIALITY, Err(Error::AlgorithmMismatch)),
        (ISC_REQ_INTEGRITY, Err(Error::AlgorithmMismatch)),
        // Replay / sequence detection alone only prefer auth-int.
        (
            ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT,
            Ok(Outcome::ContinueNeeded),
        ),
        (0, Ok(Outcome::ContinueNeeded)),
    ] {
        let (c, s) = new_pair();
        let (_, chal, _) = step(&*s, false, 0, None, &[], &[]);
        assert_eq!(qops_of(&chal), "auth");
        let (r, _, _) = step(&*c, true, isc, Some("ldap/h"), &chal, &[]);
        assert_eq!(r, want, "ISC 0x{isc:x} against qop=auth");
    }
    // auth-conf asked, auth-int and auth-conf offered but no cipher in common.
    let (c, s) = new_pair();
    let (_, chal, _) = step(&*s, false, ASC_REQ_REPLAY_DETECT, None, &[], &[]);
    assert_eq!(qops_of(&chal), "auth,auth-int");
    let chal = String::from_utf8(chal)
        .unwrap()
        .replace("qop=\"auth,auth-int\"", "qop=\"auth-int,auth-conf\"");
    let (r, _, _) = step(&*c, true, CONF, Some("ldap/h"), chal.as_bytes(), &[]);
    assert_eq!(r, Err(Error::AlgorithmMismatch));
    // Server side: ASC_REQ_CONFIDENTIALITY offers auth-conf alone (ASC_REQ_INTEGRITY auth-int
    // alone); a client asking for nothing finds nothing it takes.
    for (asc, offered) in [
        (ASC_REQ_CONFIDENTIALITY, "auth-conf"),
        (ASC_REQ_INTEGRITY, "auth-int"),
    ] {
        let (c, s) = new_pair();
        let (_, chal, _) = step(&*s, false, asc, None, &[], &[]);
        assert_eq!(qops_of(&chal), offered);
        let (r, _, _) = step(&*c, true, 0, Some("ldap/h"), &chal, &[]);
        assert_eq!(r, Err(Error::AlgorithmMismatch), "ASC 0x{asc:x}");
        // A response choosing auth anyway (the challenge edited to offer it) is refused.
        let (c, _) = new_pair();
        let edited = String::from_utf8(chal.clone())
            .unwrap()
            .replace(&format!("qop=\"{offered}\""), "qop=\"auth\"");
        let (r, resp, _) = step(&*c, true, 0, Some("ldap/h"), edited.as_bytes(), &[]);
        assert_eq!(r, Ok(Outcome::ContinueNeeded));
        let (r, _, _) = step(&*s, false, asc, None, &resp, &[]);
        assert_eq!(
            r,
            Err(Error::AlgorithmMismatch),
            "ASC 0x{asc:x}: qop=auth refused"
        );
    }
}

#[test]
fn wrong_password_is_logon_denied() {
    assert_eq!(handshake(0, 0, "wrong").err(), Some(Error::LogonDenied));
}

#[test]
fn auth_int_round_trip_and_rules() {
    let (c, s) = handshake(ISC_REQ_INTEGRITY, ASC_REQ_INTEGRITY, "Secret-1").unwrap();
    for i in 0..3 {
        let mut t = seal(&*c, format!("hello {i}").as_bytes(), 0).unwrap();
        assert_eq!(t.len(), 7 + 16);
        assert_eq!(&t[..7], format!("hello {i}").as_bytes()); // integrity only: clear text
        assert_eq!(unseal(&*s, &mut t), Ok(SECQOP_WRAP_NO_ENCRYPT));
        assert_eq!(t, format!("hello {i}").as_bytes());
    }
    // Replay of an old message → out of sequence; tamper → altered; neither consumes.
    let t_old = seal(&*s, b"one", 0).unwrap();
    let mut t = t_old.clone();
    assert_eq!(unseal(&*c, &mut t), Ok(SECQOP_WRAP_NO_ENCRYPT));
    assert_eq!(unseal(&*c, &mut t_old.clone()), Err(Error::OutOfSequence));
    let mut bad = seal(&*s, b"two", 0).unwrap();
    bad[0] ^= 1;
    assert_eq!(unseal(&*c, &mut bad.clone()), Err(Error::MessageAltered));
    bad[0] ^= 1;
    assert_eq!(unseal(&*c, &mut bad), Ok(SECQOP_WRAP_NO_ENCRYPT));
    // fQOP and MessageSeqNo rules.
    let mut d = *b"abc";
    let mut p = [0u8; 16];
    SecBuffers::with_parts(
        &mut [
            (SECBUFFER_DATA, &mut d[..]),
            (SECBUFFER_PADDING, &mut p[..]),
        ],
        |m| {
            assert_eq!(c.seal(1, m, 0), Err(Error::QopNotSupported));
            assert_eq!(c.seal(0, m, 5), Err(Error::OutOfSequence));
        },
    )
    .unwrap();
    let mut small = [0u8; 15];
    SecBuffers::with_parts(
        &mut [
            (SECBUFFER_DATA, &mut d[..]),
            (SECBUFFER_PADDING, &mut small[..]),
        ],
        |m| assert_eq!(c.seal(0, m, 0), Err(Error::BufferTooSmall)),
    )
    .unwrap();
    SecBuffers::with_parts(&mut [(SECBUFFER_DATA, &mut d[..])], |m| {
        assert_eq!(c.seal(0, m, 0), Err(Error::InvalidToken))
    })
    .unwrap();
    // The failed calls consumed no sequence number.
    let mut t = seal(&*c, b"after", 0).unwrap();
    assert_eq!(unseal(&*s, &mut t), Ok(SECQOP_WRAP_NO_ENCRYPT));
    // auth-int keeps accepting SECQOP_WRAP_NO_ENCRYPT (its messages are MAC-only anyway).
    let mut t = seal(&*c, b"no-encrypt", SECQOP_WRAP_NO_ENCRYPT).unwrap();
    assert_eq!(&t[..10], b"no-encrypt");
    assert_eq!(unseal(&*s, &mut t), Ok(SECQOP_WRAP_NO_ENCRYPT));
    stream_forms(&*c, &*s, SECQOP_WRAP_NO_ENCRYPT, "auth-int");
    // MakeSignature / VerifySignature share the numbering.
    let mut d = *b"signed";
    let mut tokb = [0u8; 16];
    SecBuffers::with_parts(
        &mut [
            (SECBUFFER_DATA, &mut d[..]),
            (SECBUFFER_TOKEN, &mut tokb[..]),
        ],
        |m| c.make_signature(0, m, 0),
    )
    .unwrap()
    .unwrap();
    let r = SecBuffers::with_parts(
        &mut [
            (SECBUFFER_DATA, &mut d[..]),
            (SECBUFFER_TOKEN, &mut tokb[..]),
        ],
        |m| s.verify_signature(m, 0),
    )
    .unwrap();
    assert_eq!(r, Ok(0));
}

/// DecryptMessage's STREAM form: the whole token in STREAM, decrypted in place; with a DATA
/// buffer, DATA points at the plaintext (the start of STREAM, whose cbBuffer stays); without
/// one, STREAM's cbBuffer becomes the plaintext length. A tampered token: refused, STREAM
/// holds the token again, and the genuine one then opens.
fn stream_forms(c: &dyn Context, s: &dyn Context, want_qop: u32, what: &str) {
    for with_data in [false, true] {
        for len in [0usize, 1, 9, 100] {
            let msg: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let t = seal(c, &msg, 0).unwrap();
            let mut st = t.clone();
            let k = st.len() - 7;
            st[k] ^= 0x10;
            let tampered = st.clone();
            let mut empty = [0u8; 0];
            let run = |st: &mut [u8], empty: &mut [u8]| {
                let base = st.as_ptr() as usize;
                let mut parts: Vec<(u32, &mut [u8])> = vec![(SECBUFFER_STREAM, st)];
                if with_data {
                    parts.push((SECBUFFER_DATA, empty));
                }
                SecBuffers::with_parts(&mut parts, |m| {
                    s.unseal(m, 0).map(|u| {
                        // Offset of DATA into STREAM (an empty view has no address).
                        let data = m.find(SECBUFFER_DATA).map(|i| match m.size(i) {
                            0 => (0, 0),
                            n => (m.bytes(i).unwrap().as_ptr() as usize - base, n),
                        });
                        (u.qop, m.size(0), data)
                    })
                })
                .unwrap()
            };
            assert_eq!(
                run(&mut st, &mut empty),
                Err(Error::MessageAltered),
                "{what} {len} {with_data}"
            );
            assert_eq!(st, tampered, "{what}: the caller's token restored");
            st = t.clone();
            let r = run(&mut st, &mut empty);
            let want = if with_data {
                (want_qop, t.len(), Some((0, len)))
            } else {
                (want_qop, len, None)
            };
            assert_eq!(r, Ok(want), "{what} {len} {with_data}");
            assert_eq!(&st[..len], &msg[..], "{what} {len} {with_data}");
            // Replayed: out of sequence.
            let mut again = t.clone();
            assert_eq!(run(&mut again, &mut empty), Err(Error::OutOfSequence));
        }
    }
}

fn conf_with(cipher: Cipher) {
    // Our client takes the strongest cipher offered; restrict the challenge by hand.
    let c = creds(ident("alice", "EXAMPLE", "Secret-1"), SECPKG_CRED_OUTBOUND)
        .new_client_context()
        .unwrap();
    let s = creds(ident("alice", "EXAMPLE", "Secret-1"), SECPKG_CRED_INBOUND)
        .new_server_context()
        .unwrap();
    let (_, chal, _) = step(&*s, false, ASC_REQ_CONFIDENTIALITY, None, &[], &[]);
    let chal = String::from_utf8(chal).unwrap();
    let i = chal.find("cipher=").unwrap();
    let narrowed = format!("{}cipher=\"{}\"", &chal[..i], cipher.name());
    let (r, resp, ret) = step(&*c, true, CONF, Some("ldap/h"), narrowed.as_bytes(), &[]);
    assert_eq!(r, Ok(Outcome::ContinueNeeded));
    assert_ne!(ret & ISC_RET_CONFIDENTIALITY, 0);
    assert!(String::from_utf8_lossy(&resp).contains(&format!("cipher={}", cipher.name())));
    let (r, rsp, _) = step(&*s, false, ASC_REQ_CONFIDENTIALITY, None, &resp, &[]);
    assert_eq!(r, Ok(Outcome::Ok));
    assert_eq!(
        step(&*c, true, CONF, Some("ldap/h"), &rsp, &[]).0,
        Ok(Outcome::Ok)
    );
    for len in [0usize, 1, 7, 8, 13, 100, 1000] {
        let msg: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let mut t = seal(&*c, &msg, 0).unwrap();
        if len > 8 {
            assert_ne!(&t[..len], &msg[..]);
        }
        // Tamper: altered, and the next genuine message still decrypts (nothing consumed).
        let mut bad = t.clone();
        let k = bad.len() - 7;
        bad[k] ^= 0x40;
        assert_eq!(
            unseal(&*s, &mut bad),
            Err(Error::MessageAltered),
            "{cipher:?} {len}"
        );
        assert_eq!(unseal(&*s, &mut t), Ok(0), "{cipher:?} {len}");
        assert_eq!(t, msg);
        let mut back = seal(&*s, &msg, 0).unwrap();
        assert_eq!(unseal(&*c, &mut back), Ok(0));
        assert_eq!(back, msg);
    }
    // Split form [DATA, PADDING] decrypts too, and restores ciphertext on failure.
    let msg = b"split form message".to_vec();
    let t = seal(&*c, &msg, 0).unwrap();
    let (mut d, mut p) = (t[..msg.len()].to_vec(), t[msg.len()..].to_vec());
    let last = p.len() - 8;
    p[last] ^= 1;
    let r = SecBuffers::with_parts(
        &mut [
            (SECBUFFER_DATA, &mut d[..]),
            (SECBUFFER_PADDING, &mut p[..]),
        ],
        |m| s.unseal(m, 0).map(|u| u.qop),
    )
    .unwrap();
    assert_eq!(r, Err(Error::MessageAltered));
    p[last] ^= 1;
    assert_eq!([&d[..], &p[..]].concat(), t, "ciphertext restored");
    let r = SecBuffers::with_parts(
        &mut [
            (SECBUFFER_DATA, &mut d[..]),
            (SECBUFFER_PADDING, &mut p[..]),
        ],
        |m| s.unseal(m, 0).map(|u| (u.qop, m.size(0))),
    )
    .unwrap();
    assert_eq!(r, Ok((0, msg.len())));
    assert_eq!(d, msg);
    // Issue #16: SECQOP_WRAP_NO_ENCRYPT on auth-conf → SEC_E_QOP_NOT_SUPPORTED, nothing
    // consumed (it used to make a MAC-only message the peer refused as altered).
    assert_eq!(
        seal(&*c, b"mac only?", SECQOP_WRAP_NO_ENCRYPT),
        Err(Error::QopNotSupported)
    );
    let mut t = seal(&*c, b"after the refusal", 0).unwrap();
    assert_eq!(unseal(&*s, &mut t), Ok(0));
    assert_eq!(t, b"after the refusal");
    // Issue #16: the STREAM form, [STREAM] and [STREAM, DATA(empty)].
    stream_forms(&*c, &*s, 0, &format!("{cipher:?}"));
    match c.query_attribute(SECPKG_ATTR_SIZES).unwrap() {
        Attribute::Sizes {
            max_token,
            max_signature,
            block_size,
            ..
        } => {
            assert_eq!((max_token, max_signature), (4096, 16));
            assert_eq!(block_size as usize, cipher.block().max(1));
        }
        a => panic!("{a:?}"),
    }
}

#[test]
fn auth_conf_every_cipher() {
    for c in Cipher::PREFERENCE {
        conf_with(c);
    }
}

#[test]
fn http_digest_round_trip() {
    let c = creds(ident("bob", "", "pw"), SECPKG_CRED_OUTBOUND)
        .new_client_context()
        .unwrap();
    let s = creds(ident("bob", "WEB", "pw"), SECPKG_CRED_INBOUND)
        .new_server_context()
        .unwrap();
    let http = super::context::ASC_REQ_HTTP;
    let (r, chal, _) = step(&*s, false, http, None, &[], &["GET", "/x", "", "WEB"]);
    assert_eq!(r, Ok(Outcome::ContinueNeeded));
    let (r, auth, _) = step(
        &*c,
        true,
        ISC_REQ_USE_HTTP_STYLE,
        Some("/x"),
        &chal,
        &["GET", ""],
    );
    assert_eq!(r, Ok(Outcome::Ok));
    // A fresh server context verifies it (stateless nonce).
    let s2 = creds(ident("bob", "WEB", "pw"), SECPKG_CRED_INBOUND)
        .new_server_context()
        .unwrap();
    let (r, _, _) = step(&*s2, false, http, None, &auth, &["GET", "/x", "", "WEB"]);
    assert_eq!(r, Ok(Outcome::Ok));
    // A later request on the client context: MakeSignature gives nc=00000002 for /y.
    let mut tokb = [0u8; 0];
    let (mut m, mut u, mut e) = (*b"POST", *b"/y", [0u8; 0]);
    let mut out = [0u8; 1024];
    let n = SecBuffers::with_parts(
        &mut [
            (SECBUFFER_TOKEN, &mut tokb[..]),
            (SECBUFFER_PKG_PARAMS, &mut m[..]),
            (SECBUFFER_PKG_PARAMS, &mut u[..]),
            (SECBUFFER_PKG_PARAMS, &mut e[..]),
            (SECBUFFER_PADDING, &mut out[..]),
        ],
        |msg| c.make_signature(0, msg, 0).map(|()| msg.size(4)),
    )
    .unwrap()
    .unwrap();
    let auth2 = out[..n].to_vec();
    assert!(String::from_utf8_lossy(&auth2).contains("nc=00000002"));
    let s4 = creds(ident("bob", "WEB", "pw"), SECPKG_CRED_INBOUND)
        .new_server_context()
        .unwrap();
    let (r, _, _) = step(&*s4, false, http, None, &auth2, &["POST", "/y", "", "WEB"]);
    assert_eq!(r, Ok(Outcome::Ok));
    let s3 = creds(ident("bob", "WEB", "other"), SECPKG_CRED_INBOUND)
        .new_server_context()
        .unwrap();
    let (r, _, _) = step(&*s3, false, http, None, &auth, &["GET", "/x", "", "WEB"]);
    assert_eq!(r, Err(Error::LogonDenied));
}
