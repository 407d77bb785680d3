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
use core::ffi::{c_char, c_void};
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

/// Builds an identity from user name, domain and password (any may be NULL, not all three:
/// that is `SEC_E_INVALID_TOKEN`). Free it with SspiFreeAuthIdentity.
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
        // Windows: no user, no domain and no password → SEC_E_INVALID_TOKEN, output untouched
        // (Wine dlls/secur32/tests/secur32.c test_SspiEncodeStringsAsAuthIdentity).
        if id.user.is_none() && id.domain.is_none() && id.password.is_none() {
            return Err(Error::InvalidToken);
        }
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
        // free_context_buffer zeroizes the whole allocation (password included) and ignores
        // pointers it did not hand out; an identity and a plain string are both just that.
        if !AuthData.is_null() {
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

/// Frees memory returned by SspiMarshalAuthIdentity, SspiPrepareForCredRead/Write and the
/// other Sspi* helpers (NULL is ignored).
#[no_mangle]
pub unsafe extern "system" fn SspiLocalFree(DataBuffer: PVOID) {
    let _ = guard("SspiLocalFree", || {
        if !DataBuffer.is_null() {
            free_context_buffer(DataBuffer);
        }
        Ok(Outcome::Ok)
    });
}

/// wincred.h's CRED_TYPE_DOMAIN_PASSWORD: the Credential Manager type of a password for
/// NTLM/Kerberos/Negotiate targets.
const CRED_TYPE_DOMAIN_PASSWORD: ULONG = 2;

/// Size of SEC_WINNT_AUTH_IDENTITY_EX2 (sspi.h), the header of a marshalled identity.
const EX2_HEADER: usize = 48;
/// (offset field, length field) positions in SEC_WINNT_AUTH_IDENTITY_EX2 of User, Domain,
/// PackedCredentials and PackageList; Flags is at 36.
const EX2_FIELDS: [(usize, usize); 4] = [(12, 16), (20, 24), (28, 32), (40, 44)];

/// Serializes an identity (any SEC_WINNT_AUTH_IDENTITY form) into one byte array in
/// SEC_WINNT_AUTH_IDENTITY_EX2's packed layout (Version SEC_WINNT_AUTH_IDENTITY_VERSION_2,
/// little-endian, UTF-16 strings after the 48-byte header, offsets from the array's start,
/// lengths in bytes; the password is stored as its UTF-16 string, not as Windows'
/// SEC_WINNT_AUTH_PACKED_CREDENTIALS). Free the array with SspiLocalFree; read it back with
/// SspiUnmarshalAuthIdentity. NULL arguments → `SEC_E_INVALID_PARAMETER`.
#[no_mangle]
pub unsafe extern "system" fn SspiMarshalAuthIdentity(
    AuthIdentity: PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
    AuthIdentityLength: *mut ULONG,
    AuthIdentityByteArray: *mut *mut c_char,
) -> SECURITY_STATUS {
    guard("SspiMarshalAuthIdentity", || {
        if AuthIdentity.is_null() || AuthIdentityLength.is_null() || AuthIdentityByteArray.is_null()
        {
            return Err(Error::InvalidParameter);
        }
        // SAFETY: the caller's identity structure.
        let id = unsafe { decode_identity(AuthIdentity, Charset::Wide)? };
        let parts: [zeroize::Zeroizing<Vec<u16>>; 4] = [
            id.user.as_deref(),
            id.domain.as_deref(),
            id.password.as_ref().map(|p| p.as_str()),
            id.package_list.as_deref(),
        ]
        .map(|p| zeroize::Zeroizing::new(p.map_or(Vec::new(), |s| s.encode_utf16().collect())));
        if parts.iter().any(|p| p.len() * 2 > u16::MAX as usize) {
            return Err(Error::InvalidParameter);
        }
        let total = EX2_HEADER + parts.iter().map(|p| p.len() * 2).sum::<usize>();
        let mut bytes = zeroize::Zeroizing::new(vec![0u8; total]);
        let put = |b: &mut [u8], at: usize, v: &[u8]| b[at..at + v.len()].copy_from_slice(v);
        put(
            &mut bytes,
            0,
            &SEC_WINNT_AUTH_IDENTITY_VERSION_2.to_le_bytes(),
        );
        put(&mut bytes, 4, &(EX2_HEADER as u16).to_le_bytes());
        put(&mut bytes, 8, &(total as u32).to_le_bytes());
        put(
            &mut bytes,
            36,
            &SEC_WINNT_AUTH_IDENTITY_UNICODE.to_le_bytes(),
        );
        let mut off = EX2_HEADER;
        for (p, (o, l)) in parts.iter().zip(EX2_FIELDS) {
            if !p.is_empty() {
                put(&mut bytes, o, &(off as u32).to_le_bytes());
                put(&mut bytes, l, &((p.len() * 2) as u16).to_le_bytes());
                for u in p.iter() {
                    put(&mut bytes, off, &u.to_le_bytes());
                    off += 2;
                }
            }
        }
        let p = alloc_context_buffer(total).ok_or(Error::InsufficientMemory)?;
        // SAFETY: p holds `total` bytes; the caller's out-parameters were checked non-NULL.
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), p, total);
            AuthIdentityLength.write_unaligned(total as ULONG);
            AuthIdentityByteArray.write_unaligned(p as *mut c_char);
        }
        Ok(Outcome::Ok)
    })
}

/// Reads an identity marshalled by SspiMarshalAuthIdentity into a new identity (freed with
/// SspiFreeAuthIdentity). A short, inconsistent or foreign byte array → `SEC_E_INVALID_TOKEN`;
/// NULL arguments → `SEC_E_INVALID_PARAMETER`.
#[no_mangle]
pub unsafe extern "system" fn SspiUnmarshalAuthIdentity(
    AuthIdentityLength: ULONG,
    AuthIdentityByteArray: *mut c_char,
    ppAuthIdentity: *mut PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
) -> SECURITY_STATUS {
    guard("SspiUnmarshalAuthIdentity", || {
        if AuthIdentityByteArray.is_null() || ppAuthIdentity.is_null() {
            return Err(Error::InvalidParameter);
        }
        // SAFETY: the caller's array of AuthIdentityLength bytes.
        let b = unsafe {
            core::slice::from_raw_parts(
                AuthIdentityByteArray as *const u8,
                AuthIdentityLength as usize,
            )
        };
        let u32_at = |at: usize| -> SecResult<usize> {
            let v = b.get(at..at + 4).ok_or(Error::InvalidToken)?;
            Ok(u32::from_le_bytes([v[0], v[1], v[2], v[3]]) as usize)
        };
        let u16_at = |at: usize| -> SecResult<usize> {
            let v = b.get(at..at + 2).ok_or(Error::InvalidToken)?;
            Ok(u16::from_le_bytes([v[0], v[1]]) as usize)
        };
        if b.len() < EX2_HEADER
            || u32_at(0)? != SEC_WINNT_AUTH_IDENTITY_VERSION_2 as usize
            || u16_at(4)? != EX2_HEADER
            || u32_at(8)? != b.len()
        {
            return Err(Error::InvalidToken);
        }
        let mut strs: [Option<String>; 4] = Default::default();
        for (k, (o, l)) in EX2_FIELDS.into_iter().enumerate() {
            let (off, len) = (u32_at(o)?, u16_at(l)?);
            if len == 0 {
                continue;
            }
            let raw = off
                .checked_add(len)
                .and_then(|end| b.get(off..end))
                .filter(|_| len % 2 == 0 && off >= EX2_HEADER)
                .ok_or(Error::InvalidToken)?;
            let units: Vec<u16> = raw
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            strs[k] = Some(String::from_utf16(&units).map_err(|_| Error::InvalidToken)?);
        }
        let [user, domain, password, package_list] = strs;
        let id = Identity {
            user,
            domain,
            password: password.map(zeroize::Zeroizing::new),
            package_list,
        };
        let p = encode_identity(&id)?;
        // SAFETY: checked non-NULL.
        unsafe { ppAuthIdentity.write_unaligned(p) };
        Ok(Outcome::Ok)
    })
}

/// Credential Manager has no counterpart here, so the target is used as is: writes
/// `*pCredmanCredentialType` = CRED_TYPE_DOMAIN_PASSWORD (2) and `*ppszCredmanTargetName` =
/// a copy of `pszTargetName` (free with SspiLocalFree). NULL arguments →
/// `SEC_E_INVALID_PARAMETER`.
#[no_mangle]
pub unsafe extern "system" fn SspiPrepareForCredRead(
    AuthIdentity: PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
    pszTargetName: *const SEC_WCHAR,
    pCredmanCredentialType: *mut ULONG,
    ppszCredmanTargetName: *mut *const SEC_WCHAR,
) -> SECURITY_STATUS {
    guard("SspiPrepareForCredRead", || {
        if AuthIdentity.is_null()
            || pCredmanCredentialType.is_null()
            || ppszCredmanTargetName.is_null()
        {
            return Err(Error::InvalidParameter);
        }
        // SAFETY: the caller's identity and NUL-terminated target name.
        let target = unsafe {
            decode_identity(AuthIdentity, Charset::Wide)?;
            w_str(pszTargetName)?.ok_or(Error::InvalidParameter)?
        };
        let t = super::strings::alloc_string(&target, Charset::Wide)?;
        // SAFETY: checked non-NULL.
        unsafe {
            pCredmanCredentialType.write_unaligned(CRED_TYPE_DOMAIN_PASSWORD);
            ppszCredmanTargetName.write_unaligned(t as *const SEC_WCHAR);
        }
        Ok(Outcome::Ok)
    })
}

/// What Credential Manager would store for an identity: type CRED_TYPE_DOMAIN_PASSWORD (2),
/// the target name, the user name as "DOMAIN\\user" (or "user" without a domain) and the
/// password as a UTF-16 blob without terminator (`*pCredentialBlobSize` bytes). Each returned
/// pointer is freed with SspiLocalFree. NULL arguments → `SEC_E_INVALID_PARAMETER`; an
/// identity without a user → `SEC_E_NO_CREDENTIALS`.
#[no_mangle]
pub unsafe extern "system" fn SspiPrepareForCredWrite(
    AuthIdentity: PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
    pszTargetName: *const SEC_WCHAR,
    pCredmanCredentialType: *mut ULONG,
    ppszCredmanTargetName: *mut *const SEC_WCHAR,
    ppszCredmanUserName: *mut *const SEC_WCHAR,
    ppCredentialBlob: *mut *mut UCHAR,
    pCredentialBlobSize: *mut ULONG,
) -> SECURITY_STATUS {
    guard("SspiPrepareForCredWrite", || {
        if AuthIdentity.is_null()
            || pCredmanCredentialType.is_null()
            || ppszCredmanTargetName.is_null()
            || ppszCredmanUserName.is_null()
            || ppCredentialBlob.is_null()
            || pCredentialBlobSize.is_null()
        {
            return Err(Error::InvalidParameter);
        }
        // SAFETY: the caller's identity and NUL-terminated target name.
        let (id, target) = unsafe {
            (
                decode_identity(AuthIdentity, Charset::Wide)?,
                w_str(pszTargetName)?.ok_or(Error::InvalidParameter)?,
            )
        };
        let user = id.user.as_deref().ok_or(Error::NoCredentials)?;
        let user = match id.domain.as_deref() {
            Some(d) if !d.is_empty() => format!("{d}\\{user}"),
            _ => user.to_string(),
        };
        let pw: zeroize::Zeroizing<Vec<u8>> = zeroize::Zeroizing::new(
            id.password
                .as_ref()
                .map_or("", |p| p.as_str())
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect(),
        );
        let t = super::strings::alloc_string(&target, Charset::Wide)?;
        let u = super::strings::alloc_string(&user, Charset::Wide).inspect_err(|_| {
            free_context_buffer(t);
        })?;
        let Some(blob) = alloc_context_buffer(pw.len().max(1)) else {
            free_context_buffer(t);
            free_context_buffer(u);
            return Err(Error::InsufficientMemory);
        };
        // SAFETY: blob holds pw.len() bytes; out-parameters checked non-NULL.
        unsafe {
            core::ptr::copy_nonoverlapping(pw.as_ptr(), blob, pw.len());
            pCredmanCredentialType.write_unaligned(CRED_TYPE_DOMAIN_PASSWORD);
            ppszCredmanTargetName.write_unaligned(t as *const SEC_WCHAR);
            ppszCredmanUserName.write_unaligned(u as *const SEC_WCHAR);
            ppCredentialBlob.write_unaligned(blob);
            pCredentialBlobSize.write_unaligned(pw.len() as ULONG);
        }
        Ok(Outcome::Ok)
    })
}

/// Returns a copy of an identity whose package list also excludes `pszPackageName`
/// ("!Name" appended to the comma-separated list, as Windows does). Free it with
/// SspiFreeAuthIdentity. NULL identity, name or output → `SEC_E_INVALID_PARAMETER`.
#[no_mangle]
pub unsafe extern "system" fn SspiExcludePackage(
    AuthIdentity: PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
    pszPackageName: *const SEC_WCHAR,
    ppNewAuthIdentity: *mut PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
) -> SECURITY_STATUS {
    guard("SspiExcludePackage", || {
        if AuthIdentity.is_null() || ppNewAuthIdentity.is_null() {
            return Err(Error::InvalidParameter);
        }
        // SAFETY: the caller's identity and NUL-terminated package name.
        let (mut id, name) = unsafe {
            (
                decode_identity(AuthIdentity, Charset::Wide)?,
                w_str(pszPackageName)?.ok_or(Error::InvalidParameter)?,
            )
        };
        id.package_list = Some(match id.package_list.take() {
            Some(l) if !l.is_empty() => format!("{l},!{name}"),
            _ => format!("!{name}"),
        });
        let p = encode_identity(&id)?;
        // SAFETY: checked non-NULL.
        unsafe { ppNewAuthIdentity.write_unaligned(p) };
        Ok(Outcome::Ok)
    })
}
