//! RFC 4178 §4.2 NegotiationToken and MS-SPNG §2.2 NegTokenInit2, DER on the wire.
//!
//! ```text
//! NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, negTokenResp [1] NegTokenResp }
//! NegTokenInit  ::= SEQUENCE { mechTypes [0] MechTypeList, reqFlags [1] ContextFlags OPTIONAL,
//!                              mechToken [2] OCTET STRING OPTIONAL,
//!                              mechListMIC [3] OCTET STRING OPTIONAL }
//! NegTokenInit2 ::= SEQUENCE { mechTypes [0], reqFlags [1] OPTIONAL, mechToken [2] OPTIONAL,
//!                              negHints [3] NegHints OPTIONAL, mechListMIC [4] OPTIONAL }
//! NegTokenResp  ::= SEQUENCE { negState [0] ENUMERATED OPTIONAL, supportedMech [1] MechType
//!                              OPTIONAL, responseToken [2] OCTET STRING OPTIONAL,
//!                              mechListMIC [3] OCTET STRING OPTIONAL }
//! ```
//! The initiator's first token is framed as an RFC 2743 InitialContextToken with the SPNEGO
//! OID 1.3.6.1.5.5.2 (reusing the Kerberos package's `gss::frame`); later tokens are bare.
//!
//! The decoder is hand-written over the DER TLVs rather than derived with `der` because the
//! mechListMIC is computed over the MechTypeList bytes exactly as received (RFC 4178 §5), which a
//! decode/re-encode round trip would not keep for a non-canonical sender. It borrows from the
//! input, accepts only definite lengths, checks that every TLV fits its parent, and never panics
//! (fuzz target `spnego`).

use crate::packages::kerberos::asn1::gss;

/// DER contents of 1.3.6.1.5.5.2 (SPNEGO).
pub const SPNEGO_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
/// DER contents of 1.3.6.1.4.1.311.2.2.10 (NTLMSSP).
pub const NTLM_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];
/// DER contents of 1.3.6.1.4.1.311.2.2.30 (NEGOEX, MS-NEGOEX; recognised, never selected).
pub const NEGOEX_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x1e];
/// DER contents of 1.2.840.48018.1.2.2 (Microsoft Kerberos 5).
pub const MS_KRB5_OID: &[u8] = gss::MS_KRB5_OID;
/// DER contents of 1.2.840.113554.1.2.2 (Kerberos 5).
pub const KRB5_OID: &[u8] = gss::KRB5_OID;

/// Why a token did not decode (mapped to SEC_E_INVALID_TOKEN by the context).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpnegoError(pub &'static str);

type Result<T> = core::result::Result<T, SpnegoError>;

/// RFC 4178 §4.2.2 negState.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NegState {
    AcceptCompleted = 0,
    AcceptIncomplete = 1,
    Reject = 2,
    RequestMic = 3,
}

/// A decoded NegTokenInit or NegTokenInit2 (borrowed from the input).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NegTokenInit<'a> {
    /// The OIDs of mechTypes (DER contents, no tag/length), in the sender's order.
    pub mech_types: Vec<&'a [u8]>,
    /// The MechTypeList TLV (`30 len …`) exactly as received: what mechListMIC covers.
    pub mech_types_der: &'a [u8],
    /// reqFlags bits, if present (ignored, as Windows does).
    pub req_flags: Option<&'a [u8]>,
    pub mech_token: Option<&'a [u8]>,
    /// NegTokenInit2 negHints.hintName (MS-SPNG §2.2.1), if present.
    pub hint_name: Option<&'a [u8]>,
    pub mech_list_mic: Option<&'a [u8]>,
}

/// A decoded NegTokenResp (borrowed from the input).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NegTokenResp<'a> {
    pub neg_state: Option<NegState>,
    pub supported_mech: Option<&'a [u8]>,
    pub response_token: Option<&'a [u8]>,
    pub mech_list_mic: Option<&'a [u8]>,
}

/// A decoded NegotiationToken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NegotiationToken<'a> {
    Init(NegTokenInit<'a>),
    Resp(NegTokenResp<'a>),
}

/// A TLV: tag byte, contents, and the whole encoding.
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    whole: &'a [u8],
}

/// Reads one TLV from the front of `b`; returns it and the rest. Single-byte tags only (all
/// SPNEGO tags are low numbers), definite lengths of at most 4 length octets.
fn tlv(b: &[u8]) -> Result<(Tlv<'_>, &[u8])> {
    let tag = *b.first().ok_or(SpnegoError("truncated tag"))?;
    if tag & 0x1f == 0x1f {
        return Err(SpnegoError("high tag number"));
    }
    let first = *b.get(1).ok_or(SpnegoError("truncated length"))?;
    let (len, hdr) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 {
            return Err(SpnegoError("indefinite length"));
        }
        if n > 4 {
            return Err(SpnegoError("length too long"));
        }
        let octets = b.get(2..2 + n).ok_or(SpnegoError("truncated length"))?;
        (
            octets.iter().fold(0usize, |a, x| (a << 8) | *x as usize),
            2 + n,
        )
    };
    let end = hdr.checked_add(len).ok_or(SpnegoError("length overflow"))?;
    let whole = b.get(..end).ok_or(SpnegoError("truncated value"))?;
    Ok((
        Tlv {
            tag,
            content: &whole[hdr..],
            whole,
        },
        &b[end..],
    ))
}

/// Reads exactly one TLV spanning all of `b`.
fn only<'a>(b: &'a [u8], tag: u8, what: &'static str) -> Result<&'a [u8]> {
    let (t, rest) = tlv(b)?;
    if t.tag != tag || !rest.is_empty() {
        return Err(SpnegoError(what));
    }
    Ok(t.content)
}

/// An OID's contents: non-empty, last octet ends a sub-identifier.
fn check_oid(o: &[u8]) -> Result<&[u8]> {
    match o.last() {
        Some(l) if l & 0x80 == 0 => Ok(o),
        _ => Err(SpnegoError("bad OID")),
    }
}

/// The context-tagged fields of a SEQUENCE body: `(tag number, explicit contents)` in strictly
/// increasing tag order.
fn fields(body: &[u8]) -> Result<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    let mut rest = body;
    let mut last: Option<u8> = None;
    while !rest.is_empty() {
        let (t, r) = tlv(rest)?;
        if t.tag & 0xe0 != 0xa0 {
            return Err(SpnegoError("field is not [n] constructed"));
        }
        let n = t.tag & 0x1f;
        if last.is_some_and(|l| n <= l) {
            return Err(SpnegoError("fields out of order"));
        }
        last = Some(n);
        out.push((n, t.content));
        rest = r;
    }
    Ok(out)
}

fn octet_string(b: &[u8]) -> Result<&[u8]> {
    only(b, 0x04, "not an OCTET STRING")
}

/// Decodes a NegTokenInit / NegTokenInit2 SEQUENCE (the contents of `[0]`).
fn decode_init(b: &[u8]) -> Result<NegTokenInit<'_>> {
    let body = only(b, 0x30, "NegTokenInit is not a SEQUENCE")?;
    let mut t = NegTokenInit::default();
    let mut seen_types = false;
    for (n, v) in fields(body)? {
        match n {
            0 => {
                let (list, rest) = tlv(v)?;
                if list.tag != 0x30 || !rest.is_empty() {
                    return Err(SpnegoError("mechTypes is not a SEQUENCE"));
                }
                t.mech_types_der = list.whole;
                let mut r = list.content;
                while !r.is_empty() {
                    let (oid, next) = tlv(r)?;
                    if oid.tag != 0x06 {
                        return Err(SpnegoError("mechType is not an OID"));
                    }
                    t.mech_types.push(check_oid(oid.content)?);
                    r = next;
                }
                seen_types = true;
            }
            1 => t.req_flags = Some(only(v, 0x03, "reqFlags is not a BIT STRING")?),
            2 => t.mech_token = Some(octet_string(v)?),
            3 => {
                // NegTokenInit: mechListMIC OCTET STRING; NegTokenInit2: negHints SEQUENCE.
                let (x, rest) = tlv(v)?;
                if !rest.is_empty() {
                    return Err(SpnegoError("trailing bytes in [3]"));
                }
                match x.tag {
                    0x04 => t.mech_list_mic = Some(x.content),
                    0x30 => {
                        for (h, hv) in fields(x.content)? {
                            match h {
                                0 => t.hint_name = Some(only(hv, 0x1b, "hintName")?),
                                1 => {
                                    octet_string(hv)?;
                                }
                                _ => return Err(SpnegoError("unknown negHints field")),
                            }
                        }
                    }
                    _ => return Err(SpnegoError("bad [3] in NegTokenInit")),
                }
            }
            4 if t.mech_list_mic.is_none() => t.mech_list_mic = Some(octet_string(v)?),
            _ => return Err(SpnegoError("unknown NegTokenInit field")),
        }
    }
    if !seen_types || t.mech_types.is_empty() {
        return Err(SpnegoError("no mechTypes"));
    }
    Ok(t)
}

/// Decodes a NegTokenResp SEQUENCE (the contents of `[1]`).
fn decode_resp(b: &[u8]) -> Result<NegTokenResp<'_>> {
    let body = only(b, 0x30, "NegTokenResp is not a SEQUENCE")?;
    let mut t = NegTokenResp::default();
    for (n, v) in fields(body)? {
        match n {
            0 => {
                let e = only(v, 0x0a, "negState is not ENUMERATED")?;
                t.neg_state = Some(match e {
                    [0] => NegState::AcceptCompleted,
                    [1] => NegState::AcceptIncomplete,
                    [2] => NegState::Reject,
                    [3] => NegState::RequestMic,
                    _ => return Err(SpnegoError("unknown negState")),
                });
            }
            1 => t.supported_mech = Some(check_oid(only(v, 0x06, "supportedMech")?)?),
            2 => t.response_token = Some(octet_string(v)?),
            3 => t.mech_list_mic = Some(octet_string(v)?),
            _ => return Err(SpnegoError("unknown NegTokenResp field")),
        }
    }
    Ok(t)
}

/// Whether `token` is an InitialContextToken with the SPNEGO OID.
pub fn is_spnego_initial(token: &[u8]) -> bool {
    matches!(gss::unframe(token), Ok((oid, _)) if oid == SPNEGO_OID)
}

/// Decodes any SPNEGO token: the framed initial NegTokenInit(2), or a bare `[0]`/`[1]` choice.
/// Errors: anything else, trailing bytes, unknown fields, truncation.
pub fn decode(token: &[u8]) -> Result<NegotiationToken<'_>> {
    let inner = match gss::unframe(token) {
        Ok((oid, inner)) if oid == SPNEGO_OID => inner,
        Ok(_) => return Err(SpnegoError("not the SPNEGO OID")),
        Err(_) => token,
    };
    let (choice, rest) = tlv(inner)?;
    if !rest.is_empty() {
        return Err(SpnegoError("trailing bytes"));
    }
    match choice.tag {
        0xa0 => Ok(NegotiationToken::Init(decode_init(choice.content)?)),
        0xa1 => Ok(NegotiationToken::Resp(decode_resp(choice.content)?)),
        _ => Err(SpnegoError("not a NegotiationToken")),
    }
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

fn enc(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    push_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// DER MechTypeList: `30 len (06 len oid)*`. This is what the mechListMIC covers.
pub fn encode_mech_types(mechs: &[&[u8]]) -> Vec<u8> {
    let body: Vec<u8> = mechs.iter().flat_map(|m| enc(0x06, m)).collect();
    enc(0x30, &body)
}

/// The initiator's first token: InitialContextToken(SPNEGO, `[0] NegTokenInit`) with the
/// DER MechTypeList `mech_types_der` (from [`encode_mech_types`]).
pub fn encode_init(
    mech_types_der: &[u8],
    mech_token: Option<&[u8]>,
    mech_list_mic: Option<&[u8]>,
) -> Vec<u8> {
    let mut body = enc(0xa0, mech_types_der);
    if let Some(t) = mech_token {
        body.extend(enc(0xa2, &enc(0x04, t)));
    }
    if let Some(m) = mech_list_mic {
        body.extend(enc(0xa3, &enc(0x04, m)));
    }
    gss::frame(SPNEGO_OID, &enc(0xa0, &enc(0x30, &body)))
}

/// A bare `[1] NegTokenResp`.
pub fn encode_resp(r: &NegTokenResp<'_>) -> Vec<u8> {
    let mut body = Vec::new();
    if let Some(s) = r.neg_state {
        body.extend(enc(0xa0, &enc(0x0a, &[s as u8])));
    }
    if let Some(m) = r.supported_mech {
        body.extend(enc(0xa1, &enc(0x06, m)));
    }
    if let Some(t) = r.response_token {
        body.extend(enc(0xa2, &enc(0x04, t)));
    }
    if let Some(m) = r.mech_list_mic {
        body.extend(enc(0xa3, &enc(0x04, m)));
    }
    enc(0xa1, &enc(0x30, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A NegTokenInit2 as Samba's SMB server sends it in the NEGOTIATE response (pyspnego's
    /// and Samba's hint name "not_defined_in_RFC4178@please_ignore").
    fn init2() -> Vec<u8> {
        let types = encode_mech_types(&[MS_KRB5_OID, KRB5_OID, NTLM_OID]);
        let hint = enc(0xa0, &enc(0x1b, b"not_defined_in_RFC4178@please_ignore"));
        let mut body = enc(0xa0, &types);
        body.extend(enc(0xa3, &enc(0x30, &hint)));
        gss::frame(SPNEGO_OID, &enc(0xa0, &enc(0x30, &body)))
    }

    #[test]
    fn init_round_trip() {
        let types = encode_mech_types(&[MS_KRB5_OID, KRB5_OID, NTLM_OID]);
        let t = encode_init(&types, Some(b"tok"), None);
        let NegotiationToken::Init(i) = decode(&t).unwrap() else {
            panic!("not init")
        };
        assert_eq!(i.mech_types, vec![MS_KRB5_OID, KRB5_OID, NTLM_OID]);
        assert_eq!(i.mech_types_der, &types[..]);
        assert_eq!(i.mech_token, Some(&b"tok"[..]));
        assert_eq!(i.mech_list_mic, None);
        // Windows' first bytes: 60 xx 06 06 2b0601050502 a0 xx 30 xx a0 xx 30 xx 06 09 2a864882f712
        assert_eq!(&t[2..10], &[0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02]);
    }

    #[test]
    fn init2_hint_parses() {
        let t = init2();
        let NegotiationToken::Init(i) = decode(&t).unwrap() else {
            panic!("not init")
        };
        assert_eq!(i.mech_types.len(), 3);
        assert_eq!(
            i.hint_name,
            Some(&b"not_defined_in_RFC4178@please_ignore"[..])
        );
    }

    #[test]
    fn resp_round_trip() {
        let r = NegTokenResp {
            neg_state: Some(NegState::AcceptIncomplete),
            supported_mech: Some(NTLM_OID),
            response_token: Some(b"NTLMSSP\0"),
            mech_list_mic: Some(&[1, 2, 3]),
        };
        let b = encode_resp(&r);
        assert_eq!(decode(&b).unwrap(), NegotiationToken::Resp(r));
        // a1 len 30 len a0 03 0a 01 01 a1 0c 06 0a 2b06...
        assert_eq!(&b[4..9], &[0xa0, 0x03, 0x0a, 0x01, 0x01]);
    }

    #[test]
    fn negoex_and_unknown_mechs_are_listed_not_fatal() {
        let unknown: &[u8] = &[0x2a, 0x03];
        let types = encode_mech_types(&[NEGOEX_OID, unknown, NTLM_OID]);
        let t = encode_init(&types, None, None);
        let NegotiationToken::Init(i) = decode(&t).unwrap() else {
            panic!()
        };
        assert_eq!(i.mech_types, vec![NEGOEX_OID, unknown, NTLM_OID]);
    }

    #[test]
    fn malformed_refused_without_panic() {
        let types = encode_mech_types(&[MS_KRB5_OID, KRB5_OID, NTLM_OID]);
        let good = encode_init(&types, Some(&[0x60; 300]), Some(&[7; 16]));
        for i in 0..good.len() {
            assert!(decode(&good[..i]).is_err(), "prefix {i}");
        }
        let resp = encode_resp(&NegTokenResp {
            neg_state: Some(NegState::AcceptCompleted),
            supported_mech: Some(KRB5_OID),
            response_token: Some(&[1; 200]),
            mech_list_mic: Some(&[2; 28]),
        });
        for i in 0..resp.len() {
            assert!(decode(&resp[..i]).is_err(), "resp prefix {i}");
        }
        // Every single bit flip: decodes or fails, never panics; flips in the framing fail.
        for tok in [&good, &resp] {
            for i in 0..tok.len() * 8 {
                let mut b = tok.to_vec();
                b[i / 8] ^= 1 << (i % 8);
                let _ = decode(&b);
            }
        }
        let mut trailing = resp.clone();
        trailing.push(0);
        assert!(decode(&trailing).is_err());
        // Indefinite length, empty mech list, bad negState, fields out of order.
        assert!(decode(&[0xa1, 0x80, 0x30, 0x00, 0x00, 0x00]).is_err());
        assert!(decode(&gss::frame(SPNEGO_OID, &[0xa0, 4, 0x30, 2, 0xa0, 0])).is_err());
        assert!(decode(&[0xa1, 5, 0x30, 3, 0xa0, 1, 0x0a]).is_err());
        assert!(decode(&[0xa1, 7, 0x30, 5, 0xa0, 3, 0x0a, 1, 9]).is_err());
        assert!(decode(&[0xa1, 8, 0x30, 6, 0xa2, 2, 4, 0, 0xa0, 0]).is_err());
        // An OID whose last octet continues.
        assert!(decode(&encode_init(
            &encode_mech_types(&[&[0x2a, 0x86]]),
            None,
            None
        ))
        .is_err());
        // Another mechanism's framing.
        assert!(decode(&gss::frame(KRB5_OID, &[0xa0, 0])).is_err());
    }
}
