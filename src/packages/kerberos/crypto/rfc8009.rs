//! RFC 8009: aes128-cts-hmac-sha256-128 (19) and aes256-cts-hmac-sha384-192 (20).
//! KDF-HMAC-SHA2 (SP 800-108 counter mode) key derivation, PBKDF2-HMAC-SHA2 string-to-key
//! with the enctype name in the salt, encrypt-then-MAC over `IV ‖ ciphertext`.

use ring::hmac;
use zeroize::Zeroizing;

use super::aes_cts::{Aes, BLOCK};
use super::{pbkdf2, CryptoError, UsageKeys};

/// The confounder: one AES block.
pub const CONFOUNDER_LEN: usize = BLOCK;
/// RFC 8009 §4: the default iteration count when s2kparams is absent.
pub const DEFAULT_ITERATIONS: u32 = 32768;

/// The two RFC 8009 enctypes' parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// aes128-cts-hmac-sha256-128: 128-bit keys, HMAC-SHA-256 truncated to 128 bits.
    Sha256,
    /// aes256-cts-hmac-sha384-192: 256-bit Ke, HMAC-SHA-384 truncated to 192 bits.
    Sha384,
}

impl Variant {
    /// The enctype name, the prefix of the PBKDF2 salt (RFC 8009 §4).
    pub fn name(self) -> &'static str {
        match self {
            Variant::Sha256 => "aes128-cts-hmac-sha256-128",
            Variant::Sha384 => "aes256-cts-hmac-sha384-192",
        }
    }

    fn hmac(self) -> hmac::Algorithm {
        match self {
            Variant::Sha256 => hmac::HMAC_SHA256,
            Variant::Sha384 => hmac::HMAC_SHA384,
        }
    }

    fn pbkdf2(self) -> ring::pbkdf2::Algorithm {
        match self {
            Variant::Sha256 => ring::pbkdf2::PBKDF2_HMAC_SHA256,
            Variant::Sha384 => ring::pbkdf2::PBKDF2_HMAC_SHA384,
        }
    }

    /// The protocol key and Ke length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Variant::Sha256 => 16,
            Variant::Sha384 => 32,
        }
    }

    /// The HMAC output (h) and Ki / Kc length in bytes.
    pub fn mac_len(self) -> usize {
        match self {
            Variant::Sha256 => 16,
            Variant::Sha384 => 24,
        }
    }
}

/// RFC 8009 §3 KDF-HMAC-SHA2(key, label, k): `k-truncate(HMAC(key, 00000001 ‖ label ‖ 00 ‖ k))`
/// with `k` in bits as 4 big-endian bytes; `out_len` bytes (at most one HMAC output).
pub fn kdf(variant: Variant, key: &[u8], label: &[u8], out_len: usize) -> Zeroizing<Vec<u8>> {
    let k = hmac::Key::new(variant.hmac(), key);
    let mut ctx = hmac::Context::with_key(&k);
    ctx.update(&1u32.to_be_bytes());
    ctx.update(label);
    ctx.update(&[0]);
    ctx.update(&((out_len * 8) as u32).to_be_bytes());
    let tag = ctx.sign();
    Zeroizing::new(tag.as_ref()[..out_len.min(tag.as_ref().len())].to_vec())
}

/// RFC 8009 §4 string-to-key: `KDF(PBKDF2-HMAC-SHA2(password, name ‖ 00 ‖ salt, iterations),
/// "kerberos", key length)`.
pub fn string_to_key(
    variant: Variant,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> Zeroizing<Vec<u8>> {
    let mut saltp = Vec::with_capacity(variant.name().len() + 1 + salt.len());
    saltp.extend_from_slice(variant.name().as_bytes());
    saltp.push(0);
    saltp.extend_from_slice(salt);
    let mut tkey = Zeroizing::new(vec![0u8; variant.key_len()]);
    pbkdf2(variant.pbkdf2(), iterations, &saltp, password, &mut tkey);
    kdf(variant, &tkey, b"kerberos", variant.key_len())
}

/// Ke (usage ‖ 0xAA, key length), Ki (usage ‖ 0x55, h) and Kc (usage ‖ 0x99, h): RFC 8009 §5.
pub fn usage_keys(variant: Variant, base: &[u8], usage: u32) -> Option<UsageKeys> {
    let u = usage.to_be_bytes();
    let label = |kind: u8| [u[0], u[1], u[2], u[3], kind];
    let ke = kdf(variant, base, &label(0xAA), variant.key_len());
    let ki = kdf(variant, base, &label(0x55), variant.mac_len());
    let kc = kdf(variant, base, &label(0x99), variant.mac_len());
    Some(UsageKeys {
        ke: Aes::new(&ke)?,
        ki: hmac::Key::new(variant.hmac(), &ki),
        kc: hmac::Key::new(variant.hmac(), &kc),
        mac_len: variant.mac_len(),
        mac_over_ciphertext: true,
    })
}

/// RFC 8009 §5 encryption: `C = CBC-CS3(Ke, confounder ‖ plaintext)`, `C ‖ HMAC(Ki, IV ‖ C)`
/// truncated, IV being the zero block.
pub fn encrypt(keys: &UsageKeys, confounder: &[u8; CONFOUNDER_LEN], plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(CONFOUNDER_LEN + plaintext.len() + keys.mac_len);
    out.extend_from_slice(confounder);
    out.extend_from_slice(plaintext);
    // At least one block (the confounder), so CBC-CS3 cannot refuse it.
    let _ = keys.ke.cts_encrypt(&mut out);
    let mut ctx = hmac::Context::with_key(&keys.ki);
    ctx.update(&[0u8; BLOCK]);
    ctx.update(&out);
    let tag = ctx.sign();
    out.extend_from_slice(&tag.as_ref()[..keys.mac_len]);
    out
}

/// RFC 8009 §5 decryption: checks the HMAC over `IV ‖ C` first, then decrypts; the plaintext
/// without the confounder. `Malformed` when shorter than confounder + HMAC, `Integrity` when
/// the HMAC does not match.
pub fn decrypt(keys: &UsageKeys, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if ciphertext.len() < CONFOUNDER_LEN + keys.mac_len {
        return Err(CryptoError::Malformed);
    }
    let (body, mac) = ciphertext.split_at(ciphertext.len() - keys.mac_len);
    keys.verify_mac(&[&[0u8; BLOCK], body], mac)?;
    let mut plain = Zeroizing::new(body.to_vec());
    keys.ke
        .cts_decrypt(&mut plain)
        .map_err(|_| CryptoError::Malformed)?;
    plain.drain(..CONFOUNDER_LEN);
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::kerberos::crypto::tests::hex;

    fn base(variant: Variant) -> Vec<u8> {
        match variant {
            Variant::Sha256 => hex("3705D96080C17728A0E800EAB6E0D23C"),
            Variant::Sha384 => {
                hex("6D404D37FAF79F9DF0D33568D320669800EB4836472EA8A026D16B7182460C52")
            }
        }
    }

    /// RFC 8009 Appendix A, "Sample results for string-to-key conversion" (32768 iterations).
    #[test]
    fn rfc8009_a_string_to_key() {
        let mut salt = hex("10DF9DD783E5BC8ACEA1730E74355F61");
        salt.extend_from_slice(b"ATHENA.MIT.EDUraeburn");
        assert_eq!(
            *string_to_key(Variant::Sha256, b"password", &salt, DEFAULT_ITERATIONS),
            hex("089BCA48B105EA6EA77CA5D2F39DC5E7")
        );
        assert_eq!(
            *string_to_key(Variant::Sha384, b"password", &salt, DEFAULT_ITERATIONS),
            hex("45BD806DBF6A833A9CFFC1C94589A222367A79BC21C413718906E9F578A78467")
        );
    }

    /// RFC 8009 Appendix A, "Sample results for key derivation" (usage 2).
    #[test]
    fn rfc8009_a_key_derivation() {
        let u = |kind: u8| [0, 0, 0, 2, kind];
        let v = Variant::Sha256;
        let b = base(v);
        assert_eq!(
            *kdf(v, &b, &u(0x99), 16),
            hex("B31A018A48F54776F403E9A396325DC3")
        );
        assert_eq!(
            *kdf(v, &b, &u(0xAA), 16),
            hex("9B197DD1E8C5609D6E67C3E37C62C72E")
        );
        assert_eq!(
            *kdf(v, &b, &u(0x55), 16),
            hex("9FDA0E56AB2D85E1569A688696C26A6C")
        );
        let v = Variant::Sha384;
        let b = base(v);
        assert_eq!(
            *kdf(v, &b, &u(0x99), 24),
            hex("EF5718BE86CC84963D8BBB5031E9F5C4BA41F28FAF69E73D")
        );
        assert_eq!(
            *kdf(v, &b, &u(0xAA), 32),
            hex("56AB22BEE63D82D7BC5227F6773F8EA7A5EB1C825160C38312980C442E5C7E49")
        );
        assert_eq!(
            *kdf(v, &b, &u(0x55), 24),
            hex("69B16514E3CD8E56B82010D5C73012B622C4D00FFC23ED1F")
        );
    }

    /// RFC 8009 Appendix A, "Sample encryptions" (usage 2, given confounders).
    #[test]
    fn rfc8009_a_encryptions() {
        let cases: [(Variant, &str, &str, &str); 8] = [
            (
                Variant::Sha256,
                "7E5895EAF2672435BAD817F545A37148",
                "",
                "EF85FB890BB8472F4DAB20394DCA781DAD877EDA39D50C870C0D5A0A8E48C718",
            ),
            (
                Variant::Sha256,
                "7BCA285E2FD4130FB55B1A5C83BC5B24",
                "000102030405",
                "84D7F30754ED987BAB0BF3506BEB09CFB55402CEF7E6877CE99E247E52D16ED4421DFDF8976C",
            ),
            (
                Variant::Sha256,
                "56AB21713FF62C0A1457200F6FA9948F",
                "000102030405060708090A0B0C0D0E0F",
                "3517D640F50DDC8AD3628722B3569D2AE07493FA8263254080EA65C1008E8FC295FB4852E7D83E1E7C48C37EEBE6B0D3",
            ),
            (
                Variant::Sha256,
                "A7A4E29A4728CE10664FB64E49AD3FAC",
                "000102030405060708090A0B0C0D0E0F1011121314",
                "720F73B18D9859CD6CCB4346115CD336C70F58EDC0C4437C5573544C31C813BCE1E6D072C186B39A413C2F92CA9B8334A287FFCBFC",
            ),
            (
                Variant::Sha384,
                "F764E9FA15C276478B2C7D0C4E5F58E4",
                "",
                "41F53FA5BFE7026D91FAF9BE959195A058707273A96A40F0A01960621AC612748B9BBFBE7EB4CE3C",
            ),
            (
                Variant::Sha384,
                "B80D3251C1F6471494256FFE712D0B9A",
                "000102030405",
                "4ED7B37C2BCAC8F74F23C1CF07E62BC7B75FB3F637B9F559C7F664F69EAB7B6092237526EA0D1F61CB20D69D10F2",
            ),
            (
                Variant::Sha384,
                "53BF8A0D105265D4E276428624CE5E63",
                "000102030405060708090A0B0C0D0E0F",
                "BC47FFEC7998EB91E8115CF8D19DAC4BBBE2E163E87DD37F49BECA92027764F68CF51F14D798C2273F35DF574D1F932E40C4FF255B36A266",
            ),
            (
                Variant::Sha384,
                "763E65367E864F02F55153C7E3B58AF1",
                "000102030405060708090A0B0C0D0E0F1011121314",
                "40013E2DF58E8751957D2878BCD2D6FE101CCFD556CB1EAE79DB3C3EE86429F2B2A602AC86FEF6ECB647D6295FAE077A1FEB517508D2C16B4192E01F62",
            ),
        ];
        for (v, conf, plain, want) in cases {
            let keys = usage_keys(v, &base(v), 2).unwrap();
            let conf: [u8; 16] = hex(conf).try_into().unwrap();
            let ct = encrypt(&keys, &conf, &hex(plain));
            assert_eq!(ct, hex(want), "{v:?} {plain}");
            assert_eq!(*decrypt(&keys, &ct).unwrap(), hex(plain));
            for i in 0..ct.len() {
                let mut bad = ct.clone();
                bad[i] ^= 0x80;
                assert_eq!(decrypt(&keys, &bad).unwrap_err(), CryptoError::Integrity);
            }
        }
    }
}
