//! In-place, allocation-free RFC 3961 primitives over a message scattered across several
//! caller buffers (the SSPI `[TOKEN, DATA…, PADDING]` layout of RFC 4121 wrap tokens).
//!
//! A [`Stream`] is a virtual byte string `U` laid over physical segments (slices of numbered
//! regions, e.g. SecBuffers) *rotated*: `U[i]` lives at physical offset `(i + rot) mod len`,
//! which is exactly RFC 4121 §4.2.5's "right rotation count" (RRC) seen from the receiver.
//! AES-CBC-CS3 ([`cts_encrypt`] / [`cts_decrypt`]) and HMAC ([`Stream::hmac_update`]) run
//! over ranges of `U` block by block, gathering and scattering 16 bytes at a time.

use ring::hmac;

use super::aes_cts::{Aes, BLOCK};

/// Numbered byte regions, lent one at a time (a `SecBuffers` or a test's vectors).
pub trait Regions {
    /// Region `i`, read-only.
    fn region(&self, i: usize) -> &[u8];
    /// Region `i`, writable.
    fn region_mut(&mut self, i: usize) -> &mut [u8];
}

impl Regions for [&mut [u8]] {
    fn region(&self, i: usize) -> &[u8] {
        self.get(i).map_or(&[], |r| &r[..])
    }
    fn region_mut(&mut self, i: usize) -> &mut [u8] {
        match self.get_mut(i) {
            Some(r) => r,
            None => &mut [],
        }
    }
}

/// One physical piece of a [`Stream`]: `len` bytes at `start` in region `region`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seg {
    pub region: usize,
    pub start: usize,
    pub len: usize,
}

/// A rotated virtual byte string over physical segments (see the module docs).
pub struct Stream<'a, R: Regions + ?Sized> {
    regions: &'a mut R,
    segs: &'a [Seg],
    total: usize,
    rot: usize,
}

impl<'a, R: Regions + ?Sized> Stream<'a, R> {
    /// A stream over `segs` (physical order) rotated by `rot` bytes (taken modulo the length).
    /// Every segment must lie inside its region (the caller validates buffers first).
    pub fn new(regions: &'a mut R, segs: &'a [Seg], rot: usize) -> Self {
        let total = segs.iter().map(|s| s.len).sum();
        let rot = if total == 0 { 0 } else { rot % total };
        Stream {
            regions,
            segs,
            total,
            rot,
        }
    }

    /// The underlying regions, read-only (e.g. to hash a read-only buffer between ranges).
    pub fn regions(&self) -> &R {
        self.regions
    }

    /// Length of the virtual string.
    pub fn len(&self) -> usize {
        self.total
    }

    /// True when the stream holds no byte.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Calls `f(region, start, len)` for each physical piece of `U[u .. u + len]`, in order.
    fn pieces(&self, u: usize, len: usize, mut f: impl FnMut(usize, usize, usize)) {
        if len == 0 || self.total == 0 {
            return;
        }
        let mut p = (u + self.rot) % self.total;
        let mut left = len.min(self.total);
        // Find the segment holding physical offset p.
        let mut seg_start = 0;
        let mut k = 0;
        while k < self.segs.len() && seg_start + self.segs[k].len <= p {
            seg_start += self.segs[k].len;
            k += 1;
        }
        while left > 0 {
            if k >= self.segs.len() {
                // Wrap around the end of the physical string.
                k = 0;
                seg_start = 0;
                p = 0;
                continue;
            }
            let s = self.segs[k];
            let off = p - seg_start;
            let n = (s.len - off).min(left);
            if n > 0 {
                f(s.region, s.start + off, n);
            }
            left -= n;
            p += n;
            seg_start += s.len;
            k += 1;
        }
    }

    /// The first physical piece of `U[u .. u + len]`: (region, start, length ≤ len).
    fn first_piece(&self, u: usize, len: usize) -> Option<(usize, usize, usize)> {
        let mut first = None;
        self.pieces(u, len, |r, s, n| {
            if first.is_none() {
                first = Some((r, s, n));
            }
        });
        first
    }

    /// Copies `U[u .. u + out.len()]` into `out`.
    pub fn read(&self, u: usize, out: &mut [u8]) {
        let mut at = 0;
        let regions = &*self.regions;
        self.pieces(u, out.len(), |r, s, n| {
            if let Some(src) = regions.region(r).get(s..s + n) {
                out[at..at + n].copy_from_slice(src);
            }
            at += n;
        });
    }

    /// Writes `data` at `U[u ..]`.
    pub fn write(&mut self, u: usize, data: &[u8]) {
        let mut at = 0;
        let segs = self.segs;
        let (total, rot) = (self.total, self.rot);
        let regions = &mut *self.regions;
        let view = Stream {
            regions: &mut (),
            segs,
            total,
            rot,
        };
        view.pieces(u, data.len(), |r, s, n| {
            if let Some(dst) = regions.region_mut(r).get_mut(s..s + n) {
                dst.copy_from_slice(&data[at..at + n]);
            }
            at += n;
        });
    }

    /// Feeds `U[u .. u + len]` to an HMAC.
    pub fn hmac_update(&self, ctx: &mut hmac::Context, u: usize, len: usize) {
        let regions = &*self.regions;
        self.pieces(u, len, |r, s, n| {
            if let Some(src) = regions.region(r).get(s..s + n) {
                ctx.update(src);
            }
        });
    }

    /// Feeds `U[u .. u + len]` to any byte sink (e.g. an MD5 or HMAC-MD5 state).
    pub fn for_each_piece(&self, u: usize, len: usize, mut f: impl FnMut(&[u8])) {
        let regions = &*self.regions;
        self.pieces(u, len, |r, s, n| {
            if let Some(src) = regions.region(r).get(s..s + n) {
                f(src);
            }
        });
    }

    /// Applies `f` in place to each physical piece of `U[u .. u + len]` (e.g. an RC4
    /// keystream, which runs in order across the pieces).
    pub fn for_each_piece_mut(&mut self, u: usize, len: usize, mut f: impl FnMut(&mut [u8])) {
        let segs = self.segs;
        let (total, rot) = (self.total, self.rot);
        let regions = &mut *self.regions;
        let view = Stream {
            regions: &mut (),
            segs,
            total,
            rot,
        };
        view.pieces(u, len, |r, s, n| {
            if let Some(dst) = regions.region_mut(r).get_mut(s..s + n) {
                f(dst);
            }
        });
    }

    fn block(&self, u: usize) -> [u8; BLOCK] {
        let mut b = [0u8; BLOCK];
        self.read(u, &mut b);
        b
    }
}

/// `()` as an empty region set: lets `write` reuse `pieces` while the real regions are
/// borrowed mutably.
impl Regions for () {
    fn region(&self, _: usize) -> &[u8] {
        &[]
    }
    fn region_mut(&mut self, _: usize) -> &mut [u8] {
        &mut []
    }
}

fn xor(a: &mut [u8; BLOCK], b: &[u8; BLOCK]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

/// The whole blocks of `U[u .. u + blocks * 16]` that lie in one physical piece, as a slice
/// (the fast path: most of a message is inside one caller buffer). `None` when the first
/// block straddles two pieces.
fn run_mut<'s, R: Regions + ?Sized>(
    s: &'s mut Stream<'_, R>,
    u: usize,
    blocks: usize,
) -> Option<&'s mut [u8]> {
    let (r, start, len) = s.first_piece(u, blocks * BLOCK)?;
    let k = len / BLOCK;
    if k == 0 {
        return None;
    }
    s.regions.region_mut(r).get_mut(start..start + k * BLOCK)
}

/// CBC-encrypts blocks `[from, to)` of the stream in place, chaining on `prev`.
fn cbc_encrypt_blocks<R: Regions + ?Sized>(
    aes: &Aes,
    s: &mut Stream<'_, R>,
    from: usize,
    to: usize,
    prev: &mut [u8; BLOCK],
) {
    let mut i = from;
    while i < to {
        if let Some(run) = run_mut(s, i * BLOCK, to - i) {
            let k = run.len() / BLOCK;
            for chunk in run.chunks_exact_mut(BLOCK) {
                let b: &mut [u8; BLOCK] = match chunk.try_into() {
                    Ok(b) => b,
                    Err(_) => continue, // unreachable: chunks_exact
                };
                xor(b, prev);
                aes.encrypt_block(b);
                *prev = *b;
            }
            i += k;
        } else {
            let mut b = s.block(i * BLOCK);
            xor(&mut b, prev);
            aes.encrypt_block(&mut b);
            s.write(i * BLOCK, &b);
            *prev = b;
            i += 1;
        }
    }
}

/// CBC-decrypts blocks `[from, to)` of the stream in place, chaining on `prev` (the
/// ciphertext block before `from`); eight blocks at a time through AES's parallel path.
fn cbc_decrypt_blocks<R: Regions + ?Sized>(
    aes: &Aes,
    s: &mut Stream<'_, R>,
    from: usize,
    to: usize,
    prev: &mut [u8; BLOCK],
) {
    const PAR: usize = 8;
    let mut i = from;
    while i < to {
        if let Some(run) = run_mut(s, i * BLOCK, to - i) {
            let k = run.len() / BLOCK;
            for chunk in run.chunks_mut(PAR * BLOCK) {
                let mut saved = [0u8; PAR * BLOCK];
                let saved = &mut saved[..chunk.len()];
                saved.copy_from_slice(chunk);
                aes.decrypt_blocks(chunk);
                for (j, b) in chunk.chunks_exact_mut(BLOCK).enumerate() {
                    let c_prev: &[u8] = if j == 0 {
                        &prev[..]
                    } else {
                        &saved[(j - 1) * BLOCK..j * BLOCK]
                    };
                    for (x, y) in b.iter_mut().zip(c_prev) {
                        *x ^= y;
                    }
                }
                // `saved` holds ciphertext (public): no zeroizing, which cost a volatile store
                // per byte (≈ 15 % of a 16 KiB unwrap).
                prev.copy_from_slice(&saved[saved.len() - BLOCK..]);
            }
            i += k;
        } else {
            let c = s.block(i * BLOCK);
            let mut p = c;
            aes.decrypt_block(&mut p);
            xor(&mut p, prev);
            s.write(i * BLOCK, &p);
            *prev = c;
            i += 1;
        }
    }
}

/// AES-CBC-CS3 encryption (zero IV) of `U[0 .. len]` in place; `len` must be at least one
/// block (`false` otherwise, nothing changed). Same output as [`Aes::cts_encrypt`].
pub fn cts_encrypt<R: Regions + ?Sized>(aes: &Aes, s: &mut Stream<'_, R>, len: usize) -> bool {
    if len < BLOCK || len > s.len() {
        return false;
    }
    let n = len.div_ceil(BLOCK);
    let d = len - BLOCK * (n - 1); // bytes in the last block, 1..=16
    let mut prev = [0u8; BLOCK];
    if n == 1 {
        let mut b = s.block(0);
        aes.encrypt_block(&mut b);
        s.write(0, &b);
        return true;
    }
    // Blocks before the last two in CBC order, then C(n-1), kept back for the swap.
    cbc_encrypt_blocks(aes, s, 0, n - 2, &mut prev);
    let mut b = s.block((n - 2) * BLOCK);
    xor(&mut b, &prev);
    aes.encrypt_block(&mut b);
    prev = b;
    // Last plaintext block zero-padded, chained on C(n-1).
    let mut last = [0u8; BLOCK];
    s.read((n - 1) * BLOCK, &mut last[..d]);
    xor(&mut last, &prev);
    aes.encrypt_block(&mut last);
    // Swap: C(n) into position n-1, the first d bytes of C(n-1) into position n.
    s.write((n - 2) * BLOCK, &last);
    s.write((n - 1) * BLOCK, &prev[..d]);
    zeroize::Zeroize::zeroize(&mut prev);
    true
}

/// AES-CBC-CS3 decryption (zero IV) of `U[0 .. len]` in place; the inverse of
/// [`cts_encrypt`]. `false` (nothing changed) when `len` is under one block.
pub fn cts_decrypt<R: Regions + ?Sized>(aes: &Aes, s: &mut Stream<'_, R>, len: usize) -> bool {
    if len < BLOCK || len > s.len() {
        return false;
    }
    let n = len.div_ceil(BLOCK);
    let d = len - BLOCK * (n - 1);
    if n == 1 {
        let mut b = s.block(0);
        aes.decrypt_block(&mut b);
        s.write(0, &b);
        return true;
    }
    let mut prev = [0u8; BLOCK]; // C(i-1)
    cbc_decrypt_blocks(aes, s, 0, n - 2, &mut prev);
    // Position n-1 holds C(n); position n holds the first d bytes of C(n-1).
    let cn = s.block((n - 2) * BLOCK);
    let mut tail = [0u8; BLOCK];
    s.read((n - 1) * BLOCK, &mut tail[..d]);
    let mut z = cn;
    aes.decrypt_block(&mut z); // (P(n) ‖ 0) xor C(n-1)
    let mut cn1 = z;
    cn1[..d].copy_from_slice(&tail[..d]); // C(n-1) = tail ‖ z[d..]
    let mut pn = [0u8; BLOCK];
    for j in 0..d {
        pn[j] = z[j] ^ tail[j];
    }
    let mut pn1 = cn1;
    aes.decrypt_block(&mut pn1);
    xor(&mut pn1, &prev);
    s.write((n - 2) * BLOCK, &pn1);
    s.write((n - 1) * BLOCK, &pn[..d]);
    zeroize::Zeroize::zeroize(&mut z);
    zeroize::Zeroize::zeroize(&mut pn);
    zeroize::Zeroize::zeroize(&mut pn1);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::{SecureRandom, SystemRandom};

    fn rand_bytes(n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        SystemRandom::new().fill(&mut v).unwrap();
        v
    }

    fn rand_below(n: usize) -> usize {
        let mut b = [0u8; 4];
        SystemRandom::new().fill(&mut b).unwrap();
        u32::from_le_bytes(b) as usize % n.max(1)
    }

    /// Splits `data` at random points into up to 6 regions, each embedded at a random offset
    /// inside a larger buffer (bytes around it must stay untouched).
    fn scatter(data: &[u8]) -> (Vec<Vec<u8>>, Vec<Seg>) {
        let mut cuts: Vec<usize> = (0..rand_below(6))
            .map(|_| rand_below(data.len() + 1))
            .collect();
        cuts.push(0);
        cuts.push(data.len());
        cuts.sort_unstable();
        let mut bufs = Vec::new();
        let mut segs = Vec::new();
        for w in cuts.windows(2) {
            let pre = rand_below(5);
            let mut b = rand_bytes(pre);
            b.extend_from_slice(&data[w[0]..w[1]]);
            b.extend_from_slice(&rand_bytes(rand_below(5)));
            segs.push(Seg {
                region: bufs.len(),
                start: pre,
                len: w[1] - w[0],
            });
            bufs.push(b);
        }
        (bufs, segs)
    }

    fn gather(bufs: &[Vec<u8>], segs: &[Seg]) -> Vec<u8> {
        segs.iter()
            .flat_map(|s| bufs[s.region][s.start..s.start + s.len].to_vec())
            .collect()
    }

    /// Differential test against the `cts` crate (via `Aes::cts_encrypt`) on random splits
    /// and rotations: same ciphertext, bytes outside the segments untouched, round trip.
    #[test]
    fn iov_cts_equals_contiguous_cts_on_random_splits() {
        for round in 0..400 {
            let key = Aes::new(&rand_bytes(if round % 2 == 0 { 16 } else { 32 })).unwrap();
            let len = 16 + rand_below(if round % 3 == 0 { 700 } else { 120 });
            let extra = rand_below(40); // bytes of the stream after the CTS range
            let plain = rand_bytes(len + extra);
            let rot = rand_below(len + extra + 3);
            // Physical = plain rotated right by rot, so U = plain.
            let total = plain.len();
            let r = rot % total;
            let mut physical = plain[total - r..].to_vec();
            physical.extend_from_slice(&plain[..total - r]);
            let (mut bufs, segs) = scatter(&physical);
            let before = bufs.clone();
            {
                let mut views: Vec<&mut [u8]> = bufs.iter_mut().map(|b| &mut b[..]).collect();
                let mut s = Stream::new(&mut views[..], &segs, rot);
                assert!(cts_encrypt(&key, &mut s, len));
            }
            // Compare with the contiguous reference.
            let mut want = plain.clone();
            key.cts_encrypt(&mut want[..len]).unwrap();
            let got_phys = gather(&bufs, &segs);
            let mut got = got_phys[r..].to_vec();
            got.extend_from_slice(&got_phys[..r]);
            assert_eq!(got, want, "round {round} len {len} rot {rot}");
            // Bytes outside the segments are untouched.
            for (b, (old, s)) in bufs.iter().zip(before.iter().zip(&segs)) {
                assert_eq!(b[..s.start], old[..s.start]);
                assert_eq!(b[s.start + s.len..], old[s.start + s.len..]);
            }
            {
                let mut views: Vec<&mut [u8]> = bufs.iter_mut().map(|b| &mut b[..]).collect();
                let mut s = Stream::new(&mut views[..], &segs, rot);
                assert!(cts_decrypt(&key, &mut s, len));
            }
            assert_eq!(gather(&bufs, &segs), physical);
        }
    }

    #[test]
    fn short_ranges_are_refused_and_hmac_pieces_cover_the_range() {
        let key = Aes::new(&[1u8; 16]).unwrap();
        let mut a = [0u8; 10];
        let mut b = [0u8; 5];
        let segs = [
            Seg {
                region: 0,
                start: 0,
                len: 10,
            },
            Seg {
                region: 1,
                start: 0,
                len: 5,
            },
        ];
        let mut views: [&mut [u8]; 2] = [&mut a, &mut b];
        let mut s = Stream::new(&mut views[..], &segs, 3);
        assert!(!cts_encrypt(&key, &mut s, 15));
        assert!(!cts_decrypt(&key, &mut s, 16));
        s.write(0, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
        let mut out = [0u8; 15];
        s.read(0, &mut out);
        assert_eq!(out, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
        let k = hmac::Key::new(hmac::HMAC_SHA256, b"k");
        let mut ctx = hmac::Context::with_key(&k);
        s.hmac_update(&mut ctx, 2, 11);
        assert_eq!(ctx.sign().as_ref(), hmac::sign(&k, &out[2..13]).as_ref());
        // Rotated by 3: U[0] is physical 3.
        assert_eq!(a[3], 1);
        assert_eq!(b[4], 12);
        assert_eq!(a[0], 13);
    }
}
