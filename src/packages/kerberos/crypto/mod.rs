//! RFC 3961 encryption and checksum framework for the five enctypes Windows uses:
//! aes128/aes256-cts-hmac-sha1-96 ([`rfc3962`]), aes128-cts-hmac-sha256-128 and
//! aes256-cts-hmac-sha384-192 ([`rfc8009`]), rc4-hmac ([`rfc4757`]).
//!
//! [`Key`] is the RFC 3961 §3 protocol key with the profile operations: string-to-key,
//! encrypt / decrypt under a key usage (§5.3 for AES, RFC 4757 §5 for RC4) and the enctype's
//! mandatory keyed checksum.

pub mod aes_cts;
pub mod iov;
pub mod nfold;
pub mod rfc3962;
pub mod rfc4757;
pub mod rfc8009;

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::Principal;
use aes_cts::Aes;
use rfc8009::Variant;

/// Why a decryption, checksum verification or string-to-key failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptoError {
    /// The integrity check (HMAC / checksum) does not match: wrong key, usage or tampering.
    Integrity,
    /// The input is too short or otherwise not of the enctype's form (including bad s2kparams).
    Malformed,
    /// An enctype, checksum type or parameter this implementation does not support
    /// (e.g. an iteration count above 2^24).
    Unsupported,
}

impl core::fmt::Display for CryptoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            CryptoError::Integrity => "integrity check failed",
            CryptoError::Malformed => "malformed ciphertext or parameters",
            CryptoError::Unsupported => "unsupported enctype or parameter",
        })
    }
}

impl std::error::Error for CryptoError {}

/// RFC 3961 §8 / RFC 8009 / RFC 4757 encryption types (the `etype` numbers on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Etype {
    /// aes128-cts-hmac-sha1-96 (RFC 3962).
    Aes128CtsHmacSha196 = 17,
    /// aes256-cts-hmac-sha1-96 (RFC 3962).
    Aes256CtsHmacSha196 = 18,
    /// aes128-cts-hmac-sha256-128 (RFC 8009).
    Aes128CtsHmacSha256128 = 19,
    /// aes256-cts-hmac-sha384-192 (RFC 8009).
    Aes256CtsHmacSha384192 = 20,
    /// rc4-hmac / arcfour-hmac-md5 (RFC 4757).
    Rc4Hmac = 23,
}

/// The largest PBKDF2 iteration count accepted from s2kparams (MIT's limit, 2^24 - 1): a
/// hostile KDC cannot make the client spin for hours. The smallest is the enctype's default
/// (4096 / 32768), as MIT krb5 1.21 enforces it, so that a KDC cannot weaken the key either.
pub const MAX_ITERATIONS: u32 = (1 << 24) - 1;

impl Etype {
    /// All five, strongest first (the order a client offers them in).
    pub const ALL: [Etype; 5] = [
        Etype::Aes256CtsHmacSha196,
        Etype::Aes128CtsHmacSha196,
        Etype::Aes256CtsHmacSha384192,
        Etype::Aes128CtsHmacSha256128,
        Etype::Rc4Hmac,
    ];

    /// The enctype for a wire number, if it is one of the five.
    pub fn from_i32(n: i32) -> Option<Etype> {
        Some(match n {
            17 => Etype::Aes128CtsHmacSha196,
            18 => Etype::Aes256CtsHmacSha196,
            19 => Etype::Aes128CtsHmacSha256128,
            20 => Etype::Aes256CtsHmacSha384192,
            23 => Etype::Rc4Hmac,
            _ => return None,
        })
    }

    /// The enctype for an MIT krb5.conf / kadmin name or alias (case-insensitive), e.g.
    /// `aes256-cts-hmac-sha1-96`, `aes256-cts`, `aes256-sha2`, `arcfour-hmac`, `rc4-hmac`.
    pub fn from_name(name: &str) -> Option<Etype> {
        Some(match name.to_ascii_lowercase().as_str() {
            "aes256-cts-hmac-sha1-96" | "aes256-cts" | "aes256-sha1" => Etype::Aes256CtsHmacSha196,
            "aes128-cts-hmac-sha1-96" | "aes128-cts" | "aes128-sha1" => Etype::Aes128CtsHmacSha196,
            "aes128-cts-hmac-sha256-128" | "aes128-sha2" => Etype::Aes128CtsHmacSha256128,
            "aes256-cts-hmac-sha384-192" | "aes256-sha2" => Etype::Aes256CtsHmacSha384192,
            "arcfour-hmac" | "rc4-hmac" | "arcfour-hmac-md5" => Etype::Rc4Hmac,
            _ => return None,
        })
    }

    /// The wire number.
    pub fn to_i32(self) -> i32 {
        self as i32
    }

    /// The canonical name (MIT's, as `klist -e` prints it; `arcfour-hmac` for RC4).
    pub fn name(self) -> &'static str {
        match self {
            Etype::Aes128CtsHmacSha196 => "aes128-cts-hmac-sha1-96",
            Etype::Aes256CtsHmacSha196 => "aes256-cts-hmac-sha1-96",
            Etype::Aes128CtsHmacSha256128 => "aes128-cts-hmac-sha256-128",
            Etype::Aes256CtsHmacSha384192 => "aes256-cts-hmac-sha384-192",
            Etype::Rc4Hmac => "arcfour-hmac",
        }
    }

    /// Length of the protocol key in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Etype::Aes128CtsHmacSha196 | Etype::Aes128CtsHmacSha256128 | Etype::Rc4Hmac => 16,
            Etype::Aes256CtsHmacSha196 | Etype::Aes256CtsHmacSha384192 => 32,
        }
    }

    /// The mandatory keyed checksum type (RFC 3961 §8, RFC 8009 §8, RFC 4757 §4):
    /// 15 hmac-sha1-96-aes128, 16 hmac-sha1-96-aes256, 19 hmac-sha256-128-aes128,
    /// 20 hmac-sha384-192-aes256, -138 hmac-md5.
    pub fn checksum_type(self) -> i32 {
        match self {
            Etype::Aes128CtsHmacSha196 => 15,
            Etype::Aes256CtsHmacSha196 => 16,
            Etype::Aes128CtsHmacSha256128 => 19,
            Etype::Aes256CtsHmacSha384192 => 20,
            Etype::Rc4Hmac => -138,
        }
    }

    /// Length in bytes of the keyed checksum and of the encryption's integrity tag
    /// (12, 12, 16, 24, 16).
    pub fn checksum_len(self) -> usize {
        match self {
            Etype::Aes128CtsHmacSha196 | Etype::Aes256CtsHmacSha196 => rfc3962::MAC_LEN,
            Etype::Aes128CtsHmacSha256128 | Etype::Aes256CtsHmacSha384192 => {
                self.variant().map_or(0, Variant::mac_len)
            }
            Etype::Rc4Hmac => rfc4757::MAC_LEN,
        }
    }

    /// Length in bytes of the confounder prepended to each plaintext (16 for AES, 8 for RC4).
    pub fn confounder_len(self) -> usize {
        match self {
            Etype::Rc4Hmac => rfc4757::CONFOUNDER_LEN,
            _ => aes_cts::BLOCK,
        }
    }

    /// True for the four AES enctypes (RFC 4121 §4.2 tokens); false for RC4 (RFC 4757 §7).
    pub fn is_aes(self) -> bool {
        self != Etype::Rc4Hmac
    }

    fn variant(self) -> Option<Variant> {
        match self {
            Etype::Aes128CtsHmacSha256128 => Some(Variant::Sha256),
            Etype::Aes256CtsHmacSha384192 => Some(Variant::Sha384),
            _ => None,
        }
    }
}

/// The derived keys of one AES key usage (RFC 3961 §5.3 / RFC 8009 §5): Ke for CBC-CS3,
/// Ki for the encryption's HMAC, Kc for the keyed checksum.
#[derive(Clone)]
pub struct UsageKeys {
    /// Ke: the AES key schedule.
    pub ke: Aes,
    /// Ki: the integrity key of encryption.
    pub ki: hmac::Key,
    /// Kc: the checksum key.
    pub kc: hmac::Key,
    /// Bytes of the (truncated) HMAC: 12, 16 or 24.
    pub mac_len: usize,
    /// RFC 8009: the HMAC covers `IV ‖ ciphertext`; RFC 3962: it covers the plaintext.
    pub mac_over_ciphertext: bool,
}

impl UsageKeys {
    /// Checks, in constant time, that the Ki HMAC over the concatenated `parts` truncated to
    /// `mac_len` equals `mac`.
    pub fn verify_mac(&self, parts: &[&[u8]], mac: &[u8]) -> Result<(), CryptoError> {
        verify_truncated(&self.ki, parts, mac, self.mac_len)
    }
}

fn verify_truncated(
    key: &hmac::Key,
    parts: &[&[u8]],
    mac: &[u8],
    len: usize,
) -> Result<(), CryptoError> {
    let mut ctx = hmac::Context::with_key(key);
    for p in parts {
        ctx.update(p);
    }
    let tag = ctx.sign();
    if mac.len() == len && bool::from(tag.as_ref()[..len].ct_eq(mac)) {
        Ok(())
    } else {
        Err(CryptoError::Integrity)
    }
}

/// PBKDF2 with a non-zero iteration count (zero is refused earlier; 1 is used defensively).
fn pbkdf2(
    alg: ring::pbkdf2::Algorithm,
    iterations: u32,
    salt: &[u8],
    secret: &[u8],
    out: &mut [u8],
) {
    let n = core::num::NonZeroU32::new(iterations).unwrap_or(core::num::NonZeroU32::MIN);
    ring::pbkdf2::derive(alg, n, salt, secret, out);
}

/// Fills `buf` from the system RNG (ring `SystemRandom`, i.e. getrandom(2)).
///
/// # Panics
/// Only if the kernel RNG fails, which getrandom(2) does not do once the system is up; a key
/// or confounder is never made from anything weaker.
pub fn fill_random(buf: &mut [u8]) {
    SystemRandom::new()
        .fill(buf)
        .expect("the system RNG (getrandom) failed");
}

/// Bytes for a message's confounder (RFC 3961 §5.3): from the system RNG like
/// [`fill_random`], but drawn from a per-thread pool refilled [`CONFOUNDER_POOL`] bytes at a
/// time, so a wrap costs one getrandom call per sixteen messages instead of one each (the call
/// was half the time of wrapping a short message). The pool is zeroized as it is used and when
/// the thread exits. Keys, nonces and sequence numbers keep using [`fill_random`].
pub fn fill_confounder(buf: &mut [u8]) {
    use std::cell::RefCell;
    thread_local! {
        static POOL: RefCell<(Zeroizing<[u8; CONFOUNDER_POOL]>, usize)> =
            RefCell::new((Zeroizing::new([0u8; CONFOUNDER_POOL]), CONFOUNDER_POOL));
    }
    if buf.len() > CONFOUNDER_POOL / 4 {
        return fill_random(buf);
    }
    let pooled = POOL.try_with(|p| {
        let mut p = p.borrow_mut();
        let (pool, used) = &mut *p;
        if *used + buf.len() > CONFOUNDER_POOL {
            fill_random(&mut pool[..]);
            *used = 0;
        }
        let src = &mut pool[*used..*used + buf.len()];
        buf.copy_from_slice(src);
        src.fill(0);
        *used += buf.len();
    });
    if pooled.is_err() {
        // Thread-local storage is being torn down: straight from the system RNG.
        fill_random(buf);
    }
}

/// Bytes of system randomness a thread keeps for confounders.
pub const CONFOUNDER_POOL: usize = 256;

/// A protocol key of one enctype (RFC 3961 §3), zeroized on drop.
#[derive(Clone)]
pub struct Key {
    etype: Etype,
    bytes: Zeroizing<Vec<u8>>,
}

impl core::fmt::Debug for Key {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Key")
            .field("etype", &self.etype)
            .finish_non_exhaustive()
    }
}

impl Key {
    /// A key from its raw bytes; `None` when the length is not the enctype's key length.
    pub fn new(etype: Etype, bytes: &[u8]) -> Option<Key> {
        (bytes.len() == etype.key_len()).then(|| Key {
            etype,
            bytes: Zeroizing::new(bytes.to_vec()),
        })
    }

    /// The key's enctype.
    pub fn etype(&self) -> Etype {
        self.etype
    }

    /// The raw key bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// A fresh random key (random-to-key is the identity for all five enctypes), e.g. a
    /// subkey. See [`fill_random`] for the RNG.
    pub fn random(etype: Etype) -> Key {
        let mut bytes = Zeroizing::new(vec![0u8; etype.key_len()]);
        fill_random(&mut bytes);
        Key { etype, bytes }
    }

    /// RFC 3961 string-to-key: PBKDF2-HMAC-SHA1 + DK (RFC 3962 §4, default 4096 iterations),
    /// PBKDF2-HMAC-SHA2 with `name ‖ 0 ‖ salt` + KDF (RFC 8009 §4, default 32768), the NT hash
    /// (RFC 4757 §2, salt ignored). `s2kparams` (ETYPE-INFO2) is the iteration count as 4
    /// big-endian bytes for AES; RC4 takes none.
    ///
    /// Errors: `Malformed` for s2kparams of the wrong length, or of a zero count;
    /// `Unsupported` for a count below the enctype's default or above [`MAX_ITERATIONS`]
    /// (MIT krb5 refuses the same counts with KRB5_ERR_BAD_S2K_PARAMS).
    pub fn from_password(
        etype: Etype,
        password: &str,
        salt: &str,
        s2kparams: Option<&[u8]>,
    ) -> Result<Key, CryptoError> {
        Key::from_password_bytes(etype, password, salt.as_bytes(), s2kparams)
    }

    /// [`Key::from_password`] with a salt that need not be UTF-8 (ETYPE-INFO2 salts are
    /// KerberosString, but RFC 3962 / 8009 define string-to-key on octets).
    pub fn from_password_bytes(
        etype: Etype,
        password: &str,
        salt: &[u8],
        s2kparams: Option<&[u8]>,
    ) -> Result<Key, CryptoError> {
        let iterations = |default: u32| -> Result<u32, CryptoError> {
            match s2kparams {
                None => Ok(default),
                Some(p) => {
                    let p: [u8; 4] = p.try_into().map_err(|_| CryptoError::Malformed)?;
                    match u32::from_be_bytes(p) {
                        0 => Err(CryptoError::Malformed),
                        n if !(default..=MAX_ITERATIONS).contains(&n) => {
                            Err(CryptoError::Unsupported)
                        }
                        n => Ok(n),
                    }
                }
            }
        };
        let bytes = match etype {
            Etype::Aes128CtsHmacSha196 | Etype::Aes256CtsHmacSha196 => {
                let n = iterations(rfc3962::DEFAULT_ITERATIONS)?;
                rfc3962::string_to_key(etype.key_len(), password.as_bytes(), salt, n)
            }
            Etype::Aes128CtsHmacSha256128 | Etype::Aes256CtsHmacSha384192 => {
                let n = iterations(rfc8009::DEFAULT_ITERATIONS)?;
                let v = etype.variant().ok_or(CryptoError::Unsupported)?;
                rfc8009::string_to_key(v, password.as_bytes(), salt, n)
            }
            Etype::Rc4Hmac => {
                if s2kparams.is_some_and(|p| !p.is_empty()) {
                    return Err(CryptoError::Malformed);
                }
                rfc4757::string_to_key(password)
            }
        };
        Ok(Key { etype, bytes })
    }

    /// The derived Ke / Ki / Kc of one usage (AES enctypes; `None` for RC4).
    pub fn usage_keys(&self, usage: u32) -> Option<UsageKeys> {
        match self.etype {
            Etype::Aes128CtsHmacSha196 | Etype::Aes256CtsHmacSha196 => {
                rfc3962::usage_keys(&self.bytes, usage)
            }
            Etype::Aes128CtsHmacSha256128 | Etype::Aes256CtsHmacSha384192 => {
                rfc8009::usage_keys(self.etype.variant()?, &self.bytes, usage)
            }
            Etype::Rc4Hmac => None,
        }
    }

    /// RFC 3961 §5.3 / RFC 4757 §5 encryption under key usage `usage` with a random
    /// confounder. Output length: plaintext + confounder_len + checksum_len.
    pub fn encrypt(&self, usage: u32, plaintext: &[u8]) -> Vec<u8> {
        let mut confounder = Zeroizing::new([0u8; 16]);
        fill_random(&mut confounder[..]);
        self.encrypt_with_confounder(usage, &confounder, plaintext)
    }

    /// [`Key::encrypt`] with a given confounder (the first `confounder_len` bytes are used);
    /// for known-answer tests.
    pub(crate) fn encrypt_with_confounder(
        &self,
        usage: u32,
        confounder: &[u8; 16],
        plaintext: &[u8],
    ) -> Vec<u8> {
        match self.etype {
            Etype::Rc4Hmac => {
                let mut c8 = [0u8; rfc4757::CONFOUNDER_LEN];
                c8.copy_from_slice(&confounder[..rfc4757::CONFOUNDER_LEN]);
                rfc4757::encrypt(&self.bytes, usage, &c8, plaintext)
            }
            _ => match self.usage_keys(usage) {
                Some(keys) if keys.mac_over_ciphertext => {
                    rfc8009::encrypt(&keys, confounder, plaintext)
                }
                Some(keys) => rfc3962::encrypt(&keys, confounder, plaintext),
                None => Vec::new(), // unreachable: every AES key length has a schedule
            },
        }
    }

    /// Decrypts what [`Key::encrypt`] (or a peer) produced under `usage`; the plaintext
    /// without the confounder. `Malformed` when too short, `Integrity` when the checksum does
    /// not match. Never panics.
    pub fn decrypt(
        &self,
        usage: u32,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        match self.etype {
            Etype::Rc4Hmac => rfc4757::decrypt(&self.bytes, usage, ciphertext),
            _ => {
                let keys = self.usage_keys(usage).ok_or(CryptoError::Unsupported)?;
                if keys.mac_over_ciphertext {
                    rfc8009::decrypt(&keys, ciphertext)
                } else {
                    rfc3962::decrypt(&keys, ciphertext)
                }
            }
        }
    }

    /// The enctype's mandatory keyed checksum ([`Etype::checksum_type`]) of `data` under
    /// `usage`: HMAC(Kc, data) truncated for AES, RFC 4757 §4 hmac-md5 for RC4.
    pub fn make_checksum(&self, usage: u32, data: &[u8]) -> Vec<u8> {
        self.make_checksum_parts(usage, &[data])
    }

    /// [`Key::make_checksum`] over the concatenation of `parts`.
    pub fn make_checksum_parts(&self, usage: u32, parts: &[&[u8]]) -> Vec<u8> {
        match self.etype {
            Etype::Rc4Hmac => rfc4757::checksum(&self.bytes, usage, parts).to_vec(),
            _ => match self.usage_keys(usage) {
                Some(keys) => {
                    let mut ctx = hmac::Context::with_key(&keys.kc);
                    for p in parts {
                        ctx.update(p);
                    }
                    ctx.sign().as_ref()[..keys.mac_len].to_vec()
                }
                None => Vec::new(),
            },
        }
    }

    /// Verifies, in constant time, a checksum made by [`Key::make_checksum`];
    /// `Integrity` on mismatch (including a wrong length).
    pub fn verify_checksum(
        &self,
        usage: u32,
        data: &[u8],
        cksum: &[u8],
    ) -> Result<(), CryptoError> {
        match self.etype {
            Etype::Rc4Hmac => {
                let want = rfc4757::checksum(&self.bytes, usage, &[data]);
                if cksum.len() == want.len() && bool::from(want.ct_eq(cksum)) {
                    Ok(())
                } else {
                    Err(CryptoError::Integrity)
                }
            }
            _ => {
                let keys = self.usage_keys(usage).ok_or(CryptoError::Unsupported)?;
                verify_truncated(&keys.kc, &[data], cksum, keys.mac_len)
            }
        }
    }
}

/// RFC 4120 §4 default salt: the realm followed by the name components, no separators
/// (e.g. `EXAMPLE.COMhost` `www.example.com` for host/www.example.com@EXAMPLE.COM).
pub fn default_salt(principal: &Principal) -> String {
    let mut s = principal.realm.clone();
    for c in &principal.components {
        s.push_str(c);
    }
    s
}

#[cfg(test)]
pub(crate) mod tests;
