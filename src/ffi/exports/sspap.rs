//! AddSecurityPackage / DeleteSecurityPackage: SSP/AP plug-ins at run time (`crate::sspap`).

use super::*;

/// AddSecurityPackage's options (sspi.h). Read for nothing: every package added here lives
/// for the process (`SECPKG_OPTIONS_PERMANENT` or not).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SECURITY_PACKAGE_OPTIONS {
    pub Size: ULONG,
    pub Type: ULONG,
    pub Flags: ULONG,
    pub SignatureSize: ULONG,
    pub Signature: PVOID,
}
/// Pointer to SECURITY_PACKAGE_OPTIONS.
pub type PSECURITY_PACKAGE_OPTIONS = *mut SECURITY_PACKAGE_OPTIONS;

unsafe fn add_package(name: *const c_void, cs: Charset) -> SecResult<Outcome> {
    // SAFETY: caller's string.
    let path = unsafe { any_str(name, cs)? }.ok_or(Error::InvalidParameter)?;
    if path.is_empty() {
        return Err(Error::InvalidParameter);
    }
    crate::sspap::add_package(&path)?;
    Ok(Outcome::Ok)
}

/// Loads a security package: `pszPackageName` is the path of a shared object (`.so`)
/// exporting `SpLsaModeInitialize` and, for message calls, `SpUserModeInitialize` (ntsecpkg.h);
/// `pOptions` may be NULL. Every package the library provides is then listed by
/// EnumerateSecurityPackages and usable by name in AcquireCredentialsHandle.
/// Returns SEC_E_OK; SEC_E_SECPKG_NOT_FOUND (missing or unloadable file, no
/// SpLsaModeInitialize, NULL/empty table list, interface version below
/// SECPKG_INTERFACE_VERSION, a table without SpGetInfo/SpAcquireCredentialsHandle);
/// SEC_E_INVALID_PARAMETER (NULL or empty name, a package name already registered); or the
/// status a failing SpLsaModeInitialize / SpInitialize / SpGetInfo / SpUserModeInitialize /
/// SpInstanceInit returned (NTSTATUS mapped as Windows maps it). Each failure is logged
/// (`SECUR32_LOG=error`).
#[no_mangle]
pub unsafe extern "system" fn AddSecurityPackageW(
    pszPackageName: *mut SEC_WCHAR,
    pOptions: PSECURITY_PACKAGE_OPTIONS,
) -> SECURITY_STATUS {
    let _ = pOptions;
    // SAFETY: caller's string.
    guard("AddSecurityPackageW", || unsafe {
        add_package(pszPackageName as _, Charset::Wide)
    })
}

/// Narrow form of AddSecurityPackageW (UTF-8 path).
#[no_mangle]
pub unsafe extern "system" fn AddSecurityPackageA(
    pszPackageName: *mut SEC_CHAR,
    pOptions: PSECURITY_PACKAGE_OPTIONS,
) -> SECURITY_STATUS {
    let _ = pOptions;
    // SAFETY: caller's string.
    guard("AddSecurityPackageA", || unsafe {
        add_package(pszPackageName as _, Charset::Ansi)
    })
}

/// Unloads a security package: unsupported, as on Windows (`SEC_E_UNSUPPORTED_FUNCTION`);
/// packages stay loaded for the life of the process.
#[no_mangle]
pub unsafe extern "system" fn DeleteSecurityPackageW(
    pszPackageName: *mut SEC_WCHAR,
) -> SECURITY_STATUS {
    let _ = pszPackageName;
    guard("DeleteSecurityPackageW", || Err(Error::UnsupportedFunction))
}

/// Narrow form of DeleteSecurityPackageW.
#[no_mangle]
pub unsafe extern "system" fn DeleteSecurityPackageA(
    pszPackageName: *mut SEC_CHAR,
) -> SECURITY_STATUS {
    let _ = pszPackageName;
    guard("DeleteSecurityPackageA", || Err(Error::UnsupportedFunction))
}
