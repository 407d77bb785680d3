//! RFC 4757: rc4-hmac (23) and its keyed checksum hmac-md5 (-138).
//! String-to-key is the NT hash; each message gets an RC4 key derived by HMAC-MD5 from the
//! (Microsoft-numbered) key usage and the message's checksum.

use hmac::{Hmac, Mac};
use md4::Md4;
use md5::{Digest, Md5};
use rc4::{KeyInit, Rc4, StreamCipher};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::CryptoError;

/// The confounder length (RFC 4757 §5).
pub const CONFOUNDER_LEN: usize = 8;
/// The HMAC-MD5 checksum length.
pub const MAC_LEN: usize = 16;

/// RFC 4757 §3 key usage numbers as MIT krb5 (1.21) sends them: AS-REP enc-part 3 → 8,
/// the RFC 4121 wrap/MIC sign usage 23 → 13, everything else unchanged (MIT maps 9 to 9,
/// where RFC 4757's list says 8).
pub fn translate_usage(usage: u32) -> u32 {
    match usage {
        3 => 8,
        23 => 13,
        u => u,
    }
}

/// HMAC-MD5 over the concatenation of `parts`.
pub fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> Zeroizing<[u8; 16]> {
    let mut mac =
        <Hmac<Md5> as hmac::KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    Zeroizing::new(mac.finalize().into_bytes().into())
}

/// XORs `data` in place with the RC4 keystream of `key` (16 bytes).
pub fn rc4(key: &[u8; 16], data: &mut [u8]) {
    let mut cipher = Rc4::<rc4::consts::U16>::new(key.into());
    cipher.apply_keystream(data);
}

/// RFC 4757 §2 string-to-key: `MD4(UTF-16LE(password))` (the NT hash); no salt, no parameters.
pub fn string_to_key(password: &str) -> Zeroizing<Vec<u8>> {
    let mut utf16 = Zeroizing::new(Vec::with_capacity(password.len() * 2));
    for unit in password.encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    let mut h = Md4::new();
    h.update(&utf16[..]);
    Zeroizing::new(h.finalize().to_vec())
}

/// K1 = HMAC-MD5(key, T) with T the translated usage as 4 little-endian bytes (RFC 4757 §5;
/// K2 = K1 for the non-export enctype 23).
fn usage_key(key: &[u8], usage: u32) -> Zeroizing<[u8; 16]> {
    hmac_md5(key, &[&translate_usage(usage).to_le_bytes()])
}

/// RFC 4757 §5 encryption: `checksum ‖ RC4(K3, confounder ‖ plaintext)` with
/// `checksum = HMAC-MD5(K2, confounder ‖ plaintext)` and `K3 = HMAC-MD5(K1, checksum)`.
pub fn encrypt(
    key: &[u8],
    usage: u32,
    confounder: &[u8; CONFOUNDER_LEN],
    plaintext: &[u8],
) -> Vec<u8> {
    let k1 = usage_key(key, usage);
    let checksum = hmac_md5(&k1[..], &[confounder, plaintext]);
    let k3 = hmac_md5(&k1[..], &[&checksum[..]]);
    let mut out = Vec::with_capacity(MAC_LEN + CONFOUNDER_LEN + plaintext.len());
    out.extend_from_slice(&checksum[..]);
    out.extend_from_slice(confounder);
    out.extend_from_slice(plaintext);
    rc4(&k3, &mut out[MAC_LEN..]);
    out
}

/// RFC 4757 §5 decryption; `Malformed` when shorter than checksum + confounder, `Integrity`
/// when the checksum does not match.
pub fn decrypt(
    key: &[u8],
    usage: u32,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if ciphertext.len() < MAC_LEN + CONFOUNDER_LEN {
        return Err(CryptoError::Malformed);
    }
    let (checksum, body) = ciphertext.split_at(MAC_LEN);
    let k1 = usage_key(key, usage);
    let k3 = hmac_md5(&k1[..], &[checksum]);
    let mut plain = Zeroizing::new(body.to_vec());
    rc4(&k3, &mut plain);
    let expect = hmac_md5(&k1[..], &[&plain]);
    if !bool::from(expect.ct_eq(checksum)) {
        return Err(CryptoError::Integrity);
    }
    plain.drain(..CONFOUNDER_LEN);
    Ok(plain)
}

/// RFC 4757 §4 keyed checksum hmac-md5 (-138): `HMAC-MD5(Ksign, MD5(T ‖ data))` with
/// `Ksign = HMAC-MD5(key, "signaturekey\0")` and T the translated usage, little-endian.
pub fn checksum(key: &[u8], usage: u32, data: &[&[u8]]) -> Zeroizing<[u8; 16]> {
    let mut h = checksum_begin(usage);
    for d in data {
        h.update(d);
    }
    checksum_end(key, h)
}

/// The MD5 state of [`checksum`] after `T`: feed the data, then [`checksum_end`]
/// (for data spread over several buffers).
pub fn checksum_begin(usage: u32) -> Md5 {
    let mut h = Md5::new();
    h.update(translate_usage(usage).to_le_bytes());
    h
}

/// Finishes [`checksum_begin`]: `HMAC-MD5(Ksign, MD5(T ‖ data))`.
pub fn checksum_end(key: &[u8], h: Md5) -> Zeroizing<[u8; 16]> {
    let ksign = hmac_md5(key, &[b"signaturekey\0"]);
    let tmp: Zeroizing<[u8; 16]> = Zeroizing::new(h.finalize().into());
    hmac_md5(&ksign[..], &[&tmp[..]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::kerberos::crypto::tests::hex;

    #[test]
    fn nt_hash() {
        // The NT hash of "password" (MS-NLMP §3.3.1 NTOWFv1; widely published value).
        assert_eq!(
            *string_to_key("password"),
            hex("8846f7eaee8fb117ad06bdd830b7586c")
        );
        assert_eq!(*string_to_key(""), hex("31d6cfe0d16ae931b73c59d7e0c089c0"));
    }

    #[test]
    fn round_trip_tamper_and_usage() {
        let key = string_to_key("Passw0rd!");
        for len in [0usize, 1, 7, 8, 9, 64] {
            let plain = vec![0xa5u8; len];
            let ct = encrypt(&key, 7, &[3u8; 8], &plain);
            assert_eq!(ct.len(), 24 + len);
            assert_eq!(*decrypt(&key, 7, &ct).unwrap(), plain);
            for i in 0..ct.len() {
                let mut bad = ct.clone();
                bad[i] ^= 0x40;
                assert_eq!(decrypt(&key, 7, &bad).unwrap_err(), CryptoError::Integrity);
            }
        }
        // Usage 3 is sent as 8, so each decrypts the other.
        let ct = encrypt(&key, 3, &[0u8; 8], b"as-rep");
        assert_eq!(*decrypt(&key, 8, &ct).unwrap(), b"as-rep");
        assert_eq!(decrypt(&key, 9, &ct).unwrap_err(), CryptoError::Integrity);
        assert_eq!(
            decrypt(&key, 1, &[0u8; 23]).unwrap_err(),
            CryptoError::Malformed
        );
    }
}
