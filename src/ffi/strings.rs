//! A (UTF-8) and W (UTF-16) strings at the boundary, and SEC_WINNT_AUTH_IDENTITY decoding.

use super::consts::*;
use super::types::*;
use crate::buffers::alloc_context_buffer;
use crate::package::Identity;
use crate::status::{Error, SecResult};
use core::ffi::{c_char, c_void};
use zeroize::Zeroizing;

/// Longest string accepted from a caller, in characters.
const MAX_CHARS: usize = 1 << 16;

/// Which character set an export uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
    /// The A functions: UTF-8.
    Ansi,
    /// The W functions: UTF-16.
    Wide,
}

/// Reads a NUL-terminated UTF-8 string; NULL → `None`. Invalid UTF-8 is replaced.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string.
pub unsafe fn a_str(p: *const c_char) -> SecResult<Option<String>> {
    if p.is_null() {
        return Ok(None);
    }
    let mut n = 0usize;
    // SAFETY: p is NUL-terminated; we stop at the NUL or the cap.
    while unsafe { *p.add(n) } != 0 {
        n += 1;
        if n > MAX_CHARS {
            return Err(Error::InvalidParameter);
        }
    }
    // SAFETY: n bytes before the NUL are readable.
    let bytes = unsafe { core::slice::from_raw_parts(p as *const u8, n) };
    Ok(Some(lossy_utf8(bytes)))
}

/// Reads a NUL-terminated UTF-16 string; NULL → `None`.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated UTF-16 string.
pub unsafe fn w_str(p: *const u16) -> SecResult<Option<String>> {
    if p.is_null() {
        return Ok(None);
    }
    let mut n = 0usize;
    // SAFETY: p is NUL-terminated; we stop at the NUL or the cap.
    while unsafe { p.add(n).read_unaligned() } != 0 {
        n += 1;
        if n > MAX_CHARS {
            return Err(Error::InvalidParameter);
        }
    }
    let mut v = Zeroizing::new(Vec::with_capacity(n));
    for i in 0..n {
        // SAFETY: i < n, inside the string.
        v.push(unsafe { p.add(i).read_unaligned() });
    }
    Ok(Some(lossy_utf16(&v)))
}

/// UTF-8 with invalid sequences replaced, built in one allocation of the final capacity so no
/// reallocation leaves a copy of a secret (passwords pass through here) in freed memory.
fn lossy_utf8(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len().saturating_mul(3));
    for chunk in b.utf8_chunks() {
        s.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            s.push(char::REPLACEMENT_CHARACTER);
        }
    }
    s
}

/// UTF-16 with unpaired surrogates replaced, in one allocation (see [`lossy_utf8`]): a UTF-16
/// unit never takes more than 3 bytes of UTF-8.
fn lossy_utf16(v: &[u16]) -> String {
    let mut s = String::with_capacity(v.len().saturating_mul(3));
    for c in char::decode_utf16(v.iter().copied()) {
        s.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    s
}

/// Reads a string in either charset.
///
/// # Safety
/// As [`a_str`] / [`w_str`] for the charset.
pub unsafe fn any_str(p: *const c_void, cs: Charset) -> SecResult<Option<String>> {
    match cs {
        // SAFETY: forwarded contract.
        Charset::Ansi => unsafe { a_str(p as *const c_char) },
        // SAFETY: forwarded contract.
        Charset::Wide => unsafe { w_str(p as *const u16) },
    }
}

/// Reads a counted string (length in characters, no NUL needed); NULL → `None`.
///
/// # Safety
/// `p` is NULL or points to `len` characters of the charset.
unsafe fn counted(p: *const c_void, len: u32, cs: Charset) -> SecResult<Option<String>> {
    if p.is_null() {
        return Ok(None);
    }
    let len = len as usize;
    if len > MAX_CHARS {
        return Err(Error::InvalidParameter);
    }
    Ok(Some(match cs {
        Charset::Ansi => {
            // SAFETY: len bytes readable per the contract.
            let b = unsafe { core::slice::from_raw_parts(p as *const u8, len) };
            lossy_utf8(b)
        }
        Charset::Wide => {
            let w = p as *const u16;
            // SAFETY: len UTF-16 units readable per the contract.
            let v: Zeroizing<Vec<u16>> = Zeroizing::new(
                (0..len)
                    .map(|i| unsafe { w.add(i).read_unaligned() })
                    .collect(),
            );
            lossy_utf16(&v)
        }
    }))
}

/// Decodes SEC_WINNT_AUTH_IDENTITY_A/W or SEC_WINNT_AUTH_IDENTITY_EXA/W. The charset comes from
/// the structure's Flags (ANSI or UNICODE), as on Windows; `default` is used when neither is set.
///
/// # Safety
/// `p` points to one of those structures with valid string pointers.
pub unsafe fn decode_identity(p: *const c_void, default: Charset) -> SecResult<Identity> {
    // SAFETY: every form starts with at least two ULONG-sized readable words.
    let version = unsafe { (p as *const ULONG).read_unaligned() };
    if version == SEC_WINNT_AUTH_IDENTITY_VERSION {
        // SAFETY: Version says this is the _EX form (same layout for A and W).
        let ex = unsafe { (p as *const SEC_WINNT_AUTH_IDENTITY_EXW).read_unaligned() };
        if ex.Length as usize != core::mem::size_of::<SEC_WINNT_AUTH_IDENTITY_EXW>() {
            return Err(Error::UnknownCredentials);
        }
        let cs = charset(ex.Flags, default);
        // SAFETY: pointers and lengths come from the caller's identity.
        return unsafe {
            Ok(Identity {
                user: counted(ex.User as *const c_void, ex.UserLength, cs)?,
                domain: counted(ex.Domain as *const c_void, ex.DomainLength, cs)?,
                password: counted(ex.Password as *const c_void, ex.PasswordLength, cs)?
                    .map(Zeroizing::new),
                package_list: counted(ex.PackageList as *const c_void, ex.PackageListLength, cs)?,
            })
        };
    }
    if version == SEC_WINNT_AUTH_IDENTITY_VERSION_2 {
        return Err(Error::UnknownCredentials);
    }
    // SAFETY: the plain form (same layout for A and W).
    let id = unsafe { (p as *const SEC_WINNT_AUTH_IDENTITY_W).read_unaligned() };
    let cs = charset(id.Flags, default);
    // SAFETY: pointers and lengths come from the caller's identity.
    unsafe {
        Ok(Identity {
            user: counted(id.User as *const c_void, id.UserLength, cs)?,
            domain: counted(id.Domain as *const c_void, id.DomainLength, cs)?,
            password: counted(id.Password as *const c_void, id.PasswordLength, cs)?
                .map(Zeroizing::new),
            package_list: None,
        })
    }
}

fn charset(flags: ULONG, default: Charset) -> Charset {
    if flags & SEC_WINNT_AUTH_IDENTITY_UNICODE != 0 {
        Charset::Wide
    } else if flags & SEC_WINNT_AUTH_IDENTITY_ANSI != 0 {
        Charset::Ansi
    } else {
        default
    }
}

/// Size in bytes of `s` encoded NUL-terminated in `cs`.
pub fn encoded_len(s: &str, cs: Charset) -> usize {
    match cs {
        Charset::Ansi => s.len() + 1,
        Charset::Wide => (s.encode_utf16().count() + 1) * 2,
    }
}

/// Writes `s` NUL-terminated in `cs` at `dst`; returns the bytes written.
///
/// # Safety
/// `dst` is writable for `encoded_len(s, cs)` bytes.
pub unsafe fn encode_into(dst: *mut u8, s: &str, cs: Charset) -> usize {
    match cs {
        Charset::Ansi => {
            // SAFETY: room for s.len() + 1 bytes per the contract.
            unsafe {
                core::ptr::copy_nonoverlapping(s.as_ptr(), dst, s.len());
                *dst.add(s.len()) = 0;
            }
            s.len() + 1
        }
        Charset::Wide => {
            let mut n = 0;
            for u in s.encode_utf16().chain(core::iter::once(0)) {
                // SAFETY: room for every unit per the contract; unaligned writes are allowed.
                unsafe { (dst.add(n * 2) as *mut u16).write_unaligned(u) };
                n += 1;
            }
            n * 2
        }
    }
}

/// A new NUL-terminated string in `cs`, freed by FreeContextBuffer.
pub fn alloc_string(s: &str, cs: Charset) -> SecResult<*mut c_void> {
    let n = encoded_len(s, cs);
    let p = alloc_context_buffer(n).ok_or(Error::InsufficientMemory)?;
    // SAFETY: p holds n bytes.
    unsafe { encode_into(p, s, cs) };
    Ok(p as *mut c_void)
}
