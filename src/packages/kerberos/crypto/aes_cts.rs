//! AES in CBC mode with ciphertext stealing, "CBC-CS3" (RFC 3962 §5, NIST SP 800-38A add.):
//! CBC with a zero IV, the last two ciphertext blocks swapped and the final one truncated to
//! the length of the last plaintext block. A message of exactly one block is plain CBC.
//!
//! Contiguous data goes through the `cts` crate; [`crate::packages::kerberos::crypto::iov`]
//! runs the same mode across several buffers for the wrap tokens.

use aes::cipher::{BlockDecrypt, BlockEncrypt, InnerIvInit, KeyInit};
use cts::{Decrypt as _, Encrypt as _};

/// AES block size in bytes.
pub const BLOCK: usize = 16;

/// An AES-128 or AES-256 key schedule (zeroized on drop: `aes`'s `zeroize` feature).
// Both schedules live inline: a key is built once per session / usage, never per message.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum Aes {
    Aes128(aes::Aes128),
    Aes256(aes::Aes256),
}

impl Aes {
    /// The key schedule for a 16- or 32-byte key; `None` for any other length.
    pub fn new(key: &[u8]) -> Option<Aes> {
        match key.len() {
            16 => aes::Aes128::new_from_slice(key).ok().map(Aes::Aes128),
            32 => aes::Aes256::new_from_slice(key).ok().map(Aes::Aes256),
            _ => None,
        }
    }

    /// Encrypts one block in place (AES-ECB).
    pub fn encrypt_block(&self, block: &mut [u8; BLOCK]) {
        let b = aes::Block::from_mut_slice(block);
        match self {
            Aes::Aes128(c) => c.encrypt_block(b),
            Aes::Aes256(c) => c.encrypt_block(b),
        }
    }

    /// Decrypts one block in place (AES-ECB).
    pub fn decrypt_block(&self, block: &mut [u8; BLOCK]) {
        let b = aes::Block::from_mut_slice(block);
        match self {
            Aes::Aes128(c) => c.decrypt_block(b),
            Aes::Aes256(c) => c.decrypt_block(b),
        }
    }

    /// Decrypts whole blocks in place (AES-ECB, several blocks in parallel where the CPU
    /// allows); a trailing partial block is left alone.
    pub fn decrypt_blocks(&self, buf: &mut [u8]) {
        let (blocks, _) = aes::cipher::inout::InOutBuf::from(buf).into_chunks();
        match self {
            Aes::Aes128(c) => c.decrypt_blocks_inout(blocks),
            Aes::Aes256(c) => c.decrypt_blocks_inout(blocks),
        }
    }

    /// CBC-CS3 encryption of `buf` in place with a zero IV. `buf` must hold at least one block.
    pub fn cts_encrypt(&self, buf: &mut [u8]) -> Result<(), cts::Error> {
        if buf.len() == BLOCK {
            // One block: plain CBC (the `cts` crate needs two blocks to steal from).
            let block: &mut [u8; BLOCK] = buf.try_into().map_err(|_| cts::Error)?;
            self.encrypt_block(block);
            return Ok(());
        }
        let iv = [0u8; BLOCK];
        match self {
            Aes::Aes128(c) => cts::CbcCs3Enc::<aes::Aes128>::inner_iv_slice_init(c.clone(), &iv)
                .map_err(|_| cts::Error)?
                .encrypt(buf),
            Aes::Aes256(c) => cts::CbcCs3Enc::<aes::Aes256>::inner_iv_slice_init(c.clone(), &iv)
                .map_err(|_| cts::Error)?
                .encrypt(buf),
        }
    }

    /// CBC-CS3 decryption of `buf` in place with a zero IV. `buf` must hold at least one block.
    pub fn cts_decrypt(&self, buf: &mut [u8]) -> Result<(), cts::Error> {
        if buf.len() == BLOCK {
            let block: &mut [u8; BLOCK] = buf.try_into().map_err(|_| cts::Error)?;
            self.decrypt_block(block);
            return Ok(());
        }
        let iv = [0u8; BLOCK];
        match self {
            Aes::Aes128(c) => cts::CbcCs3Dec::<aes::Aes128>::inner_iv_slice_init(c.clone(), &iv)
                .map_err(|_| cts::Error)?
                .decrypt(buf),
            Aes::Aes256(c) => cts::CbcCs3Dec::<aes::Aes256>::inner_iv_slice_init(c.clone(), &iv)
                .map_err(|_| cts::Error)?
                .decrypt(buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Aes;
    use crate::packages::kerberos::crypto::tests::hex;

    /// RFC 3962 Appendix B: CBC with ciphertext stealing, AES-128 key "chicken teriyaki".
    #[test]
    fn rfc3962_b_cts_vectors() {
        let key = Aes::new(&hex("636869636b656e207465726979616b69")).unwrap();
        let plain = hex(
            "4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20706c656173652c20616e6420776f6e746f6e20736f75702e",
        );
        let cases: [(usize, &str); 6] = [
            (17, "c6353568f2bf8cb4d8a580362da7ff7f97"),
            (31, "fc00783e0efdb2c1d445d4c8eff7ed2297687268d6ecccc0c07b25e25ecfe5"),
            (32, "39312523a78662d5be7fcbcc98ebf5a897687268d6ecccc0c07b25e25ecfe584"),
            (
                47,
                "97687268d6ecccc0c07b25e25ecfe584b3fffd940c16a18c1b5549d2f838029e39312523a78662d5be7fcbcc98ebf5",
            ),
            (
                48,
                "97687268d6ecccc0c07b25e25ecfe5849dad8bbb96c4cdc03bc103e1a194bbd839312523a78662d5be7fcbcc98ebf5a8",
            ),
            (
                64,
                "97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a84807efe836ee89a526730dbc2f7bc8409dad8bbb96c4cdc03bc103e1a194bbd8",
            ),
        ];
        for (len, want) in cases {
            let mut buf = plain[..len].to_vec();
            key.cts_encrypt(&mut buf).unwrap();
            assert_eq!(buf, hex(want), "encrypt {len}");
            key.cts_decrypt(&mut buf).unwrap();
            assert_eq!(buf, &plain[..len], "decrypt {len}");
        }
    }

    #[test]
    fn one_block_is_plain_cbc_and_short_is_refused() {
        let key = Aes::new(&[7u8; 32]).unwrap();
        let mut one = [1u8; 16];
        key.cts_encrypt(&mut one).unwrap();
        let mut ecb = [1u8; 16];
        key.encrypt_block(&mut ecb);
        assert_eq!(one, ecb);
        key.cts_decrypt(&mut one).unwrap();
        assert_eq!(one, [1u8; 16]);
        assert!(key.cts_encrypt(&mut [0u8; 15]).is_err());
        assert!(key.cts_decrypt(&mut [0u8; 0]).is_err());
        assert!(Aes::new(&[0u8; 24]).is_none());
    }
}
