//! RFC 4121 §4.2 tokens for the AES enctypes, in Windows' SSPI layout (MS-KILE §3.4.5.4).
//!
//! Sealed wrap token, as sent: `TOKEN = header ‖ E(filler ‖ header copy) ‖ checksum ‖
//! E(confounder)`, `DATA… = E(data)` in place. That is RFC 4121's
//! `header ‖ rotate-right(E(conf ‖ data ‖ filler ‖ header copy) ‖ checksum, EC + 16 + h)`
//! with the ciphertext's data part left where the caller's DATA buffers are. RRC is
//! `16 + h` (28 for AES-SHA1): outside DCE style EC is 0, so RRC is the full rotation; in DCE
//! style (EC 16) Windows (and Heimdal's `_gssapi_wrap_cfx_iov`, MIT's
//! `kg_unseal_v3_iov` "fixed RRC for DCE") leave EC out of RRC. A receiver therefore rotates
//! by RRC, or RRC + EC when that is what the token length says (`[TOKEN, DATA]`) or the
//! context is DCE style (`[STREAM, DATA]`).
//!
//! Integrity-only wrap token: `TOKEN = header (EC = RRC = h) ‖ checksum`, DATA in clear;
//! the checksum covers `data ‖ header with EC = RRC = 0` (RFC 4121 §4.2.4).
//! MIC token: `header (04 04, flags, FF×5, seq) ‖ HMAC(Kc, data ‖ header)`.

use ring::hmac;
use zeroize::Zeroizing;

use super::consts::*;
use super::{is_writable_data, validate_data, CfxKeys, SeqRule, Session, MAX_SEGS};
use crate::buffers::SecBuffers;
use crate::packages::kerberos::crypto::iov::{cts_decrypt, cts_encrypt, Seg, Stream};
use crate::packages::kerberos::crypto::{fill_confounder, UsageKeys};
use crate::status::{Error, SecResult};

/// Token header length.
pub const HEADER: usize = 16;
/// AES confounder length.
pub const CONFOUNDER: usize = 16;
/// EC in DCE style: one AES block of filler (Heimdal: "k5psize == 0 && DCE_STYLE → block size").
pub const DCE_EC: usize = 16;

const TOK_WRAP: [u8; 2] = [0x05, 0x04];
const TOK_MIC: [u8; 2] = [0x04, 0x04];
const FLAG_SENT_BY_ACCEPTOR: u8 = 0x01;
const FLAG_SEALED: u8 = 0x02;
const FLAG_ACCEPTOR_SUBKEY: u8 = 0x04;

/// Where a received token is.
enum Form {
    /// `[TOKEN, DATA…]`: index of TOKEN.
    Token(usize),
    /// `[STREAM, DATA]`: index of STREAM and of the DATA buffer to point at the plaintext.
    Stream(usize, usize),
}

fn find_form(msg: &SecBuffers<'_>) -> SecResult<Form> {
    if let Some(t) = msg.find(SECBUFFER_TOKEN) {
        validate_data(msg)?;
        msg.bytes(t)?;
        return Ok(Form::Token(t));
    }
    match (msg.find(SECBUFFER_STREAM), msg.find(SECBUFFER_DATA)) {
        (Some(s), Some(d)) => {
            msg.bytes(s)?;
            Ok(Form::Stream(s, d))
        }
        _ => Err(Error::InvalidToken),
    }
}

fn be16(b: &[u8]) -> usize {
    usize::from(u16::from_be_bytes([b[0], b[1]]))
}

/// The HMAC of a sealed message in RFC 3961 order: confounder, then the DATA buffers in
/// order (encrypted ones from the stream, read-only ones as they are), then filler ‖ header
/// copy. With `iv` (RFC 8009) the zero IV comes first. With `data_in_stream` the data is
/// `U[16 .. 16 + n]` (STREAM form) instead of the DATA buffers.
fn sealed_mac(
    key: &hmac::Key,
    s: &Stream<'_, SecBuffers<'_>>,
    n: usize,
    ec: usize,
    iv: bool,
    data_in_stream: bool,
) -> hmac::Tag {
    let mut ctx = hmac::Context::with_key(key);
    if iv {
        ctx.update(&[0u8; 16]);
    }
    s.hmac_update(&mut ctx, 0, CONFOUNDER);
    if data_in_stream {
        s.hmac_update(&mut ctx, CONFOUNDER, n);
    } else {
        let msg = s.regions();
        let mut u = CONFOUNDER;
        for i in 0..msg.len() {
            if msg.kind(i) != SECBUFFER_DATA {
                continue;
            }
            if msg.is_readonly(i) {
                ctx.update(msg.bytes(i).unwrap_or(&[]));
            } else {
                let len = msg.size(i);
                s.hmac_update(&mut ctx, u, len);
                u += len;
            }
        }
    }
    s.hmac_update(&mut ctx, CONFOUNDER + n, ec + HEADER);
    ctx.sign()
}

/// Encrypts `U[0..len]` and appends the RFC 3962 / 8009 integrity tag at `U[len..]`.
fn encrypt_and_mac(
    keys: &UsageKeys,
    s: &mut Stream<'_, SecBuffers<'_>>,
    n: usize,
    ec: usize,
    data_in_stream: bool,
) {
    let len = CONFOUNDER + n + ec + HEADER;
    let tag;
    if keys.mac_over_ciphertext {
        cts_encrypt(&keys.ke, s, len);
        tag = sealed_mac(&keys.ki, s, n, ec, true, data_in_stream);
    } else {
        tag = sealed_mac(&keys.ki, s, n, ec, false, data_in_stream);
        cts_encrypt(&keys.ke, s, len);
    }
    s.write(len, &tag.as_ref()[..keys.mac_len]);
}

/// Verifies and decrypts `U[0..len]` (tag at `U[len..]`); on failure the stream is exactly as
/// it was.
fn decrypt_and_verify(
    keys: &UsageKeys,
    s: &mut Stream<'_, SecBuffers<'_>>,
    n: usize,
    ec: usize,
    data_in_stream: bool,
) -> bool {
    let len = CONFOUNDER + n + ec + HEADER;
    let mut mac = [0u8; 24];
    let mac = &mut mac[..keys.mac_len];
    s.read(len, mac);
    let matches = |tag: hmac::Tag, mac: &[u8]| -> bool {
        subtle::ConstantTimeEq::ct_eq(&tag.as_ref()[..mac.len()], mac).into()
    };
    if keys.mac_over_ciphertext {
        if !matches(sealed_mac(&keys.ki, s, n, ec, true, data_in_stream), mac) {
            return false;
        }
        cts_decrypt(&keys.ke, s, len)
    } else {
        cts_decrypt(&keys.ke, s, len);
        if matches(sealed_mac(&keys.ki, s, n, ec, false, data_in_stream), mac) {
            return true;
        }
        // Restore the ciphertext: CBC-CS3 with a fixed IV is deterministic.
        cts_encrypt(&keys.ke, s, len);
        false
    }
}

impl Session {
    fn cfx_flags(&self) -> u8 {
        (if self.initiator {
            0
        } else {
            FLAG_SENT_BY_ACCEPTOR
        }) | (if self.acceptor_subkey {
            FLAG_ACCEPTOR_SUBKEY
        } else {
            0
        })
    }

    /// Checks the direction and subkey flags of a received token.
    fn cfx_check_flags(&self, flags: u8) -> SecResult<()> {
        let from_acceptor = flags & FLAG_SENT_BY_ACCEPTOR != 0;
        let subkey = flags & FLAG_ACCEPTOR_SUBKEY != 0;
        if from_acceptor != self.initiator || subkey != self.acceptor_subkey {
            return Err(Error::MessageAltered);
        }
        Ok(())
    }

    pub(super) fn cfx_wrap(
        &self,
        k: &CfxKeys,
        conf: bool,
        msg: &mut SecBuffers<'_>,
    ) -> SecResult<()> {
        let tok = msg.find(SECBUFFER_TOKEN).ok_or(Error::InvalidToken)?;
        validate_data(msg)?;
        let h = k.mac_len;
        let ec = if conf && self.opts.dce_style {
            DCE_EC
        } else {
            0
        };
        let need = if conf {
            HEADER + ec + HEADER + h + CONFOUNDER
        } else {
            HEADER + h
        };
        if msg.size(tok) < need {
            return Err(Error::BufferTooSmall);
        }
        msg.bytes(tok)?;

        let mut send = self.send.0.lock();
        let seq = send.seq;
        let mut header = [0u8; HEADER];
        header[..2].copy_from_slice(&TOK_WRAP);
        header[2] = self.cfx_flags() | if conf { FLAG_SEALED } else { 0 };
        header[3] = 0xFF;
        header[8..].copy_from_slice(&seq.to_be_bytes());

        if conf {
            header[4..6].copy_from_slice(&(ec as u16).to_be_bytes());
            let mut segs = [Seg::default(); MAX_SEGS];
            segs[0] = Seg {
                region: tok,
                start: HEADER,
                len: need - HEADER,
            };
            let mut count = 1;
            let mut n = 0;
            for i in 0..msg.len() {
                if is_writable_data(msg, i) && count < MAX_SEGS {
                    segs[count] = Seg {
                        region: i,
                        start: 0,
                        len: msg.size(i),
                    };
                    count += 1;
                    n += msg.size(i);
                }
            }
            let rot = ec + HEADER + h;
            let mut s = Stream::new(msg, &segs[..count], rot);
            let mut confounder = Zeroizing::new([0u8; CONFOUNDER]);
            fill_confounder(&mut confounder[..]);
            s.write(0, &confounder[..]);
            s.write(CONFOUNDER + n, &[0xFF; DCE_EC][..ec]);
            s.write(CONFOUNDER + n + ec, &header); // RRC 0 in the encrypted copy
            encrypt_and_mac(&k.send_seal, &mut s, n, ec, false);
            header[6..8].copy_from_slice(&((HEADER + h) as u16).to_be_bytes());
        } else {
            // Checksum over data ‖ header with EC = RRC = 0.
            let mut ctx = hmac::Context::with_key(&k.send_seal.kc);
            for i in 0..msg.len() {
                if msg.kind(i) == SECBUFFER_DATA {
                    ctx.update(msg.bytes(i)?);
                }
            }
            ctx.update(&header);
            let tag = ctx.sign();
            header[4..6].copy_from_slice(&(h as u16).to_be_bytes());
            header[6..8].copy_from_slice(&(h as u16).to_be_bytes());
            msg.bytes_mut(tok)?[HEADER..HEADER + h].copy_from_slice(&tag.as_ref()[..h]);
        }
        msg.bytes_mut(tok)?[..HEADER].copy_from_slice(&header);
        msg.set_size(tok, need)?;
        for i in 0..msg.len() {
            if msg.kind(i) == SECBUFFER_PADDING {
                msg.set_size(i, 0)?;
            }
        }
        send.seq = send.seq.wrapping_add(1);
        Ok(())
    }

    pub(super) fn cfx_unwrap(&self, k: &CfxKeys, msg: &mut SecBuffers<'_>) -> SecResult<u32> {
        let form = find_form(msg)?;
        let hdr_buf = match form {
            Form::Token(t) => t,
            Form::Stream(s, _) => s,
        };
        let header: [u8; HEADER] = msg
            .bytes(hdr_buf)?
            .get(..HEADER)
            .and_then(|b| b.try_into().ok())
            .ok_or(Error::InvalidToken)?;
        if header[..2] != TOK_WRAP || header[3] != 0xFF {
            return Err(Error::InvalidToken);
        }
        self.cfx_check_flags(header[2])?;
        let ec = be16(&header[4..6]);
        let rrc = be16(&header[6..8]);
        let seq = u64::from_be_bytes(header[8..16].try_into().map_err(|_| Error::InvalidToken)?);
        let h = k.mac_len;

        let mut recv = self.recv.0.lock();
        recv.check(seq, &self.opts)?;
        let sealed = header[2] & FLAG_SEALED != 0;
        let qop = if sealed {
            self.cfx_unwrap_sealed(k, msg, &form, &header, ec, rrc)?;
            0
        } else {
            if ec != h {
                return Err(Error::InvalidToken);
            }
            self.cfx_unwrap_integrity(k, msg, &form, &header, rrc)?;
            SECQOP_WRAP_NO_ENCRYPT
        };
        recv.commit(seq);
        Ok(qop)
    }

    fn cfx_unwrap_sealed(
        &self,
        k: &CfxKeys,
        msg: &mut SecBuffers<'_>,
        form: &Form,
        header: &[u8; HEADER],
        ec: usize,
        rrc: usize,
    ) -> SecResult<()> {
        let h = k.mac_len;
        let trailer = ec + HEADER + h; // filler ‖ header copy ‖ checksum
        let mut segs = [Seg::default(); MAX_SEGS];
        let (count, n, rot, in_stream) = match *form {
            Form::Token(t) => {
                // TOKEN holds exactly the rotated trailer and the confounder.
                if msg.size(t) != HEADER + trailer + CONFOUNDER
                    || (rrc != trailer && rrc != HEADER + h)
                {
                    return Err(Error::InvalidToken);
                }
                segs[0] = Seg {
                    region: t,
                    start: HEADER,
                    len: trailer + CONFOUNDER,
                };
                let mut count = 1;
                let mut n = 0;
                for i in 0..msg.len() {
                    if is_writable_data(msg, i) && count < MAX_SEGS {
                        segs[count] = Seg {
                            region: i,
                            start: 0,
                            len: msg.size(i),
                        };
                        count += 1;
                        n += msg.size(i);
                    }
                }
                (count, n, trailer, false)
            }
            Form::Stream(s, _) => {
                let total = msg.size(s) - HEADER;
                if total < CONFOUNDER + trailer {
                    return Err(Error::InvalidToken);
                }
                segs[0] = Seg {
                    region: s,
                    start: HEADER,
                    len: total,
                };
                let rot = rrc + if self.opts.dce_style { ec } else { 0 };
                (1, total - CONFOUNDER - trailer, rot, true)
            }
        };
        let mut s = Stream::new(msg, &segs[..count], rot);
        if !decrypt_and_verify(&k.recv_seal, &mut s, n, ec, in_stream) {
            return Err(Error::MessageAltered);
        }
        // The encrypted header copy must match the header, RRC aside (it is 0 in the copy).
        // EC is compared too (Heimdal does; MIT does not): otherwise the boundary between
        // data and filler would be unauthenticated.
        let mut copy = [0u8; HEADER];
        s.read(CONFOUNDER + n + ec, &mut copy);
        if copy[..6] != header[..6] || copy[8..] != header[8..] {
            encrypt_and_mac(&k.recv_seal, &mut s, n, ec, in_stream);
            return Err(Error::MessageAltered);
        }
        if let Form::Stream(st, d) = *form {
            // Move the plaintext into place: un-rotate the stream (no allocation), then point
            // DATA at it.
            let total = msg.size(st) - HEADER;
            let body = &mut msg.bytes_mut(st)?[HEADER..];
            body.rotate_left(rot % total.max(1));
            msg.point_into(d, SECBUFFER_DATA, st, HEADER + CONFOUNDER, n)?;
        }
        Ok(())
    }

    fn cfx_unwrap_integrity(
        &self,
        k: &CfxKeys,
        msg: &mut SecBuffers<'_>,
        form: &Form,
        header: &[u8; HEADER],
        rrc: usize,
    ) -> SecResult<()> {
        let h = k.mac_len;
        let mut zeroed = *header;
        zeroed[4..8].fill(0);
        let mut ctx = hmac::Context::with_key(&k.recv_seal.kc);
        let mut mac = [0u8; 24];
        let mac = &mut mac[..h];
        match *form {
            Form::Token(t) => {
                if msg.size(t) != HEADER + h || rrc != h {
                    return Err(Error::InvalidToken);
                }
                mac.copy_from_slice(&msg.bytes(t)?[HEADER..HEADER + h]);
                for i in 0..msg.len() {
                    if msg.kind(i) == SECBUFFER_DATA {
                        ctx.update(msg.bytes(i)?);
                    }
                }
                ctx.update(&zeroed);
                if !bool::from(subtle::ConstantTimeEq::ct_eq(
                    &ctx.sign().as_ref()[..h],
                    &mac[..],
                )) {
                    return Err(Error::MessageAltered);
                }
            }
            Form::Stream(st, d) => {
                let total = msg.size(st) - HEADER;
                if total < h {
                    return Err(Error::InvalidToken);
                }
                let n = total - h;
                let segs = [Seg {
                    region: st,
                    start: HEADER,
                    len: total,
                }];
                let s = Stream::new(msg, &segs, rrc);
                s.hmac_update(&mut ctx, 0, n);
                s.read(n, mac);
                ctx.update(&zeroed);
                if !bool::from(subtle::ConstantTimeEq::ct_eq(
                    &ctx.sign().as_ref()[..h],
                    &mac[..],
                )) {
                    return Err(Error::MessageAltered);
                }
                msg.bytes_mut(st)?[HEADER..].rotate_left(rrc % total.max(1));
                msg.point_into(d, SECBUFFER_DATA, st, HEADER, n)?;
            }
        }
        Ok(())
    }

    fn mic_header(&self, seq: u64) -> [u8; HEADER] {
        let mut header = [0xFFu8; HEADER];
        header[..2].copy_from_slice(&TOK_MIC);
        header[2] = self.cfx_flags();
        header[8..].copy_from_slice(&seq.to_be_bytes());
        header
    }

    fn mic_checksum(
        keys: &UsageKeys,
        msg: &SecBuffers<'_>,
        header: &[u8; HEADER],
    ) -> SecResult<hmac::Tag> {
        let mut ctx = hmac::Context::with_key(&keys.kc);
        for i in 0..msg.len() {
            if msg.kind(i) == SECBUFFER_DATA {
                ctx.update(msg.bytes(i)?);
            }
        }
        ctx.update(header);
        Ok(ctx.sign())
    }

    pub(super) fn cfx_get_mic(&self, k: &CfxKeys, msg: &mut SecBuffers<'_>) -> SecResult<()> {
        let tok = msg.find(SECBUFFER_TOKEN).ok_or(Error::InvalidToken)?;
        validate_data(msg)?;
        let need = HEADER + k.mac_len;
        if msg.size(tok) < need {
            return Err(Error::BufferTooSmall);
        }
        msg.bytes(tok)?;
        let mut send = self.send.0.lock();
        let header = self.mic_header(send.seq);
        let tag = Self::mic_checksum(&k.send_sign, msg, &header)?;
        let t = msg.bytes_mut(tok)?;
        t[..HEADER].copy_from_slice(&header);
        t[HEADER..need].copy_from_slice(&tag.as_ref()[..k.mac_len]);
        msg.set_size(tok, need)?;
        send.seq = send.seq.wrapping_add(1);
        Ok(())
    }

    pub(super) fn cfx_verify_mic(
        &self,
        k: &CfxKeys,
        msg: &mut SecBuffers<'_>,
        rule: SeqRule,
    ) -> SecResult<()> {
        let tok = msg.find(SECBUFFER_TOKEN).ok_or(Error::InvalidToken)?;
        validate_data(msg)?;
        let need = HEADER + k.mac_len;
        let token = msg.bytes(tok)?;
        let header: [u8; HEADER] = token
            .get(..HEADER)
            .and_then(|b| b.try_into().ok())
            .ok_or(Error::InvalidToken)?;
        let mut mac = [0u8; 24];
        let mac = &mut mac[..k.mac_len];
        mac.copy_from_slice(token.get(HEADER..need).ok_or(Error::InvalidToken)?);
        if header[..2] != TOK_MIC || header[3..8] != [0xFF; 5] {
            return Err(Error::InvalidToken);
        }
        self.cfx_check_flags(header[2])?;
        let seq = u64::from_be_bytes(header[8..16].try_into().map_err(|_| Error::InvalidToken)?);
        let mut recv = self.recv.0.lock();
        if rule == SeqRule::Message {
            recv.check(seq, &self.opts)?;
        }
        let tag = Self::mic_checksum(&k.recv_sign, msg, &header)?;
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            &tag.as_ref()[..k.mac_len],
            &mac[..],
        )) {
            return Err(Error::MessageAltered);
        }
        recv.record(seq, rule);
        Ok(())
    }
}
