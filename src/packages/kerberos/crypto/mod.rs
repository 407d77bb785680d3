//! RFC 3961 encryption and checksum framework for the five enctypes Windows uses.
//!
//! (Skeleton: the shared key type. The profiles, string-to-key, encrypt/decrypt and checksums
//! are filled in by the crypto work; see docs/kerberos-design.md for the agreed API.)

use zeroize::Zeroizing;

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

impl Etype {
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

    /// Length of the protocol key in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Etype::Aes128CtsHmacSha196 | Etype::Aes128CtsHmacSha256128 | Etype::Rc4Hmac => 16,
            Etype::Aes256CtsHmacSha196 | Etype::Aes256CtsHmacSha384192 => 32,
        }
    }
}

/// A protocol key of one enctype (RFC 3961 §3), zeroized on drop.
#[derive(Clone)]
pub struct Key {
    etype: Etype,
    bytes: Zeroizing<Vec<u8>>,
}

impl core::fmt::Debug for Key {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Key").field("etype", &self.etype).finish_non_exhaustive()
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
}
