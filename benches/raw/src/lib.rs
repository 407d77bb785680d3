//! Benchmark-only C functions: the raw cryptography secur32's packages run per message, with the
//! same crates and no SSPI layer (no handle table, no SecBufferDesc, no locks). Loaded by
//! `c-tests/bench.c` with dlopen, next to libsecur32.so, to print "shim / raw" ratios. Never part
//! of libsecur32.so.
//!
//! NTLM mirrors `src/packages/ntlm/seal.rs` step for step: clone the keyed HMAC-MD5 state
//! (`src/packages/ntlm/hmac_md5.rs`, the same source file compiled in here),
//! MAC the sequence number and the data while RC4 runs over it one MD5 block at a time, RC4 the
//! first 8 bytes of the MAC. RC4 is secur32's own (`src/packages/ntlm/rc4.rs`, the same source
//! file compiled in here), so the shim / raw figures compare the same code.
//! Schannel's record protection is ring AES-GCM (128- or 256-bit key, as the handshake
//! negotiated) sealed / opened in place.
//!
//! Every function is `extern "C"`, takes pointers the C caller owns, and returns 0 on success.

use md5::{Digest, Md5};
use ring::aead;
use std::panic::{catch_unwind, AssertUnwindSafe};
use subtle::ConstantTimeEq;

#[path = "../../../src/packages/ntlm/rc4.rs"]
mod rc4;
use rc4::Rc4;
#[path = "../../../src/packages/ntlm/hmac_md5.rs"]
#[allow(dead_code)] // the handshake helpers (`zero`, `mac`) are not benchmarked
mod hmac_md5;
use hmac_md5::HmacKey;

struct Dir {
    sign: HmacKey,
    rc4: Rc4,
    seq: u32,
}

impl Dir {
    fn new(key: &[u8; 16]) -> Self {
        let sign_key = Md5::new()
            .chain_update(key)
            .chain_update(b"sign")
            .finalize();
        let seal_key = Md5::new()
            .chain_update(key)
            .chain_update(b"seal")
            .finalize();
        Dir {
            sign: HmacKey::new(&sign_key),
            rc4: Rc4::new(&seal_key),
            seq: 0,
        }
    }
}

/// One NTLM session's two directions, keyed alike so that `unseal` opens what `seal` made.
pub struct RawNtlm {
    send: Dir,
    recv: Dir,
}

/// # Safety
/// `p` is NULL or valid for `n` bytes (readable, and writable when `mutable`).
unsafe fn slice<'a>(p: *mut u8, n: usize) -> &'a mut [u8] {
    if n == 0 || p.is_null() {
        return &mut [];
    }
    // SAFETY: per the contract.
    unsafe { core::slice::from_raw_parts_mut(p, n) }
}

/// New NTLM state from a 16-byte key. Free with [`secur32_raw_ntlm_free`].
///
/// # Safety
/// `key` points to 16 readable bytes.
#[no_mangle]
pub unsafe extern "C" fn secur32_raw_ntlm_new(key: *const u8) -> *mut RawNtlm {
    // SAFETY: 16 readable bytes per the contract.
    let k: [u8; 16] = unsafe { *(key as *const [u8; 16]) };
    Box::into_raw(Box::new(RawNtlm {
        send: Dir::new(&k),
        recv: Dir::new(&k),
    }))
}

/// # Safety
/// `s` is NULL or from [`secur32_raw_ntlm_new`], not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn secur32_raw_ntlm_free(s: *mut RawNtlm) {
    if !s.is_null() {
        // SAFETY: from Box::into_raw.
        drop(unsafe { Box::from_raw(s) });
    }
}

/// Seals `data` in place and writes the 16-byte NTLMSSP_MESSAGE_SIGNATURE to `sig`.
///
/// # Safety
/// `s` from [`secur32_raw_ntlm_new`], used by one thread at a time; `sig` writable for 16 bytes;
/// `data` valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn secur32_raw_ntlm_seal(
    s: *mut RawNtlm,
    sig: *mut u8,
    data: *mut u8,
    len: usize,
) -> i32 {
    // SAFETY: per the contract.
    let (d, sig, data) = unsafe { (&mut (*s).send, slice(sig, 16), slice(data, len)) };
    let mut mac = d.sign.state();
    mac.update(&d.seq.to_le_bytes());
    for piece in mac.block_pieces(data) {
        mac.update(piece);
        d.rc4.apply(piece);
    }
    let full = mac.finalize();
    let mut sum = [0u8; 8];
    sum.copy_from_slice(&full[..8]);
    d.rc4.apply(&mut sum);
    sig[..4].copy_from_slice(&1u32.to_le_bytes());
    sig[4..12].copy_from_slice(&sum);
    sig[12..16].copy_from_slice(&d.seq.to_le_bytes());
    d.seq = d.seq.wrapping_add(1);
    0
}

/// Opens what [`secur32_raw_ntlm_seal`] made (in order). 0 = genuine, 1 = altered/out of order.
///
/// # Safety
/// As [`secur32_raw_ntlm_seal`].
#[no_mangle]
pub unsafe extern "C" fn secur32_raw_ntlm_unseal(
    s: *mut RawNtlm,
    sig: *mut u8,
    data: *mut u8,
    len: usize,
) -> i32 {
    // SAFETY: per the contract.
    let (d, sig, data) = unsafe { (&mut (*s).recv, slice(sig, 16), slice(data, len)) };
    if sig[..4] != [1, 0, 0, 0] || sig[12..16] != d.seq.to_le_bytes() {
        return 1;
    }
    let mut mac = d.sign.state();
    mac.update(&d.seq.to_le_bytes());
    for piece in mac.block_pieces(data) {
        d.rc4.apply(piece);
        mac.update(piece);
    }
    let full = mac.finalize();
    let mut sum = [0u8; 8];
    sum.copy_from_slice(&full[..8]);
    d.rc4.apply(&mut sum);
    let mut got = [0u8; 8];
    got.copy_from_slice(&sig[4..12]);
    if !bool::from(u64::from_le_bytes(sum).ct_eq(&u64::from_le_bytes(got))) {
        return 1;
    }
    d.seq = d.seq.wrapping_add(1);
    0
}

/// MD5 of `len` bytes into `out` (16 bytes): the hash alone, for MB/s beside `openssl speed`.
///
/// # Safety
/// `data` valid for `len` bytes, `out` writable for 16.
#[no_mangle]
pub unsafe extern "C" fn secur32_raw_md5(data: *mut u8, len: usize, out: *mut u8) {
    // SAFETY: per the contract.
    let (data, out) = unsafe { (slice(data, len), slice(out, 16)) };
    out.copy_from_slice(&Md5::digest(data));
}

/// RC4 keystream XORed over `len` bytes (state kept in `s`'s send direction).
///
/// # Safety
/// As [`secur32_raw_ntlm_seal`].
#[no_mangle]
pub unsafe extern "C" fn secur32_raw_rc4(s: *mut RawNtlm, data: *mut u8, len: usize) {
    // SAFETY: per the contract.
    let (d, data) = unsafe { (&mut (*s).send, slice(data, len)) };
    d.rc4.apply(data);
}

/// AES-GCM key (ring), as a TLS record layer holds it.
pub struct RawGcm {
    key: aead::LessSafeKey,
}

/// # Safety
/// `key` points to 16 readable bytes.
#[no_mangle]
pub unsafe extern "C" fn secur32_raw_gcm_new(key: *const u8) -> *mut RawGcm {
    // SAFETY: 16 readable bytes per the contract.
    let k: &[u8; 16] = unsafe { &*(key as *const [u8; 16]) };
    match aead::UnboundKey::new(&aead::AES_128_GCM, k) {
        Ok(u) => Box::into_raw(Box::new(RawGcm {
            key: aead::LessSafeKey::new(u),
        })),
        Err(_) => core::ptr::null_mut(),
    }
}

/// AES-256-GCM (TLS_AES_256_GCM_SHA384, ECDHE-…-AES256-GCM-SHA384); otherwise as
/// [`secur32_raw_gcm_new`], freed with [`secur32_raw_gcm_free`].
///
/// # Safety
/// `key` points to 32 readable bytes.
#[no_mangle]
pub unsafe extern "C" fn secur32_raw_gcm256_new(key: *const u8) -> *mut RawGcm {
    // SAFETY: 32 readable bytes per the contract.
    let k: &[u8; 32] = unsafe { &*(key as *const [u8; 32]) };
    match aead::UnboundKey::new(&aead::AES_256_GCM, k) {
        Ok(u) => Box::into_raw(Box::new(RawGcm {
            key: aead::LessSafeKey::new(u),
        })),
        Err(_) => core::ptr::null_mut(),
    }
}

/// # Safety
/// `s` is NULL or from [`secur32_raw_gcm_new`] / [`secur32_raw_gcm256_new`], not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn secur32_raw_gcm_free(s: *mut RawGcm) {
    if !s.is_null() {
        // SAFETY: from Box::into_raw.
        drop(unsafe { Box::from_raw(s) });
    }
}

fn nonce(seq: u64) -> aead::Nonce {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&seq.to_be_bytes());
    aead::Nonce::assume_unique_for_key(n)
}

/// Seals `len` bytes in place with a 5-byte TLS 1.3 record header as AAD; tag (16) to `tag`.
///
/// # Safety
/// `s` from [`secur32_raw_gcm_new`]; `data` valid for `len` bytes; `tag` writable for 16.
#[no_mangle]
pub unsafe extern "C" fn secur32_raw_gcm_seal(
    s: *const RawGcm,
    seq: u64,
    data: *mut u8,
    len: usize,
    tag: *mut u8,
) -> i32 {
    // SAFETY: per the contract.
    let (k, data, tag) = unsafe { (&(*s).key, slice(data, len), slice(tag, 16)) };
    let aad = [0x17, 0x03, 0x03, (len >> 8) as u8, len as u8];
    match k.seal_in_place_separate_tag(nonce(seq), aead::Aad::from(aad), data) {
        Ok(t) => {
            tag.copy_from_slice(t.as_ref());
            0
        }
        Err(_) => 1,
    }
}

/// Opens what [`secur32_raw_gcm_seal`] made: `data` (`len` bytes) followed in memory by nothing
/// else needed — the tag is passed apart. 0 = genuine.
///
/// # Safety
/// As [`secur32_raw_gcm_seal`]; `tag` readable for 16.
#[no_mangle]
pub unsafe extern "C" fn secur32_raw_gcm_open(
    s: *const RawGcm,
    seq: u64,
    data: *mut u8,
    len: usize,
    tag: *mut u8,
) -> i32 {
    // SAFETY: per the contract.
    let (k, data, tag) = unsafe { (&(*s).key, slice(data, len), slice(tag, 16)) };
    let aad = [0x17, 0x03, 0x03, (len >> 8) as u8, len as u8];
    let Ok(t) = <[u8; 16]>::try_from(&*tag) else {
        return 1;
    };
    let r = catch_unwind(AssertUnwindSafe(|| {
        k.open_in_place_separate_tag(
            nonce(seq),
            aead::Aad::from(aad),
            aead::Tag::from(t),
            data,
            0..,
        )
        .is_ok()
    }));
    if matches!(r, Ok(true)) {
        0
    } else {
        1
    }
}

// ---------------------------------------------------------------------------------------------
// Kerberos AES256-CTS-HMAC-SHA1-96 (RFC 3962) as RFC 4121 wraps with confidentiality: the
// plaintext (confounder ‖ data ‖ token header copy) MACed with HMAC-SHA1 (ring; 96-bit tag) and
// encrypted in place with AES-256 CBC-CS3 (aes + cts, IV zero), the package's crates and calls.

use aes::cipher::InnerIvInit;
use cts::{Decrypt as _, Encrypt as _};

/// Ke (AES-256 key schedule) and Ki (HMAC-SHA1 key) of one direction.
pub struct RawKrb {
    ke: aes::Aes256,
    ki: ring::hmac::Key,
}

/// New Kerberos state from a 32-byte key (used as Ke and Ki alike: the cost is what counts).
///
/// # Safety
/// `key` points to 32 readable bytes.
#[no_mangle]
pub unsafe extern "C" fn secur32_raw_krb_new(key: *const u8) -> *mut RawKrb {
    use aes::cipher::KeyInit;
    // SAFETY: 32 readable bytes per the contract.
    let k: [u8; 32] = unsafe { *(key as *const [u8; 32]) };
    Box::into_raw(Box::new(RawKrb {
        ke: aes::Aes256::new(&k.into()),
        ki: ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &k),
    }))
}

/// # Safety
/// `s` is NULL or from [`secur32_raw_krb_new`], not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn secur32_raw_krb_free(s: *mut RawKrb) {
    if !s.is_null() {
        // SAFETY: from Box::into_raw.
        drop(unsafe { Box::from_raw(s) });
    }
}

/// MACs `buf` (`len` ≥ 17 bytes: confounder ‖ data ‖ header) into `mac` (12 bytes) and encrypts
/// it in place.
///
/// # Safety
/// `s` from [`secur32_raw_krb_new`]; `buf` valid for `len` bytes; `mac` writable for 12 bytes.
#[no_mangle]
pub unsafe extern "C" fn secur32_raw_krb_seal(
    s: *mut RawKrb,
    buf: *mut u8,
    len: usize,
    mac: *mut u8,
) -> i32 {
    // SAFETY: per the contract.
    let (s, buf, mac) = unsafe { (&*s, slice(buf, len), slice(mac, 12)) };
    let tag = ring::hmac::sign(&s.ki, buf);
    mac.copy_from_slice(&tag.as_ref()[..12]);
    match cts::CbcCs3Enc::<aes::Aes256>::inner_iv_slice_init(s.ke.clone(), &[0u8; 16]) {
        Ok(c) => c.encrypt(buf).map_or(1, |_| 0),
        Err(_) => 1,
    }
}

/// Decrypts what [`secur32_raw_krb_seal`] made and checks its MAC. 0 = genuine.
///
/// # Safety
/// As [`secur32_raw_krb_seal`]; `mac` readable for 12 bytes.
#[no_mangle]
pub unsafe extern "C" fn secur32_raw_krb_unseal(
    s: *mut RawKrb,
    buf: *mut u8,
    len: usize,
    mac: *mut u8,
) -> i32 {
    // SAFETY: per the contract.
    let (s, buf, mac) = unsafe { (&*s, slice(buf, len), slice(mac, 12)) };
    let ok = cts::CbcCs3Dec::<aes::Aes256>::inner_iv_slice_init(s.ke.clone(), &[0u8; 16])
        .ok()
        .and_then(|c| c.decrypt(buf).ok())
        .is_some();
    let tag = ring::hmac::sign(&s.ki, buf);
    i32::from(!(ok && subtle::ConstantTimeEq::ct_eq(&tag.as_ref()[..12], &*mac).into()))
}
