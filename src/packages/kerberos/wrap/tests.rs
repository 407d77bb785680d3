//! Wrap/MIC tests: Windows' layout, RFC 4121 layout cross-checked with the contiguous RFC 3961
//! functions (which match MIT libkrb5, see crypto::tests), RRC/EC handling, the STREAM form,
//! read-only buffers, every bit flip refused with buffers and state unchanged, sequence rules,
//! error codes, RC4 tokens, two threads.

use super::consts::*;
use super::*;
use crate::packages::kerberos::crypto::Etype;

pub(super) const AES: [Etype; 4] = [
    Etype::Aes256CtsHmacSha196,
    Etype::Aes128CtsHmacSha196,
    Etype::Aes128CtsHmacSha256128,
    Etype::Aes256CtsHmacSha384192,
];

pub(super) fn opts(dce: bool) -> Options {
    Options {
        dce_style: dce,
        sequence_detect: true,
        replay_detect: true,
        confidentiality: true,
        integrity: true,
    }
}

/// An initiator and an acceptor sharing `key` (acceptor subkey flag as given).
pub(super) fn pair(etype: Etype, o: Options, subkey: bool) -> (Session, Session, Key) {
    let key = Key::random(etype);
    let a = Session::new(key.clone(), true, subkey, 1000, 2000, o);
    let b = Session::new(key.clone(), false, subkey, 2000, 1000, o);
    (a, b, key)
}

fn mac_len(e: Etype) -> usize {
    e.checksum_len()
}

/// EncryptMessage over `[TOKEN(trailer), DATA…, PADDING(1)]`; returns (token, data parts, padding size).
pub(super) fn seal(
    s: &Session,
    qop: u32,
    data: &[&[u8]],
) -> SecResult<(Vec<u8>, Vec<Vec<u8>>, usize)> {
    let mut token = vec![0xEEu8; s.sizes().security_trailer as usize];
    let mut bufs: Vec<Vec<u8>> = data.iter().map(|d| d.to_vec()).collect();
    let mut pad = [0u8; 1];
    let mut parts: Vec<(u32, &mut [u8])> = vec![(SECBUFFER_TOKEN, &mut token[..])];
    for b in bufs.iter_mut() {
        parts.push((SECBUFFER_DATA, &mut b[..]));
    }
    parts.push((SECBUFFER_PADDING, &mut pad[..]));
    let mut sizes = (0, 0);
    SecBuffers::with_parts(&mut parts, |m| {
        let r = s.seal(qop, m, 0);
        sizes = (m.size(0), m.size(m.len() - 1));
        r
    })??;
    token.truncate(sizes.0);
    for (b, d) in bufs.iter().zip(data) {
        assert_eq!(b.len(), d.len());
    }
    let pad_size = sizes.1;
    if pad_size == 1 {
        bufs.last_mut().unwrap().push(pad[0]);
    }
    Ok((token, bufs, pad_size))
}

/// DecryptMessage over `[TOKEN, DATA…]`; the buffers as they are afterwards.
pub(super) fn unseal(
    s: &Session,
    token: &[u8],
    data: &[Vec<u8>],
) -> (SecResult<u32>, Vec<u8>, Vec<Vec<u8>>) {
    let mut token = token.to_vec();
    let mut bufs = data.to_vec();
    let mut sizes = vec![0usize; bufs.len()];
    let mut parts: Vec<(u32, &mut [u8])> = vec![(SECBUFFER_TOKEN, &mut token[..])];
    for b in bufs.iter_mut() {
        parts.push((SECBUFFER_DATA, &mut b[..]));
    }
    let r = SecBuffers::with_parts(&mut parts, |m| {
        let r = s.unseal(m, 0);
        for (i, sz) in sizes.iter_mut().enumerate() {
            *sz = m.size(i + 1);
        }
        r
    })
    .and_then(|r| r);
    for (b, n) in bufs.iter_mut().zip(sizes) {
        b.truncate(n);
    }
    (r, token, bufs)
}

/// DecryptMessage over `[STREAM, DATA]`; the plaintext DATA points at.
pub(super) fn unseal_stream(s: &Session, stream: &[u8]) -> SecResult<(u32, Vec<u8>)> {
    let mut st = stream.to_vec();
    let mut empty = [0u8; 0];
    let base = st.as_ptr() as usize;
    let mut out = (0u32, 0usize, 0usize);
    SecBuffers::with_parts(
        &mut [
            (SECBUFFER_STREAM, &mut st[..]),
            (SECBUFFER_DATA, &mut empty[..]),
        ],
        |m| {
            let qop = s.unseal(m, 0)?;
            let d = m.bytes(1)?;
            let at = if d.is_empty() {
                0
            } else {
                d.as_ptr() as usize - base
            };
            out = (qop, at, d.len());
            Ok::<_, Error>(())
        },
    )??;
    Ok((out.0, st[out.1..out.1 + out.2].to_vec()))
}

fn concat(token: &[u8], data: &[Vec<u8>]) -> Vec<u8> {
    let mut v = token.to_vec();
    for d in data {
        v.extend_from_slice(d);
    }
    v
}

#[test]
fn windows_layout_sizes_and_header() {
    for e in AES {
        for dce in [false, true] {
            for subkey in [false, true] {
                let (a, b, _) = pair(e, opts(dce), subkey);
                let h = mac_len(e);
                assert_eq!(a.sizes().max_signature as usize, 16 + h);
                assert_eq!(a.sizes().security_trailer as usize, 16 + 16 + 16 + 16 + h);
                assert_eq!(a.sizes().block_size, 1);
                let msg = b"The quick brown fox jumps over the lazy dog".as_slice();
                let (tok, data, pad) = seal(&a, 0, &[msg]).unwrap();
                let ec = if dce { 16 } else { 0 };
                assert_eq!(tok.len(), 16 + ec + 16 + h + 16, "{e:?} dce {dce}");
                if e == Etype::Aes256CtsHmacSha196 && !dce {
                    assert_eq!(tok.len(), 60);
                }
                assert_eq!(pad, 0);
                assert_eq!(&tok[..2], &[0x05, 0x04]);
                assert_eq!(tok[2], 0x02 | if subkey { 0x04 } else { 0 });
                assert_eq!(tok[3], 0xFF);
                assert_eq!(u16::from_be_bytes([tok[4], tok[5]]) as usize, ec);
                assert_eq!(u16::from_be_bytes([tok[6], tok[7]]) as usize, 16 + h);
                assert_eq!(u64::from_be_bytes(tok[8..16].try_into().unwrap()), 1000);
                assert_ne!(data[0], msg);
                let (r, _, plain) = unseal(&b, &tok, &data);
                assert_eq!(r, Ok(0));
                assert_eq!(plain[0], msg);
                // The acceptor's tokens carry SentByAcceptor.
                let (tok, data, _) = seal(&b, 0, &[msg]).unwrap();
                assert_eq!(tok[2], 0x03 | if subkey { 0x04 } else { 0 });
                assert_eq!(u64::from_be_bytes(tok[8..16].try_into().unwrap()), 2000);
                assert_eq!(unseal(&a, &tok, &data).2[0], msg);
            }
        }
    }
}

/// The token is RFC 4121's: un-rotating `TOKEN[16..] ‖ DATA` by RRC (+ EC in DCE style)
/// gives a ciphertext that the contiguous RFC 3961 decryption (equal to MIT's
/// krb5_c_decrypt) opens to `data ‖ filler ‖ header copy` under KG-USAGE-INITIATOR-SEAL.
#[test]
fn layout_is_rfc4121_checked_with_contiguous_rfc3961() {
    for e in AES {
        for dce in [false, true] {
            let (a, b, key) = pair(e, opts(dce), false);
            for (seq_in, len) in [0usize, 1, 15, 16, 17, 100].into_iter().enumerate() {
                let msg: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
                let (tok, data, _) = seal(&a, 0, &[&msg]).unwrap();
                let ec = usize::from(u16::from_be_bytes([tok[4], tok[5]]));
                let rrc = usize::from(u16::from_be_bytes([tok[6], tok[7]]));
                let mut p = concat(&tok, &data)[16..].to_vec();
                p.rotate_left(rrc + if dce { ec } else { 0 });
                let plain = key.decrypt(KG_USAGE_INITIATOR_SEAL, &p).unwrap();
                assert_eq!(&plain[..len], &msg[..]);
                assert_eq!(plain.len(), len + ec + 16);
                assert_eq!(&plain[len + ec..len + ec + 4], &tok[..4]);
                assert_eq!(
                    &plain[len + ec + 4..len + ec + 8],
                    &[(ec >> 8) as u8, ec as u8, 0, 0]
                );
                assert_eq!(&plain[len + ec + 8..], &tok[8..16]);
                // And the reverse: a token built with the contiguous functions, RRC 0 as MIT's
                // gss_wrap sends it, decrypts through the STREAM form.
                let mut hdr = [0u8; 16];
                hdr[..4].copy_from_slice(&[0x05, 0x04, 0x03, 0xFF]);
                hdr[8..].copy_from_slice(&(2000 + seq_in as u64).to_be_bytes());
                let mut inner = msg.clone();
                inner.extend_from_slice(&hdr);
                let ct = key.encrypt(KG_USAGE_ACCEPTOR_SEAL, &inner);
                let mut wire = hdr.to_vec();
                wire.extend_from_slice(&ct);
                let (q, got) = unseal_stream(&a, &wire).unwrap();
                assert_eq!((q, got), (0, msg.clone()));
                let _ = &b;
            }
        }
    }
}

#[test]
fn any_rrc_in_stream_form_and_token_form_with_stream_equivalence() {
    for e in AES {
        let (a, b, _) = pair(e, opts(false), true);
        let msg = b"rotate me, any way you like; RRC is the receiver's business".to_vec();
        for _ in 0..3 {
            let (tok, data, _) = seal(&a, 0, &[&msg]).unwrap();
            let full = concat(&tok, &data);
            let t = full.len() - 16;
            // Same token as one STREAM with the RRC it carries.
            let rrc_sent = usize::from(u16::from_be_bytes([tok[6], tok[7]]));
            for rrc in [0usize, 1, 5, 16, rrc_sent, t - 1, t, t + 3] {
                let mut u = full[16..].to_vec();
                u.rotate_left(rrc_sent % t); // unrotated
                let mut w = full[..16].to_vec();
                w[6..8].copy_from_slice(&(rrc as u16).to_be_bytes());
                let mut body = u.clone();
                body.rotate_right(rrc % t);
                w.extend_from_slice(&body);
                // Each variant is the same message: only the first one is fresh.
                let r = unseal_stream(&b, &w);
                if rrc == 0 {
                    assert_eq!(r.unwrap(), (0, msg.clone()), "{e:?} rrc {rrc}");
                } else {
                    assert_eq!(r.unwrap_err(), Error::OutOfSequence, "{e:?} rrc {rrc}");
                }
            }
        }
    }
}

#[test]
fn rrc_variants_each_decrypt_with_fresh_sessions() {
    let e = Etype::Aes128CtsHmacSha196;
    let key = Key::random(e);
    let msg = b"0123456789abcdef0123456789".to_vec();
    let a = Session::new(key.clone(), true, false, 7, 0, opts(false));
    let (tok, data, _) = seal(&a, 0, &[&msg]).unwrap();
    let full = concat(&tok, &data);
    let t = full.len() - 16;
    let mut u = full[16..].to_vec();
    u.rotate_left(28);
    for rrc in [0usize, 1, 12, 28, 29, 44, t - 1, t + 5, 1000] {
        let b = Session::new(key.clone(), false, false, 0, 7, opts(false));
        let mut w = full[..16].to_vec();
        w[6..8].copy_from_slice(&(rrc as u16).to_be_bytes());
        let mut body = u.clone();
        body.rotate_right(rrc % t);
        w.extend_from_slice(&body);
        assert_eq!(
            unseal_stream(&b, &w).unwrap(),
            (0, msg.clone()),
            "rrc {rrc}"
        );
    }
}

#[test]
fn several_data_buffers_and_readonly_buffers() {
    for e in AES {
        let (a, b, _) = pair(e, opts(false), false);
        let mut token = vec![0u8; 76];
        let mut d1 = b"first part, ".to_vec();
        let mut ro = b"signed, not encrypted".to_vec();
        let mut d2 = b"second part of the message!".to_vec();
        let mut d3 = Vec::new();
        let mut pad = [0u8; 1];
        let ro_type = SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM;
        let mut tsize = 0;
        SecBuffers::with_parts(
            &mut [
                (SECBUFFER_TOKEN, &mut token[..]),
                (SECBUFFER_DATA, &mut d1[..]),
                (ro_type, &mut ro[..]),
                (SECBUFFER_DATA, &mut d2[..]),
                (SECBUFFER_DATA, &mut d3[..]),
                (SECBUFFER_PADDING, &mut pad[..]),
            ],
            |m| {
                a.seal(0, m, 0).unwrap();
                tsize = m.size(0);
                assert_eq!(m.size(5), 0);
            },
        )
        .unwrap();
        assert_eq!(ro, b"signed, not encrypted");
        assert_ne!(d1, b"first part, ");
        token.truncate(tsize);
        let run = |ro_val: &[u8], s: &Session| {
            let (mut t, mut x1, mut r, mut x2) =
                (token.clone(), d1.clone(), ro_val.to_vec(), d2.clone());
            let res = SecBuffers::with_parts(
                &mut [
                    (SECBUFFER_TOKEN, &mut t[..]),
                    (SECBUFFER_DATA, &mut x1[..]),
                    (SECBUFFER_DATA | SECBUFFER_READONLY, &mut r[..]),
                    (SECBUFFER_DATA, &mut x2[..]),
                ],
                |m| s.unseal(m, 0),
            )
            .unwrap();
            (res, x1, x2)
        };
        // Tampered read-only buffer: refused, nothing consumed.
        assert_eq!(
            run(b"signed, not encrypteD", &b).0,
            Err(Error::MessageAltered)
        );
        let (res, x1, x2) = run(b"signed, not encrypted", &b);
        assert_eq!(res, Ok(0));
        assert_eq!(x1, b"first part, ");
        assert_eq!(x2, b"second part of the message!");
    }
}

/// Every single-bit change of a sealed token (TOKEN or DATA) is refused; the caller's
/// buffers are left exactly as given and the state is unchanged (the genuine message still
/// decrypts afterwards). Same for integrity-only tokens and MICs.
#[test]
fn every_bit_flip_is_refused_and_consumes_nothing() {
    for e in AES {
        for dce in [false, true] {
            let (a, b, _) = pair(e, opts(dce), false);
            let msg = b"bit flips everywhere".to_vec();
            for qop in [0, SECQOP_WRAP_NO_ENCRYPT] {
                let (tok, data, _) = seal(&a, qop, &[&msg]).unwrap();
                let total = tok.len() + data[0].len();
                for bit in 0..total * 8 {
                    let (mut t, mut d) = (tok.clone(), data.clone());
                    let i = bit / 8;
                    if i < t.len() {
                        t[i] ^= 1 << (bit % 8);
                    } else {
                        d[0][i - t.len()] ^= 1 << (bit % 8);
                    }
                    // In DCE style both RRC 16 + h (Windows, Heimdal) and the literal
                    // EC + 16 + h are accepted in the token form (the token length fixes the
                    // rotation), so an RRC flip between them is the same message.
                    if dce && (6..8).contains(&i) {
                        continue;
                    }
                    let (r, t_after, d_after) = unseal(&b, &t, &d);
                    assert!(r.is_err(), "{e:?} qop {qop:x} bit {bit} accepted");
                    assert_eq!(t_after, t, "{e:?} bit {bit}: TOKEN changed");
                    assert_eq!(d_after, d, "{e:?} bit {bit}: DATA changed");
                    // Stream form too. RRC (bytes 6..8) is a transport detail RFC 4121 leaves
                    // unprotected: a flip that rotates by the same amount modulo the length is
                    // the same message, so those bits are checked in the token form only.
                    if !(6..8).contains(&i) {
                        assert!(
                            unseal_stream(&b, &concat(&t, &d)).is_err(),
                            "{e:?} stream bit {bit}"
                        );
                    }
                }
                let (r, _, plain) = unseal(&b, &tok, &data);
                assert_eq!(r, Ok(if qop == 0 { 0 } else { SECQOP_WRAP_NO_ENCRYPT }));
                assert_eq!(plain[0], msg);
            }
            // MIC.
            let mut tok = vec![0u8; a.sizes().max_signature as usize];
            let mut d = msg.clone();
            SecBuffers::with_parts(
                &mut [
                    (SECBUFFER_TOKEN, &mut tok[..]),
                    (SECBUFFER_DATA, &mut d[..]),
                ],
                |m| a.make_signature(0, m, 0),
            )
            .unwrap()
            .unwrap();
            for bit in 0..(tok.len() + d.len()) * 8 {
                let (mut t, mut x) = (tok.clone(), d.clone());
                let i = bit / 8;
                if i < t.len() {
                    t[i] ^= 1 << (bit % 8);
                } else {
                    x[i - t.len()] ^= 1 << (bit % 8);
                }
                let r = SecBuffers::with_parts(
                    &mut [(SECBUFFER_TOKEN, &mut t[..]), (SECBUFFER_DATA, &mut x[..])],
                    |m| b.verify_signature(m, 0),
                )
                .unwrap();
                assert!(r.is_err(), "MIC bit {bit}");
            }
            let r = SecBuffers::with_parts(
                &mut [
                    (SECBUFFER_TOKEN, &mut tok[..]),
                    (SECBUFFER_DATA, &mut d[..]),
                ],
                |m| b.verify_signature(m, 0),
            )
            .unwrap();
            assert_eq!(r, Ok(0));
        }
    }
}

#[test]
fn integrity_only_tokens() {
    for e in AES {
        let (a, b, key) = pair(e, opts(false), false);
        let msg = b"in clear, but signed".to_vec();
        let (tok, data, _) = seal(&a, KERB_WRAP_NO_ENCRYPT, &[&msg]).unwrap();
        let h = mac_len(e);
        assert_eq!(tok.len(), 16 + h);
        assert_eq!(data[0], msg);
        assert_eq!(tok[2] & 0x02, 0);
        assert_eq!(usize::from(u16::from_be_bytes([tok[4], tok[5]])), h);
        assert_eq!(usize::from(u16::from_be_bytes([tok[6], tok[7]])), h);
        // RFC 4121 §4.2.4: checksum over data ‖ header with EC = RRC = 0 (contiguous check).
        let mut hdr0 = tok[..16].to_vec();
        hdr0[4..8].fill(0);
        let mut input = msg.clone();
        input.extend_from_slice(&hdr0);
        assert_eq!(
            key.make_checksum(KG_USAGE_INITIATOR_SEAL, &input),
            tok[16..]
        );
        let (r, _, plain) = unseal(&b, &tok, &data);
        assert_eq!(r, Ok(SECQOP_WRAP_NO_ENCRYPT));
        assert_eq!(plain[0], msg);
        // Stream form with RRC 0 (checksum after the data).
        let (tok, data, _) = seal(&a, KERB_WRAP_NO_ENCRYPT, &[&msg]).unwrap();
        let mut w = tok[..16].to_vec();
        w[6..8].fill(0);
        w.extend_from_slice(&data[0]);
        w.extend_from_slice(&tok[16..]);
        assert_eq!(
            unseal_stream(&b, &w).unwrap(),
            (SECQOP_WRAP_NO_ENCRYPT, msg.clone())
        );
    }
}

#[test]
fn mic_tokens() {
    for e in AES {
        let (a, b, key) = pair(e, opts(false), true);
        let mut tok = vec![0u8; 64];
        let mut d = b"sign me".to_vec();
        let mut n = 0;
        SecBuffers::with_parts(
            &mut [
                (SECBUFFER_TOKEN, &mut tok[..]),
                (SECBUFFER_DATA, &mut d[..]),
            ],
            |m| {
                a.make_signature(0, m, 0).unwrap();
                n = m.size(0);
            },
        )
        .unwrap();
        tok.truncate(n);
        assert_eq!(n, 16 + mac_len(e));
        assert_eq!(&tok[..8], &[0x04, 0x04, 0x04, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(u64::from_be_bytes(tok[8..16].try_into().unwrap()), 1000);
        let mut input = d.clone();
        input.extend_from_slice(&tok[..16]);
        assert_eq!(
            key.make_checksum(KG_USAGE_INITIATOR_SIGN, &input),
            tok[16..]
        );
        let r = SecBuffers::with_parts(
            &mut [
                (SECBUFFER_TOKEN, &mut tok[..]),
                (SECBUFFER_DATA, &mut d[..]),
            ],
            |m| b.verify_signature(m, 0),
        )
        .unwrap();
        assert_eq!(r, Ok(0));
        // Replay.
        let r = SecBuffers::with_parts(
            &mut [
                (SECBUFFER_TOKEN, &mut tok[..]),
                (SECBUFFER_DATA, &mut d[..]),
            ],
            |m| b.verify_signature(m, 0),
        )
        .unwrap();
        assert_eq!(r, Err(Error::OutOfSequence));
    }
}

#[test]
fn sequence_rules() {
    let e = Etype::Aes256CtsHmacSha196;
    let msg = b"m".to_vec();
    // SEQUENCE_DETECT: replay and reorder refused, the expected one still accepted.
    let (a, b, _) = pair(e, opts(false), false);
    let m1 = seal(&a, 0, &[&msg]).unwrap();
    let m2 = seal(&a, 0, &[&msg]).unwrap();
    assert_eq!(unseal(&b, &m2.0, &m2.1).0, Err(Error::OutOfSequence));
    assert_eq!(unseal(&b, &m1.0, &m1.1).0, Ok(0));
    assert_eq!(unseal(&b, &m1.0, &m1.1).0, Err(Error::OutOfSequence));
    assert_eq!(unseal(&b, &m2.0, &m2.1).0, Ok(0));
    // REPLAY_DETECT only: reorder accepted, replay refused.
    let o = Options {
        sequence_detect: false,
        ..opts(false)
    };
    let key = Key::random(e);
    let a = Session::new(key.clone(), true, false, 5, 0, o);
    let b = Session::new(key, false, false, 0, 5, o);
    let m1 = seal(&a, 0, &[&msg]).unwrap();
    let m2 = seal(&a, 0, &[&msg]).unwrap();
    assert_eq!(unseal(&b, &m2.0, &m2.1).0, Ok(0));
    assert_eq!(unseal(&b, &m1.0, &m1.1).0, Ok(0));
    assert_eq!(unseal(&b, &m1.0, &m1.1).0, Err(Error::OutOfSequence));
    assert_eq!(unseal(&b, &m2.0, &m2.1).0, Err(Error::OutOfSequence));
    // Neither: replays accepted (the application asked for no detection).
    let o = Options {
        sequence_detect: false,
        replay_detect: false,
        ..opts(false)
    };
    let key = Key::random(e);
    let a = Session::new(key.clone(), true, false, 5, 0, o);
    let b = Session::new(key, false, false, 0, 5, o);
    let m1 = seal(&a, 0, &[&msg]).unwrap();
    assert_eq!(unseal(&b, &m1.0, &m1.1).0, Ok(0));
    assert_eq!(unseal(&b, &m1.0, &m1.1).0, Ok(0));
}

#[test]
fn error_codes() {
    let (a, b, _) = pair(Etype::Aes256CtsHmacSha196, opts(false), false);
    let mut t = [0u8; 76];
    let mut d = b"data".to_vec();
    let mut small = [0u8; 59];
    let call = |parts: &mut [(u32, &mut [u8])],
                f: &dyn Fn(&mut SecBuffers<'_>) -> SecResult<u32>| {
        SecBuffers::with_parts(parts, |m| f(m)).unwrap()
    };
    let seal0 = |m: &mut SecBuffers<'_>| a.seal(0, m, 0).map(|()| 0);
    assert_eq!(
        call(&mut [(SECBUFFER_DATA, &mut d[..])], &seal0),
        Err(Error::InvalidToken)
    );
    assert_eq!(
        call(&mut [(SECBUFFER_TOKEN, &mut t[..])], &seal0),
        Err(Error::InvalidToken)
    );
    assert_eq!(
        call(
            &mut [
                (SECBUFFER_TOKEN, &mut small[..]),
                (SECBUFFER_DATA, &mut d[..])
            ],
            &seal0
        ),
        Err(Error::BufferTooSmall)
    );
    assert_eq!(
        call(
            &mut [(SECBUFFER_TOKEN, &mut t[..]), (SECBUFFER_DATA, &mut d[..])],
            &|m| a.seal(7, m, 0).map(|()| 0)
        ),
        Err(Error::QopNotSupported)
    );
    assert_eq!(
        call(
            &mut [(SECBUFFER_TOKEN, &mut t[..]), (SECBUFFER_DATA, &mut d[..])],
            &|m| a.make_signature(1, m, 0).map(|()| 0)
        ),
        Err(Error::QopNotSupported)
    );
    let mut short_mic = [0u8; 27];
    assert_eq!(
        call(
            &mut [
                (SECBUFFER_TOKEN, &mut short_mic[..]),
                (SECBUFFER_DATA, &mut d[..])
            ],
            &|m| a.make_signature(0, m, 0).map(|()| 0)
        ),
        Err(Error::BufferTooSmall)
    );
    assert_eq!(d, b"data", "failed calls leave DATA alone");
    // Decrypt side: short or foreign tokens, missing buffers.
    for len in [0usize, 1, 15, 16, 59, 60, 61] {
        let mut tok = vec![0u8; len];
        if len >= 4 {
            tok[..4].copy_from_slice(&[0x05, 0x04, 0x02, 0xFF]);
        }
        if len >= 16 {
            tok[8..16].copy_from_slice(&1000u64.to_be_bytes());
        }
        let r = call(
            &mut [
                (SECBUFFER_TOKEN, &mut tok[..]),
                (SECBUFFER_DATA, &mut d[..]),
            ],
            &|m| b.unseal(m, 0),
        );
        assert_eq!(r, Err(Error::InvalidToken), "len {len}");
        let r = call(
            &mut [
                (SECBUFFER_STREAM, &mut tok[..]),
                (SECBUFFER_DATA, &mut [][..]),
            ],
            &|m| b.unseal(m, 0),
        );
        let want = if len >= 60 {
            Error::MessageAltered
        } else {
            Error::InvalidToken
        };
        assert_eq!(r, Err(want), "stream len {len}");
    }
    assert_eq!(
        call(&mut [(SECBUFFER_DATA, &mut d[..])], &|m| b.unseal(m, 0)),
        Err(Error::InvalidToken)
    );
    // Without CONFIDENTIALITY only integrity-only wrapping is offered.
    let o = Options {
        confidentiality: false,
        ..opts(false)
    };
    let c = Session::new(
        Key::random(Etype::Aes128CtsHmacSha196),
        true,
        false,
        0,
        0,
        o,
    );
    assert_eq!(
        call(
            &mut [(SECBUFFER_TOKEN, &mut t[..]), (SECBUFFER_DATA, &mut d[..])],
            &|m| c.seal(0, m, 0).map(|()| 0)
        ),
        Err(Error::QopNotSupported)
    );
}

#[test]
fn own_tokens_are_refused_by_direction() {
    let (a, _, _) = pair(Etype::Aes128CtsHmacSha256128, opts(false), false);
    let (tok, data, _) = seal(&a, 0, &[b"loop"]).unwrap();
    assert_eq!(unseal(&a, &tok, &data).0, Err(Error::MessageAltered));
}

#[test]
fn rc4_wrap_and_mic() {
    for dce in [false, true] {
        let (a, b, _) = pair(Etype::Rc4Hmac, opts(dce), false);
        assert_eq!(a.sizes().max_signature, 37);
        let msg = b"RC4-HMAC session key message".to_vec();
        for qop in [0, SECQOP_WRAP_NO_ENCRYPT] {
            let (tok, data, pad) = seal(&a, qop, &[&msg]).unwrap();
            assert_eq!(pad, if dce { 0 } else { 1 });
            assert_eq!(tok.len(), 45, "framing 60 len OID + 32");
            assert_eq!(
                &tok[..2],
                &[0x60, (11 + 32 + if dce { 0 } else { msg.len() + 1 }) as u8]
            );
            assert_eq!(&tok[13..15], &[0x02, 0x01]);
            assert_eq!(&tok[15..17], &[0x11, 0x00]);
            assert_eq!(
                &tok[17..19],
                if qop == 0 {
                    &[0x10, 0x00]
                } else {
                    &[0xFF, 0xFF]
                }
            );
            if qop == 0 {
                assert_ne!(&data[0][..msg.len()], &msg[..]);
            } else {
                assert_eq!(&data[0][..msg.len()], &msg[..]);
            }
            // Every bit flip refused, nothing consumed.
            for bit in 0..(tok.len() + data[0].len()) * 8 {
                let (mut t, mut d) = (tok.clone(), data.clone());
                let i = bit / 8;
                if i < t.len() {
                    t[i] ^= 1 << (bit % 8);
                } else {
                    d[0][i - t.len()] ^= 1 << (bit % 8);
                }
                let (r, ta, da) = unseal(&b, &t, &d);
                assert!(r.is_err(), "rc4 dce {dce} qop {qop:x} bit {bit}");
                assert_eq!((ta, da), (t, d));
            }
            let (r, _, plain) = unseal(&b, &tok, &data);
            assert_eq!(r, Ok(qop & SECQOP_WRAP_NO_ENCRYPT));
            assert_eq!(plain[0], msg);
            // Stream form of the next message.
            let (tok, data, _) = seal(&a, qop, &[&msg]).unwrap();
            assert_eq!(
                unseal_stream(&b, &concat(&tok, &data)).unwrap(),
                (qop & SECQOP_WRAP_NO_ENCRYPT, msg.clone())
            );
            assert_eq!(
                unseal_stream(&b, &concat(&tok, &data)).unwrap_err(),
                Error::OutOfSequence
            );
        }
        let mut tok = vec![0u8; 37];
        let mut d = msg.clone();
        SecBuffers::with_parts(
            &mut [
                (SECBUFFER_TOKEN, &mut tok[..]),
                (SECBUFFER_DATA, &mut d[..]),
            ],
            |m| a.make_signature(0, m, 0),
        )
        .unwrap()
        .unwrap();
        assert_eq!(&tok[..2], &[0x60, 0x23]);
        assert_eq!(
            &tok[13..21],
            &[0x01, 0x01, 0x11, 0x00, 0xFF, 0xFF, 0xFF, 0xFF]
        );
        let mut bad = d.clone();
        bad[0] ^= 1;
        let r = SecBuffers::with_parts(
            &mut [
                (SECBUFFER_TOKEN, &mut tok.clone()[..]),
                (SECBUFFER_DATA, &mut bad[..]),
            ],
            |m| b.verify_signature(m, 0),
        )
        .unwrap();
        assert_eq!(r, Err(Error::MessageAltered));
        let r = SecBuffers::with_parts(
            &mut [
                (SECBUFFER_TOKEN, &mut tok[..]),
                (SECBUFFER_DATA, &mut d[..]),
            ],
            |m| b.verify_signature(m, 0),
        )
        .unwrap();
        assert_eq!(r, Ok(0));
    }
}

#[test]
fn rc4_long_message_framing_grows() {
    let (a, b, _) = pair(Etype::Rc4Hmac, opts(false), false);
    let msg = vec![0x33u8; 300];
    let (tok, data, _) = seal(&a, 0, &[&msg]).unwrap();
    assert_eq!(&tok[..4], &[0x60, 0x82, 0x01, (11 + 32 + 301 - 256) as u8]);
    assert_eq!(tok.len(), 47);
    assert_eq!(unseal(&b, &tok, &data).2[0], msg);
}

#[test]
fn encrypt_and_decrypt_on_two_threads() {
    let (a, b, _) = pair(Etype::Aes256CtsHmacSha196, opts(false), false);
    let (a, b) = (std::sync::Arc::new(a), std::sync::Arc::new(b));
    let (tx, rx) = std::sync::mpsc::channel::<(Vec<u8>, Vec<Vec<u8>>)>();
    let sender = {
        let a = a.clone();
        std::thread::spawn(move || {
            for i in 0..300u32 {
                let m = i.to_le_bytes().repeat(5);
                let (t, d, _) = seal(&a, 0, &[&m]).unwrap();
                tx.send((t, d)).unwrap();
            }
        })
    };
    // Meanwhile the other direction runs on this thread.
    let (back_tx, back_rx) = std::sync::mpsc::channel();
    let receiver = std::thread::spawn(move || {
        for i in 0..300u32 {
            let (t, d) = rx.recv().unwrap();
            let (r, _, p) = unseal(&b, &t, &d);
            assert_eq!(r, Ok(0));
            assert_eq!(p[0], i.to_le_bytes().repeat(5));
            back_tx.send(seal(&b, 0, &[b"ack"]).unwrap()).unwrap();
        }
    });
    for _ in 0..300 {
        let (t, d, _) = back_rx.recv().unwrap();
        assert_eq!(unseal(&a, &t, &d).2[0], b"ack");
    }
    sender.join().unwrap();
    receiver.join().unwrap();
}

/// Hostile input never panics: truncations, extensions and random mutations of genuine
/// tokens (every enctype, both forms, MICs), and extreme sequence numbers.
#[test]
fn hostile_tokens_never_panic() {
    use ring::rand::{SecureRandom, SystemRandom};
    let rng = SystemRandom::new();
    let rand = |n: usize| {
        let mut b = [0u8; 4];
        rng.fill(&mut b).unwrap();
        u32::from_le_bytes(b) as usize % n.max(1)
    };
    for e in Etype::ALL {
        for dce in [false, true] {
            let o = Options {
                sequence_detect: false,
                ..opts(dce)
            };
            let (a, b, _) = pair(e, o, false);
            let (tok, data, _) = seal(&a, 0, &[b"hostile input"]).unwrap();
            let whole = concat(&tok, &data);
            for round in 0..300 {
                let mut w = whole.clone();
                match round % 3 {
                    0 => w.truncate(rand(w.len() + 1)),
                    1 => w.extend((0..rand(40)).map(|_| rand(256) as u8)),
                    _ => {
                        for _ in 0..1 + rand(4) {
                            let i = rand(w.len());
                            w[i] = rand(256) as u8;
                        }
                    }
                }
                let _ = unseal_stream(&b, &w);
                let split = rand(w.len() + 1);
                let _ = unseal(&b, &w[..split], &[w[split..].to_vec()]);
                let (mut t, mut d) = (w[..split].to_vec(), w[split..].to_vec());
                let _ = SecBuffers::with_parts(
                    &mut [(SECBUFFER_TOKEN, &mut t[..]), (SECBUFFER_DATA, &mut d[..])],
                    |m| b.verify_signature(m, 0),
                );
            }
        }
    }
    // Sequence numbers at the ends of the range, replay detection only.
    let mut st = RecvState {
        next: 0,
        window: u64::MAX,
    };
    let o = Options {
        sequence_detect: false,
        ..opts(false)
    };
    for seq in [u64::MAX, 0, u64::MAX - 1, 5] {
        if st.check(seq, &o).is_ok() {
            st.commit(seq);
        }
    }
}

/// Throughput figure (run with `--release -- --ignored --nocapture`): EncryptMessage and
/// DecryptMessage of 16 KiB messages, aes256-sha1 and rc4.
#[test]
#[ignore]
fn throughput() {
    for e in [
        Etype::Aes256CtsHmacSha196,
        Etype::Aes128CtsHmacSha256128,
        Etype::Rc4Hmac,
    ] {
        let (a, b, _) = pair(e, opts(false), false);
        let msg = vec![0x5au8; 16384];
        let n = 2000;
        let start = std::time::Instant::now();
        for _ in 0..n {
            let (t, d, _) = seal(&a, 0, &[&msg]).unwrap();
            assert_eq!(unseal(&b, &t, &d).0, Ok(0));
        }
        let secs = start.elapsed().as_secs_f64();
        eprintln!(
            "{e:?}: seal+unseal 16 KiB: {:.0} MB/s",
            (n * msg.len()) as f64 / secs / 1e6
        );
    }
}

/// The contiguous RFC 3961 functions on the same sizes, for comparison with [`throughput`].
#[test]
#[ignore]
fn throughput_contiguous_reference() {
    for e in [
        Etype::Aes256CtsHmacSha196,
        Etype::Aes128CtsHmacSha256128,
        Etype::Rc4Hmac,
    ] {
        let key = Key::random(e);
        let msg = vec![0x5au8; 16384];
        let n = 2000;
        let start = std::time::Instant::now();
        for _ in 0..n {
            let c = key.encrypt(24, &msg);
            assert_eq!(key.decrypt(24, &c).unwrap().len(), msg.len());
        }
        let secs = start.elapsed().as_secs_f64();
        eprintln!(
            "{e:?}: Key::encrypt+decrypt 16 KiB: {:.0} MB/s",
            (n * msg.len()) as f64 / secs / 1e6
        );
    }
}
