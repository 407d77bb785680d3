//! Context functions with no meaning off Windows, or not provided by any package here.

use super::*;

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
