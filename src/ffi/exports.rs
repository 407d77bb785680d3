//! The exported Secur32 functions (`SEC_ENTRY` = `extern "system"`). Each body runs inside
//! [`guard`], so no panic crosses into C: a caught panic returns `SEC_E_INTERNAL_ERROR`.
//!
//! Conventions for every function: out-parameters are written only on success (including
//! `SEC_I_*` outcomes); memory handed to the caller (SecPkgInfo arrays, tokens allocated for
//! ISC_REQ_ALLOCATE_MEMORY / ASC_REQ_ALLOCATE_MEMORY, attribute strings and keys) is released
//! with FreeContextBuffer; handles that are NULL, zeroed, forged, deleted or of the wrong kind
//! give `SEC_E_INVALID_HANDLE`.

use super::attrs::{alloc_pkg_infos, struct_size, write_attribute};
use super::consts::*;
use super::strings::{any_str, decode_identity, Charset};
use super::types::*;
use crate::buffers::{free_context_buffer, SecBuffers};
use crate::handles::{self, ContextEntry};
use crate::log::Level;
use crate::package::{self, AuthData, CredentialRequest, Step};
use crate::status::{Error, Outcome, SecResult};
use core::cell::Cell;
use core::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};

thread_local! {
    /// The package the current call resolved to, for log lines.
    static PACKAGE: Cell<&'static str> = const { Cell::new("-") };
}

fn note_package(name: &'static str) {
    if crate::log::enabled(Level::Error) {
        PACKAGE.with(|p| p.set(name));
    }
}

/// Looks up a context handle passed by pointer.
///
/// # Safety
/// `h` is NULL or points to a readable SecHandle.
unsafe fn context_of(h: *const SecHandle) -> SecResult<std::sync::Arc<ContextEntry>> {
    // SAFETY: forwarded contract.
    let entry = handles::context(&unsafe { read_handle(h)? })?;
    note_package(entry.context.package().name);
    Ok(entry)
}

/// Looks up a credentials handle passed by pointer.
///
/// # Safety
/// `h` is NULL or points to a readable SecHandle.
unsafe fn credentials_of(
    h: *const SecHandle,
) -> SecResult<std::sync::Arc<dyn crate::package::Credentials>> {
    // SAFETY: forwarded contract.
    let cred = handles::credentials(&unsafe { read_handle(h)? })?;
    note_package(cred.package().name);
    Ok(cred)
}

/// Runs an export body: maps its result to a status, logs failures (function, package,
/// status), and turns a panic into `SEC_E_INTERNAL_ERROR`.
pub(crate) fn guard(name: &'static str, f: impl FnOnce() -> SecResult<Outcome>) -> SECURITY_STATUS {
    let r = catch_unwind(AssertUnwindSafe(f));
    let pkg = if crate::log::enabled(Level::Error) {
        PACKAGE.with(|p| p.replace("-"))
    } else {
        "-"
    };
    match r {
        Ok(Ok(o)) => {
            crate::log!(Level::Trace, "{name} [{pkg}]: {o:?}");
            o.status()
        }
        Ok(Err(e)) => {
            crate::log!(Level::Debug, "{name} [{pkg}]: {e}");
            e.status()
        }
        Err(_) => {
            crate::log!(
                Level::Error,
                "{name} [{pkg}]: panic caught, returning SEC_E_INTERNAL_ERROR"
            );
            SEC_E_INTERNAL_ERROR
        }
    }
}

/// Reads a handle the caller passed by pointer (NULL → `SEC_E_INVALID_HANDLE`).
///
/// # Safety
/// `h` is NULL or points to a readable SecHandle.
unsafe fn read_handle(h: *const SecHandle) -> SecResult<SecHandle> {
    if h.is_null() {
        return Err(Error::InvalidHandle);
    }
    // SAFETY: non-NULL, readable per the contract.
    Ok(unsafe { h.read_unaligned() })
}

/// # Safety
/// `p` is NULL or writable for one `T`.
unsafe fn put<T>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: non-NULL and writable per the contract.
        unsafe { p.write_unaligned(v) };
    }
}

/// FILETIME meaning "never expires", as Windows reports for NTLM.
const NEVER: i64 = i64::MAX;

/// Writes an attribute value into the caller's struct; `size` is the Ex functions' cbBuffer.
///
/// # Safety
/// `buf` is NULL or the caller's writable struct for this attribute (of `size` bytes if given).
unsafe fn deliver_attribute(
    value: crate::package::Attribute,
    buf: *mut c_void,
    size: Option<ULONG>,
    cs: Charset,
) -> SecResult<Outcome> {
    if let Some(n) = size {
        if (n as usize) < struct_size(&value) {
            return Err(Error::BufferTooSmall);
        }
    }
    // SAFETY: forwarded contract.
    unsafe { write_attribute(value, buf, cs)? };
    Ok(Outcome::Ok)
}

/// The caller's attribute struct for the Set*Attributes functions.
///
/// # Safety
/// `buf` is NULL or readable for `size` bytes for the lifetime `'a`.
unsafe fn caller_bytes<'a>(buf: *const c_void, size: ULONG) -> SecResult<&'a [u8]> {
    match (buf.is_null(), size) {
        (_, 0) => Ok(&[]),
        (true, _) => Err(Error::InvalidParameter),
        // SAFETY: forwarded contract.
        (false, n) => Ok(unsafe { core::slice::from_raw_parts(buf as *const u8, n as usize) }),
    }
}

// ---------------------------------------------------------------------------------------------
// Packages

unsafe fn enumerate_packages(
    pc: *mut ULONG,
    pp: *mut *mut c_void,
    cs: Charset,
) -> SecResult<Outcome> {
    if pc.is_null() || pp.is_null() {
        return Err(Error::InvalidParameter);
    }
    let infos: Vec<_> = package::registry().iter().map(|p| p.info()).collect();
    let block = alloc_pkg_infos(&infos, cs)?;
    // SAFETY: both checked non-NULL; caller-owned out-parameters.
    unsafe {
        put(pc, infos.len() as ULONG);
        put(pp, block);
    }
    Ok(Outcome::Ok)
}

/// Lists the security packages this library provides (only packages that work), as an array
/// of SecPkgInfoW that the caller frees with one FreeContextBuffer call.
#[no_mangle]
pub unsafe extern "system" fn EnumerateSecurityPackagesW(
    pcPackages: *mut ULONG,
    ppPackageInfo: *mut PSecPkgInfoW,
) -> SECURITY_STATUS {
    // SAFETY: caller-provided out-pointers, checked inside.
    guard("EnumerateSecurityPackagesW", || unsafe {
        enumerate_packages(pcPackages, ppPackageInfo as _, Charset::Wide)
    })
}

/// Narrow form of EnumerateSecurityPackagesW (UTF-8 names).
#[no_mangle]
pub unsafe extern "system" fn EnumerateSecurityPackagesA(
    pcPackages: *mut ULONG,
    ppPackageInfo: *mut PSecPkgInfoA,
) -> SECURITY_STATUS {
    // SAFETY: caller-provided out-pointers, checked inside.
    guard("EnumerateSecurityPackagesA", || unsafe {
        enumerate_packages(pcPackages, ppPackageInfo as _, Charset::Ansi)
    })
}

unsafe fn query_package_info(
    name: *const c_void,
    pp: *mut *mut c_void,
    cs: Charset,
) -> SecResult<Outcome> {
    // SAFETY: caller's string.
    let name = unsafe { any_str(name, cs)? }.ok_or(Error::SecpkgNotFound)?;
    let pkg = package::find(&name).ok_or(Error::SecpkgNotFound)?;
    if pp.is_null() {
        return Err(Error::InvalidParameter);
    }
    let block = alloc_pkg_infos(&[pkg.info()], cs)?;
    // SAFETY: checked non-NULL.
    unsafe { put(pp, block) };
    Ok(Outcome::Ok)
}

/// Describes one package by name (case-insensitive). Unknown name → `SEC_E_SECPKG_NOT_FOUND`
/// with `*ppPackageInfo` untouched. Free the result with FreeContextBuffer.
#[no_mangle]
pub unsafe extern "system" fn QuerySecurityPackageInfoW(
    pszPackageName: *mut SEC_WCHAR,
    ppPackageInfo: *mut PSecPkgInfoW,
) -> SECURITY_STATUS {
    // SAFETY: caller's string and out-pointer.
    guard("QuerySecurityPackageInfoW", || unsafe {
        query_package_info(pszPackageName as _, ppPackageInfo as _, Charset::Wide)
    })
}

/// Narrow form of QuerySecurityPackageInfoW.
#[no_mangle]
pub unsafe extern "system" fn QuerySecurityPackageInfoA(
    pszPackageName: *mut SEC_CHAR,
    ppPackageInfo: *mut PSecPkgInfoA,
) -> SECURITY_STATUS {
    // SAFETY: caller's string and out-pointer.
    guard("QuerySecurityPackageInfoA", || unsafe {
        query_package_info(pszPackageName as _, ppPackageInfo as _, Charset::Ansi)
    })
}

/// Frees memory this library returned (SecPkgInfo arrays, allocated tokens, attribute
/// strings and keys). NULL → `SEC_E_OK`; a pointer this library did not hand out →
/// `SEC_E_INVALID_HANDLE`.
#[no_mangle]
pub unsafe extern "system" fn FreeContextBuffer(pvContextBuffer: PVOID) -> SECURITY_STATUS {
    guard("FreeContextBuffer", || {
        if pvContextBuffer.is_null() || free_context_buffer(pvContextBuffer) {
            Ok(Outcome::Ok)
        } else {
            Err(Error::InvalidHandle)
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Credentials

#[allow(clippy::too_many_arguments)]
unsafe fn acquire_credentials(
    principal: *const c_void,
    package: *const c_void,
    usage: ULONG,
    auth: *mut c_void,
    out: PCredHandle,
    expiry: PTimeStamp,
    cs: Charset,
) -> SecResult<Outcome> {
    // SAFETY: caller's strings.
    let name = unsafe { any_str(package, cs)? }.ok_or(Error::SecpkgNotFound)?;
    let pkg = package::find(&name).ok_or(Error::SecpkgNotFound)?;
    note_package(pkg.info().name);
    if out.is_null() {
        return Err(Error::InvalidParameter);
    }
    if usage & (SECPKG_CRED_INBOUND | SECPKG_CRED_OUTBOUND) == 0 {
        return Err(Error::UnknownCredentials);
    }
    // SAFETY: caller's string.
    let principal = unsafe { any_str(principal, cs)? };
    let auth = if auth.is_null() {
        AuthData::None
    } else if crate::packages::schannel::is_schannel(pkg.info()) {
        // SAFETY: Schannel's pAuthData is SCHANNEL_CRED or SCH_CREDENTIALS.
        AuthData::Schannel(unsafe { super::schannel::decode_schannel_cred(auth)? })
    } else {
        // SAFETY: pAuthData is the package's documented structure.
        AuthData::Identity(unsafe { decode_identity(auth, cs)? })
    };
    let cred = pkg.acquire_credentials(CredentialRequest {
        principal,
        usage,
        auth,
    })?;
    let h = handles::insert_credentials(cred)?;
    // SAFETY: out checked non-NULL; expiry may be NULL.
    unsafe {
        put(out, h);
        put(expiry, TimeStamp { QuadPart: NEVER });
    }
    Ok(Outcome::Ok)
}

/// Acquires credentials for a package ("NTLM", case-insensitive). `pAuthData` is the
/// package's identity structure (SEC_WINNT_AUTH_IDENTITY_W/A or the _EX forms) or NULL for
/// default credentials. Free the handle with FreeCredentialsHandle.
/// Returns SEC_E_OK, SEC_E_SECPKG_NOT_FOUND, SEC_E_NO_CREDENTIALS, SEC_E_UNKNOWN_CREDENTIALS,
/// SEC_E_INVALID_PARAMETER, SEC_E_INSUFFICIENT_MEMORY.
#[no_mangle]
pub unsafe extern "system" fn AcquireCredentialsHandleW(
    pszPrincipal: *mut SEC_WCHAR,
    pszPackage: *mut SEC_WCHAR,
    fCredentialUse: ULONG,
    pvLogonId: *mut c_void,
    pAuthData: *mut c_void,
    pGetKeyFn: SEC_GET_KEY_FN,
    pvGetKeyArgument: *mut c_void,
    phCredential: PCredHandle,
    ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    let _ = (pvLogonId, pGetKeyFn, pvGetKeyArgument);
    // SAFETY: caller's arguments, checked inside.
    guard("AcquireCredentialsHandleW", || unsafe {
        acquire_credentials(
            pszPrincipal as _,
            pszPackage as _,
            fCredentialUse,
            pAuthData,
            phCredential,
            ptsExpiry,
            Charset::Wide,
        )
    })
}

/// Narrow form of AcquireCredentialsHandleW (UTF-8 strings).
#[no_mangle]
pub unsafe extern "system" fn AcquireCredentialsHandleA(
    pszPrincipal: *mut SEC_CHAR,
    pszPackage: *mut SEC_CHAR,
    fCredentialUse: ULONG,
    pvLogonId: *mut c_void,
    pAuthData: *mut c_void,
    pGetKeyFn: SEC_GET_KEY_FN,
    pvGetKeyArgument: *mut c_void,
    phCredential: PCredHandle,
    ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    let _ = (pvLogonId, pGetKeyFn, pvGetKeyArgument);
    // SAFETY: caller's arguments, checked inside.
    guard("AcquireCredentialsHandleA", || unsafe {
        acquire_credentials(
            pszPrincipal as _,
            pszPackage as _,
            fCredentialUse,
            pAuthData,
            phCredential,
            ptsExpiry,
            Charset::Ansi,
        )
    })
}

/// Releases a credentials handle. Contexts made from it keep working. A second call on the
/// same handle → `SEC_E_INVALID_HANDLE`.
#[no_mangle]
pub unsafe extern "system" fn FreeCredentialsHandle(phCredential: PCredHandle) -> SECURITY_STATUS {
    guard("FreeCredentialsHandle", || {
        // SAFETY: caller's handle pointer.
        let h = unsafe { read_handle(phCredential)? };
        handles::remove_credentials(&h)?;
        Ok(Outcome::Ok)
    })
}

unsafe fn query_cred_attrs(
    h: PCredHandle,
    attr: ULONG,
    buf: *mut c_void,
    size: Option<ULONG>,
    cs: Charset,
) -> SecResult<Outcome> {
    // SAFETY: caller's handle pointer.
    let cred = unsafe { credentials_of(h)? };
    if buf.is_null() {
        return Err(Error::InvalidParameter);
    }
    // SAFETY: buf is the caller's struct for this attribute.
    unsafe { deliver_attribute(cred.query_attribute(attr)?, buf, size, cs) }
}

/// Queries a credential attribute (SECPKG_CRED_ATTR_NAMES…). Strings are freed with
/// FreeContextBuffer. Unknown attribute → `SEC_E_UNSUPPORTED_FUNCTION`.
#[no_mangle]
pub unsafe extern "system" fn QueryCredentialsAttributesW(
    phCredential: PCredHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments.
    guard("QueryCredentialsAttributesW", || unsafe {
        query_cred_attrs(phCredential, ulAttribute, pBuffer, None, Charset::Wide)
    })
}

/// Narrow form of QueryCredentialsAttributesW.
#[no_mangle]
pub unsafe extern "system" fn QueryCredentialsAttributesA(
    phCredential: PCredHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments.
    guard("QueryCredentialsAttributesA", || unsafe {
        query_cred_attrs(phCredential, ulAttribute, pBuffer, None, Charset::Ansi)
    })
}

/// QueryCredentialsAttributesW with the size of `pBuffer` (too small → `SEC_E_BUFFER_TOO_SMALL`).
#[no_mangle]
pub unsafe extern "system" fn QueryCredentialsAttributesExW(
    phCredential: PCredHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments.
    guard("QueryCredentialsAttributesExW", || unsafe {
        query_cred_attrs(
            phCredential,
            ulAttribute,
            pBuffer,
            Some(cbBuffer),
            Charset::Wide,
        )
    })
}

/// Narrow form of QueryCredentialsAttributesExW.
#[no_mangle]
pub unsafe extern "system" fn QueryCredentialsAttributesExA(
    phCredential: PCredHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments.
    guard("QueryCredentialsAttributesExA", || unsafe {
        query_cred_attrs(
            phCredential,
            ulAttribute,
            pBuffer,
            Some(cbBuffer),
            Charset::Ansi,
        )
    })
}

unsafe fn set_cred_attrs(
    h: PCredHandle,
    attr: ULONG,
    buf: *mut c_void,
    size: ULONG,
) -> SecResult<Outcome> {
    // SAFETY: caller's handle pointer.
    let cred = unsafe { credentials_of(h)? };
    // SAFETY: the caller's struct of cbBuffer bytes.
    let bytes = unsafe { caller_bytes(buf, size)? };
    cred.set_attribute(attr, bytes)?;
    Ok(Outcome::Ok)
}

/// Sets a credential attribute; packages here support none yet → `SEC_E_UNSUPPORTED_FUNCTION`.
#[no_mangle]
pub unsafe extern "system" fn SetCredentialsAttributesW(
    phCredential: PCredHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments.
    guard("SetCredentialsAttributesW", || unsafe {
        set_cred_attrs(phCredential, ulAttribute, pBuffer, cbBuffer)
    })
}

/// Narrow form of SetCredentialsAttributesW.
#[no_mangle]
pub unsafe extern "system" fn SetCredentialsAttributesA(
    phCredential: PCredHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments.
    guard("SetCredentialsAttributesA", || unsafe {
        set_cred_attrs(phCredential, ulAttribute, pBuffer, cbBuffer)
    })
}

/// Adds credentials to an existing handle: not supported (`SEC_E_UNSUPPORTED_FUNCTION`
/// for a valid handle, `SEC_E_INVALID_HANDLE` otherwise).
#[no_mangle]
pub unsafe extern "system" fn AddCredentialsW(
    hCredentials: PCredHandle,
    pszPrincipal: *mut SEC_WCHAR,
    pszPackage: *mut SEC_WCHAR,
    fCredentialUse: ULONG,
    pAuthData: *mut c_void,
    pGetKeyFn: SEC_GET_KEY_FN,
    pvGetKeyArgument: *mut c_void,
    ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    let _ = (
        pszPrincipal,
        pszPackage,
        fCredentialUse,
        pAuthData,
        pGetKeyFn,
        pvGetKeyArgument,
        ptsExpiry,
    );
    guard("AddCredentialsW", || {
        // SAFETY: caller's handle pointer.
        unsafe { credentials_of(hCredentials)? };
        Err(Error::UnsupportedFunction)
    })
}

/// Narrow form of AddCredentialsW.
#[no_mangle]
pub unsafe extern "system" fn AddCredentialsA(
    hCredentials: PCredHandle,
    pszPrincipal: *mut SEC_CHAR,
    pszPackage: *mut SEC_CHAR,
    fCredentialUse: ULONG,
    pAuthData: *mut c_void,
    pGetKeyFn: SEC_GET_KEY_FN,
    pvGetKeyArgument: *mut c_void,
    ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    let _ = (
        pszPrincipal,
        pszPackage,
        fCredentialUse,
        pAuthData,
        pGetKeyFn,
        pvGetKeyArgument,
        ptsExpiry,
    );
    guard("AddCredentialsA", || {
        // SAFETY: caller's handle pointer.
        unsafe { credentials_of(hCredentials)? };
        Err(Error::UnsupportedFunction)
    })
}

// ---------------------------------------------------------------------------------------------
// Contexts

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

#[allow(clippy::too_many_arguments)]
unsafe fn context_step(
    side: Side,
    cred: PCredHandle,
    ctx: PCtxtHandle,
    target: Option<String>,
    req: ULONG,
    input: PSecBufferDesc,
    new_ctx: PCtxtHandle,
    output: PSecBufferDesc,
    attrs: *mut ULONG,
    expiry: PTimeStamp,
) -> SecResult<Outcome> {
    // SAFETY: caller's descriptors (NULL allowed), valid for this call.
    let mut input = unsafe { SecBuffers::from_desc(input)? };
    // SAFETY: as above.
    let mut output = unsafe { SecBuffers::from_desc(output)? };
    if let Some(o) = output.as_mut() {
        o.set_allocate(req & ISC_REQ_ALLOCATE_MEMORY != 0);
    }
    let existing = if ctx.is_null() {
        None
    } else {
        // SAFETY: non-NULL caller handle pointer.
        let h = unsafe { read_handle(ctx)? };
        Some((h, handles::context(&h)?))
    };
    let mut fresh: Option<ContextEntry> = None;
    let entry: &ContextEntry = match &existing {
        Some((_, e)) => e,
        None => {
            // SAFETY: caller's handle pointer.
            let credential = unsafe { credentials_of(cred)? };
            if new_ctx.is_null() {
                return Err(Error::InvalidParameter);
            }
            let needed = if side == Side::Client {
                SECPKG_CRED_OUTBOUND
            } else {
                SECPKG_CRED_INBOUND
            };
            if credential.usage() & needed == 0 {
                return Err(Error::NoCredentials);
            }
            let context = match side {
                Side::Client => credential.clone().new_client_context()?,
                Side::Server => credential.clone().new_server_context()?,
            };
            fresh.insert(ContextEntry {
                context,
                credential,
            })
        }
    };
    let mut step = Step {
        target: target.as_deref(),
        req_flags: req,
        input: input.as_mut(),
        output: output.as_mut(),
        ret_flags: 0,
        expiry: NEVER,
    };
    let outcome = match side {
        Side::Client => entry.context.initialize(&mut step)?,
        Side::Server => entry.context.accept(&mut step)?,
    };
    let (ret_flags, expiry_v) = (step.ret_flags, step.expiry);
    let handle = match existing {
        Some((h, _)) => h,
        None => handles::insert_context(fresh.take().ok_or(Error::InternalError)?)?,
    };
    // SAFETY: caller's out-parameters (NULL skipped).
    unsafe {
        put(new_ctx, handle);
        put(attrs, ret_flags);
        put(expiry, TimeStamp { QuadPart: expiry_v });
    }
    Ok(outcome)
}

/// Client side of a handshake. First call: `phContext` NULL, `phCredential` from
/// AcquireCredentialsHandle; the new context is written to `phNewContext`. Later calls pass the
/// context and the peer's token in `pInput`. The output token goes to `pOutput`'s
/// SECBUFFER_TOKEN (too small → `SEC_E_BUFFER_TOO_SMALL`; with ISC_REQ_ALLOCATE_MEMORY it is
/// allocated and freed by the caller with FreeContextBuffer). Returns SEC_I_CONTINUE_NEEDED
/// while more tokens must be exchanged, then SEC_E_OK; errors SEC_E_INVALID_HANDLE,
/// SEC_E_INVALID_TOKEN, SEC_E_LOGON_DENIED, SEC_E_NO_CREDENTIALS, SEC_E_BUFFER_TOO_SMALL,
/// SEC_E_INSUFFICIENT_MEMORY, SEC_E_INTERNAL_ERROR.
#[no_mangle]
pub unsafe extern "system" fn InitializeSecurityContextW(
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
    let _ = (Reserved1, TargetDataRep, Reserved2);
    // SAFETY: caller's arguments, checked inside.
    guard("InitializeSecurityContextW", || unsafe {
        let target = any_str(pszTargetName as _, Charset::Wide)?;
        context_step(
            Side::Client,
            phCredential,
            phContext,
            target,
            fContextReq,
            pInput,
            phNewContext,
            pOutput,
            pfContextAttr,
            ptsExpiry,
        )
    })
}

/// Narrow form of InitializeSecurityContextW (UTF-8 target name).
#[no_mangle]
pub unsafe extern "system" fn InitializeSecurityContextA(
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
    let _ = (Reserved1, TargetDataRep, Reserved2);
    // SAFETY: caller's arguments, checked inside.
    guard("InitializeSecurityContextA", || unsafe {
        let target = any_str(pszTargetName as _, Charset::Ansi)?;
        context_step(
            Side::Client,
            phCredential,
            phContext,
            target,
            fContextReq,
            pInput,
            phNewContext,
            pOutput,
            pfContextAttr,
            ptsExpiry,
        )
    })
}

/// Server side of a handshake; the same conventions as InitializeSecurityContextW, with
/// ASC_REQ_* / ASC_RET_* flags. Wrong password or unknown user → `SEC_E_LOGON_DENIED`.
#[no_mangle]
pub unsafe extern "system" fn AcceptSecurityContext(
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
    let _ = TargetDataRep;
    // SAFETY: caller's arguments, checked inside.
    guard("AcceptSecurityContext", || unsafe {
        context_step(
            Side::Server,
            phCredential,
            phContext,
            None,
            fContextReq,
            pInput,
            phNewContext,
            pOutput,
            pfContextAttr,
            ptsExpiry,
        )
    })
}

/// Completes a token for packages that return SEC_I_COMPLETE_NEEDED (none here: SEC_E_OK
/// for a valid context).
#[no_mangle]
pub unsafe extern "system" fn CompleteAuthToken(
    phContext: PCtxtHandle,
    pToken: PSecBufferDesc,
) -> SECURITY_STATUS {
    guard("CompleteAuthToken", || {
        // SAFETY: caller's handle pointer and descriptor.
        let entry = unsafe { context_of(phContext)? };
        // SAFETY: as above.
        let mut bufs = unsafe { SecBuffers::from_desc(pToken)? }.ok_or(Error::InvalidToken)?;
        entry.context.complete_auth_token(&mut bufs)?;
        Ok(Outcome::Ok)
    })
}

/// Applies a control token (Schannel shutdown…); unsupported by the package → SEC_E_UNSUPPORTED_FUNCTION.
#[no_mangle]
pub unsafe extern "system" fn ApplyControlToken(
    phContext: PCtxtHandle,
    pInput: PSecBufferDesc,
) -> SECURITY_STATUS {
    guard("ApplyControlToken", || {
        // SAFETY: caller's handle pointer and descriptor.
        let entry = unsafe { context_of(phContext)? };
        // SAFETY: as above.
        let mut bufs = unsafe { SecBuffers::from_desc(pInput)? }.ok_or(Error::InvalidToken)?;
        entry.context.apply_control_token(&mut bufs)?;
        Ok(Outcome::Ok)
    })
}

/// Deletes a context and zeroizes its keys (once calls in flight on other threads return).
/// A second call → `SEC_E_INVALID_HANDLE`.
#[no_mangle]
pub unsafe extern "system" fn DeleteSecurityContext(phContext: PCtxtHandle) -> SECURITY_STATUS {
    guard("DeleteSecurityContext", || {
        // SAFETY: caller's handle pointer.
        handles::remove_context(&unsafe { read_handle(phContext)? })?;
        Ok(Outcome::Ok)
    })
}

unsafe fn query_ctx_attrs(
    h: PCtxtHandle,
    attr: ULONG,
    buf: *mut c_void,
    size: Option<ULONG>,
    cs: Charset,
) -> SecResult<Outcome> {
    // SAFETY: caller's handle pointer.
    let entry = unsafe { context_of(h)? };
    if buf.is_null() {
        return Err(Error::InvalidParameter);
    }
    // SAFETY: buf is the caller's struct for this attribute.
    unsafe { deliver_attribute(entry.context.query_attribute(attr)?, buf, size, cs) }
}

/// Queries a context attribute (SECPKG_ATTR_SIZES, NAMES, SESSION_KEY, …) into the struct the
/// attribute documents. Strings, keys and SecPkgInfo it returns are freed with
/// FreeContextBuffer. Unknown or inapplicable attribute → `SEC_E_UNSUPPORTED_FUNCTION`.
#[no_mangle]
pub unsafe extern "system" fn QueryContextAttributesW(
    phContext: PCtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments.
    guard("QueryContextAttributesW", || unsafe {
        query_ctx_attrs(phContext, ulAttribute, pBuffer, None, Charset::Wide)
    })
}

/// Narrow form of QueryContextAttributesW.
#[no_mangle]
pub unsafe extern "system" fn QueryContextAttributesA(
    phContext: PCtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments.
    guard("QueryContextAttributesA", || unsafe {
        query_ctx_attrs(phContext, ulAttribute, pBuffer, None, Charset::Ansi)
    })
}

/// QueryContextAttributesW with the size of `pBuffer` (too small → `SEC_E_BUFFER_TOO_SMALL`).
#[no_mangle]
pub unsafe extern "system" fn QueryContextAttributesExW(
    phContext: PCtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments.
    guard("QueryContextAttributesExW", || unsafe {
        query_ctx_attrs(
            phContext,
            ulAttribute,
            pBuffer,
            Some(cbBuffer),
            Charset::Wide,
        )
    })
}

/// Narrow form of QueryContextAttributesExW.
#[no_mangle]
pub unsafe extern "system" fn QueryContextAttributesExA(
    phContext: PCtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments.
    guard("QueryContextAttributesExA", || unsafe {
        query_ctx_attrs(
            phContext,
            ulAttribute,
            pBuffer,
            Some(cbBuffer),
            Charset::Ansi,
        )
    })
}

unsafe fn set_ctx_attrs(
    h: PCtxtHandle,
    attr: ULONG,
    buf: *mut c_void,
    size: ULONG,
) -> SecResult<Outcome> {
    // SAFETY: caller's handle pointer.
    let entry = unsafe { context_of(h)? };
    // SAFETY: the caller's struct of cbBuffer bytes.
    let bytes = unsafe { caller_bytes(buf, size)? };
    entry.context.set_attribute(attr, bytes)?;
    Ok(Outcome::Ok)
}

/// Sets a context attribute; unsupported ones → `SEC_E_UNSUPPORTED_FUNCTION`.
#[no_mangle]
pub unsafe extern "system" fn SetContextAttributesW(
    phContext: PCtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments.
    guard("SetContextAttributesW", || unsafe {
        set_ctx_attrs(phContext, ulAttribute, pBuffer, cbBuffer)
    })
}

/// Narrow form of SetContextAttributesW.
#[no_mangle]
pub unsafe extern "system" fn SetContextAttributesA(
    phContext: PCtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments.
    guard("SetContextAttributesA", || unsafe {
        set_ctx_attrs(phContext, ulAttribute, pBuffer, cbBuffer)
    })
}

// ---------------------------------------------------------------------------------------------
// Messages: resolve the handle (lock-free, see handles::with_context), view the buffers, call
// the package. Nothing more.

/// Encrypts a message in place (SpSealMessage). For NTLM: `[SECBUFFER_TOKEN (cbSecurityTrailer
/// bytes), SECBUFFER_DATA…]`; for Schannel: `[STREAM_HEADER, DATA, STREAM_TRAILER, EMPTY]`.
/// Returns SEC_E_OK, SEC_E_INVALID_HANDLE, SEC_E_INVALID_TOKEN (no DATA/TOKEN buffer),
/// SEC_E_BUFFER_TOO_SMALL, SEC_E_QOP_NOT_SUPPORTED, SEC_E_CONTEXT_EXPIRED. Safe to call while
/// another thread runs DecryptMessage on the same context.
#[no_mangle]
pub unsafe extern "system" fn EncryptMessage(
    phContext: PCtxtHandle,
    fQOP: ULONG,
    pMessage: PSecBufferDesc,
    MessageSeqNo: ULONG,
) -> SECURITY_STATUS {
    guard("EncryptMessage", || {
        // SAFETY: caller's handle pointer.
        let h = unsafe { read_handle(phContext)? };
        handles::with_context(&h, |entry| {
            note_package(entry.context.package().name);
            // SAFETY: caller's descriptor, valid for this call.
            let mut msg = unsafe { SecBuffers::from_desc(pMessage)? }.ok_or(Error::InvalidToken)?;
            entry.context.seal(fQOP, &mut msg, MessageSeqNo)?;
            Ok(Outcome::Ok)
        })?
    })
}

/// Decrypts a message in place (SpUnsealMessage) and writes the sender's QOP to `pfQOP`.
/// Tampered → SEC_E_MESSAGE_ALTERED; replayed/reordered → SEC_E_OUT_OF_SEQUENCE; a failed
/// call leaves the context able to process the next genuine message.
#[no_mangle]
pub unsafe extern "system" fn DecryptMessage(
    phContext: PCtxtHandle,
    pMessage: PSecBufferDesc,
    MessageSeqNo: ULONG,
    pfQOP: *mut ULONG,
) -> SECURITY_STATUS {
    guard("DecryptMessage", || {
        // SAFETY: caller's handle pointer.
        let h = unsafe { read_handle(phContext)? };
        handles::with_context(&h, |entry| {
            note_package(entry.context.package().name);
            // SAFETY: caller's descriptor, valid for this call.
            let mut msg = unsafe { SecBuffers::from_desc(pMessage)? }.ok_or(Error::InvalidToken)?;
            let r = entry.context.unseal(&mut msg, MessageSeqNo)?;
            // SAFETY: pfQOP is NULL or the caller's ULONG.
            unsafe { put(pfQOP, r.qop) };
            Ok(r.outcome)
        })?
    })
}

/// Signs a message (SpMakeSignature): `[SECBUFFER_TOKEN (cbMaxSignature), SECBUFFER_DATA…]`.
#[no_mangle]
pub unsafe extern "system" fn MakeSignature(
    phContext: PCtxtHandle,
    fQOP: ULONG,
    pMessage: PSecBufferDesc,
    MessageSeqNo: ULONG,
) -> SECURITY_STATUS {
    guard("MakeSignature", || {
        // SAFETY: caller's handle pointer.
        let h = unsafe { read_handle(phContext)? };
        handles::with_context(&h, |entry| {
            note_package(entry.context.package().name);
            // SAFETY: caller's descriptor, valid for this call.
            let mut msg = unsafe { SecBuffers::from_desc(pMessage)? }.ok_or(Error::InvalidToken)?;
            entry.context.make_signature(fQOP, &mut msg, MessageSeqNo)?;
            Ok(Outcome::Ok)
        })?
    })
}

/// Verifies a signature (SpVerifySignature); writes the QOP to `pfQOP`.
#[no_mangle]
pub unsafe extern "system" fn VerifySignature(
    phContext: PCtxtHandle,
    pMessage: PSecBufferDesc,
    MessageSeqNo: ULONG,
    pfQOP: *mut ULONG,
) -> SECURITY_STATUS {
    guard("VerifySignature", || {
        // SAFETY: caller's handle pointer.
        let h = unsafe { read_handle(phContext)? };
        handles::with_context(&h, |entry| {
            note_package(entry.context.package().name);
            // SAFETY: caller's descriptor, valid for this call.
            let mut msg = unsafe { SecBuffers::from_desc(pMessage)? }.ok_or(Error::InvalidToken)?;
            let qop = entry.context.verify_signature(&mut msg, MessageSeqNo)?;
            // SAFETY: pfQOP is NULL or the caller's ULONG.
            unsafe { put(pfQOP, qop) };
            Ok(Outcome::Ok)
        })?
    })
}

// ---------------------------------------------------------------------------------------------
// Functions with no meaning off Windows, or not provided by any package here.

/// Impersonation needs a Windows access token: `SEC_E_UNSUPPORTED_FUNCTION` for a valid
/// context (`SEC_E_INVALID_HANDLE` otherwise).
#[no_mangle]
pub unsafe extern "system" fn ImpersonateSecurityContext(
    phContext: PCtxtHandle,
) -> SECURITY_STATUS {
    guard("ImpersonateSecurityContext", || {
        // SAFETY: caller's handle pointer.
        unsafe { context_of(phContext)? };
        Err(Error::UnsupportedFunction)
    })
}

/// See ImpersonateSecurityContext.
#[no_mangle]
pub unsafe extern "system" fn RevertSecurityContext(phContext: PCtxtHandle) -> SECURITY_STATUS {
    guard("RevertSecurityContext", || {
        // SAFETY: caller's handle pointer.
        unsafe { context_of(phContext)? };
        Err(Error::UnsupportedFunction)
    })
}

/// Windows access tokens do not exist here: `SEC_E_UNSUPPORTED_FUNCTION` for a valid context.
#[no_mangle]
pub unsafe extern "system" fn QuerySecurityContextToken(
    phContext: PCtxtHandle,
    Token: *mut *mut c_void,
) -> SECURITY_STATUS {
    let _ = Token;
    guard("QuerySecurityContextToken", || {
        // SAFETY: caller's handle pointer.
        unsafe { context_of(phContext)? };
        Err(Error::UnsupportedFunction)
    })
}

/// Exports a context; packages here do not support it (`SEC_E_UNSUPPORTED_FUNCTION`).
#[no_mangle]
pub unsafe extern "system" fn ExportSecurityContext(
    phContext: PCtxtHandle,
    fFlags: ULONG,
    pPackedContext: PSecBuffer,
    pToken: *mut *mut c_void,
) -> SECURITY_STATUS {
    let _ = (pPackedContext, pToken);
    guard("ExportSecurityContext", || {
        // SAFETY: caller's handle pointer.
        let entry = unsafe { context_of(phContext)? };
        entry.context.export(fFlags)?;
        Err(Error::UnsupportedFunction)
    })
}

/// Imports a context exported by ExportSecurityContext: unsupported.
#[no_mangle]
pub unsafe extern "system" fn ImportSecurityContextW(
    pszPackage: *mut SEC_WCHAR,
    pPackedContext: PSecBuffer,
    Token: *mut c_void,
    phContext: PCtxtHandle,
) -> SECURITY_STATUS {
    let _ = (pPackedContext, Token, phContext);
    guard("ImportSecurityContextW", || {
        // SAFETY: caller's string.
        let name =
            unsafe { any_str(pszPackage as _, Charset::Wide)? }.ok_or(Error::SecpkgNotFound)?;
        package::find(&name).ok_or(Error::SecpkgNotFound)?;
        Err(Error::UnsupportedFunction)
    })
}

/// Narrow form of ImportSecurityContextW.
#[no_mangle]
pub unsafe extern "system" fn ImportSecurityContextA(
    pszPackage: *mut SEC_CHAR,
    pPackedContext: PSecBuffer,
    Token: *mut c_void,
    phContext: PCtxtHandle,
) -> SECURITY_STATUS {
    let _ = (pPackedContext, Token, phContext);
    guard("ImportSecurityContextA", || {
        // SAFETY: caller's string.
        let name =
            unsafe { any_str(pszPackage as _, Charset::Ansi)? }.ok_or(Error::SecpkgNotFound)?;
        package::find(&name).ok_or(Error::SecpkgNotFound)?;
        Err(Error::UnsupportedFunction)
    })
}

/// Changing a domain password needs a domain controller: `SEC_E_UNSUPPORTED_FUNCTION`.
#[no_mangle]
pub unsafe extern "system" fn ChangeAccountPasswordW(
    pszPackageName: *mut SEC_WCHAR,
    pszDomainName: *mut SEC_WCHAR,
    pszAccountName: *mut SEC_WCHAR,
    pszOldPassword: *mut SEC_WCHAR,
    pszNewPassword: *mut SEC_WCHAR,
    bImpersonating: BOOLEAN,
    dwReserved: ULONG,
    pOutput: PSecBufferDesc,
) -> SECURITY_STATUS {
    let _ = (
        pszDomainName,
        pszAccountName,
        pszOldPassword,
        pszNewPassword,
        bImpersonating,
        dwReserved,
        pOutput,
    );
    guard("ChangeAccountPasswordW", || {
        // SAFETY: caller's string.
        let name =
            unsafe { any_str(pszPackageName as _, Charset::Wide)? }.ok_or(Error::SecpkgNotFound)?;
        package::find(&name).ok_or(Error::SecpkgNotFound)?;
        Err(Error::UnsupportedFunction)
    })
}

/// Narrow form of ChangeAccountPasswordW.
#[no_mangle]
pub unsafe extern "system" fn ChangeAccountPasswordA(
    pszPackageName: *mut SEC_CHAR,
    pszDomainName: *mut SEC_CHAR,
    pszAccountName: *mut SEC_CHAR,
    pszOldPassword: *mut SEC_CHAR,
    pszNewPassword: *mut SEC_CHAR,
    bImpersonating: BOOLEAN,
    dwReserved: ULONG,
    pOutput: PSecBufferDesc,
) -> SECURITY_STATUS {
    let _ = (
        pszDomainName,
        pszAccountName,
        pszOldPassword,
        pszNewPassword,
        bImpersonating,
        dwReserved,
        pOutput,
    );
    guard("ChangeAccountPasswordA", || {
        // SAFETY: caller's string.
        let name =
            unsafe { any_str(pszPackageName as _, Charset::Ansi)? }.ok_or(Error::SecpkgNotFound)?;
        package::find(&name).ok_or(Error::SecpkgNotFound)?;
        Err(Error::UnsupportedFunction)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_becomes_internal_error() {
        let s = guard("test", || panic!("package bug"));
        assert_eq!(s, SEC_E_INTERNAL_ERROR);
        assert_eq!(
            guard("test", || Ok(Outcome::ContinueNeeded)),
            SEC_I_CONTINUE_NEEDED
        );
        assert_eq!(
            guard("test", || Err(Error::InvalidToken)),
            SEC_E_INVALID_TOKEN
        );
    }

    /// A package whose every entry point panics, to prove that a panic inside a package
    /// surfaces as SEC_E_INTERNAL_ERROR from the export and the process (and the handle table,
    /// and other contexts) live on. Test-only: the library has no way to load it.
    mod panicking {
        use crate::buffers::SecBuffers;
        use crate::package::{Attribute, Context, Credentials, PackageInfo, Step, Unsealed};
        use crate::status::{Outcome, SecResult};
        use std::sync::Arc;

        pub static INFO: PackageInfo = PackageInfo {
            name: "Panicking",
            aliases: &[],
            comment: "test package",
            capabilities: 0,
            version: 1,
            rpc_id: 0xFFFF,
            max_token: 16,
        };
        pub struct Creds;
        impl Credentials for Creds {
            fn package(&self) -> &'static PackageInfo {
                &INFO
            }
            fn usage(&self) -> u32 {
                panic!("package bug: usage")
            }
            fn new_client_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
                panic!("package bug: new_client_context")
            }
            fn new_server_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
                panic!("package bug: new_server_context")
            }
            fn query_attribute(&self, _: u32) -> SecResult<Attribute> {
                panic!("package bug: query credentials")
            }
        }
        pub struct Ctx;
        impl Context for Ctx {
            fn package(&self) -> &'static PackageInfo {
                &INFO
            }
            fn initialize(&self, _: &mut Step<'_, '_>) -> SecResult<Outcome> {
                panic!("package bug: initialize")
            }
            fn accept(&self, _: &mut Step<'_, '_>) -> SecResult<Outcome> {
                panic!("package bug: accept")
            }
            fn seal(&self, _: u32, _: &mut SecBuffers<'_>, _: u32) -> SecResult<()> {
                panic!("package bug: seal")
            }
            fn unseal(&self, _: &mut SecBuffers<'_>, _: u32) -> SecResult<Unsealed> {
                let v: Vec<u8> = Vec::new();
                #[allow(clippy::useless_vec)]
                let i = v.len() + 3;
                Ok(Unsealed {
                    qop: u32::from(v[i]), // index out of bounds, as a real bug would
                    outcome: Outcome::Ok,
                })
            }
            fn make_signature(&self, _: u32, _: &mut SecBuffers<'_>, _: u32) -> SecResult<()> {
                panic!("package bug: make_signature")
            }
            fn verify_signature(&self, _: &mut SecBuffers<'_>, _: u32) -> SecResult<u32> {
                let x: Option<u32> = std::hint::black_box(None);
                Ok(x.expect("package bug: verify_signature"))
            }
            fn query_attribute(&self, _: u32) -> SecResult<Attribute> {
                panic!("package bug: query_attribute")
            }
        }
    }

    #[test]
    fn package_panic_is_internal_error_and_process_lives_on() {
        use crate::package::Credentials;
        use std::sync::Arc;
        let cred: Arc<dyn Credentials> = Arc::new(panicking::Creds);
        let mut ch = handles::insert_credentials(cred.clone()).unwrap();
        let mut h = handles::insert_context(ContextEntry {
            context: Box::new(panicking::Ctx),
            credential: cred,
        })
        .unwrap();
        let mut sig = [0u8; 16];
        let mut data = *b"data";
        let mut bufs = [
            SecBuffer {
                cbBuffer: 16,
                BufferType: SECBUFFER_TOKEN,
                pvBuffer: sig.as_mut_ptr() as *mut c_void,
            },
            SecBuffer {
                cbBuffer: 4,
                BufferType: SECBUFFER_DATA,
                pvBuffer: data.as_mut_ptr() as *mut c_void,
            },
        ];
        let mut desc = SecBufferDesc {
            ulVersion: SECBUFFER_VERSION,
            cBuffers: 2,
            pBuffers: bufs.as_mut_ptr(),
        };
        let mut qop = 0u32;
        let mut sizes = [0u8; 64];
        let mut out = SecHandle::default();
        let (mut attrs, mut ts) = (0u32, TimeStamp { QuadPart: 0 });
        let mut tok = [0u8; 64];
        let mut ob = SecBuffer {
            cbBuffer: 64,
            BufferType: SECBUFFER_TOKEN,
            pvBuffer: tok.as_mut_ptr() as *mut c_void,
        };
        let mut od = SecBufferDesc {
            ulVersion: SECBUFFER_VERSION,
            cBuffers: 1,
            pBuffers: &mut ob,
        };
        // Every export that reaches the package: SEC_E_INTERNAL_ERROR, twice in a row (the
        // first panic poisoned nothing), and out-parameters untouched.
        for _ in 0..2 {
            // SAFETY: valid pointers to live locals throughout.
            unsafe {
                assert_eq!(
                    EncryptMessage(&mut h, 0, &mut desc, 0),
                    SEC_E_INTERNAL_ERROR
                );
                assert_eq!(
                    DecryptMessage(&mut h, &mut desc, 0, &mut qop),
                    SEC_E_INTERNAL_ERROR
                );
                assert_eq!(MakeSignature(&mut h, 0, &mut desc, 0), SEC_E_INTERNAL_ERROR);
                assert_eq!(
                    VerifySignature(&mut h, &mut desc, 0, &mut qop),
                    SEC_E_INTERNAL_ERROR
                );
                assert_eq!(
                    QueryContextAttributesA(&mut h, SECPKG_ATTR_SIZES, sizes.as_mut_ptr() as _),
                    SEC_E_INTERNAL_ERROR
                );
                assert_eq!(
                    QueryCredentialsAttributesA(
                        &mut ch,
                        SECPKG_CRED_ATTR_NAMES,
                        sizes.as_mut_ptr() as _
                    ),
                    SEC_E_INTERNAL_ERROR
                );
                let mut prev = h;
                assert_eq!(
                    InitializeSecurityContextA(
                        &mut ch,
                        &mut prev,
                        c"host/x".as_ptr() as *mut _,
                        0,
                        0,
                        0,
                        core::ptr::null_mut(),
                        0,
                        &mut out,
                        &mut od,
                        &mut attrs,
                        &mut ts,
                    ),
                    SEC_E_INTERNAL_ERROR
                );
                // A new context from the panicking credentials (usage() panics first).
                assert_eq!(
                    AcceptSecurityContext(
                        &mut ch,
                        core::ptr::null_mut(),
                        core::ptr::null_mut(),
                        0,
                        0,
                        &mut out,
                        &mut od,
                        &mut attrs,
                        &mut ts,
                    ),
                    SEC_E_INTERNAL_ERROR
                );
            }
        }
        assert_eq!(out, SecHandle::default(), "no handle written after a panic");
        assert_eq!(data, *b"data");
        // The process, the handle table and the NTLM package still work.
        // SAFETY: valid pointers to live locals.
        unsafe {
            let mut n = 0u32;
            let mut infos: *mut SecPkgInfoA = core::ptr::null_mut();
            assert_eq!(EnumerateSecurityPackagesA(&mut n, &mut infos), SEC_E_OK);
            assert_eq!(FreeContextBuffer(infos as *mut c_void), SEC_E_OK);
            let mut id = SEC_WINNT_AUTH_IDENTITY_A {
                User: b"u".as_ptr() as *mut u8,
                UserLength: 1,
                Domain: core::ptr::null_mut(),
                DomainLength: 0,
                Password: b"p".as_ptr() as *mut u8,
                PasswordLength: 1,
                Flags: SEC_WINNT_AUTH_IDENTITY_ANSI,
            };
            let mut nc = SecHandle::default();
            assert_eq!(
                AcquireCredentialsHandleA(
                    core::ptr::null_mut(),
                    c"NTLM".as_ptr() as *mut _,
                    SECPKG_CRED_OUTBOUND,
                    core::ptr::null_mut(),
                    &mut id as *mut _ as *mut c_void,
                    None,
                    core::ptr::null_mut(),
                    &mut nc,
                    &mut ts,
                ),
                SEC_E_OK
            );
            let mut c = SecHandle::default();
            assert_eq!(
                InitializeSecurityContextA(
                    &mut nc,
                    core::ptr::null_mut(),
                    c"host/x".as_ptr() as *mut _,
                    0,
                    0,
                    0,
                    core::ptr::null_mut(),
                    0,
                    &mut c,
                    &mut od,
                    &mut attrs,
                    &mut ts,
                ),
                SEC_I_CONTINUE_NEEDED
            );
            assert_eq!(DeleteSecurityContext(&mut c), SEC_E_OK);
            assert_eq!(FreeCredentialsHandle(&mut nc), SEC_E_OK);
            // The panicking context is still a valid handle and deletes normally.
            assert_eq!(DeleteSecurityContext(&mut h), SEC_E_OK);
            assert_eq!(DeleteSecurityContext(&mut h), SEC_E_INVALID_HANDLE);
            assert_eq!(FreeCredentialsHandle(&mut ch), SEC_E_OK);
        }
    }

    #[test]
    fn release_profile_unwinds() {
        let toml = include_str!("../../Cargo.toml");
        let release = toml
            .split("[profile.release]")
            .nth(1)
            .expect("release profile");
        let release = release.split("\n[").next().unwrap();
        assert!(
            !release.contains("abort"),
            "panic = \"abort\" would let a package bug kill the caller's process"
        );
    }

    #[test]
    fn every_export_is_documented() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ffi");
        let mut missing = Vec::new();
        let mut count = 0;
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let src = std::fs::read_to_string(e.path()).unwrap();
            let lines: Vec<&str> = src.lines().collect();
            for (i, l) in lines.iter().enumerate() {
                if l.trim() == "#[no_mangle]" {
                    count += 1;
                    if i == 0 || !lines[i - 1].trim_start().starts_with("///") {
                        missing.push(format!("{}:{}", e.path().display(), i + 2));
                    }
                }
            }
        }
        assert!(count >= 50, "found {count} exports");
        assert!(
            missing.is_empty(),
            "exports without a doc comment: {missing:?}"
        );
    }
}
