//! Session security with extended session security (MS-NLMP §3.4): signing and sealing keys,
//! the RC4 handles, MAC, and the SSPI message layouts.
//!
//! Each direction has its own lock. Every operation works on a copy of the RC4 state and
//! sequence number and commits them only on success, so a failed call consumes nothing.

use super::negotiate::{
    NTLMSSP_NEGOTIATE_128, NTLMSSP_NEGOTIATE_56, NTLMSSP_NEGOTIATE_DATAGRAM,
    NTLMSSP_NEGOTIATE_KEY_EXCH, NTLMSSP_NEGOTIATE_SEAL, NTLMSSP_NEGOTIATE_SIGN,
};
use super::ntlmv2::{md5, Key16};
use crate::buffers::SecBuffers;
use crate::ffi::consts::{SECBUFFER_DATA, SECBUFFER_STREAM, SECBUFFER_TOKEN, SECQOP_WRAP_NO_ENCRYPT};
use crate::status::{Error, SecResult};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use md5::Md5;
use parking_lot::Mutex;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Size of NTLMSSP_MESSAGE_SIGNATURE.
pub const SIGNATURE_LEN: usize = 16;

/// RC4. Own implementation because `rc4` 0.1's cipher type is not `Clone`, and rolling back
/// a failed call needs a copy of the state (cross-checked against `rc4` in the tests).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Rc4 {
    s: [u8; 256],
    i: u8,
    j: u8,
}

impl Rc4 {
    /// Key schedule.
    pub fn new(key: &[u8]) -> Self {
        let mut s = [0u8; 256];
        for (i, x) in s.iter_mut().enumerate() {
            *x = i as u8;
        }
        let mut j = 0u8;
        if !key.is_empty() {
            for i in 0..256 {
                j = j.wrapping_add(s[i]).wrapping_add(key[i % key.len()]);
                s.swap(i, j as usize);
            }
        }
        Rc4 { s, i: 0, j: 0 }
    }

    /// XORs the keystream into `data`.
    pub fn apply(&mut self, data: &mut [u8]) {
        for b in data {
            self.i = self.i.wrapping_add(1);
            self.j = self.j.wrapping_add(self.s[self.i as usize]);
            self.s.swap(self.i as usize, self.j as usize);
            let k = self.s[self.i as usize].wrapping_add(self.s[self.j as usize]);
            *b ^= self.s[k as usize];
        }
    }
}

/// A keyed HMAC-MD5 state, cloned per message (no allocation). `hmac` 0.12 has no zeroize
/// support, so Drop replaces it with a zero-keyed instance.
struct SignKey(Hmac<Md5>);

impl Drop for SignKey {
    fn drop(&mut self) {
        self.0 = <Hmac<Md5> as KeyInit>::new(&Default::default());
    }
}

struct Direction {
    sign: SignKey,
    seal_key: Key16,
    rc4: Rc4,
    seq: u32,
}

impl Direction {
    fn new(exported: &[u8; 16], flags: u32, sign_magic: &[u8], seal_magic: &[u8]) -> Self {
        let sign_key = Zeroizing::new(md5(&[exported, sign_magic]));
        let n = if flags & NTLMSSP_NEGOTIATE_128 != 0 {
            16
        } else if flags & NTLMSSP_NEGOTIATE_56 != 0 {
            7
        } else {
            5
        };
        let seal_key = Zeroizing::new(md5(&[&exported[..n], seal_magic]));
        Direction {
            sign: SignKey(<Hmac<Md5> as Mac>::new_from_slice(&sign_key[..]).expect("any key length")),
            rc4: Rc4::new(&seal_key[..]),
            seal_key,
            seq: 0,
        }
    }
}

const CLI_SIGN: &[u8] = b"session key to client-to-server signing key magic constant\0";
const CLI_SEAL: &[u8] = b"session key to client-to-server sealing key magic constant\0";
const SRV_SIGN: &[u8] = b"session key to server-to-client signing key magic constant\0";
const SRV_SEAL: &[u8] = b"session key to server-to-client sealing key magic constant\0";

/// Where the protected bytes are: all DATA buffers, or a STREAM buffer after its signature.
#[derive(Clone, Copy)]
enum Regions {
    Data,
    Stream(usize),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Crypt {
    None,
    Encrypt,
    Decrypt,
}

/// The established session's send and receive state.
pub struct Session {
    send: Mutex<Direction>,
    recv: Mutex<Direction>,
    flags: u32,
}

impl Session {
    /// Derives the four keys (SIGNKEY/SEALKEY, §3.4.5.2–3) from the exported session key.
    pub fn new(exported: &[u8; 16], flags: u32, client: bool) -> Self {
        let c = Direction::new(exported, flags, CLI_SIGN, CLI_SEAL);
        let s = Direction::new(exported, flags, SRV_SIGN, SRV_SEAL);
        let (send, recv) = if client { (c, s) } else { (s, c) };
        Session {
            send: Mutex::new(send),
            recv: Mutex::new(recv),
            flags,
        }
    }

    fn can_sign(&self) -> bool {
        self.flags & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL) != 0
    }

    fn can_seal(&self) -> bool {
        self.flags & NTLMSSP_NEGOTIATE_SEAL != 0
    }

    fn datagram(&self) -> bool {
        self.flags & NTLMSSP_NEGOTIATE_DATAGRAM != 0
    }

    /// EncryptMessage. With SECQOP_WRAP_NO_ENCRYPT the data is only signed (as MakeSignature
    /// does); the peer must check such a message with VerifySignature.
    pub fn seal(&self, qop: u32, msg: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<()> {
        let crypt = match qop {
            0 if self.can_seal() => Crypt::Encrypt,
            SECQOP_WRAP_NO_ENCRYPT if self.can_sign() => Crypt::None,
            _ => return Err(Error::QopNotSupported),
        };
        self.protect(msg, seq_no, crypt)
    }

    /// MakeSignature.
    pub fn make_signature(&self, qop: u32, msg: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<()> {
        if qop != 0 || !self.can_sign() {
            return Err(Error::QopNotSupported);
        }
        self.protect(msg, seq_no, Crypt::None)
    }

    /// DecryptMessage: `[TOKEN, DATA…]` or `[STREAM, DATA]`. The reported QOP is always 0:
    /// a receiver cannot tell a sign-only message from a sealed one.
    pub fn unseal(&self, msg: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<u32> {
        if !self.can_seal() {
            return Err(Error::QopNotSupported);
        }
        self.check(msg, seq_no, Crypt::Decrypt)?;
        Ok(0)
    }

    /// VerifySignature.
    pub fn verify_signature(&self, msg: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<u32> {
        if !self.can_sign() {
            return Err(Error::QopNotSupported);
        }
        self.check(msg, seq_no, Crypt::None)?;
        Ok(0)
    }

    /// The RC4 state and sequence number to use for one message.
    fn begin(&self, d: &Direction, seq_no: u32) -> (Rc4, u32) {
        if self.datagram() {
            // Connectionless: RC4 rekeyed per message with MD5(SealKey ‖ SeqNum) (§3.4).
            let k = Zeroizing::new(md5(&[&d.seal_key[..], &seq_no.to_le_bytes()]));
            (Rc4::new(&k[..]), seq_no)
        } else {
            (d.rc4.clone(), d.seq)
        }
    }

    fn commit(&self, d: &mut Direction, rc4: Rc4) {
        if !self.datagram() {
            d.rc4 = rc4;
            d.seq = d.seq.wrapping_add(1);
        }
    }

    /// Runs the MAC over the sequence number and every region, en/decrypting writable ones,
    /// and returns the (RC4-sealed when KEY_EXCH) checksum.
    fn mac(
        &self,
        d: &Direction,
        rc4: &mut Rc4,
        seq: u32,
        msg: &mut SecBuffers<'_>,
        regions: Regions,
        crypt: Crypt,
    ) -> SecResult<[u8; 8]> {
        let mut mac = d.sign.0.clone();
        mac.update(&seq.to_le_bytes());
        match regions {
            Regions::Data => {
                for i in 0..msg.len() {
                    if msg.kind(i) != SECBUFFER_DATA {
                        continue;
                    }
                    if crypt == Crypt::None || msg.is_readonly(i) {
                        mac.update(msg.bytes(i)?);
                    } else {
                        let b = msg.bytes_mut(i)?;
                        crypt_one(&mut mac, rc4, b, crypt);
                    }
                }
            }
            Regions::Stream(s) => {
                let b = msg.bytes_mut(s)?.get_mut(SIGNATURE_LEN..).ok_or(Error::InvalidToken)?;
                if crypt == Crypt::None {
                    mac.update(b);
                } else {
                    crypt_one(&mut mac, rc4, b, crypt);
                }
            }
        }
        let full = mac.finalize().into_bytes();
        let mut sum = [0u8; 8];
        sum.copy_from_slice(&full[..8]);
        if self.flags & NTLMSSP_NEGOTIATE_KEY_EXCH != 0 {
            rc4.apply(&mut sum);
        }
        Ok(sum)
    }

    /// Checks that every buffer we will touch is readable before anything changes.
    fn validate(msg: &SecBuffers<'_>) -> SecResult<()> {
        if msg.count(SECBUFFER_DATA) == 0 {
            return Err(Error::InvalidToken);
        }
        for i in 0..msg.len() {
            if msg.kind(i) == SECBUFFER_DATA {
                msg.bytes(i)?;
            }
        }
        Ok(())
    }

    fn protect(&self, msg: &mut SecBuffers<'_>, seq_no: u32, crypt: Crypt) -> SecResult<()> {
        let tok = msg.find(SECBUFFER_TOKEN).ok_or(Error::InvalidToken)?;
        Self::validate(msg)?;
        if msg.size(tok) < SIGNATURE_LEN {
            return Err(Error::BufferTooSmall);
        }
        msg.bytes(tok)?;
        let mut d = self.send.lock();
        let (mut rc4, seq) = self.begin(&d, seq_no);
        let sum = self.mac(&d, &mut rc4, seq, msg, Regions::Data, crypt)?;
        let t = msg.bytes_mut(tok)?;
        t[..4].copy_from_slice(&1u32.to_le_bytes());
        t[4..12].copy_from_slice(&sum);
        t[12..16].copy_from_slice(&seq.to_le_bytes());
        msg.set_size(tok, SIGNATURE_LEN)?;
        self.commit(&mut d, rc4);
        Ok(())
    }

    fn check(&self, msg: &mut SecBuffers<'_>, seq_no: u32, crypt: Crypt) -> SecResult<()> {
        let (regions, sig_buf, data_out) = match (msg.find(SECBUFFER_TOKEN), msg.find(SECBUFFER_STREAM)) {
            (Some(t), _) => {
                Self::validate(msg)?;
                (Regions::Data, t, None)
            }
            (None, Some(s)) if crypt == Crypt::Decrypt => {
                let d = msg.find(SECBUFFER_DATA).ok_or(Error::InvalidToken)?;
                (Regions::Stream(s), s, Some(d))
            }
            _ => return Err(Error::InvalidToken),
        };
        let sig: [u8; SIGNATURE_LEN] = msg
            .bytes(sig_buf)?
            .get(..SIGNATURE_LEN)
            .and_then(|s| s.try_into().ok())
            .ok_or(Error::InvalidToken)?;
        if sig[..4] != [1, 0, 0, 0] {
            return Err(Error::MessageAltered);
        }
        let mut d = self.recv.lock();
        let (start, seq) = self.begin(&d, seq_no);
        if sig[12..16] != seq.to_le_bytes() {
            return Err(Error::OutOfSequence);
        }
        let mut rc4 = start.clone();
        let sum = self.mac(&d, &mut rc4, seq, msg, regions, crypt)?;
        if !bool::from(sum.ct_eq(&sig[4..12])) {
            if crypt == Crypt::Decrypt {
                // Re-encrypt so the caller's buffers hold the ciphertext again.
                let mut undo = start;
                self.mac(&d, &mut undo, seq, msg, regions, Crypt::Encrypt)?;
            }
            return Err(Error::MessageAltered);
        }
        self.commit(&mut d, rc4);
        if let (Regions::Stream(s), Some(out)) = (regions, data_out) {
            let n = msg.size(s) - SIGNATURE_LEN;
            msg.point_into(out, SECBUFFER_DATA, s, SIGNATURE_LEN, n)?;
        }
        Ok(())
    }
}

fn crypt_one(mac: &mut Hmac<Md5>, rc4: &mut Rc4, b: &mut [u8], crypt: Crypt) {
    if crypt == Crypt::Encrypt {
        mac.update(b);
        rc4.apply(b);
    } else {
        rc4.apply(b);
        mac.update(b);
    }
}
