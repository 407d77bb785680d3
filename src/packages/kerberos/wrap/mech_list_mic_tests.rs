//! The SPNEGO mechListMIC's sequence rule ([`Session::verify_mech_list_mic`]): a MIC signed
//! with sequence number 0 and not counted (Windows acceptors, sspi-rs issue #748) and one
//! signed with the sender's next number and counted (MIT's gss_get_mic) both verify, and the
//! sender's next message verifies after either; a tampered MIC is refused and consumes
//! nothing. AES (RFC 4121 MIC 04 04) and RC4 (RFC 4757 MIC 01 01), both directions.

use super::consts::*;
use super::tests::{opts, pair, seal, unseal, AES};
use super::*;
use crate::packages::kerberos::crypto::Etype;

/// Windows' MechTypeList (MS KRB5, KRB5, NTLM), DER, as a NegTokenInit carries it.
const DER: &[u8] = &[
    0x30, 0x22, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x06, 0x09, 0x2a,
    0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82,
    0x37, 0x02, 0x02, 0x0a,
];

fn etypes() -> Vec<Etype> {
    let mut v = AES.to_vec();
    v.push(Etype::Rc4Hmac);
    v
}

/// MakeSignature over `data`: the MIC token.
fn sign(s: &Session, data: &[u8]) -> Vec<u8> {
    let mut tok = vec![0u8; s.sizes().max_signature as usize];
    let mut d = data.to_vec();
    let mut n = 0;
    SecBuffers::with_parts(
        &mut [
            (SECBUFFER_TOKEN, &mut tok[..]),
            (SECBUFFER_DATA, &mut d[..]),
        ],
        |m| {
            s.make_signature(0, m, 0).unwrap();
            n = m.size(0);
        },
    )
    .unwrap();
    tok.truncate(n);
    tok
}

/// VerifySignature (the message rule) of `mic` over `data`.
fn verify(s: &Session, data: &[u8], mic: &[u8]) -> SecResult<u32> {
    let mut tok = mic.to_vec();
    let mut d = data.to_vec();
    SecBuffers::with_parts(
        &mut [
            (SECBUFFER_TOKEN, &mut tok[..]),
            (SECBUFFER_DATA, &mut d[..]),
        ],
        |m| s.verify_signature(m, 0),
    )
    .unwrap()
}

/// The sequence number a MIC token carries.
fn seq_of(key: &Key, mic: &[u8]) -> u64 {
    if key.etype().is_aes() {
        u64::from_be_bytes(mic[8..16].try_into().unwrap())
    } else {
        u64::from(rc4::peek_seq(key, mic).unwrap())
    }
}

/// Where the checksum is in a MIC token: RFC 4121 after the 16-byte header; RFC 4757
/// SGN_CKSUM, the last 8 bytes.
fn checksum_range(e: Etype, mic: &[u8]) -> core::ops::Range<usize> {
    if e.is_aes() {
        16..mic.len()
    } else {
        mic.len() - 8..mic.len()
    }
}

/// Both directions of a `pair` (initiator sends from 1000, acceptor from 2000): whether the
/// sender is the initiator, and the sender's first sequence number.
const DIRECTIONS: [(bool, u64); 2] = [(false, 2000), (true, 1000)];

#[test]
fn windows_mic_with_sequence_number_zero_verifies_and_is_not_counted() {
    for e in etypes() {
        for subkey in [false, true] {
            let (ini, acc, key) = pair(e, opts(false), subkey);
            for (sender_is_initiator, next) in DIRECTIONS {
                let (sender, receiver) = if sender_is_initiator {
                    (&ini, &acc)
                } else {
                    (&acc, &ini)
                };
                // Windows: the MIC signed with 0, its own counter untouched.
                let windows =
                    Session::new(key.clone(), sender_is_initiator, subkey, 0, 0, opts(false));
                let mic = sign(&windows, DER);
                assert_eq!(seq_of(&key, &mic), 0, "{e:?}");
                // The message rule refuses it (the sspi-rs #748 failure) and consumes nothing.
                assert_eq!(
                    verify(receiver, DER, &mic),
                    Err(Error::OutOfSequence),
                    "{e:?}"
                );
                assert_eq!(receiver.verify_mech_list_mic(DER, &mic), Ok(()), "{e:?}");
                // The sender's first message carries `next` and still verifies.
                let m = seal(sender, 0, &[b"first message"]).unwrap();
                assert_eq!(
                    unseal(receiver, &m.0, &m.1).0,
                    Ok(0),
                    "{e:?} subkey {subkey}"
                );
                let sig = sign(sender, b"second");
                assert_eq!(seq_of(&key, &sig), next + 1);
                assert_eq!(verify(receiver, b"second", &sig), Ok(0), "{e:?}");
            }
        }
    }
}

#[test]
fn mit_mic_with_the_next_sequence_number_is_counted() {
    for e in etypes() {
        let (ini, acc, key) = pair(e, opts(false), e.is_aes());
        for (sender_is_initiator, next) in DIRECTIONS {
            let (sender, receiver) = if sender_is_initiator {
                (&ini, &acc)
            } else {
                (&acc, &ini)
            };
            // A receiver that never saw the MIC: the message after it is a gap.
            let (fresh_ini, fresh_acc) = (
                Session::new(key.clone(), true, e.is_aes(), 1000, 2000, opts(false)),
                Session::new(key.clone(), false, e.is_aes(), 2000, 1000, opts(false)),
            );
            let control = if sender_is_initiator {
                fresh_acc
            } else {
                fresh_ini
            };
            let mic = sign(sender, DER);
            assert_eq!(seq_of(&key, &mic), next);
            assert_eq!(receiver.verify_mech_list_mic(DER, &mic), Ok(()), "{e:?}");
            let m = seal(sender, 0, &[b"after the MIC"]).unwrap();
            assert_eq!(
                unseal(&control, &m.0, &m.1).0,
                Err(Error::OutOfSequence),
                "{e:?}: without the MIC counted the next message is out of sequence"
            );
            assert_eq!(unseal(receiver, &m.0, &m.1).0, Ok(0), "{e:?}");
            // The MIC's number was recorded: as a message it is now a replay.
            assert_eq!(verify(receiver, DER, &mic), Err(Error::OutOfSequence));
            // And a second mechListMIC with the same number is taken without moving anything.
            assert_eq!(receiver.verify_mech_list_mic(DER, &mic), Ok(()));
            let m = seal(sender, 0, &[b"third"]).unwrap();
            assert_eq!(unseal(receiver, &m.0, &m.1).0, Ok(0), "{e:?}");
        }
    }
}

#[test]
fn tampered_mic_is_refused_and_consumes_nothing() {
    for e in etypes() {
        let (ini, acc, key) = pair(e, opts(false), e.is_aes());
        let mic = sign(&acc, DER);
        let sums = checksum_range(e, &mic);
        for bit in 0..mic.len() * 8 {
            let i = bit / 8;
            if !e.is_aes() && (21..25).contains(&i) {
                // RFC 4757: SND_SEQ's number is encrypted but not under SGN_CKSUM; a changed
                // number decrypts to another number, which this rule takes without counting
                // (the final check below shows nothing moved).
                continue;
            }
            let mut t = mic.clone();
            t[i] ^= 1 << (bit % 8);
            let r = ini.verify_mech_list_mic(DER, &t);
            if sums.contains(&i) {
                assert_eq!(r, Err(Error::MessageAltered), "{e:?} bit {bit}");
            } else {
                assert!(
                    matches!(r, Err(Error::MessageAltered | Error::InvalidToken)),
                    "{e:?} bit {bit}: {r:?}"
                );
            }
        }
        let mut der = DER.to_vec();
        der[5] ^= 1;
        assert_eq!(
            ini.verify_mech_list_mic(&der, &mic),
            Err(Error::MessageAltered)
        );
        assert!(ini
            .verify_mech_list_mic(DER, &mic[..mic.len() - 1])
            .is_err());
        // Our own MIC reflected back: wrong direction.
        let own = sign(&ini, DER);
        assert_eq!(
            ini.verify_mech_list_mic(DER, &own),
            Err(Error::MessageAltered),
            "{e:?}"
        );
        // Nothing was consumed: the genuine MIC is counted and the next message verifies.
        assert_eq!(ini.verify_mech_list_mic(DER, &mic), Ok(()), "{e:?}");
        let m = seal(&acc, 0, &[b"next"]).unwrap();
        assert_eq!(seq_of(&key, &sign(&acc, b"x")), 2002);
        assert_eq!(unseal(&ini, &m.0, &m.1).0, Ok(0), "{e:?}");
    }
}
