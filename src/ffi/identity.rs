//! The Sspi* auth-identity helpers. Identities they create are SEC_WINNT_AUTH_IDENTITY_EXW
//! blocks (struct + strings in one allocation) freed by SspiFreeAuthIdentity or
//! FreeContextBuffer.

use super::consts::*;
use super::exports::guard;
use super::strings::{decode_identity, encode_into, encoded_len, w_str, Charset};
use super::types::*;
use crate::buffers::{alloc_context_buffer, free_context_buffer};
use crate::package::Identity;
use crate::status::{Error, Outcome, SecResult};
use core::ffi::c_void;
use core::mem::size_of;
use zeroize::Zeroize;

fn encode_identity(id: &Identity) -> SecResult<*mut c_void> {
    let head = size_of::<SEC_WINNT_AUTH_IDENTITY_EXW>();
    let parts = [
        id.user.as_deref(),
        id.domain.as_deref(),
        id.password.as_ref().map(|p| p.as_str()),
        id.package_list.as_deref(),
    ];
    let total = head
        + parts
            .iter()
            .map(|p| p.map_or(0, |s| encoded_len(s, Charset::Wide)))
            .sum::<usize>();
    let base = alloc_context_buffer(total).ok_or(Error::InsufficientMemory)?;
    let mut off = head;
    let mut ptrs = [core::ptr::null_mut::<u16>(); 4];
    let mut lens = [0u32; 4];
    for (k, part) in parts.iter().enumerate() {
        if let Some(s) = part {
            // SAFETY: base holds `total` bytes; each string fits in its reserved place.
            unsafe {
                ptrs[k] = base.add(off) as *mut u16;
                off += encode_into(base.add(off), s, Charset::Wide);
            }
            lens[k] = s.encode_utf16().count() as u32;
        }
    }
    let ex = SEC_WINNT_AUTH_IDENTITY_EXW {
        Version: SEC_WINNT_AUTH_IDENTITY_VERSION,
        Length: head as ULONG,
        User: ptrs[0],
        UserLength: lens[0],
        Domain: ptrs[1],
        DomainLength: lens[1],
        Password: ptrs[2],
        PasswordLength: lens[2],
        Flags: SEC_WINNT_AUTH_IDENTITY_UNICODE,
        PackageList: ptrs[3],
        PackageListLength: lens[3],
    };
    // SAFETY: base is at least `head` bytes and malloc-aligned.
    unsafe { (base as *mut SEC_WINNT_AUTH_IDENTITY_EXW).write(ex) };
    Ok(base as *mut c_void)
}

/// Builds an identity from user name, domain and password (any may be NULL). Free it with
/// SspiFreeAuthIdentity.
#[no_mangle]
pub unsafe extern "system" fn SspiEncodeStringsAsAuthIdentity(
    pszUserName: *const SEC_WCHAR,
    pszDomainName: *const SEC_WCHAR,
    pszPackedCredentialsString: *const SEC_WCHAR,
    ppAuthIdentity: *mut PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
) -> SECURITY_STATUS {
    guard("SspiEncodeStringsAsAuthIdentity", || {
        if ppAuthIdentity.is_null() {
            return Err(Error::InvalidParameter);
        }
        // SAFETY: caller's NUL-terminated strings (or NULL).
        let id = unsafe {
            Identity {
                user: w_str(pszUserName)?,
                domain: w_str(pszDomainName)?,
                password: w_str(pszPackedCredentialsString)?.map(zeroize::Zeroizing::new),
                package_list: None,
            }
        };
        let p = encode_identity(&id)?;
        // SAFETY: checked non-NULL.
        unsafe { ppAuthIdentity.write_unaligned(p) };
        Ok(Outcome::Ok)
    })
}

/// Returns the user name, domain and password of an identity as new strings (NULL where the
/// identity has none), each freed with SspiFreeAuthIdentity.
#[no_mangle]
pub unsafe extern "system" fn SspiEncodeAuthIdentityAsStrings(
    pAuthIdentity: PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
    ppszUserName: *mut *const SEC_WCHAR,
    ppszDomainName: *mut *const SEC_WCHAR,
    ppszPackedCredentialsString: *mut *const SEC_WCHAR,
) -> SECURITY_STATUS {
    guard("SspiEncodeAuthIdentityAsStrings", || {
        if pAuthIdentity.is_null()
            || ppszUserName.is_null()
            || ppszDomainName.is_null()
            || ppszPackedCredentialsString.is_null()
        {
            return Err(Error::InvalidParameter);
        }
        // SAFETY: the caller's identity structure.
        let id = unsafe { decode_identity(pAuthIdentity, Charset::Wide)? };
        let mk = |s: Option<&str>| -> SecResult<*const SEC_WCHAR> {
            match s {
                Some(s) => Ok(super::strings::alloc_string(s, Charset::Wide)? as *const SEC_WCHAR),
                None => Ok(core::ptr::null()),
            }
        };
        let u = mk(id.user.as_deref())?;
        let d = mk(id.domain.as_deref())?;
        let p = mk(id.password.as_ref().map(|p| p.as_str()))?;
        // SAFETY: all checked non-NULL.
        unsafe {
            ppszUserName.write_unaligned(u);
            ppszDomainName.write_unaligned(d);
            ppszPackedCredentialsString.write_unaligned(p);
        }
        Ok(Outcome::Ok)
    })
}

/// Copies an identity (any SEC_WINNT_AUTH_IDENTITY form) into a new EXW identity.
#[no_mangle]
pub unsafe extern "system" fn SspiCopyAuthIdentity(
    AuthData: PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
    AuthDataCopy: *mut PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
) -> SECURITY_STATUS {
    guard("SspiCopyAuthIdentity", || {
        if AuthData.is_null() || AuthDataCopy.is_null() {
            return Err(Error::InvalidParameter);
        }
        // SAFETY: the caller's identity structure.
        let id = unsafe { decode_identity(AuthData, Charset::Wide)? };
        let p = encode_identity(&id)?;
        // SAFETY: checked non-NULL.
        unsafe { AuthDataCopy.write_unaligned(p) };
        Ok(Outcome::Ok)
    })
}

/// Checks that an identity structure can be read: SEC_E_OK or SEC_E_INVALID_PARAMETER /
/// SEC_E_UNKNOWN_CREDENTIALS.
#[no_mangle]
pub unsafe extern "system" fn SspiValidateAuthIdentity(
    AuthData: PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
) -> SECURITY_STATUS {
    guard("SspiValidateAuthIdentity", || {
        if AuthData.is_null() {
            return Err(Error::InvalidParameter);
        }
        // SAFETY: the caller's identity structure.
        unsafe { decode_identity(AuthData, Charset::Wide)? };
        Ok(Outcome::Ok)
    })
}

/// Compares two identities: same user (and domain), and same user with the same password.
#[no_mangle]
pub unsafe extern "system" fn SspiCompareAuthIdentities(
    AuthIdentity1: PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
    AuthIdentity2: PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
    SameSuppliedUser: *mut BOOLEAN,
    SameSuppliedIdentity: *mut BOOLEAN,
) -> SECURITY_STATUS {
    guard("SspiCompareAuthIdentities", || {
        if AuthIdentity1.is_null() || AuthIdentity2.is_null() {
            return Err(Error::InvalidParameter);
        }
        // SAFETY: the caller's identity structures.
        let (a, b) = unsafe {
            (
                decode_identity(AuthIdentity1, Charset::Wide)?,
                decode_identity(AuthIdentity2, Charset::Wide)?,
            )
        };
        let eq = |x: &Option<String>, y: &Option<String>| match (x, y) {
            (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
            (None, None) => true,
            _ => false,
        };
        let same_user = eq(&a.user, &b.user) && eq(&a.domain, &b.domain);
        let same_pw =
            a.password.as_deref().map(|s| s.as_str()) == b.password.as_deref().map(|s| s.as_str());
        // SAFETY: NULL-checked writes of the caller's BOOLEANs.
        unsafe {
            if !SameSuppliedUser.is_null() {
                SameSuppliedUser.write_unaligned(same_user as u8);
            }
            if !SameSuppliedIdentity.is_null() {
                SameSuppliedIdentity.write_unaligned((same_user && same_pw) as u8);
            }
        }
        Ok(Outcome::Ok)
    })
}

/// True when the identity is encrypted: identities are never encrypted here.
#[no_mangle]
pub unsafe extern "system" fn SspiIsAuthIdentityEncrypted(
    EncryptedAuthData: PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
) -> BOOLEAN {
    let _ = EncryptedAuthData;
    0
}

/// In-memory identity encryption needs Windows' LSA: `SEC_E_UNSUPPORTED_FUNCTION`.
#[no_mangle]
pub unsafe extern "system" fn SspiEncryptAuthIdentity(
    AuthData: PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
) -> SECURITY_STATUS {
    let _ = AuthData;
    guard("SspiEncryptAuthIdentity", || {
        Err(Error::UnsupportedFunction)
    })
}

/// See SspiEncryptAuthIdentity.
#[no_mangle]
pub unsafe extern "system" fn SspiDecryptAuthIdentity(
    EncryptedAuthData: PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
) -> SECURITY_STATUS {
    let _ = EncryptedAuthData;
    guard("SspiDecryptAuthIdentity", || {
        Err(Error::UnsupportedFunction)
    })
}

/// Overwrites the password of an identity with zeros (any SEC_WINNT_AUTH_IDENTITY form).
#[no_mangle]
pub unsafe extern "system" fn SspiZeroAuthIdentity(AuthData: PSEC_WINNT_AUTH_IDENTITY_OPAQUE) {
    let _ = guard("SspiZeroAuthIdentity", || {
        if AuthData.is_null() {
            return Ok(Outcome::Ok);
        }
        // SAFETY: the caller's identity structure; the password buffer is writable for its
        // declared length in the structure's charset.
        unsafe {
            let version = (AuthData as *const ULONG).read_unaligned();
            let (pw, len, flags) = if version == SEC_WINNT_AUTH_IDENTITY_VERSION {
                let ex = (AuthData as *const SEC_WINNT_AUTH_IDENTITY_EXW).read_unaligned();
                (ex.Password as *mut u8, ex.PasswordLength as usize, ex.Flags)
            } else {
                let id = (AuthData as *const SEC_WINNT_AUTH_IDENTITY_W).read_unaligned();
                (id.Password as *mut u8, id.PasswordLength as usize, id.Flags)
            };
            if !pw.is_null() {
                let bytes = if flags & SEC_WINNT_AUTH_IDENTITY_ANSI != 0 {
                    len
                } else {
                    len * 2
                };
                core::slice::from_raw_parts_mut(pw, bytes).zeroize();
            }
        }
        Ok(Outcome::Ok)
    });
}

/// Frees an identity or string returned by the Sspi* helpers.
#[no_mangle]
pub unsafe extern "system" fn SspiFreeAuthIdentity(AuthData: PSEC_WINNT_AUTH_IDENTITY_OPAQUE) {
    let _ = guard("SspiFreeAuthIdentity", || {
        if !AuthData.is_null() {
            // SAFETY: zeroes the password of our own allocation before freeing it.
            unsafe { SspiZeroAuthIdentity(AuthData) };
            free_context_buffer(AuthData);
        }
        Ok(Outcome::Ok)
    });
}

/// Extracts the host name from an SPN such as "HTTP/host.example:8080/svc" (new string, freed
/// with SspiFreeAuthIdentity or FreeContextBuffer).
#[no_mangle]
pub unsafe extern "system" fn SspiGetTargetHostName(
    pszTargetName: *const SEC_WCHAR,
    pszHostName: *mut *mut SEC_WCHAR,
) -> SECURITY_STATUS {
    guard("SspiGetTargetHostName", || {
        if pszHostName.is_null() {
            return Err(Error::InvalidParameter);
        }
        // SAFETY: caller's NUL-terminated string.
        let t = unsafe { w_str(pszTargetName)? }.ok_or(Error::InvalidParameter)?;
        let after = t.split_once('/').map_or(t.as_str(), |(_, h)| h);
        let host = after.split(['/', ':']).next().unwrap_or("");
        let p = super::strings::alloc_string(host, Charset::Wide)?;
        // SAFETY: checked non-NULL.
        unsafe { pszHostName.write_unaligned(p as *mut SEC_WCHAR) };
        Ok(Outcome::Ok)
    })
}
