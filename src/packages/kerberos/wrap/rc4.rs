//! RFC 4757 §7 per-message tokens for rc4-hmac session keys, GSS-framed (RFC 2743 §3.1:
//! `60 len 06 09 2A864886F7120102 02 inner`).
//!
//! Wrap (§7.3): inner = `02 01 | 11 00 (HMAC) | 10 00 (RC4) or FF FF | FF FF | SND_SEQ(8) |
//! SGN_CKSUM(8) | confounder(8)`, followed by the (encrypted) data and, outside DCE style, one
//! padding byte 01 (RC4's block size is 1; MIT and Heimdal pad, DCE style does not).
//! MIC (§7.2): inner = `01 01 | 11 00 | FF FF FF FF | SND_SEQ(8) | SGN_CKSUM(8)`.
//!
//! `SGN_CKSUM` = the first 8 bytes of hmac-md5 (-138) with usage 13 (wrap; 23 translated) or
//! 15 (MIC) over `inner[0..8] ‖ confounder ‖ data ‖ padding`. `SND_SEQ` = the 32-bit sequence
//! number big-endian ‖ direction (00000000 from the initiator, FFFFFFFF from the acceptor),
//! RC4-encrypted with `HMAC(HMAC(Kss, 0), SGN_CKSUM)`. The confounder, data and padding are
//! RC4-encrypted with `HMAC(HMAC(Kss ⊕ F0, 0), seq big-endian)`.
//!
//! In SSPI, TOKEN holds framing ‖ inner (45 bytes for short messages: the DER length grows
//! with the data, as the framing covers the whole token), DATA is encrypted in place, the
//! padding byte goes into PADDING.

use md5::Digest;
use rc4::{KeyInit, Rc4, StreamCipher};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::consts::*;
use super::{is_writable_data, validate_data, SeqRule, Session};
use crate::buffers::SecBuffers;
use crate::packages::kerberos::crypto::{fill_confounder, rfc4757, Key};
use crate::status::{Error, SecResult};

/// The Kerberos V5 mechanism OID 1.2.840.113554.1.2.2, DER-encoded.
const KRB5_OID: [u8; 11] = [
    0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x12, 0x01, 0x02, 0x02,
];
const WRAP_INNER: usize = 32;
const MIC_INNER: usize = 24;
/// The MIC token: `60 23` ‖ OID ‖ 24-byte inner token.
pub const MIC_TOKEN_LEN: usize = 2 + KRB5_OID.len() + MIC_INNER;
/// The largest wrap header (framing with a 4-byte DER length, OID, inner token).
pub const MAX_WRAP_HEADER_LEN: usize = 1 + 5 + KRB5_OID.len() + WRAP_INNER;

const TOK_WRAP: [u8; 2] = [0x02, 0x01];
const TOK_MIC: [u8; 2] = [0x01, 0x01];
const SGN_ALG_HMAC: [u8; 2] = [0x11, 0x00];
const SEAL_ALG_RC4: [u8; 2] = [0x10, 0x00];
const SEAL_ALG_NONE: [u8; 2] = [0xFF, 0xFF];
/// Key usages of the checksum (before RFC 4757 §3 translation: 23 → 13).
const USAGE_WRAP: u32 = 23;
const USAGE_MIC: u32 = 15;

/// DER length octets of `len` into `out`; returns how many.
fn der_len(len: usize, out: &mut [u8; 5]) -> usize {
    if len < 0x80 {
        out[0] = len as u8;
        return 1;
    }
    let bytes = (len as u32).to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let n = 4 - skip;
    out[0] = 0x80 | n as u8;
    out[1..=n].copy_from_slice(&bytes[skip..]);
    n + 1
}

/// Writes the framing `60 len OID` for `content` bytes after it; returns its length.
fn framing(content: usize, out: &mut [u8]) -> usize {
    let mut l = [0u8; 5];
    let n = der_len(KRB5_OID.len() + content, &mut l);
    out[0] = 0x60;
    out[1..1 + n].copy_from_slice(&l[..n]);
    out[1 + n..1 + n + KRB5_OID.len()].copy_from_slice(&KRB5_OID);
    1 + n + KRB5_OID.len()
}

fn framing_len(content: usize) -> usize {
    let mut l = [0u8; 5];
    1 + der_len(KRB5_OID.len() + content, &mut l) + KRB5_OID.len()
}

/// Parses the framing: the offset of the inner token and the DER length (the caller checks
/// the length against the token's parts: in `[TOKEN, DATA]` it counts bytes that are in DATA).
fn parse_framing(b: &[u8]) -> SecResult<(usize, usize)> {
    if b.first() != Some(&0x60) {
        return Err(Error::InvalidToken);
    }
    let first = *b.get(1).ok_or(Error::InvalidToken)?;
    let (lenlen, len) = if first < 0x80 {
        (1, usize::from(first))
    } else {
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 4 {
            return Err(Error::InvalidToken);
        }
        let bytes = b.get(2..2 + n).ok_or(Error::InvalidToken)?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, &x| (acc << 8) | usize::from(x));
        // Minimal DER: no long form for short lengths, no leading zero.
        if len < 0x80 || bytes[0] == 0 {
            return Err(Error::InvalidToken);
        }
        (1 + n, len)
    };
    let at = 1 + lenlen;
    if b.get(at..at + KRB5_OID.len()) != Some(&KRB5_OID[..]) {
        return Err(Error::InvalidToken);
    }
    Ok((at + KRB5_OID.len(), len))
}

fn hmac_md5(key: &[u8], data: &[u8]) -> Zeroizing<[u8; 16]> {
    rfc4757::hmac_md5(key, &[data])
}

/// RC4 key of the sequence number: `HMAC(HMAC(Kss, 0), SGN_CKSUM)`.
fn seq_key(kss: &[u8], cksum: &[u8]) -> Zeroizing<[u8; 16]> {
    let k = hmac_md5(kss, &0u32.to_le_bytes());
    hmac_md5(&k[..], cksum)
}

/// RC4 key of the data: `HMAC(HMAC(Kss ⊕ F0, 0), seq big-endian)`.
fn data_key(kss: &[u8], seq: u32) -> Zeroizing<[u8; 16]> {
    let mut klocal = Zeroizing::new([0u8; 16]);
    for (l, k) in klocal.iter_mut().zip(kss) {
        *l = k ^ 0xF0;
    }
    let k = hmac_md5(&klocal[..], &0u32.to_le_bytes());
    hmac_md5(&k[..], &seq.to_be_bytes())
}

fn rc4_cipher(key: &[u8; 16]) -> Rc4<rc4::consts::U16> {
    Rc4::<rc4::consts::U16>::new(key.into())
}

/// The data of a message: the DATA buffers (TOKEN form) or a range of STREAM.
#[derive(Clone, Copy)]
enum Body {
    Buffers,
    Stream {
        buf: usize,
        start: usize,
        len: usize,
    },
}

impl Session {
    fn rc4_direction(&self, sender_is_initiator: bool) -> [u8; 4] {
        if sender_is_initiator {
            [0; 4]
        } else {
            [0xFF; 4]
        }
    }

    /// SGN_CKSUM: hmac-md5 over `inner[0..8] ‖ confounder ‖ body ‖ padding`.
    fn rc4_checksum(
        key: &Key,
        usage: u32,
        inner8: &[u8],
        confounder: &[u8],
        msg: &SecBuffers<'_>,
        body: Body,
        padding: &[u8],
    ) -> SecResult<[u8; 8]> {
        let mut h = rfc4757::checksum_begin(usage);
        h.update(inner8);
        h.update(confounder);
        match body {
            Body::Buffers => {
                for i in 0..msg.len() {
                    if msg.kind(i) == SECBUFFER_DATA {
                        h.update(msg.bytes(i)?);
                    }
                }
            }
            Body::Stream { buf, start, len } => {
                h.update(
                    msg.bytes(buf)?
                        .get(start..start + len)
                        .ok_or(Error::InvalidToken)?,
                );
            }
        }
        h.update(padding);
        let full = rfc4757::checksum_end(key.bytes(), h);
        let mut out = [0u8; 8];
        out.copy_from_slice(&full[..8]);
        Ok(out)
    }

    /// Applies the data keystream to the writable body in order.
    fn rc4_crypt_body(
        cipher: &mut Rc4<rc4::consts::U16>,
        msg: &mut SecBuffers<'_>,
        body: Body,
    ) -> SecResult<()> {
        match body {
            Body::Buffers => {
                for i in 0..msg.len() {
                    if is_writable_data(msg, i) {
                        cipher.apply_keystream(msg.bytes_mut(i)?);
                    }
                }
            }
            Body::Stream { buf, start, len } => {
                let b = msg
                    .bytes_mut(buf)?
                    .get_mut(start..start + len)
                    .ok_or(Error::InvalidToken)?;
                cipher.apply_keystream(b);
            }
        }
        Ok(())
    }

    pub(super) fn rc4_wrap(
        &self,
        key: &Key,
        conf: bool,
        msg: &mut SecBuffers<'_>,
    ) -> SecResult<()> {
        let tok = msg.find(SECBUFFER_TOKEN).ok_or(Error::InvalidToken)?;
        validate_data(msg)?;
        let pad_len = if self.opts.dce_style { 0 } else { 1 };
        let pad_buf = match pad_len {
            0 => None,
            _ => Some(
                (0..msg.len())
                    .find(|&i| msg.kind(i) == SECBUFFER_PADDING && msg.size(i) >= 1)
                    .ok_or(Error::BufferTooSmall)?,
            ),
        };
        let n: usize = (0..msg.len())
            .filter(|&i| is_writable_data(msg, i))
            .map(|i| msg.size(i))
            .sum();
        let content = WRAP_INNER + if self.opts.dce_style { 0 } else { n + pad_len };
        let header_len = framing_len(content) + WRAP_INNER;
        if msg.size(tok) < header_len {
            return Err(Error::BufferTooSmall);
        }
        msg.bytes(tok)?;

        let mut send = self.send.0.lock();
        let seq = send.seq as u32;
        let mut inner = [0u8; WRAP_INNER];
        inner[..2].copy_from_slice(&TOK_WRAP);
        inner[2..4].copy_from_slice(&SGN_ALG_HMAC);
        inner[4..6].copy_from_slice(if conf { &SEAL_ALG_RC4 } else { &SEAL_ALG_NONE });
        inner[6..8].copy_from_slice(&[0xFF, 0xFF]);
        let mut confounder = Zeroizing::new([0u8; 8]);
        fill_confounder(&mut confounder[..]);
        let padding = [1u8; 1];
        let padding = &padding[..pad_len];
        let cksum = Self::rc4_checksum(
            key,
            USAGE_WRAP,
            &inner[..8],
            &confounder[..],
            msg,
            Body::Buffers,
            padding,
        )?;
        let mut conf_out = *confounder;
        let mut pad_out = [1u8; 1];
        if conf {
            let k = data_key(key.bytes(), seq);
            let mut cipher = rc4_cipher(&k);
            cipher.apply_keystream(&mut conf_out);
            Self::rc4_crypt_body(&mut cipher, msg, Body::Buffers)?;
            cipher.apply_keystream(&mut pad_out[..pad_len]);
        }
        let mut snd_seq = [0u8; 8];
        snd_seq[..4].copy_from_slice(&seq.to_be_bytes());
        snd_seq[4..].copy_from_slice(&self.rc4_direction(self.initiator));
        rc4_cipher(&seq_key(key.bytes(), &cksum)).apply_keystream(&mut snd_seq);
        inner[8..16].copy_from_slice(&snd_seq);
        inner[16..24].copy_from_slice(&cksum);
        inner[24..32].copy_from_slice(&conf_out);
        zeroize::Zeroize::zeroize(&mut conf_out);

        let t = msg.bytes_mut(tok)?;
        let f = framing(content, t);
        t[f..f + WRAP_INNER].copy_from_slice(&inner);
        msg.set_size(tok, header_len)?;
        for i in 0..msg.len() {
            if msg.kind(i) == SECBUFFER_PADDING {
                if Some(i) == pad_buf {
                    msg.bytes_mut(i)?[0] = pad_out[0];
                    msg.set_size(i, pad_len)?;
                } else {
                    msg.set_size(i, 0)?;
                }
            }
        }
        send.seq = send.seq.wrapping_add(1);
        Ok(())
    }

    /// Decrypts SND_SEQ and checks the direction; the sequence number.
    fn rc4_open_seq(&self, key: &Key, inner: &[u8]) -> SecResult<u32> {
        let mut snd_seq = [0u8; 8];
        snd_seq.copy_from_slice(&inner[8..16]);
        rc4_cipher(&seq_key(key.bytes(), &inner[16..24])).apply_keystream(&mut snd_seq);
        if snd_seq[4..] != self.rc4_direction(!self.initiator) {
            return Err(Error::MessageAltered);
        }
        Ok(u32::from_be_bytes([
            snd_seq[0], snd_seq[1], snd_seq[2], snd_seq[3],
        ]))
    }

    /// DecryptMessage for RC4. A receiver given back the sender's layout, `[TOKEN, DATA…,
    /// PADDING]` with the padding byte in PADDING, has the padding read as the body's last
    /// byte (the PADDING buffer's size drops to 0 once it is removed), as it is on the wire.
    pub(super) fn rc4_unwrap(&self, key: &Key, msg: &mut SecBuffers<'_>) -> SecResult<u32> {
        let pad = match (msg.find(SECBUFFER_TOKEN), msg.find(SECBUFFER_STREAM)) {
            (Some(_), None) => (0..msg.len()).find(|&i| {
                msg.kind(i) == SECBUFFER_PADDING && msg.size(i) > 0 && !msg.is_readonly(i)
            }),
            _ => None,
        };
        let Some(p) = pad else {
            return self.rc4_unwrap_body(key, msg);
        };
        // Only a PADDING after every DATA buffer is part of the body.
        if (p + 1..msg.len()).any(|i| is_writable_data(msg, i)) {
            return self.rc4_unwrap_body(key, msg);
        }
        msg.set_type(p, SECBUFFER_DATA);
        let r = self.rc4_unwrap_body(key, msg);
        msg.set_type(p, SECBUFFER_PADDING);
        r
    }

    fn rc4_unwrap_body(&self, key: &Key, msg: &mut SecBuffers<'_>) -> SecResult<u32> {
        // Locate the token and the body.
        let (hdr_buf, stream_out) = match (msg.find(SECBUFFER_TOKEN), msg.find(SECBUFFER_STREAM)) {
            (Some(t), _) => {
                validate_data(msg)?;
                (t, None)
            }
            (None, Some(s)) => (
                s,
                Some(msg.find(SECBUFFER_DATA).ok_or(Error::InvalidToken)?),
            ),
            _ => return Err(Error::InvalidToken),
        };
        let raw = msg.bytes(hdr_buf)?;
        let (at, der_len) = parse_framing(raw)?;
        let inner: [u8; WRAP_INNER] = raw
            .get(at..at + WRAP_INNER)
            .and_then(|b| b.try_into().ok())
            .ok_or(Error::InvalidToken)?;
        if inner[..2] != TOK_WRAP || inner[2..4] != SGN_ALG_HMAC || inner[6..8] != [0xFF, 0xFF] {
            return Err(Error::InvalidToken);
        }
        let sealed = match [inner[4], inner[5]] {
            SEAL_ALG_RC4 => true,
            SEAL_ALG_NONE => false,
            _ => return Err(Error::InvalidToken),
        };
        let body = match stream_out {
            None => {
                if msg.size(hdr_buf) != at + WRAP_INNER {
                    return Err(Error::InvalidToken);
                }
                Body::Buffers
            }
            Some(_) => Body::Stream {
                buf: hdr_buf,
                start: at + WRAP_INNER,
                len: raw.len() - at - WRAP_INNER,
            },
        };
        let n = match body {
            Body::Buffers => (0..msg.len())
                .filter(|&i| is_writable_data(msg, i))
                .map(|i| msg.size(i))
                .sum(),
            Body::Stream { len, .. } => len,
        };
        let pad_len = if self.opts.dce_style { 0 } else { 1 };
        if n < pad_len {
            return Err(Error::InvalidToken);
        }
        // The framing covers OID ‖ inner ‖ data (DCE style: possibly only OID ‖ inner).
        let header_only = KRB5_OID.len() + WRAP_INNER;
        if der_len != header_only + n && !(self.opts.dce_style && der_len == header_only) {
            return Err(Error::InvalidToken);
        }
        let seq = self.rc4_open_seq(key, &inner)?;
        let mut recv = self.recv.0.lock();
        recv.check(u64::from(seq), &self.opts)?;

        let mut confounder = Zeroizing::new([0u8; 8]);
        confounder.copy_from_slice(&inner[24..32]);
        let dkey = data_key(key.bytes(), seq);
        if sealed {
            let mut cipher = rc4_cipher(&dkey);
            cipher.apply_keystream(&mut confounder[..]);
            Self::rc4_crypt_body(&mut cipher, msg, body)?;
        }
        let undo = |msg: &mut SecBuffers<'_>| -> SecResult<()> {
            if sealed {
                let mut cipher = rc4_cipher(&dkey);
                cipher.apply_keystream(&mut [0u8; 8]);
                Self::rc4_crypt_body(&mut cipher, msg, body)?;
            }
            Ok(())
        };
        // The padding byte is the body's last byte; it is inside the checksummed data.
        let cksum = Self::rc4_checksum(
            key,
            USAGE_WRAP,
            &inner[..8],
            &confounder[..],
            msg,
            body,
            &[],
        )?;
        if !bool::from(cksum.ct_eq(&inner[16..24])) {
            undo(msg)?;
            return Err(Error::MessageAltered);
        }
        // Remove the padding (DCE style has none).
        let mut keep = n;
        if pad_len > 0 {
            let last = match body {
                Body::Buffers => (0..msg.len())
                    .rev()
                    .find(|&i| is_writable_data(msg, i) && msg.size(i) > 0),
                Body::Stream { buf, .. } => Some(buf),
            };
            let p = last
                .and_then(|i| msg.bytes(i).ok()?.last().copied())
                .unwrap_or(0);
            let fits = match (body, last) {
                (Body::Buffers, Some(i)) => usize::from(p) <= msg.size(i),
                _ => usize::from(p) <= n,
            };
            if p == 0 || p > 8 || !fits {
                undo(msg)?;
                return Err(Error::MessageAltered);
            }
            keep = n - usize::from(p);
            if let (Body::Buffers, Some(i)) = (body, last) {
                msg.set_size(i, msg.size(i) - usize::from(p))?;
            }
        }
        if let (Body::Stream { buf, start, .. }, Some(d)) = (body, stream_out) {
            msg.point_into(d, SECBUFFER_DATA, buf, start, keep)?;
        }
        recv.commit(u64::from(seq));
        Ok(if sealed { 0 } else { SECQOP_WRAP_NO_ENCRYPT })
    }

    pub(super) fn rc4_get_mic(&self, key: &Key, msg: &mut SecBuffers<'_>) -> SecResult<()> {
        let tok = msg.find(SECBUFFER_TOKEN).ok_or(Error::InvalidToken)?;
        validate_data(msg)?;
        if msg.size(tok) < MIC_TOKEN_LEN {
            return Err(Error::BufferTooSmall);
        }
        msg.bytes(tok)?;
        let mut send = self.send.0.lock();
        let seq = send.seq as u32;
        let mut inner = [0u8; MIC_INNER];
        inner[..2].copy_from_slice(&TOK_MIC);
        inner[2..4].copy_from_slice(&SGN_ALG_HMAC);
        inner[4..8].copy_from_slice(&[0xFF; 4]);
        let cksum = Self::rc4_checksum(key, USAGE_MIC, &inner[..8], &[], msg, Body::Buffers, &[])?;
        let mut snd_seq = [0u8; 8];
        snd_seq[..4].copy_from_slice(&seq.to_be_bytes());
        snd_seq[4..].copy_from_slice(&self.rc4_direction(self.initiator));
        rc4_cipher(&seq_key(key.bytes(), &cksum)).apply_keystream(&mut snd_seq);
        inner[8..16].copy_from_slice(&snd_seq);
        inner[16..24].copy_from_slice(&cksum);
        let t = msg.bytes_mut(tok)?;
        let f = framing(MIC_INNER, t);
        t[f..f + MIC_INNER].copy_from_slice(&inner);
        msg.set_size(tok, MIC_TOKEN_LEN)?;
        send.seq = send.seq.wrapping_add(1);
        Ok(())
    }

    pub(super) fn rc4_verify_mic(
        &self,
        key: &Key,
        msg: &mut SecBuffers<'_>,
        rule: SeqRule,
    ) -> SecResult<()> {
        let tok = msg.find(SECBUFFER_TOKEN).ok_or(Error::InvalidToken)?;
        validate_data(msg)?;
        let raw = msg.bytes(tok)?;
        let (at, der_len) = parse_framing(raw)?;
        if der_len != KRB5_OID.len() + MIC_INNER {
            return Err(Error::InvalidToken);
        }
        let inner: [u8; MIC_INNER] = raw
            .get(at..at + MIC_INNER)
            .and_then(|b| b.try_into().ok())
            .ok_or(Error::InvalidToken)?;
        if inner[..2] != TOK_MIC || inner[2..4] != SGN_ALG_HMAC || inner[4..8] != [0xFF; 4] {
            return Err(Error::InvalidToken);
        }
        let seq = self.rc4_open_seq(key, &inner)?;
        let mut recv = self.recv.0.lock();
        if rule == SeqRule::Message {
            recv.check(u64::from(seq), &self.opts)?;
        }
        let cksum = Self::rc4_checksum(key, USAGE_MIC, &inner[..8], &[], msg, Body::Buffers, &[])?;
        if !bool::from(cksum.ct_eq(&inner[16..24])) {
            return Err(Error::MessageAltered);
        }
        recv.record(u64::from(seq), rule);
        Ok(())
    }
}

/// The sequence number in an RC4 wrap or MIC token (for tests that meet a peer mid-stream).
#[cfg(test)]
pub(super) fn peek_seq(key: &Key, token: &[u8]) -> Option<u32> {
    let (at, _) = parse_framing(token).ok()?;
    let inner = token.get(at..at + MIC_INNER)?;
    let mut snd_seq = [0u8; 8];
    snd_seq.copy_from_slice(&inner[8..16]);
    rc4_cipher(&seq_key(key.bytes(), &inner[16..24])).apply_keystream(&mut snd_seq);
    Some(u32::from_be_bytes([
        snd_seq[0], snd_seq[1], snd_seq[2], snd_seq[3],
    ]))
}
