//! Package enumeration and description, and FreeContextBuffer.

use super::*;

unsafe fn enumerate_packages(
    pc: *mut ULONG,
    pp: *mut *mut c_void,
    cs: Charset,
) -> SecResult<Outcome> {
    if pc.is_null() || pp.is_null() {
        return Err(Error::InvalidParameter);
    }
    let infos: Vec<_> = package::all().iter().map(|p| p.info()).collect();
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
    // SAFETY: forwarded caller's arguments.
    unsafe { package_info_by_name(name, pp, cs, package::find) }
}

/// The SecPkgInfo (in `cs`) of the package `lookup` finds for the caller's `name`, written to
/// `*pp` as a FreeContextBuffer block: QuerySecurityPackageInfo (a package name) and
/// SaslGetProfilePackage (a SASL profile name). Errors: no name or no package →
/// SEC_E_SECPKG_NOT_FOUND (`*pp` untouched); `pp` NULL → SEC_E_INVALID_PARAMETER.
///
/// # Safety
/// `name` is NULL or a NUL-terminated string in `cs`; `pp` is NULL or writable.
pub(super) unsafe fn package_info_by_name(
    name: *const c_void,
    pp: *mut *mut c_void,
    cs: Charset,
    lookup: impl FnOnce(&str) -> Option<&'static dyn package::SecurityPackage>,
) -> SecResult<Outcome> {
    // SAFETY: caller's string.
    let name = unsafe { any_str(name, cs)? }.ok_or(Error::SecpkgNotFound)?;
    let pkg = lookup(&name).ok_or(Error::SecpkgNotFound)?;
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
