//! Interop with MIT krb5's GSSAPI (python3-gssapi): a real initiator/acceptor context pair
//! over a throw-away MIT KDC (tests/interop/helpers/krb5_gss_peer.py); the session key MIT
//! negotiated (GSS_C_INQ_SSPI_SESSION_KEY) drives our [`Session`] in the acceptor's role.
//! Both directions: gss_wrap (RRC 0) and gss_wrap_iov (HEADER | DATA | PADDING, the SSPI
//! layout) → DecryptMessage; EncryptMessage → gss_unwrap; integrity-only; MICs; DCE style.
//! Loud skip when the peer is missing, failure under CI=true.

use super::consts::*;
use super::tests::unseal_stream;
use super::*;
use crate::packages::kerberos::crypto::tests::hex;

struct GssPeer {
    child: std::process::Child,
    out: std::io::BufReader<std::process::ChildStdout>,
}

impl GssPeer {
    fn start(enctype: &str, dce: bool) -> Option<(GssPeer, Key)> {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/interop/helpers/krb5_gss_peer.py"
        );
        let python = if std::path::Path::new("/usr/bin/python3").exists() {
            "/usr/bin/python3"
        } else {
            "python3"
        };
        let mut cmd = Command::new(python);
        cmd.arg(script).arg(enctype);
        if dce {
            cmd.arg("dce");
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        let mut out = std::io::BufReader::new(child.stdout.take()?);
        let mut line = String::new();
        out.read_line(&mut line).ok()?;
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.first() != Some(&"ready") {
            let _ = child.wait();
            return None;
        }
        let etype = Etype::from_i32(w[2].parse().ok()?)?;
        assert_eq!(etype.name(), enctype, "MIT negotiated another enctype");
        let key = Key::new(etype, &hex(w[1]))?;
        Some((GssPeer { child, out }, key))
    }

    fn ask(&mut self, line: &str) -> String {
        use std::io::{BufRead, Write};
        let stdin = self.child.stdin.as_mut().expect("peer stdin");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
        let mut answer = String::new();
        self.out.read_line(&mut answer).unwrap();
        answer.trim().to_string()
    }
}

impl Drop for GssPeer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn h(b: &[u8]) -> String {
    if b.is_empty() {
        return ".".into();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The sequence number and flags of a token MIT sent.
fn token_seq(key: &Key, tok: &[u8]) -> (u64, u8) {
    if key.etype().is_aes() {
        (u64::from_be_bytes(tok[8..16].try_into().unwrap()), tok[2])
    } else {
        (u64::from(super::rc4::peek_seq(key, tok).unwrap()), 0)
    }
}

/// EncryptMessage `[TOKEN, DATA, PADDING]` → the bytes on the wire (token ‖ data ‖ padding).
fn our_wrap(s: &Session, qop: u32, msg: &[u8]) -> Vec<u8> {
    let (mut wire, rest) = our_wrap_parts(s, qop, msg);
    wire.extend_from_slice(&rest);
    wire
}

/// EncryptMessage `[TOKEN, DATA, PADDING]` → (TOKEN, DATA ‖ PADDING).
fn our_wrap_parts(s: &Session, qop: u32, msg: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut tok = vec![0u8; s.sizes().security_trailer as usize];
    let mut data = msg.to_vec();
    let mut pad = [0u8; 1];
    let mut sizes = (0, 0);
    SecBuffers::with_parts(
        &mut [
            (SECBUFFER_TOKEN, &mut tok[..]),
            (SECBUFFER_DATA, &mut data[..]),
            (SECBUFFER_PADDING, &mut pad[..]),
        ],
        |m| {
            s.seal(qop, m, 0).unwrap();
            sizes = (m.size(0), m.size(2));
        },
    )
    .unwrap();
    data.extend_from_slice(&pad[..sizes.1]);
    (tok[..sizes.0].to_vec(), data)
}

fn peer_missing() {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("MIT KDC / python3-gssapi missing (CI=true: missing peers are failures)");
    }
    eprintln!("\n*** SKIPPED: MIT KDC (krb5-kdc) or python3-gssapi not installed: wrap interop not checked ***\n");
}

fn interop(enctype: &str, dce: bool) {
    let Some((mut mit, key)) = GssPeer::start(enctype, dce) else {
        return peer_missing();
    };
    // Meet the peers mid-stream: learn the acceptor's next sequence number (and the
    // AcceptorSubkey flag) from a token the MIT acceptor sends, consumed by the initiator.
    let a_tok = hex(&mit.ask("wrap a 1 00"));
    let (a_seq, a_flags) = token_seq(&key, &a_tok);
    assert_eq!(mit.ask(&format!("unwrap i {}", h(&a_tok))), "ok 1 00");
    let msg: Vec<u8> = (0..1000u32).map(|i| (i * 31 % 251) as u8).collect();
    let short = b"Kerberos from MIT to secur32".to_vec();

    // MIT gss_wrap (RRC 0, one token) → DecryptMessage [STREAM, DATA].
    let i_tok = hex(&mit.ask(&format!("wrap i 1 {}", h(&msg))));
    let (i_seq, _) = token_seq(&key, &i_tok);
    let opts = Options {
        dce_style: dce,
        sequence_detect: true,
        replay_detect: true,
        confidentiality: true,
        integrity: true,
    };
    let ours = Session::new(
        key.clone(),
        false,
        a_flags & 0x04 != 0,
        a_seq + 1,
        i_seq,
        opts,
    );
    // MIT's stream gss_wrap pads RC4 messages (one byte 01) even in DCE style, where the
    // iov form (what DCE RPC uses) does not: in that one case the byte stays in the data.
    let rc4_dce = dce && key.etype() == Etype::Rc4Hmac;
    let mut want = msg.clone();
    if rc4_dce {
        want.push(1);
    }
    assert_eq!(
        unseal_stream(&ours, &i_tok).unwrap(),
        (0, want),
        "{enctype}: gss_wrap"
    );

    // MIT gss_wrap_iov HEADER | DATA | PADDING → DecryptMessage [TOKEN, DATA].
    let parts: Vec<Vec<u8>> = mit
        .ask(&format!("wrapiov i 1 {}", h(&short)))
        .split(' ')
        .map(hex)
        .collect();
    let mut header = parts[0].clone();
    let mut data = parts[1].clone();
    data.extend_from_slice(&parts[2]);
    let mut n = 0;
    let r = SecBuffers::with_parts(
        &mut [
            (SECBUFFER_TOKEN, &mut header[..]),
            (SECBUFFER_DATA, &mut data[..]),
        ],
        |m| {
            let r = m.len();
            let q = ours.unseal(m, 0);
            n = m.size(1);
            let _ = r;
            q
        },
    )
    .unwrap();
    assert_eq!(r, Ok(0), "{enctype}: gss_wrap_iov");
    assert_eq!(&data[..n], &short[..]);
    if key.etype() == Etype::Aes256CtsHmacSha196 {
        assert_eq!(
            parts[0].len(),
            if dce { 76 } else { 60 },
            "MIT's SSPI-layout header"
        );
    }

    // EncryptMessage → gss_unwrap_iov (HEADER = TOKEN, DATA) and, outside DCE style,
    // gss_unwrap of the concatenation (MIT's stream unwrap rotates by RRC alone, which DCE
    // tokens with EC 16 do not allow: DCE RPC peers use the iov form).
    for m in [&short, &msg] {
        let (tok, data) = our_wrap_parts(&ours, 0, m);
        let r = mit.ask(&format!("unwrapiov i {} {}", h(&tok), h(&data)));
        // gss_unwrap_iov without a PADDING buffer leaves RC4's padding byte in DATA.
        let mut want = m.to_vec();
        if key.etype() == Etype::Rc4Hmac && !dce {
            want.push(1);
        }
        assert_eq!(r, format!("ok 1 {}", h(&want)), "{enctype}: gss_unwrap_iov");
        if !dce {
            let wire = our_wrap(&ours, 0, m);
            let r = mit.ask(&format!("unwrap i {}", h(&wire)));
            assert_eq!(r, format!("ok 1 {}", h(m)), "{enctype}: gss_unwrap");
        }
    }

    // Integrity only, both ways.
    let i_tok = hex(&mit.ask(&format!("wrap i 0 {}", h(&short))));
    let mut want = short.clone();
    if rc4_dce {
        want.push(1);
    }
    assert_eq!(
        unseal_stream(&ours, &i_tok).unwrap(),
        (SECQOP_WRAP_NO_ENCRYPT, want)
    );
    if dce {
        let (tok, data) = our_wrap_parts(&ours, KERB_WRAP_NO_ENCRYPT, &short);
        let r = mit.ask(&format!("unwrapiov i {} {}", h(&tok), h(&data)));
        assert_eq!(
            r,
            format!("ok 0 {}", h(&short)),
            "{enctype}: integrity gss_unwrap_iov"
        );
    } else {
        let wire = our_wrap(&ours, KERB_WRAP_NO_ENCRYPT, &short);
        let r = mit.ask(&format!("unwrap i {}", h(&wire)));
        assert_eq!(
            r,
            format!("ok 0 {}", h(&short)),
            "{enctype}: integrity gss_unwrap"
        );
    }

    // MICs, both ways.
    let mic = hex(&mit.ask(&format!("mic i {}", h(&short))));
    let (mut t, mut d) = (mic.clone(), short.clone());
    let r = SecBuffers::with_parts(
        &mut [(SECBUFFER_TOKEN, &mut t[..]), (SECBUFFER_DATA, &mut d[..])],
        |m| ours.verify_signature(m, 0),
    )
    .unwrap();
    assert_eq!(r, Ok(0), "{enctype}: gss_get_mic → VerifySignature");
    let mut t = vec![0u8; ours.sizes().max_signature as usize];
    let mut d = short.clone();
    let mut size = 0;
    SecBuffers::with_parts(
        &mut [(SECBUFFER_TOKEN, &mut t[..]), (SECBUFFER_DATA, &mut d[..])],
        |m| {
            ours.make_signature(0, m, 0).unwrap();
            size = m.size(0);
        },
    )
    .unwrap();
    assert_eq!(size, mic.len(), "MIC size as MIT's");
    assert_eq!(
        mit.ask(&format!("verify i {} {}", h(&short), h(&t[..size]))),
        "ok",
        "{enctype}: MakeSignature → gss_verify_mic"
    );

    // A tampered token is refused by MIT too (the oracle is not lenient).
    let mut wire = our_wrap(&ours, 0, &short);
    let last = wire.len() - 1;
    wire[last] ^= 1;
    assert!(mit
        .ask(&format!("unwrap i {}", h(&wire)))
        .starts_with("err"));
}

#[test]
fn mit_gssapi_aes256_sha1() {
    interop("aes256-cts-hmac-sha1-96", false);
}

#[test]
fn mit_gssapi_aes128_sha1() {
    interop("aes128-cts-hmac-sha1-96", false);
}

#[test]
fn mit_gssapi_aes128_sha256() {
    interop("aes128-cts-hmac-sha256-128", false);
}

#[test]
fn mit_gssapi_aes256_sha384() {
    interop("aes256-cts-hmac-sha384-192", false);
}

#[test]
fn mit_gssapi_rc4() {
    interop("arcfour-hmac", false);
}

#[test]
fn mit_gssapi_dce_style_aes_and_rc4() {
    interop("aes256-cts-hmac-sha1-96", true);
    interop("arcfour-hmac", true);
}
