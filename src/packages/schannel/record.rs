//! The TLS record layer after the handshake: AEAD records sealed and opened in place with
//! ring, keys from rustls (`dangerous_into_kernel_connection`).
#![deny(unsafe_code)] // (one test reads a key's bytes)

use crate::status::{Error, SecResult};
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use rustls::ConnectionTrafficSecrets;
use zeroize::Zeroizing;

/// Record header length.
pub const HEADER: usize = 5;
/// AEAD tag length (all suites here).
pub const TAG: usize = 16;
/// Largest plaintext of one record.
pub const MAX_PLAINTEXT: usize = 16384;

pub const CT_CHANGE_CIPHER_SPEC: u8 = 20;
pub const CT_ALERT: u8 = 21;
pub const CT_HANDSHAKE: u8 = 22;
pub const CT_APPLICATION_DATA: u8 = 23;

/// TLS version of the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Tls12,
    Tls13,
}

impl Version {
    /// The protocol version as on the wire (ProtocolVersion, RFC 8446 §4.1.2).
    pub fn wire(self) -> u16 {
        match self {
            Version::Tls12 => 0x0303,
            Version::Tls13 => 0x0304,
        }
    }
}

/// One direction's key, IV and sequence number.
pub struct Keys {
    key: LessSafeKey,
    iv: Zeroizing<[u8; 12]>,
    /// TLS 1.2 AES-GCM: an 8-byte explicit nonce travels in each record.
    explicit_nonce: bool,
    pub seq: u64,
}

impl Keys {
    /// Builds keys from rustls's extracted secrets.
    pub fn new(version: Version, seq: u64, secrets: ConnectionTrafficSecrets) -> SecResult<Self> {
        let (alg, key, iv, gcm) = match &secrets {
            ConnectionTrafficSecrets::Aes128Gcm { key, iv } => {
                (&aead::AES_128_GCM, key.as_ref(), iv.as_ref(), true)
            }
            ConnectionTrafficSecrets::Aes256Gcm { key, iv } => {
                (&aead::AES_256_GCM, key.as_ref(), iv.as_ref(), true)
            }
            ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv } => {
                (&aead::CHACHA20_POLY1305, key.as_ref(), iv.as_ref(), false)
            }
            _ => return Err(Error::AlgorithmMismatch),
        };
        let key = UnboundKey::new(alg, key).map_err(|_| Error::InternalError)?;
        let mut ivb = Zeroizing::new([0u8; 12]);
        if iv.len() != 12 {
            return Err(Error::InternalError);
        }
        ivb.copy_from_slice(iv);
        Ok(Keys {
            key: LessSafeKey::new(key),
            iv: ivb,
            explicit_nonce: gcm && version == Version::Tls12,
            seq,
        })
    }

    /// Overwrites the key schedule in place. ring keeps it inline in the key and has no
    /// zeroize: an AES-256-GCM key of zeros (the largest variant, so it also covers a shorter
    /// ChaCha20 key and the bytes after it) takes its place.
    fn wipe(&mut self) {
        if let Ok(k) = UnboundKey::new(&aead::AES_256_GCM, &[0u8; 32]) {
            self.key = LessSafeKey::new(k);
            // Keeps the store from being dropped as dead.
            std::hint::black_box(&self.key);
        }
        self.seq = 0;
    }

    /// Bytes before the plaintext in a record (header and explicit nonce).
    pub fn header_len(&self) -> usize {
        HEADER + if self.explicit_nonce { 8 } else { 0 }
    }

    fn nonce(&self, seq: u64) -> [u8; 12] {
        let mut n = *self.iv;
        for (b, s) in n[4..].iter_mut().zip(seq.to_be_bytes()) {
            *b ^= s;
        }
        n
    }
}

impl Drop for Keys {
    fn drop(&mut self) {
        self.wipe();
    }
}

/// Writes the record header for `len` bytes of body.
fn record_header(content_type: u8, len: usize) -> [u8; HEADER] {
    let l = (len as u16).to_be_bytes();
    [content_type, 3, 3, l[0], l[1]]
}

/// A record sealed in parts: the caller writes `header` before the plaintext and `tag`
/// after it (TLS 1.3 puts the inner content type between them).
pub struct SealedParts {
    pub header: [u8; 13],
    pub header_len: usize,
}

/// Seals a TLS 1.2 record: encrypts `data` in place, returns the header and writes the
/// tag into `tag`.
pub fn seal12(
    keys: &mut Keys,
    content_type: u8,
    data: &mut [u8],
    tag: &mut [u8],
) -> SecResult<SealedParts> {
    if tag.len() < TAG {
        return Err(Error::BufferTooSmall);
    }
    let seq = keys.seq;
    let mut aad = [0u8; 13];
    aad[..8].copy_from_slice(&seq.to_be_bytes());
    aad[8..].copy_from_slice(&record_header(content_type, data.len()));
    let mut header = [0u8; 13];
    let nonce = if keys.explicit_nonce {
        // Salt from the key block, explicit part = sequence number (unique per key).
        let mut n = *keys.iv;
        n[4..].copy_from_slice(&seq.to_be_bytes());
        header[HEADER..].copy_from_slice(&seq.to_be_bytes());
        n
    } else {
        keys.nonce(seq)
    };
    let header_len = keys.header_len();
    header[..HEADER].copy_from_slice(&record_header(
        content_type,
        header_len - HEADER + data.len() + TAG,
    ));
    let t = keys
        .key
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), data)
        .map_err(|_| Error::EncryptFailure)?;
    tag[..TAG].copy_from_slice(t.as_ref());
    keys.seq = seq.wrapping_add(1);
    Ok(SealedParts { header, header_len })
}

/// Seals a TLS 1.3 record in place: `inner` holds the plaintext followed by one byte that
/// receives the content type; the tag goes to `tag`. Returns the header.
pub fn seal13(
    keys: &mut Keys,
    content_type: u8,
    inner: &mut [u8],
    tag: &mut [u8],
) -> SecResult<[u8; HEADER]> {
    if tag.len() < TAG || inner.is_empty() {
        return Err(Error::BufferTooSmall);
    }
    let last = inner.len() - 1;
    inner[last] = content_type;
    let header = record_header(CT_APPLICATION_DATA, inner.len() + TAG);
    let nonce = keys.nonce(keys.seq);
    let t = keys
        .key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(header),
            inner,
        )
        .map_err(|_| Error::EncryptFailure)?;
    tag[..TAG].copy_from_slice(t.as_ref());
    keys.seq = keys.seq.wrapping_add(1);
    Ok(header)
}

/// Seals a whole record into a new Vec (handshake-time messages: alerts, KeyUpdate).
pub fn seal_to_vec(
    keys: &mut Keys,
    version: Version,
    content_type: u8,
    body: &[u8],
) -> SecResult<Vec<u8>> {
    let mut out = Vec::with_capacity(HEADER + 8 + body.len() + 1 + TAG);
    let mut tag = [0u8; TAG];
    match version {
        Version::Tls12 => {
            let mut data = body.to_vec();
            let p = seal12(keys, content_type, &mut data, &mut tag)?;
            out.extend_from_slice(&p.header[..p.header_len]);
            out.extend_from_slice(&data);
        }
        Version::Tls13 => {
            let mut inner = body.to_vec();
            inner.push(0);
            let h = seal13(keys, content_type, &mut inner, &mut tag)?;
            out.extend_from_slice(&h);
            out.extend_from_slice(&inner);
        }
    }
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Length of the first record in `buf`: `Ok(n)` when complete, `Err(missing)` otherwise.
pub fn record_len(buf: &[u8]) -> Result<usize, usize> {
    if buf.len() < HEADER {
        return Err(HEADER - buf.len());
    }
    let n = HEADER + u16::from_be_bytes([buf[3], buf[4]]) as usize;
    if buf.len() < n {
        Err(n - buf.len())
    } else {
        Ok(n)
    }
}

/// An opened record: the content type and where the plaintext lies in the record.
#[derive(Debug)]
pub struct Opened {
    pub content_type: u8,
    pub start: usize,
    pub len: usize,
}

/// Opens `rec` with sequence number `seq`, leaving the keys' own sequence number alone
/// (re-reading a handshake record after the keys moved on).
pub fn open_at(keys: &mut Keys, version: Version, rec: &mut [u8], seq: u64) -> SecResult<Opened> {
    let saved = keys.seq;
    keys.seq = seq;
    let r = open(keys, version, rec);
    keys.seq = saved;
    r
}

/// The first encrypted handshake record of a TLS 1.2 flight: the one after ChangeCipherSpec.
pub fn first_after_ccs(mut flight: &[u8]) -> Option<&[u8]> {
    let mut after_ccs = false;
    while let Ok(n) = record_len(flight) {
        let (rec, rest) = flight.split_at(n);
        if after_ccs && rec[0] == CT_HANDSHAKE {
            return Some(rec);
        }
        after_ccs |= rec[0] == CT_CHANGE_CIPHER_SPEC;
        flight = rest;
    }
    None
}

/// Opens the complete record `rec` in place.
pub fn open(keys: &mut Keys, version: Version, rec: &mut [u8]) -> SecResult<Opened> {
    if rec.len() < HEADER {
        return Err(Error::IncompleteMessage);
    }
    let outer = rec[0];
    if rec[1] != 3 {
        return Err(Error::IllegalMessage);
    }
    let seq = keys.seq;
    let r = match version {
        Version::Tls12 => {
            let hl = keys.header_len();
            if rec.len() < hl + TAG {
                return Err(Error::DecryptFailure);
            }
            let nonce = if keys.explicit_nonce {
                let mut n = *keys.iv;
                n[4..].copy_from_slice(&rec[HEADER..hl]);
                n
            } else {
                keys.nonce(seq)
            };
            let pt_len = rec.len() - hl - TAG;
            let mut aad = [0u8; 13];
            aad[..8].copy_from_slice(&seq.to_be_bytes());
            aad[8..].copy_from_slice(&record_header(outer, pt_len));
            aad[9] = rec[1];
            aad[10] = rec[2];
            keys.key
                .open_in_place(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(aad),
                    &mut rec[hl..],
                )
                .map_err(|_| Error::DecryptFailure)?;
            Opened {
                content_type: outer,
                start: hl,
                len: pt_len,
            }
        }
        Version::Tls13 => {
            if outer != CT_APPLICATION_DATA || rec.len() < HEADER + 1 + TAG {
                return Err(Error::IllegalMessage);
            }
            let mut aad = [0u8; HEADER];
            aad.copy_from_slice(&rec[..HEADER]);
            let nonce = keys.nonce(seq);
            let pt = keys
                .key
                .open_in_place(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(aad),
                    &mut rec[HEADER..],
                )
                .map_err(|_| Error::DecryptFailure)?;
            // Inner plaintext: content, type, zero padding.
            let Some(pos) = pt.iter().rposition(|&b| b != 0) else {
                return Err(Error::IllegalMessage);
            };
            Opened {
                content_type: pt[pos],
                start: HEADER,
                len: pos,
            }
        }
    };
    keys.seq = seq.wrapping_add(1);
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::crypto::cipher::{AeadKey, Iv};

    fn pair(version: Version, which: u8) -> (Keys, Keys) {
        let mk = || {
            let key: [u8; 32] = core::array::from_fn(|i| i as u8);
            let iv = Iv::new(core::array::from_fn(|i| (i * 7) as u8));
            // (AeadKey has no public 16-byte constructor: AES-128 is covered by the C tests.)
            match which {
                1 => ConnectionTrafficSecrets::Aes256Gcm {
                    key: AeadKey::from(key),
                    iv,
                },
                _ => ConnectionTrafficSecrets::Chacha20Poly1305 {
                    key: AeadKey::from(key),
                    iv,
                },
            }
        };
        (
            Keys::new(version, 0, mk()).unwrap(),
            Keys::new(version, 0, mk()).unwrap(),
        )
    }

    /// The raw key (the first round key of the AES schedule; ChaCha's key words) is in the key's
    /// memory before `wipe` and gone after.
    #[test]
    #[allow(unsafe_code)]
    fn wipe_overwrites_the_key_schedule() {
        let raw: [u8; 32] = core::array::from_fn(|i| 0xA0 ^ (i as u8).wrapping_mul(13));
        for which in 0..2 {
            let iv = Iv::new([7; 12]);
            let secrets = if which == 0 {
                ConnectionTrafficSecrets::Aes256Gcm {
                    key: AeadKey::from(raw),
                    iv,
                }
            } else {
                ConnectionTrafficSecrets::Chacha20Poly1305 {
                    key: AeadKey::from(raw),
                    iv,
                }
            };
            let mut k = Keys::new(Version::Tls13, 5, secrets).unwrap();
            let holds_raw = |k: &Keys| {
                // SAFETY: reads a live value's bytes within its size; padding may be uninitialised, which
                // is what the test looks into (remnants of the key), on the targets CI runs.
                let bytes = unsafe {
                    std::slice::from_raw_parts(
                        &k.key as *const LessSafeKey as *const u8,
                        std::mem::size_of::<LessSafeKey>(),
                    )
                };
                bytes.windows(16).any(|w| w == &raw[..16])
            };
            assert!(holds_raw(&k), "raw key not found: test cannot judge");
            k.wipe();
            assert!(!holds_raw(&k), "key bytes survive wipe ({which})");
            assert_eq!(k.seq, 0);
        }
    }

    #[test]
    fn seal_open_round_trip() {
        for version in [Version::Tls12, Version::Tls13] {
            for which in 1..3 {
                let (mut tx, mut rx) = pair(version, which);
                for msg in [&b""[..], b"hello", &[0x55u8; 300][..]] {
                    let mut rec = seal_to_vec(&mut tx, version, CT_APPLICATION_DATA, msg).unwrap();
                    assert_eq!(record_len(&rec), Ok(rec.len()));
                    let o = open(&mut rx, version, &mut rec).unwrap();
                    assert_eq!(o.content_type, CT_APPLICATION_DATA);
                    assert_eq!(&rec[o.start..o.start + o.len], msg);
                }
                assert_eq!(tx.seq, 3);
                assert_eq!(rx.seq, 3);
            }
        }
    }

    #[test]
    fn tampered_or_replayed_records_fail() {
        for version in [Version::Tls12, Version::Tls13] {
            let (mut tx, mut rx) = pair(version, 1);
            let rec = seal_to_vec(&mut tx, version, CT_APPLICATION_DATA, b"data").unwrap();
            let mut bad = rec.clone();
            let n = bad.len();
            bad[n - 1] ^= 0x80;
            assert_eq!(
                open(&mut rx, version, &mut bad).unwrap_err(),
                Error::DecryptFailure
            );
            assert_eq!(rx.seq, 0, "a failed open keeps the sequence number");
            let mut good = rec.clone();
            open(&mut rx, version, &mut good).unwrap();
            let mut replay = rec.clone();
            assert!(open(&mut rx, version, &mut replay).is_err());
        }
    }

    #[test]
    fn tls13_hides_the_content_type() {
        let (mut tx, mut rx) = pair(Version::Tls13, 2);
        let mut rec = seal_to_vec(&mut tx, Version::Tls13, CT_ALERT, &[1, 0]).unwrap();
        assert_eq!(rec[0], CT_APPLICATION_DATA);
        let o = open(&mut rx, Version::Tls13, &mut rec).unwrap();
        assert_eq!(o.content_type, CT_ALERT);
        assert_eq!(&rec[o.start..o.start + o.len], &[1, 0]);
    }

    #[test]
    fn record_len_reports_missing_bytes() {
        assert_eq!(record_len(&[]), Err(5));
        assert_eq!(record_len(&[23, 3, 3]), Err(2));
        assert_eq!(record_len(&[23, 3, 3, 0, 10, 1, 2]), Err(8));
        assert_eq!(record_len(&[23, 3, 3, 0, 1, 9, 9]), Ok(6));
    }
}
