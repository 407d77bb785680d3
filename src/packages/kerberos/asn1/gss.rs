//! GSS-API framing of Kerberos tokens: RFC 2743 §3.1 InitialContextToken
//! `[APPLICATION 0] IMPLICIT SEQUENCE { thisMech MechType, innerToken ANY }` whose inner token,
//! for the Kerberos mechanism, is a 2-byte TOK_ID followed by the Kerberos message
//! (RFC 4121 §4.1: 01 00 AP-REQ, 02 00 AP-REP, 03 00 KRB-ERROR).
//!
//! Windows uses this framing on every Kerberos context token (AP-REP and KRB-ERROR included),
//! except under ISC_REQ_USE_DCE_STYLE where the bare messages are exchanged (MS-KILE §3.4.5.1).

use super::Asn1Error;

/// DER contents of OID 1.2.840.113554.1.2.2 (the RFC 1964 / RFC 4121 krb5 mechanism).
pub const KRB5_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
/// DER contents of OID 1.2.840.48018.1.2.2 (the Microsoft "MS KRB5" mechanism of Windows 2000).
pub const MS_KRB5_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];
/// DER contents of OID 1.2.840.113554.1.2.2.3 (krb5 user-to-user, RFC 4121 §4.1 of RFC 2743 use).
pub const KRB5_U2U_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x03];

/// RFC 4121 §4.1 TOK_ID values (big-endian on the wire).
pub const TOK_ID_AP_REQ: [u8; 2] = [0x01, 0x00];
pub const TOK_ID_AP_REP: [u8; 2] = [0x02, 0x00];
pub const TOK_ID_KRB_ERROR: [u8; 2] = [0x03, 0x00];
/// TOK_ID of a user-to-user TGT request (RFC 4121 §4.1 / draft-swift-win2k-krb-user2user).
pub const TOK_ID_TGT_REQ: [u8; 2] = [0x04, 0x00];

/// The mechanism of an InitialContextToken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mech {
    /// 1.2.840.113554.1.2.2
    Krb5,
    /// 1.2.840.48018.1.2.2
    MsKrb5,
    /// 1.2.840.113554.1.2.2.3
    Krb5User2User,
}

impl Mech {
    /// The DER contents of the OID.
    pub fn oid(self) -> &'static [u8] {
        match self {
            Mech::Krb5 => KRB5_OID,
            Mech::MsKrb5 => MS_KRB5_OID,
            Mech::Krb5User2User => KRB5_U2U_OID,
        }
    }

    fn from_oid(oid: &[u8]) -> Option<Mech> {
        [Mech::Krb5, Mech::MsKrb5, Mech::Krb5User2User]
            .into_iter()
            .find(|m| m.oid() == oid)
    }
}

/// A parsed InitialContextToken: the mechanism, the TOK_ID and the Kerberos message bytes
/// (borrowed from the input).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitialContextToken<'a> {
    pub mech: Mech,
    pub tok_id: [u8; 2],
    pub message: &'a [u8],
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u64).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (8 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Reads a DER length at `b[0..]`: (length, bytes used). Definite lengths only, at most 4
/// length octets.
fn read_len(b: &[u8]) -> Option<(usize, usize)> {
    let first = *b.first()?;
    if first < 0x80 {
        return Some((first as usize, 1));
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 || b.len() < 1 + n {
        return None;
    }
    let len = b[1..=n]
        .iter()
        .fold(0usize, |acc, x| (acc << 8) | *x as usize);
    Some((len, 1 + n))
}

/// RFC 2743 §3.1 framing for any mechanism: `60 len 06 len OID inner` (SPNEGO uses it with
/// 1.3.6.1.5.5.2 around its NegTokenInit).
pub fn frame(oid: &[u8], inner: &[u8]) -> Vec<u8> {
    let inner_len = 2 + oid.len() + inner.len();
    let mut out = Vec::with_capacity(inner_len + 6);
    out.push(0x60);
    push_len(&mut out, inner_len);
    out.push(0x06);
    out.push(oid.len() as u8);
    out.extend_from_slice(oid);
    out.extend_from_slice(inner);
    out
}

/// Splits an RFC 2743 §3.1 InitialContextToken into (thisMech OID contents, innerToken). The
/// outer length must match the input exactly. Errors: not `0x60`, a bad length, no OID.
pub fn unframe(token: &[u8]) -> Result<(&[u8], &[u8]), Asn1Error> {
    let err = |d: &str| Asn1Error::new("InitialContextToken", d);
    if token.first() != Some(&0x60) {
        return Err(err("not [APPLICATION 0]"));
    }
    let (len, used) = read_len(&token[1..]).ok_or_else(|| err("bad length"))?;
    let body = &token[1 + used..];
    if body.len() != len {
        return Err(err("length does not match the token"));
    }
    if body.first() != Some(&0x06) {
        return Err(err("thisMech is not an OID"));
    }
    let (oid_len, used) = read_len(&body[1..]).ok_or_else(|| err("bad OID length"))?;
    let rest = &body[1 + used..];
    if oid_len == 0 || rest.len() < oid_len {
        return Err(err("truncated"));
    }
    Ok((&rest[..oid_len], &rest[oid_len..]))
}

/// Frames `message` (a DER AP-REQ, AP-REP or KRB-ERROR) as an InitialContextToken:
/// `60 len 06 len OID TOK_ID message`.
pub fn encode_initial_context_token(mech: Mech, tok_id: [u8; 2], message: &[u8]) -> Vec<u8> {
    let mut inner = Vec::with_capacity(2 + message.len());
    inner.extend_from_slice(&tok_id);
    inner.extend_from_slice(message);
    frame(mech.oid(), &inner)
}

/// Parses an InitialContextToken of one of the Kerberos mechanisms. The outer length must
/// match the input exactly. Errors: not `0x60`, a bad length, another mechanism, or no TOK_ID.
pub fn parse_initial_context_token(token: &[u8]) -> Result<InitialContextToken<'_>, Asn1Error> {
    let err = |d: &str| Asn1Error::new("InitialContextToken", d);
    let (oid, rest) = unframe(token)?;
    let mech = Mech::from_oid(oid).ok_or_else(|| err("not a Kerberos mechanism"))?;
    if rest.len() < 2 {
        return Err(err("truncated"));
    }
    Ok(InitialContextToken {
        mech,
        tok_id: [rest[0], rest[1]],
        message: &rest[2..],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_short_and_long() {
        for n in [0usize, 10, 117, 118, 200, 300, 70_000] {
            let msg = vec![0xa5u8; n];
            for mech in [Mech::Krb5, Mech::MsKrb5] {
                let t = encode_initial_context_token(mech, TOK_ID_AP_REQ, &msg);
                let p = parse_initial_context_token(&t).unwrap();
                assert_eq!(p.mech, mech);
                assert_eq!(p.tok_id, TOK_ID_AP_REQ);
                assert_eq!(p.message, &msg[..]);
            }
        }
    }

    #[test]
    fn known_prefix() {
        // 60 0d 06 09 2a864886f712010202 0100 + 0 bytes
        let t = encode_initial_context_token(Mech::Krb5, TOK_ID_AP_REQ, &[]);
        assert_eq!(
            t,
            [0x60, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 1, 0]
        );
    }

    #[test]
    fn rejects_bad_input_without_panic() {
        let good = encode_initial_context_token(Mech::Krb5, TOK_ID_AP_REP, b"abc");
        for i in 0..good.len() {
            assert!(
                parse_initial_context_token(&good[..i]).is_err(),
                "prefix {i}"
            );
        }
        let mut spnego = good.clone();
        spnego[4] = 0x2b; // another OID
        assert!(parse_initial_context_token(&spnego).is_err());
        assert!(parse_initial_context_token(&[0x60, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(parse_initial_context_token(&[0x60, 0x85, 1, 1, 1, 1, 1]).is_err());
    }
}
