//! Credentials handles: acquire, query, set, add, free.

use super::*;

#[allow(clippy::too_many_arguments)]
unsafe fn acquire_credentials(
    principal: *const c_void,
    package: *const c_void,
    usage: ULONG,
    auth: *mut c_void,
    out: PCredHandle,
    expiry: PTimeStamp,
    cs: Charset,
    raw: RawCredentialArgs,
) -> SecResult<Outcome> {
    // SAFETY: caller's strings.
    let name = unsafe { any_str(package, cs)? }.ok_or(Error::SecpkgNotFound)?;
    let pkg = package::find(&name).ok_or(Error::SecpkgNotFound)?;
    note_package(pkg.info().name);
    // Windows' codes (Wine dlls/secur32/tests/schannel.c testAcquireSecurityContext, run on
    // Windows): neither inbound nor outbound → SEC_E_NO_CREDENTIALS; the auth data is checked
    // before the output pointer, so malformed data reports its own code even with a NULL
    // phCredential, and a NULL phCredential with good data is SEC_E_INTERNAL_ERROR (Windows
    // faults inside the LSA call).
    if usage & (SECPKG_CRED_INBOUND | SECPKG_CRED_OUTBOUND) == 0 {
        return Err(Error::NoCredentials);
    }
    // SAFETY: caller's string.
    let principal = unsafe { any_str(principal, cs)? };
    // SAFETY: the caller's pointers, as AcquireCredentialsHandle documents them.
    let cred = match unsafe { pkg.acquire_credentials_raw(principal.as_deref(), usage, &raw) } {
        Some(r) => r?,
        // SAFETY: pAuthData is NULL or the package's documented structure.
        None => unsafe { acquire_decoded(pkg, principal, usage, auth, cs)? },
    };
    if out.is_null() {
        return Err(Error::InternalError);
    }
    let h = handles::insert_credentials(cred)?;
    // SAFETY: out checked non-NULL; expiry may be NULL.
    unsafe {
        put(out, h);
        put(expiry, TimeStamp { QuadPart: NEVER });
    }
    Ok(Outcome::Ok)
}

/// AcquireCredentialsHandle for packages that take pAuthData decoded.
///
/// # Safety
/// `auth` is NULL or the package's documented structure.
unsafe fn acquire_decoded(
    pkg: &'static dyn package::SecurityPackage,
    principal: Option<String>,
    usage: ULONG,
    auth: *mut c_void,
    cs: Charset,
) -> SecResult<std::sync::Arc<dyn package::Credentials>> {
    let auth = if auth.is_null() {
        AuthData::None
    } else if crate::packages::schannel::is_schannel(pkg.info()) {
        // SAFETY: Schannel's pAuthData is SCHANNEL_CRED or SCH_CREDENTIALS.
        AuthData::Schannel(unsafe { crate::ffi::schannel::decode_schannel_cred(auth)? })
    } else {
        // SAFETY: pAuthData is the package's documented structure.
        AuthData::Identity(unsafe { decode_identity(auth, cs)? })
    };
    pkg.acquire_credentials(CredentialRequest {
        principal,
        usage,
        auth,
    })
}

fn raw_args(
    logon_id: *mut c_void,
    auth: *mut c_void,
    get_key_fn: SEC_GET_KEY_FN,
    get_key_arg: *mut c_void,
) -> RawCredentialArgs {
    RawCredentialArgs {
        logon_id,
        auth_data: auth,
        get_key_fn: get_key_fn.map_or(core::ptr::null_mut(), |f| f as *mut c_void),
        get_key_arg,
    }
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
    let raw = raw_args(pvLogonId, pAuthData, pGetKeyFn, pvGetKeyArgument);
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
            raw,
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
    let raw = raw_args(pvLogonId, pAuthData, pGetKeyFn, pvGetKeyArgument);
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
            raw,
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
    if let Some(r) = unsafe { cred.query_attribute_raw(attr, buf, cs == Charset::Wide) } {
        return r.map(|()| Outcome::Ok);
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

/// Sets a credential attribute: `pBuffer` holds `cbBuffer` bytes (the attribute's struct and
/// any strings after it, e.g. SecPkgCredentials_KdcProxySettingsW + proxy server). Kerberos
/// takes SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS (MS-KKDCP); anything else →
/// `SEC_E_UNSUPPORTED_FUNCTION`.
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
