//! RFC 3962: aes128-cts-hmac-sha1-96 (17) and aes256-cts-hmac-sha1-96 (18) on the RFC 3961
//! simplified profile: PBKDF2-HMAC-SHA1 string-to-key, DK key derivation, AES-CBC-CS3 and
//! HMAC-SHA1-96.

use ring::hmac;
use zeroize::Zeroizing;

use super::aes_cts::{Aes, BLOCK};
use super::nfold::nfold;
use super::{pbkdf2, CryptoError, UsageKeys};

/// HMAC-SHA1-96: the checksum and integrity length in bytes.
pub const MAC_LEN: usize = 12;
/// The confounder: one AES block.
pub const CONFOUNDER_LEN: usize = BLOCK;
/// RFC 3962 §4: the default iteration count when s2kparams is absent.
pub const DEFAULT_ITERATIONS: u32 = 4096;

/// RFC 3961 §5.1 DR then random-to-key (the identity for AES): encrypt the 128-bit n-fold of
/// `constant` with `base`, then each previous output block, until `base.len()` bytes.
pub fn dk(base: &[u8], constant: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(base.len()));
    let Some(cipher) = Aes::new(base) else {
        return out;
    };
    let mut block = Zeroizing::new([0u8; BLOCK]);
    block.copy_from_slice(&nfold(constant, BLOCK));
    while out.len() < base.len() {
        cipher.encrypt_block(&mut block);
        let take = (base.len() - out.len()).min(BLOCK);
        out.extend_from_slice(&block[..take]);
    }
    out
}

/// The RFC 3961 §5.3 usage constant: usage as 4 big-endian bytes, then `kind`
/// (0xAA Ke, 0x55 Ki, 0x99 Kc).
fn usage_constant(usage: u32, kind: u8) -> [u8; 5] {
    let u = usage.to_be_bytes();
    [u[0], u[1], u[2], u[3], kind]
}

/// RFC 3962 §4 string-to-key: `DK(random-to-key(PBKDF2-HMAC-SHA1(password, salt, iterations,
/// key length)), "kerberos")`.
pub fn string_to_key(
    key_len: usize,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> Zeroizing<Vec<u8>> {
    let mut tkey = Zeroizing::new(vec![0u8; key_len]);
    pbkdf2(
        ring::pbkdf2::PBKDF2_HMAC_SHA1,
        iterations,
        salt,
        password,
        &mut tkey,
    );
    dk(&tkey, b"kerberos")
}

/// Ke, Ki and Kc for one key usage (RFC 3961 §5.3).
pub fn usage_keys(base: &[u8], usage: u32) -> Option<UsageKeys> {
    let ke = dk(base, &usage_constant(usage, 0xAA));
    let ki = dk(base, &usage_constant(usage, 0x55));
    let kc = dk(base, &usage_constant(usage, 0x99));
    Some(UsageKeys {
        ke: Aes::new(&ke)?,
        ki: hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &ki),
        kc: hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &kc),
        mac_len: MAC_LEN,
        mac_over_ciphertext: false,
    })
}

/// RFC 3961 §5.3 encryption: `CBC-CS3(Ke, confounder ‖ plaintext) ‖ HMAC-SHA1-96(Ki,
/// confounder ‖ plaintext)`.
pub fn encrypt(keys: &UsageKeys, confounder: &[u8; CONFOUNDER_LEN], plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(CONFOUNDER_LEN + plaintext.len() + MAC_LEN);
    out.extend_from_slice(confounder);
    out.extend_from_slice(plaintext);
    let tag = hmac::sign(&keys.ki, &out);
    // Always at least one block (the confounder), so CBC-CS3 cannot refuse it.
    let _ = keys.ke.cts_encrypt(&mut out);
    out.extend_from_slice(&tag.as_ref()[..MAC_LEN]);
    out
}

/// RFC 3961 §5.3 decryption: the plaintext without the confounder, or `Integrity` when the
/// HMAC does not match, `Malformed` when too short to hold confounder and HMAC.
pub fn decrypt(keys: &UsageKeys, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if ciphertext.len() < CONFOUNDER_LEN + MAC_LEN {
        return Err(CryptoError::Malformed);
    }
    let (body, mac) = ciphertext.split_at(ciphertext.len() - MAC_LEN);
    let mut plain = Zeroizing::new(body.to_vec());
    keys.ke
        .cts_decrypt(&mut plain)
        .map_err(|_| CryptoError::Malformed)?;
    keys.verify_mac(&[&plain], mac)?;
    plain.drain(..CONFOUNDER_LEN);
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::kerberos::crypto::tests::hex;

    /// RFC 3962 Appendix B: PBKDF2-HMAC-SHA1 string-to-key (the "AES key" lines, i.e. after
    /// DK(tkey, "kerberos")).
    /// (iterations, pass phrase, salt, 128-bit key, 256-bit key)
    type S2kCase<'a> = (u32, &'a [u8], &'a [u8], &'a str, &'a str);

    #[test]
    fn rfc3962_b_string_to_key() {
        let x64 = "X".repeat(64);
        let x65 = "X".repeat(65);
        let cases: [S2kCase<'_>; 7] = [
            (
                1,
                b"password",
                b"ATHENA.MIT.EDUraeburn",
                "42263c6e89f4fc28b8df68ee09799f15",
                "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161",
            ),
            (
                2,
                b"password",
                b"ATHENA.MIT.EDUraeburn",
                "c651bf29e2300ac27fa469d693bdda13",
                "a2e16d16b36069c135d5e9d2e25f896102685618b95914b467c67622225824ff",
            ),
            (
                1200,
                b"password",
                b"ATHENA.MIT.EDUraeburn",
                "4c01cd46d632d01e6dbe230a01ed642a",
                "55a6ac740ad17b4846941051e1e8b0a7548d93b0ab30a8bc3ff16280382b8c2a",
            ),
            (
                5,
                b"password",
                &[0x12, 0x34, 0x56, 0x78, 0x78, 0x56, 0x34, 0x12],
                "e9b23d52273747dd5c35cb55be619d8e",
                "97a4e786be20d81a382d5ebc96d5909cabcdadc87ca48f574504159f16c36e31",
            ),
            (
                1200,
                x64.as_bytes(),
                b"pass phrase equals block size",
                "59d1bb789a828b1aa54ef9c2883f69ed",
                "89adee3608db8bc71f1bfbfe459486b05618b70cbae22092534e56c553ba4b34",
            ),
            (
                1200,
                x65.as_bytes(),
                b"pass phrase exceeds block size",
                "cb8005dc5f90179a7f02104c0018751d",
                "d78c5c9cb872a8c9dad4697f0bb5b2d21496c82beb2caeda2112fceea057401b",
            ),
            (
                50,
                &[0xf0, 0x9d, 0x84, 0x9e],
                b"EXAMPLE.COMpianist",
                "f149c1f2e154a73452d43e7fe62a56e5",
                "4b6d9839f84406df1f09cc166db4b83c571848b784a3d6bdc346589a3e393f9e",
            ),
        ];
        for (iterations, password, salt, k128, k256) in cases {
            assert_eq!(
                *string_to_key(16, password, salt, iterations),
                hex(k128),
                "{iterations}"
            );
            assert_eq!(
                *string_to_key(32, password, salt, iterations),
                hex(k256),
                "{iterations}"
            );
        }
    }

    #[test]
    fn encrypt_decrypt_round_trip_and_tamper() {
        let base = [0x5au8; 32];
        let keys = usage_keys(&base, 3).unwrap();
        for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 100] {
            let plain: Vec<u8> = (0..len as u8).collect();
            let ct = encrypt(&keys, &[9u8; 16], &plain);
            assert_eq!(ct.len(), 16 + len + 12);
            assert_eq!(*decrypt(&keys, &ct).unwrap(), plain);
            for i in 0..ct.len() {
                let mut bad = ct.clone();
                bad[i] ^= 0x01;
                assert_eq!(
                    decrypt(&keys, &bad).unwrap_err(),
                    CryptoError::Integrity,
                    "{len}/{i}"
                );
            }
        }
        assert_eq!(
            decrypt(&keys, &[0u8; 27]).unwrap_err(),
            CryptoError::Malformed
        );
        let other = usage_keys(&base, 4).unwrap();
        let ct = encrypt(&keys, &[0u8; 16], b"usage matters");
        assert_eq!(decrypt(&other, &ct).unwrap_err(), CryptoError::Integrity);
    }
}
