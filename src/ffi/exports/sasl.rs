//! The SASL profile functions Windows pairs with its packages (Sspi.h): profiles GSSAPI
//! (Kerberos), GSS-SPNEGO (Negotiate) and DIGEST-MD5 (WDigest), package identification from a
//! first token, Sasl{Initialize,Accept}SecurityContext and the per-context SASL options.
//!
//! Sasl{Initialize,Accept}SecurityContext run the package's handshake as
//! InitializeSecurityContext / AcceptSecurityContext do. For DIGEST-MD5 that is the whole
//! exchange: the package itself negotiates the security layer (qop, cipher, maxbuf; RFC 2831).
//! The RFC 4752 security-layer negotiation that GSSAPI adds after the Kerberos handshake is not
//! implemented: a GSSAPI profile context behaves as the plain Kerberos one.

use super::*;
use crate::ffi::strings::alloc_string;
use crate::handles;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::OnceLock;

/// SASL_AUTHZID_STATE.
const SASL_AUTHZID_FORBIDDEN: u32 = 0;
const SASL_AUTHZID_PROCESSED: u32 = 1;

/// (profile, package) pairs, in the order SaslEnumerateProfiles lists them.
const PROFILES: &[(&str, &str)] = &[
    ("GSSAPI", "Kerberos"),
    ("GSS-SPNEGO", "Negotiate"),
    ("DIGEST-MD5", "WDigest"),
];

/// Per-context SASL options set with SaslSetContextOption.
#[derive(Default, Clone)]
struct Options {
    send_size: Option<u32>,
    recv_size: Option<u32>,
    authz: Option<Vec<u8>>,
    authz_processing: u32,
}

fn options() -> &'static Mutex<HashMap<(usize, usize), Options>> {
    static O: OnceLock<Mutex<HashMap<(usize, usize), Options>>> = OnceLock::new();
    O.get_or_init(|| Mutex::new(HashMap::new()))
}

fn key(h: &SecHandle) -> (usize, usize) {
    (h.dwLower, h.dwUpper)
}

/// Profiles whose package is registered.
fn profiles() -> impl Iterator<Item = (&'static str, &'static dyn crate::package::SecurityPackage)>
{
    PROFILES
        .iter()
        .filter_map(|(p, pkg)| package::find(pkg).map(|k| (*p, k)))
}

unsafe fn enumerate_profiles(
    list: *mut *mut c_void,
    count: *mut ULONG,
    cs: Charset,
) -> SecResult<Outcome> {
    if list.is_null() || count.is_null() {
        return Err(Error::InvalidParameter);
    }
    let names: Vec<&str> = profiles().map(|(p, _)| p).collect();
    // A multi-string: each name NUL-terminated, then one more NUL.
    let mut s = names.join("\0");
    s.push('\0');
    let block = alloc_string(&s, cs)?;
    // SAFETY: checked non-NULL.
    unsafe {
        put(list, block);
        put(count, names.len() as ULONG);
    }
    Ok(Outcome::Ok)
}

/// Lists the SASL profiles ("GSSAPI", "GSS-SPNEGO", "DIGEST-MD5" — those whose package is
/// present) as one block of NUL-terminated names ending with an empty name, freed with
/// FreeContextBuffer; `*ProfileCount` is the number of names. NULL pointers →
/// SEC_E_INVALID_PARAMETER.
#[no_mangle]
pub unsafe extern "system" fn SaslEnumerateProfilesA(
    ProfileList: *mut *mut SEC_CHAR,
    ProfileCount: *mut ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's out-pointers, checked inside.
    guard("SaslEnumerateProfilesA", || unsafe {
        enumerate_profiles(ProfileList as _, ProfileCount, Charset::Ansi)
    })
}

/// Wide form of SaslEnumerateProfilesA.
#[no_mangle]
pub unsafe extern "system" fn SaslEnumerateProfilesW(
    ProfileList: *mut *mut SEC_WCHAR,
    ProfileCount: *mut ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's out-pointers, checked inside.
    guard("SaslEnumerateProfilesW", || unsafe {
        enumerate_profiles(ProfileList as _, ProfileCount, Charset::Wide)
    })
}

unsafe fn profile_package(
    name: *const c_void,
    pp: *mut *mut c_void,
    cs: Charset,
) -> SecResult<Outcome> {
    // SAFETY: caller's string.
    let name = unsafe { any_str(name, cs)? }.ok_or(Error::SecpkgNotFound)?;
    let (_, pkg) = profiles()
        .find(|(p, _)| p.eq_ignore_ascii_case(&name))
        .ok_or(Error::SecpkgNotFound)?;
    if pp.is_null() {
        return Err(Error::InvalidParameter);
    }
    let block = alloc_pkg_infos(&[pkg.info()], cs)?;
    // SAFETY: checked non-NULL.
    unsafe { put(pp, block) };
    Ok(Outcome::Ok)
}

/// The package behind a SASL profile name (case-insensitive), as a SecPkgInfoA freed with
/// FreeContextBuffer. Unknown profile → SEC_E_SECPKG_NOT_FOUND.
#[no_mangle]
pub unsafe extern "system" fn SaslGetProfilePackageA(
    ProfileName: *mut SEC_CHAR,
    PackageInfo: *mut PSecPkgInfoA,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments, checked inside.
    guard("SaslGetProfilePackageA", || unsafe {
        profile_package(ProfileName as _, PackageInfo as _, Charset::Ansi)
    })
}

/// Wide form of SaslGetProfilePackageA.
#[no_mangle]
pub unsafe extern "system" fn SaslGetProfilePackageW(
    ProfileName: *mut SEC_WCHAR,
    PackageInfo: *mut PSecPkgInfoW,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments, checked inside.
    guard("SaslGetProfilePackageW", || unsafe {
        profile_package(ProfileName as _, PackageInfo as _, Charset::Wide)
    })
}

/// The package a first SASL token belongs to: a GSS-API InitialContextToken (0x60) names its
/// mechanism OID — Kerberos (1.2.840.113554.1.2.2 or 1.2.840.48018.1.2.2) or SPNEGO
/// (1.3.6.1.5.5.2); a DIGEST-MD5 challenge or response is a directive list with a nonce.
fn identify(tok: &[u8]) -> Option<&'static str> {
    const KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
    const MS_KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];
    const SPNEGO: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
    if tok.first() == Some(&0x60) {
        // [APPLICATION 0] length, then the OID (06 len oid).
        let mut i = 1;
        let l0 = *tok.get(i)? as usize;
        i += 1 + if l0 & 0x80 != 0 { l0 & 0x7f } else { 0 };
        if *tok.get(i)? != 0x06 {
            return None;
        }
        let n = *tok.get(i + 1)? as usize;
        let oid = tok.get(i + 2..i + 2 + n)?;
        return if oid == KRB5 || oid == MS_KRB5 {
            Some("Kerberos")
        } else if oid == SPNEGO {
            Some("Negotiate")
        } else {
            None
        };
    }
    let text = core::str::from_utf8(tok).ok()?;
    let lower = text.to_ascii_lowercase();
    (lower.contains("nonce=")
        && (lower.contains("algorithm=md5-sess") || lower.contains("response=")))
    .then_some("WDigest")
}

unsafe fn identify_package(
    input: PSecBufferDesc,
    pp: *mut *mut c_void,
    cs: Charset,
) -> SecResult<Outcome> {
    // SAFETY: caller's descriptor.
    let bufs = unsafe { SecBuffers::from_desc(input)? }.ok_or(Error::InvalidParameter)?;
    let i = bufs.find(SECBUFFER_TOKEN).ok_or(Error::InvalidToken)?;
    let name = identify(bufs.bytes(i)?).ok_or(Error::SecpkgNotFound)?;
    let pkg = package::find(name).ok_or(Error::SecpkgNotFound)?;
    if pp.is_null() {
        return Err(Error::InvalidParameter);
    }
    let block = alloc_pkg_infos(&[pkg.info()], cs)?;
    // SAFETY: checked non-NULL.
    unsafe { put(pp, block) };
    Ok(Outcome::Ok)
}

/// Identifies the package of the first SASL token in `pInput`'s SECBUFFER_TOKEN (a GSS-API
/// token's mechanism OID, or a DIGEST-MD5 directive list). No TOKEN buffer →
/// SEC_E_INVALID_TOKEN; unrecognised → SEC_E_SECPKG_NOT_FOUND.
#[no_mangle]
pub unsafe extern "system" fn SaslIdentifyPackageA(
    pInput: PSecBufferDesc,
    PackageInfo: *mut PSecPkgInfoA,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments, checked inside.
    guard("SaslIdentifyPackageA", || unsafe {
        identify_package(pInput, PackageInfo as _, Charset::Ansi)
    })
}

/// Wide form of SaslIdentifyPackageA.
#[no_mangle]
pub unsafe extern "system" fn SaslIdentifyPackageW(
    pInput: PSecBufferDesc,
    PackageInfo: *mut PSecPkgInfoW,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments, checked inside.
    guard("SaslIdentifyPackageW", || unsafe {
        identify_package(pInput, PackageInfo as _, Charset::Wide)
    })
}

/// Hands the context's SASL authorization options to the package before a handshake step.
unsafe fn apply_options(ctx: PCtxtHandle) {
    if ctx.is_null() {
        return;
    }
    // SAFETY: non-NULL caller handle pointer.
    let Ok(h) = (unsafe { read_handle(ctx) }) else {
        return;
    };
    let Some(o) = options().lock().get(&key(&h)).cloned() else {
        return;
    };
    if let Ok(entry) = handles::context(&h) {
        entry.context.set_sasl_authz(
            o.authz.as_deref(),
            o.authz_processing == SASL_AUTHZID_PROCESSED,
        );
    }
}

/// SASL client step: InitializeSecurityContextW's arguments and results (see the module note);
/// a SASL_OPTION_AUTHZ_STRING set on the context goes out as DIGEST-MD5's authzid.
#[no_mangle]
pub unsafe extern "system" fn SaslInitializeSecurityContextW(
    phCredential: PCredHandle,
    phContext: PCtxtHandle,
    pszTargetName: *mut SEC_WCHAR,
    fContextReq: ULONG,
    Reserved1: ULONG,
    TargetDataRep: ULONG,
    pInput: PSecBufferDesc,
    Reserved2: ULONG,
    phNewContext: PCtxtHandle,
    pOutput: PSecBufferDesc,
    pfContextAttr: *mut ULONG,
    ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    // SAFETY: the caller's arguments, passed on unchanged.
    unsafe {
        apply_options(phContext);
        InitializeSecurityContextW(
            phCredential,
            phContext,
            pszTargetName,
            fContextReq,
            Reserved1,
            TargetDataRep,
            pInput,
            Reserved2,
            phNewContext,
            pOutput,
            pfContextAttr,
            ptsExpiry,
        )
    }
}

/// Narrow form of SaslInitializeSecurityContextW.
#[no_mangle]
pub unsafe extern "system" fn SaslInitializeSecurityContextA(
    phCredential: PCredHandle,
    phContext: PCtxtHandle,
    pszTargetName: *mut SEC_CHAR,
    fContextReq: ULONG,
    Reserved1: ULONG,
    TargetDataRep: ULONG,
    pInput: PSecBufferDesc,
    Reserved2: ULONG,
    phNewContext: PCtxtHandle,
    pOutput: PSecBufferDesc,
    pfContextAttr: *mut ULONG,
    ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    // SAFETY: the caller's arguments, passed on unchanged.
    unsafe {
        apply_options(phContext);
        InitializeSecurityContextA(
            phCredential,
            phContext,
            pszTargetName,
            fContextReq,
            Reserved1,
            TargetDataRep,
            pInput,
            Reserved2,
            phNewContext,
            pOutput,
            pfContextAttr,
            ptsExpiry,
        )
    }
}

/// SASL server step: AcceptSecurityContext's arguments and results (see the module note); a
/// DIGEST-MD5 authzid other than the user name is refused (SEC_E_LOGON_DENIED) unless
/// SASL_OPTION_AUTHZ_PROCESSING is Sasl_AuthZIDProcessed on the context.
#[no_mangle]
pub unsafe extern "system" fn SaslAcceptSecurityContext(
    phCredential: PCredHandle,
    phContext: PCtxtHandle,
    pInput: PSecBufferDesc,
    fContextReq: ULONG,
    TargetDataRep: ULONG,
    phNewContext: PCtxtHandle,
    pOutput: PSecBufferDesc,
    pfContextAttr: *mut ULONG,
    ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    // SAFETY: the caller's arguments, passed on unchanged.
    unsafe {
        apply_options(phContext);
        AcceptSecurityContext(
            phCredential,
            phContext,
            pInput,
            fContextReq,
            TargetDataRep,
            phNewContext,
            pOutput,
            pfContextAttr,
            ptsExpiry,
        )
    }
}

/// Sets a SASL option on a context: SASL_OPTION_SEND_SIZE / SASL_OPTION_RECV_SIZE (ULONG),
/// SASL_OPTION_AUTHZ_STRING (bytes), SASL_OPTION_AUTHZ_PROCESSING (SASL_AUTHZID_STATE, ULONG).
/// Errors: bad handle → SEC_E_INVALID_HANDLE; NULL Value with a size, or a ULONG option whose
/// Size is not 4 → SEC_E_INVALID_PARAMETER; another option → SEC_E_UNSUPPORTED_FUNCTION.
#[no_mangle]
pub unsafe extern "system" fn SaslSetContextOption(
    ContextHandle: PCtxtHandle,
    Option: ULONG,
    Value: PVOID,
    Size: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments, checked inside.
    guard("SaslSetContextOption", || unsafe {
        let h = read_handle(ContextHandle)?;
        handles::context(&h)?;
        if Value.is_null() && Size != 0 {
            return Err(Error::InvalidParameter);
        }
        let bytes: &[u8] = if Size == 0 {
            &[]
        } else {
            // SAFETY: non-NULL, Size bytes per the caller's contract.
            core::slice::from_raw_parts(Value as *const u8, Size as usize)
        };
        let ulong = || -> SecResult<u32> {
            let b: [u8; 4] = bytes.try_into().map_err(|_| Error::InvalidParameter)?;
            Ok(u32::from_ne_bytes(b))
        };
        let mut map = options().lock();
        let o = map.entry(key(&h)).or_default();
        match Option {
            SASL_OPTION_SEND_SIZE => o.send_size = Some(ulong()?),
            SASL_OPTION_RECV_SIZE => o.recv_size = Some(ulong()?),
            SASL_OPTION_AUTHZ_STRING => o.authz = Some(bytes.to_vec()),
            SASL_OPTION_AUTHZ_PROCESSING => {
                let v = ulong()?;
                if v > 1 {
                    return Err(Error::InvalidParameter);
                }
                o.authz_processing = v;
            }
            _ => return Err(Error::UnsupportedFunction),
        }
        Ok(Outcome::Ok)
    })
}

/// Reads a SASL option (see SaslSetContextOption). SEND_SIZE defaults to the largest buffer
/// the peer announced (DIGEST-MD5 maxbuf) or 65536, RECV_SIZE to 65536, AUTHZ_PROCESSING to
/// Sasl_AuthZIDForbidden; AUTHZ_STRING unset → empty. `*Needed` (optional) gets the size;
/// Size too small → SEC_E_BUFFER_TOO_SMALL.
#[no_mangle]
pub unsafe extern "system" fn SaslGetContextOption(
    ContextHandle: PCtxtHandle,
    Option: ULONG,
    Value: PVOID,
    Size: ULONG,
    Needed: *mut ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments, checked inside.
    guard("SaslGetContextOption", || unsafe {
        let h = read_handle(ContextHandle)?;
        let entry = handles::context(&h)?;
        let o = options().lock().get(&key(&h)).cloned().unwrap_or_default();
        let data: Vec<u8> = match Option {
            SASL_OPTION_SEND_SIZE => o
                .send_size
                .or_else(|| entry.context.sasl_peer_max_buffer())
                .unwrap_or(65536)
                .to_ne_bytes()
                .to_vec(),
            SASL_OPTION_RECV_SIZE => o.recv_size.unwrap_or(65536).to_ne_bytes().to_vec(),
            SASL_OPTION_AUTHZ_STRING => o.authz.unwrap_or_default(),
            SASL_OPTION_AUTHZ_PROCESSING => {
                let v = if o.authz_processing == 0 {
                    SASL_AUTHZID_FORBIDDEN
                } else {
                    o.authz_processing
                };
                v.to_ne_bytes().to_vec()
            }
            _ => return Err(Error::UnsupportedFunction),
        };
        put(Needed, data.len() as ULONG);
        if (Size as usize) < data.len() {
            return Err(Error::BufferTooSmall);
        }
        if !data.is_empty() {
            if Value.is_null() {
                return Err(Error::InvalidParameter);
            }
            // SAFETY: Value holds Size >= data.len() bytes per the caller's contract.
            core::ptr::copy_nonoverlapping(data.as_ptr(), Value as *mut u8, data.len());
        }
        Ok(Outcome::Ok)
    })
}

/// Drops a deleted context's options (called by DeleteSecurityContext).
pub(crate) fn forget(h: &SecHandle) {
    options().lock().remove(&key(h));
}

#[cfg(test)]
mod tests {
    #[test]
    fn identifies_tokens() {
        assert_eq!(
            super::identify(
                b"realm=\"R\",nonce=\"n\",qop=\"auth\",charset=utf-8,algorithm=md5-sess"
            ),
            Some("WDigest")
        );
        let krb = [
            0x60, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
        ];
        assert_eq!(super::identify(&krb), Some("Kerberos"));
        let spnego = [0x60, 0x08, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
        assert_eq!(super::identify(&spnego), Some("Negotiate"));
        assert_eq!(super::identify(&[0x60]), None);
        assert_eq!(super::identify(b"hello"), None);
    }
}
