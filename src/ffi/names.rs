//! secext.h: GetUserNameExA/W, GetComputerObjectNameA/W, TranslateNameA/W. cbindgen turns this
//! file into `include/secext.h` (security.h includes it, as on Windows).
//!
//! Buffer convention of all three (Microsoft, "GetUserNameExW function (secext.h)"): `nSize`
//! counts characters; on success it receives the length without the terminator and the
//! function returns TRUE; when the buffer is NULL or too small the function returns FALSE,
//! GetLastError() is ERROR_MORE_DATA and `*nSize` is the size needed including the terminator.

use super::crypt32::set_last_error;
use super::exports::guard;
use super::strings::{a_str, encode_into, encoded_len, w_str, Charset};
use super::types::*;
use crate::status::Outcome;
use core::ffi::c_void;

/// EXTENDED_NAME_FORMAT (secext.h): the name formats of GetUserNameEx and TranslateName.
pub type EXTENDED_NAME_FORMAT = u32;
/// Pointer to EXTENDED_NAME_FORMAT.
pub type PEXTENDED_NAME_FORMAT = *mut EXTENDED_NAME_FORMAT;

pub const NameUnknown: EXTENDED_NAME_FORMAT = 0;
pub const NameFullyQualifiedDN: EXTENDED_NAME_FORMAT = 1;
pub const NameSamCompatible: EXTENDED_NAME_FORMAT = 2;
pub const NameDisplay: EXTENDED_NAME_FORMAT = 3;
pub const NameUniqueId: EXTENDED_NAME_FORMAT = 6;
pub const NameCanonical: EXTENDED_NAME_FORMAT = 7;
pub const NameUserPrincipal: EXTENDED_NAME_FORMAT = 8;
pub const NameCanonicalEx: EXTENDED_NAME_FORMAT = 9;
pub const NameServicePrincipal: EXTENDED_NAME_FORMAT = 10;
pub const NameDnsDomain: EXTENDED_NAME_FORMAT = 12;
pub const NameGivenName: EXTENDED_NAME_FORMAT = 13;
pub const NameSurname: EXTENDED_NAME_FORMAT = 14;

/// winerror.h codes these functions leave in GetLastError().
const ERROR_INVALID_PARAMETER: DWORD = 87;
const ERROR_MORE_DATA: DWORD = 234;
const ERROR_NONE_MAPPED: DWORD = 1332;
const ERROR_NO_SUCH_DOMAIN: DWORD = 1355;
const ERROR_CANT_ACCESS_DOMAIN_INFO: DWORD = 1351;

/// The machine's NetBIOS-style name on Windows: %COMPUTERNAME% (set by Windows for every
/// process; the NetBIOS name GetComputerNameW returns).
#[cfg(windows)]
fn computer_name() -> String {
    std::env::var("COMPUTERNAME")
        .ok()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "LOCALHOST".to_owned())
        .to_uppercase()
}

/// The logged-on user's name on Windows: %USERNAME% (what GetUserNameW returns for the
/// interactive user).
#[cfg(windows)]
fn user_name() -> Option<String> {
    std::env::var("USERNAME").ok().filter(|u| !u.is_empty())
}

/// The machine's NetBIOS-style name: the host name up to the first dot, upper case.
#[cfg(not(windows))]
fn computer_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: buf is writable for its length.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr() as *mut libc::c_char, buf.len()) } == 0;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let host = if ok {
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        String::from("localhost")
    };
    host.split('.').next().unwrap_or("").to_uppercase()
}

/// The effective user's login name (passwd database), else $USER.
#[cfg(not(windows))]
fn user_name() -> Option<String> {
    let mut pw: libc::passwd = unsafe_zeroed_passwd();
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut out: *mut libc::passwd = core::ptr::null_mut();
    // SAFETY: pw, buf and out are valid for the call; getpwuid_r writes only into them.
    let rc = unsafe {
        libc::getpwuid_r(
            libc::geteuid(),
            &mut pw,
            buf.as_mut_ptr(),
            buf.len(),
            &mut out,
        )
    };
    if rc == 0 && !out.is_null() && !pw.pw_name.is_null() {
        // SAFETY: pw_name points into buf, NUL-terminated by getpwuid_r.
        let name = unsafe { core::ffi::CStr::from_ptr(pw.pw_name) };
        return Some(name.to_string_lossy().into_owned());
    }
    std::env::var("USER").ok().filter(|u| !u.is_empty())
}

#[cfg(not(windows))]
fn unsafe_zeroed_passwd() -> libc::passwd {
    // SAFETY: libc::passwd is plain data (integers and pointers); all-zero is a valid value.
    unsafe { core::mem::zeroed() }
}

/// Writes `s` (plus terminator) into the caller's buffer of `*size` characters, per the
/// module's convention. Returns the BOOLEAN result.
///
/// # Safety
/// `buf` is NULL or writable for `*size` characters of `cs`; `size` is NULL or valid.
unsafe fn deliver(s: &str, buf: *mut c_void, size: *mut ULONG, cs: Charset) -> BOOLEAN {
    if size.is_null() {
        set_last_error(ERROR_INVALID_PARAMETER);
        return 0;
    }
    let unit = if cs == Charset::Wide { 2 } else { 1 };
    let chars = encoded_len(s, cs) / unit; // includes the terminator
                                           // SAFETY: size checked non-NULL.
    let have = unsafe { size.read_unaligned() } as usize;
    if buf.is_null() || have < chars {
        // SAFETY: as above.
        unsafe { size.write_unaligned(chars as ULONG) };
        set_last_error(ERROR_MORE_DATA);
        return 0;
    }
    // SAFETY: buf holds at least `chars` characters.
    unsafe {
        encode_into(buf as *mut u8, s, cs);
        size.write_unaligned((chars - 1) as ULONG);
    }
    1
}

fn fail(code: DWORD) -> BOOLEAN {
    set_last_error(code);
    0
}

unsafe fn user_name_ex(
    format: EXTENDED_NAME_FORMAT,
    buf: *mut c_void,
    size: *mut ULONG,
    cs: Charset,
) -> BOOLEAN {
    let mut result = 0;
    let _ = guard("GetUserNameEx", || {
        result = match format {
            // A local account (no domain): Windows supports only NameSamCompatible,
            // "MACHINE\user" (Microsoft, GetUserNameExW: "If the user account is not in a
            // domain, only NameSamCompatible is supported").
            NameSamCompatible => match user_name() {
                // SAFETY: the caller's buffer and size, per this function's contract.
                Some(u) => unsafe { deliver(&format!("{}\\{u}", computer_name()), buf, size, cs) },
                None => fail(ERROR_NONE_MAPPED),
            },
            NameUnknown => fail(ERROR_INVALID_PARAMETER),
            _ => fail(ERROR_NONE_MAPPED),
        };
        Ok(Outcome::Ok)
    });
    result
}

/// The calling user's name in `NameFormat`. This machine is no domain member, so as on a
/// Windows machine outside a domain only NameSamCompatible ("MACHINE\\user", from the
/// effective uid's passwd entry) is available; other formats → FALSE with ERROR_NONE_MAPPED,
/// NameUnknown or NULL `nSize` → FALSE with ERROR_INVALID_PARAMETER. Buffer convention in the
/// module docs (ERROR_MORE_DATA with the needed size).
#[no_mangle]
pub unsafe extern "system" fn GetUserNameExW(
    NameFormat: EXTENDED_NAME_FORMAT,
    lpNameBuffer: *mut SEC_WCHAR,
    nSize: *mut ULONG,
) -> BOOLEAN {
    // SAFETY: the caller's buffer of *nSize characters.
    unsafe { user_name_ex(NameFormat, lpNameBuffer as _, nSize, Charset::Wide) }
}

/// Narrow form of GetUserNameExW (UTF-8).
#[no_mangle]
pub unsafe extern "system" fn GetUserNameExA(
    NameFormat: EXTENDED_NAME_FORMAT,
    lpNameBuffer: *mut SEC_CHAR,
    nSize: *mut ULONG,
) -> BOOLEAN {
    // SAFETY: the caller's buffer of *nSize characters.
    unsafe { user_name_ex(NameFormat, lpNameBuffer as _, nSize, Charset::Ansi) }
}

/// The computer's account name in a directory: this machine is no domain member, so FALSE
/// with ERROR_CANT_ACCESS_DOMAIN_INFO, what Windows returns outside a domain.
#[no_mangle]
pub unsafe extern "system" fn GetComputerObjectNameW(
    NameFormat: EXTENDED_NAME_FORMAT,
    lpNameBuffer: *mut SEC_WCHAR,
    nSize: *mut ULONG,
) -> BOOLEAN {
    let _ = (NameFormat, lpNameBuffer, nSize);
    fail(ERROR_CANT_ACCESS_DOMAIN_INFO)
}

/// Narrow form of GetComputerObjectNameW.
#[no_mangle]
pub unsafe extern "system" fn GetComputerObjectNameA(
    NameFormat: EXTENDED_NAME_FORMAT,
    lpNameBuffer: *mut SEC_CHAR,
    nSize: *mut ULONG,
) -> BOOLEAN {
    let _ = (NameFormat, lpNameBuffer, nSize);
    fail(ERROR_CANT_ACCESS_DOMAIN_INFO)
}

unsafe fn translate(
    name: Option<String>,
    from: EXTENDED_NAME_FORMAT,
    to: EXTENDED_NAME_FORMAT,
    buf: *mut c_void,
    size: *mut ULONG,
    cs: Charset,
) -> BOOLEAN {
    let Some(name) = name else {
        return fail(ERROR_INVALID_PARAMETER);
    };
    if to == NameUnknown {
        return fail(ERROR_INVALID_PARAMETER);
    }
    // Without a directory the only translation is the identity on a SAM name.
    if from == NameSamCompatible && to == NameSamCompatible {
        // SAFETY: the caller's buffer of *size characters.
        return unsafe { deliver(&name, buf, size, cs) };
    }
    fail(ERROR_NO_SUCH_DOMAIN)
}

/// Translates a directory name between formats. Without a domain controller only the
/// NameSamCompatible → NameSamCompatible identity succeeds; other translations → FALSE with
/// ERROR_NO_SUCH_DOMAIN (what Windows returns when no domain can be reached); NULL name or
/// NameUnknown target → ERROR_INVALID_PARAMETER.
#[no_mangle]
pub unsafe extern "system" fn TranslateNameW(
    lpAccountName: *const SEC_WCHAR,
    AccountNameFormat: EXTENDED_NAME_FORMAT,
    DesiredNameFormat: EXTENDED_NAME_FORMAT,
    lpTranslatedName: *mut SEC_WCHAR,
    nSize: *mut ULONG,
) -> BOOLEAN {
    let mut r = 0;
    let _ = guard("TranslateNameW", || {
        // SAFETY: the caller's NUL-terminated name and buffer.
        r = unsafe {
            translate(
                w_str(lpAccountName).ok().flatten(),
                AccountNameFormat,
                DesiredNameFormat,
                lpTranslatedName as _,
                nSize,
                Charset::Wide,
            )
        };
        Ok(Outcome::Ok)
    });
    r
}

/// Narrow form of TranslateNameW.
#[no_mangle]
pub unsafe extern "system" fn TranslateNameA(
    lpAccountName: *const SEC_CHAR,
    AccountNameFormat: EXTENDED_NAME_FORMAT,
    DesiredNameFormat: EXTENDED_NAME_FORMAT,
    lpTranslatedName: *mut SEC_CHAR,
    nSize: *mut ULONG,
) -> BOOLEAN {
    let mut r = 0;
    let _ = guard("TranslateNameA", || {
        // SAFETY: the caller's NUL-terminated name and buffer.
        r = unsafe {
            translate(
                a_str(lpAccountName).ok().flatten(),
                AccountNameFormat,
                DesiredNameFormat,
                lpTranslatedName as _,
                nSize,
                Charset::Ansi,
            )
        };
        Ok(Outcome::Ok)
    });
    r
}
