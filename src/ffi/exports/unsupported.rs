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

/// Exports a context into `pPackedContext` (cbBuffer and pvBuffer set; free pvBuffer with
/// FreeContextBuffer); `*pToken` (if given) is NULL. Only SSP/AP plug-ins with
/// SpExportSecurityContext support it; the built-in packages → `SEC_E_UNSUPPORTED_FUNCTION`.
#[no_mangle]
pub unsafe extern "system" fn ExportSecurityContext(
    phContext: PCtxtHandle,
    fFlags: ULONG,
    pPackedContext: PSecBuffer,
    pToken: *mut *mut c_void,
) -> SECURITY_STATUS {
    guard("ExportSecurityContext", || {
        // SAFETY: caller's handle pointer.
        let entry = unsafe { context_of(phContext)? };
        let packed = entry.context.export(fFlags)?;
        if pPackedContext.is_null() {
            return Err(Error::InvalidParameter);
        }
        let p = crate::buffers::alloc_copy(&packed).ok_or(Error::InsufficientMemory)?;
        // SAFETY: the caller's non-NULL SecBuffer and optional token pointer.
        unsafe {
            let mut b = pPackedContext.read_unaligned();
            b.cbBuffer = packed.len() as ULONG;
            b.pvBuffer = p as PVOID;
            pPackedContext.write_unaligned(b);
            put(pToken, core::ptr::null_mut());
        }
        Ok(Outcome::Ok)
    })
}

unsafe fn import_context(
    package: *const c_void,
    packed: PSecBuffer,
    ctx: PCtxtHandle,
    cs: Charset,
) -> SecResult<Outcome> {
    // SAFETY: caller's string.
    let name = unsafe { any_str(package, cs)? }.ok_or(Error::SecpkgNotFound)?;
    let pkg = package::find(&name).ok_or(Error::SecpkgNotFound)?;
    note_package(pkg.info().name);
    if packed.is_null() || ctx.is_null() {
        return Err(Error::InvalidParameter);
    }
    // SAFETY: the caller's non-NULL SecBuffer.
    let b = unsafe { packed.read_unaligned() };
    let bytes: &[u8] = match (b.pvBuffer.is_null(), b.cbBuffer) {
        (_, 0) => &[],
        (true, _) => return Err(Error::InvalidToken),
        // SAFETY: the caller's buffer of cbBuffer bytes.
        (false, n) => unsafe { core::slice::from_raw_parts(b.pvBuffer as *const u8, n as usize) },
    };
    let (context, credential) = pkg.import_context(bytes)?;
    let h = handles::insert_context(ContextEntry {
        context,
        credential,
    })?;
    // SAFETY: checked non-NULL.
    unsafe { put(ctx, h) };
    Ok(Outcome::Ok)
}

/// Imports a context exported by ExportSecurityContext (`pPackedContext`) into a new
/// `phContext`; `Token` is ignored. Only SSP/AP plug-ins with SpImportSecurityContext support
/// it; built-in packages → `SEC_E_UNSUPPORTED_FUNCTION`; unknown package →
/// `SEC_E_SECPKG_NOT_FOUND`.
#[no_mangle]
pub unsafe extern "system" fn ImportSecurityContextW(
    pszPackage: *mut SEC_WCHAR,
    pPackedContext: PSecBuffer,
    Token: *mut c_void,
    phContext: PCtxtHandle,
) -> SECURITY_STATUS {
    let _ = Token;
    // SAFETY: caller's arguments.
    guard("ImportSecurityContextW", || unsafe {
        import_context(pszPackage as _, pPackedContext, phContext, Charset::Wide)
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
    let _ = Token;
    // SAFETY: caller's arguments.
    guard("ImportSecurityContextA", || unsafe {
        import_context(pszPackage as _, pPackedContext, phContext, Charset::Ansi)
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
