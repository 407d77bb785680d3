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

/// An EXW identity (struct + NUL-terminated UTF-16 strings in one allocation), flags
/// SEC_WINNT_AUTH_IDENTITY_UNICODE.
fn encode_identity(id: &Identity) -> SecResult<*mut c_void> {
    encode_identity_as(id, Charset::Wide, SEC_WINNT_AUTH_IDENTITY_UNICODE)
}

/// An EXW or EXA identity (by `cs`) with `flags`: the struct, then user, domain, password and
/// package list NUL-terminated in that order (Windows' layout: with no user or domain the
/// password starts right after the struct).
fn encode_identity_as(id: &Identity, cs: Charset, flags: ULONG) -> SecResult<*mut c_void> {
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
            .map(|p| p.map_or(0, |s| encoded_len(s, cs)))
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
                off += encode_into(base.add(off), s, cs);
            }
            lens[k] = match cs {
                Charset::Wide => s.encode_utf16().count() as u32,
                Charset::Ansi => s.len() as u32,
            };
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
        Flags: flags,
        PackageList: ptrs[3],
        PackageListLength: lens[3],
    };
    // SAFETY: base is at least `head` bytes and malloc-aligned.
    unsafe { (base as *mut SEC_WINNT_AUTH_IDENTITY_EXW).write(ex) };
    Ok(base as *mut c_void)
}

/// Builds an identity from user name, domain and password (any may be NULL, not all three:
/// that is `SEC_E_INVALID_TOKEN`, checked first, `*ppAuthIdentity` untouched). The identity
/// is a SEC_WINNT_AUTH_IDENTITY_EXW with Flags UNICODE | MARSHALLED and the strings right
/// after the structure, as Windows builds it (Wine dlls/secur32/tests/secur32.c
/// test_SspiEncodeStringsAsAuthIdentity, run on Windows). A NULL `ppAuthIdentity` otherwise
/// → `SEC_E_INVALID_PARAMETER`. Free it with SspiFreeAuthIdentity.
#[no_mangle]
pub unsafe extern "system" fn SspiEncodeStringsAsAuthIdentity(
    pszUserName: *const SEC_WCHAR,
    pszDomainName: *const SEC_WCHAR,
    pszPackedCredentialsString: *const SEC_WCHAR,
    ppAuthIdentity: *mut PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
) -> SECURITY_STATUS {
    guard("SspiEncodeStringsAsAuthIdentity", || {
        // Windows: no user, no domain and no password → SEC_E_INVALID_TOKEN, even with a NULL
        // ppAuthIdentity (same Wine test).
        if pszUserName.is_null() && pszDomainName.is_null() && pszPackedCredentialsString.is_null()
        {
            return Err(Error::InvalidToken);
        }
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
        let p = encode_identity_as(
            &id,
            Charset::Wide,
            SEC_WINNT_AUTH_IDENTITY_UNICODE | SEC_WINNT_AUTH_IDENTITY_MARSHALLED,
        )?;
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

/// Size of the marshalled identity's header: SEC_WINNT_AUTH_IDENTITY_EXW's eleven ULONG-sized
/// fields with the pointers replaced by 32-bit offsets.
const MARSHAL_HEADER: usize = 44;
/// (offset field, length field) positions in that header of User, Domain, Password and
/// PackageList; Flags is at 32.
const MARSHAL_FIELDS: [(usize, usize); 4] = [(8, 12), (16, 20), (24, 28), (36, 40)];
/// SEC_WINNT_AUTH_IDENTITY_EX2's cbStructureLength offset (sspi.h).
const EX2_STRUCTURE_LENGTH: usize = 8;

/// The Version and Flags of an identity structure (Flags 0 for EX2).
///
/// # Safety
/// `p` is a readable identity structure.
unsafe fn version_and_flags(p: PSEC_WINNT_AUTH_IDENTITY_OPAQUE) -> (ULONG, ULONG) {
    // SAFETY: every form starts with a ULONG; the rest as the version says.
    unsafe {
        let version = (p as *const ULONG).read_unaligned();
        if version == SEC_WINNT_AUTH_IDENTITY_VERSION {
            let ex = (p as *const SEC_WINNT_AUTH_IDENTITY_EXW).read_unaligned();
            (version, ex.Flags)
        } else if version == SEC_WINNT_AUTH_IDENTITY_VERSION_2 {
            (version, 0)
        } else {
            let id = (p as *const SEC_WINNT_AUTH_IDENTITY_W).read_unaligned();
            (version, id.Flags)
        }
    }
}

fn string_units(s: &str, cs: Charset) -> Vec<u8> {
    match cs {
        Charset::Wide => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Charset::Ansi => s.as_bytes().to_vec(),
    }
}

fn alloc_copy(bytes: &[u8]) -> SecResult<*mut u8> {
    let p = alloc_context_buffer(bytes.len().max(1)).ok_or(Error::InsufficientMemory)?;
    // SAFETY: p holds at least bytes.len() bytes.
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) };
    Ok(p)
}

/// Serializes an identity into one byte array, in Windows' layout (Wine
/// dlls/secur32/tests/secur32.c test_SspiMarshalAuthIdentity, run on Windows): a 44-byte
/// header — Version SEC_WINNT_AUTH_IDENTITY_VERSION, Length 44, then (offset, length) of User,
/// Domain and Password, Flags (the identity's own), (offset, length) of PackageList — the
/// strings back to back without terminators in the identity's charset (lengths in
/// characters; offset and length 0 for an absent part), then a zero DWORD. An ANSI identity
/// stays ANSI. A SEC_WINNT_AUTH_IDENTITY_EX2 is copied as it is (cbStructureLength bytes)
/// followed by two zero DWORDs. Free the array with SspiLocalFree; read it back with
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
        let (version, flags) = unsafe { version_and_flags(AuthIdentity) };
        let bytes: zeroize::Zeroizing<Vec<u8>> = if version == SEC_WINNT_AUTH_IDENTITY_VERSION_2 {
            // SAFETY: an EX2 structure: cbStructureLength at offset 8, the structure that long.
            let n = unsafe {
                ((AuthIdentity as *const u8).add(EX2_STRUCTURE_LENGTH) as *const u32)
                    .read_unaligned()
            } as usize;
            if !(48..=u16::MAX as usize * 8).contains(&n) {
                return Err(Error::InvalidToken);
            }
            let mut v = zeroize::Zeroizing::new(vec![0u8; n + 8]);
            // SAFETY: the caller's structure is n bytes long.
            v[..n].copy_from_slice(unsafe {
                core::slice::from_raw_parts(AuthIdentity as *const u8, n)
            });
            v
        } else {
            let cs = if flags & SEC_WINNT_AUTH_IDENTITY_ANSI != 0 {
                Charset::Ansi
            } else {
                Charset::Wide
            };
            // SAFETY: the caller's identity structure.
            let id = unsafe { decode_identity(AuthIdentity, cs)? };
            let parts = [
                id.user.as_deref(),
                id.domain.as_deref(),
                id.password.as_ref().map(|p| p.as_str()),
                id.package_list.as_deref(),
            ];
            let mut v = zeroize::Zeroizing::new(vec![0u8; MARSHAL_HEADER]);
            let put =
                |b: &mut [u8], at: usize, x: u32| b[at..at + 4].copy_from_slice(&x.to_le_bytes());
            put(&mut v, 0, SEC_WINNT_AUTH_IDENTITY_VERSION);
            put(&mut v, 4, MARSHAL_HEADER as u32);
            put(&mut v, 32, flags);
            for (part, (o, l)) in parts.iter().zip(MARSHAL_FIELDS) {
                let Some(s) = part else { continue };
                let units = zeroize::Zeroizing::new(string_units(s, cs));
                let chars = match cs {
                    Charset::Wide => units.len() / 2,
                    Charset::Ansi => units.len(),
                };
                let off = v.len() as u32;
                put(&mut v, o, off);
                put(&mut v, l, chars as u32);
                v.extend_from_slice(&units);
            }
            v.extend_from_slice(&[0; 4]);
            v
        };
        let p = alloc_copy(&bytes)?;
        // SAFETY: the caller's out-parameters were checked non-NULL.
        unsafe {
            AuthIdentityLength.write_unaligned(bytes.len() as ULONG);
            AuthIdentityByteArray.write_unaligned(p as *mut c_char);
        }
        Ok(Outcome::Ok)
    })
}

/// Reads an identity marshalled by SspiMarshalAuthIdentity into a new identity (freed with
/// SspiFreeAuthIdentity): a SEC_WINNT_AUTH_IDENTITY_EXW (EXA for an ANSI one) with Flags |
/// SEC_WINNT_AUTH_IDENTITY_MARSHALLED and the strings right after the structure, or the EX2
/// structure as it was (Wine test_SspiMarshalAuthIdentity, run on Windows). A short,
/// inconsistent or foreign byte array → `SEC_E_INVALID_TOKEN`; NULL arguments →
/// `SEC_E_INVALID_PARAMETER`.
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
        let version = u32_at(0)? as ULONG;
        if version == SEC_WINNT_AUTH_IDENTITY_VERSION_2 {
            let n = u32_at(EX2_STRUCTURE_LENGTH)?;
            if n < 48 || n > b.len() {
                return Err(Error::InvalidToken);
            }
            let p = alloc_copy(&b[..n])?;
            // SAFETY: checked non-NULL.
            unsafe { ppAuthIdentity.write_unaligned(p as PSEC_WINNT_AUTH_IDENTITY_OPAQUE) };
            return Ok(Outcome::Ok);
        }
        if version != SEC_WINNT_AUTH_IDENTITY_VERSION || u32_at(4)? != MARSHAL_HEADER {
            return Err(Error::InvalidToken);
        }
        let flags = u32_at(32)? as ULONG;
        let (cs, unit) = if flags & SEC_WINNT_AUTH_IDENTITY_ANSI != 0 {
            (Charset::Ansi, 1)
        } else {
            (Charset::Wide, 2)
        };
        let mut strs: [Option<String>; 4] = Default::default();
        for (k, (o, l)) in MARSHAL_FIELDS.into_iter().enumerate() {
            let (off, len) = (u32_at(o)?, u32_at(l)?);
            if off == 0 && len == 0 {
                continue;
            }
            let raw = len
                .checked_mul(unit)
                .and_then(|n| off.checked_add(n))
                .and_then(|end| b.get(off..end))
                .filter(|_| off >= MARSHAL_HEADER)
                .ok_or(Error::InvalidToken)?;
            strs[k] = Some(match cs {
                Charset::Wide => {
                    let units: Vec<u16> = raw
                        .chunks_exact(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]]))
                        .collect();
                    String::from_utf16(&units).map_err(|_| Error::InvalidToken)?
                }
                Charset::Ansi => String::from_utf8_lossy(raw).into_owned(),
            });
        }
        let [user, domain, password, package_list] = strs;
        let id = Identity {
            user,
            domain,
            password: password.map(zeroize::Zeroizing::new),
            package_list,
        };
        let p = encode_identity_as(&id, cs, flags | SEC_WINNT_AUTH_IDENTITY_MARSHALLED)?;
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
/// pointer is freed with SspiLocalFree. A NULL `pszTargetName` makes the target the user
/// name, as Windows does. NULL out-parameters or identity → `SEC_E_INVALID_PARAMETER`; an
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
        // SAFETY: the caller's identity and NUL-terminated target name (or NULL).
        let (id, target) = unsafe {
            (
                decode_identity(AuthIdentity, Charset::Wide)?,
                w_str(pszTargetName)?,
            )
        };
        let user = id.user.as_deref().ok_or(Error::NoCredentials)?;
        let user = match id.domain.as_deref() {
            Some(d) if !d.is_empty() => format!("{d}\\{user}"),
            _ => user.to_string(),
        };
        // A NULL target: the user name, "DOMAIN\\user" (Wine dlls/secur32/tests/secur32.c
        // test_SspiPrepareForCredWrite, run on Windows).
        let target = target.unwrap_or_else(|| user.clone());
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
