//! RC4 (the NTLM sealing cipher), written out so that the keystream loop keeps `i`, `j` in
//! registers: the RustCrypto `rc4` 0.1 crate generates one 1-byte "block" at a time through the
//! `cipher` traits and runs at about a third of OpenSSL's speed (see README, Performance).
//! Checked against RFC 6229 vectors here and against `rc4` 0.1 in the NTLM tests. This file has
//! no dependency but `zeroize`, so that the benchmark baseline (`benches/raw`) compiles the very
//! same code.

use zeroize::Zeroize;

/// An RC4 keystream state. Zeroized on drop.
pub struct Rc4 {
    s: [u8; 256],
    i: u8,
    j: u8,
}

impl Rc4 {
    /// Key schedule for a key of 1..=256 bytes.
    pub fn new(key: &[u8]) -> Self {
        let mut s = [0u8; 256];
        for (i, x) in s.iter_mut().enumerate() {
            *x = i as u8;
        }
        if !key.is_empty() {
            let mut j = 0u8;
            for i in 0..256 {
                j = j.wrapping_add(s[i]).wrapping_add(key[i % key.len()]);
                s.swap(i, j as usize);
            }
        }
        Rc4 { s, i: 0, j: 0 }
    }

    /// XORs the next `data.len()` keystream bytes into `data`.
    #[inline]
    pub fn apply(&mut self, data: &mut [u8]) {
        let s = &mut self.s;
        let (mut i, mut j) = (self.i, self.j);
        for b in data.iter_mut() {
            i = i.wrapping_add(1);
            let si = s[i as usize];
            j = j.wrapping_add(si);
            let sj = s[j as usize];
            s[i as usize] = sj;
            s[j as usize] = si;
            *b ^= s[si.wrapping_add(sj) as usize];
        }
        self.i = i;
        self.j = j;
    }
}

impl Drop for Rc4 {
    fn drop(&mut self) {
        self.s.zeroize();
        self.i.zeroize();
        self.j.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::Rc4;

    #[test]
    fn rfc6229_vectors() {
        // RFC 6229 §2: key 0x0102030405, keystream offsets 0 and 16.
        let mut r = Rc4::new(&[1, 2, 3, 4, 5]);
        let mut ks = [0u8; 32];
        r.apply(&mut ks);
        assert_eq!(
            ks[..16],
            [
                0xb2, 0x39, 0x63, 0x05, 0xf0, 0x3d, 0xc0, 0x27, 0xcc, 0xc3, 0x52, 0x4a, 0x0a, 0x11,
                0x18, 0xa8
            ]
        );
        assert_eq!(
            ks[16..],
            [
                0x69, 0x82, 0x94, 0x4f, 0x18, 0xfc, 0x82, 0xd5, 0x89, 0xc4, 0x03, 0xa4, 0x7a, 0x0d,
                0x09, 0x19
            ]
        );
    }

    #[test]
    fn same_keystream_as_rustcrypto_rc4_in_pieces() {
        use rc4::{KeyInit, StreamCipher};
        let key: [u8; 16] = core::array::from_fn(|i| (i * 37 + 11) as u8);
        let mut theirs = <rc4::Rc4<rc4::consts::U16> as KeyInit>::new(&key.into());
        let mut ours = Rc4::new(&key);
        for n in [0usize, 1, 7, 64, 255, 256, 1000, 4096] {
            let mut a: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let mut b = a.clone();
            theirs.apply_keystream(&mut a);
            ours.apply(&mut b);
            assert_eq!(a, b, "n = {n}");
        }
    }
}
