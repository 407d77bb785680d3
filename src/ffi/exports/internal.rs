//! secur32.dll exports that no Windows SDK header a program includes declares (LSA performance
//! counters, the Seci*/Secp* helpers sspicli uses internally, user-mode context hand-over, and
//! ntsecpkg.h's credential marshalling for SSP/APs). They exist so that a program or import
//! library resolving them links and loads; none has a meaning without the LSA, so each returns
//! the "not supported" status of its kind, or does the one harmless thing its name says.
//! None appears in the generated headers (`cbindgen:ignore`); c-tests/exports-check.sh lists them.

use super::*;

/// NTSTATUS "not supported" (ntstatus.h STATUS_NOT_SUPPORTED).
const STATUS_NOT_SUPPORTED: i32 = 0xC000_00BB_u32 as i32;
/// winerror.h ERROR_SUCCESS.
const ERROR_SUCCESS: DWORD = 0;

/// Performance-counter DLL entry point (Open): no LSA counters here; ERROR_SUCCESS.
/// cbindgen:ignore
#[no_mangle]
pub unsafe extern "system" fn OpenLsaPerformanceData(lpDeviceNames: *mut SEC_WCHAR) -> DWORD {
    let _ = lpDeviceNames;
    ERROR_SUCCESS
}

/// Performance-counter DLL entry point (Collect): returns no data (`*lpcbTotalBytes` and
/// `*lpNumObjectTypes` set to 0), ERROR_SUCCESS.
/// cbindgen:ignore
#[no_mangle]
pub unsafe extern "system" fn CollectLsaPerformanceData(
    lpValueName: *mut SEC_WCHAR,
    lppData: *mut PVOID,
    lpcbTotalBytes: *mut DWORD,
    lpNumObjectTypes: *mut DWORD,
) -> DWORD {
    let _ = (lpValueName, lppData);
    // SAFETY: NULL-checked writes of the caller's counters.
    unsafe {
        if !lpcbTotalBytes.is_null() {
            lpcbTotalBytes.write_unaligned(0);
        }
        if !lpNumObjectTypes.is_null() {
            lpNumObjectTypes.write_unaligned(0);
        }
    }
    ERROR_SUCCESS
}

/// Performance-counter DLL entry point (Close): ERROR_SUCCESS.
/// cbindgen:ignore
#[no_mangle]
pub extern "system" fn CloseLsaPerformanceData() -> DWORD {
    ERROR_SUCCESS
}

/// Logon-session user data from the LSA: STATUS_NOT_SUPPORTED.
/// cbindgen:ignore
#[no_mangle]
pub unsafe extern "system" fn GetSecurityUserInfo(
    LogonId: PLUID,
    Flags: ULONG,
    UserInformation: *mut PVOID,
) -> i32 {
    let _ = (LogonId, Flags, UserInformation);
    STATUS_NOT_SUPPORTED
}

/// Reloads the package list from the registry: the packages are built in, so SEC_E_OK.
/// cbindgen:ignore
#[no_mangle]
pub extern "system" fn SecCacheSspiPackages() -> SECURITY_STATUS {
    SEC_E_OK
}

/// Makes a user-mode context from an LSA-exported one: no LSA here,
/// SEC_E_UNSUPPORTED_FUNCTION.
/// cbindgen:ignore
#[no_mangle]
pub unsafe extern "system" fn SecInitUserModeContext(
    pContextHandle: PCtxtHandle,
    pPackedContext: PSecBuffer,
) -> SECURITY_STATUS {
    let _ = (pContextHandle, pPackedContext);
    SEC_E_UNSUPPORTED_FUNCTION
}

/// Deletes a context made by SecInitUserModeContext (which never succeeds here):
/// SEC_E_INVALID_HANDLE.
/// cbindgen:ignore
#[no_mangle]
pub unsafe extern "system" fn SecDeleteUserModeContext(
    pContextHandle: PCtxtHandle,
) -> SECURITY_STATUS {
    let _ = pContextHandle;
    SEC_E_INVALID_HANDLE
}

/// sspicli-internal call-context helper: SEC_E_UNSUPPORTED_FUNCTION.
/// cbindgen:ignore
#[no_mangle]
pub extern "system" fn SeciAllocateAndSetCallFlags() -> SECURITY_STATUS {
    SEC_E_UNSUPPORTED_FUNCTION
}

/// sspicli-internal call-context helper: SEC_E_UNSUPPORTED_FUNCTION.
/// cbindgen:ignore
#[no_mangle]
pub extern "system" fn SeciAllocateAndSetIPAddress() -> SECURITY_STATUS {
    SEC_E_UNSUPPORTED_FUNCTION
}

/// sspicli-internal call-context helper: nothing was allocated, SEC_E_OK.
/// cbindgen:ignore
#[no_mangle]
pub extern "system" fn SeciFreeCallContext() -> SECURITY_STATUS {
    SEC_E_OK
}

/// sspicli-internal: frees memory this library returned (as FreeContextBuffer).
/// cbindgen:ignore
#[no_mangle]
pub unsafe extern "system" fn SecpFreeMemory(p: PVOID) {
    if !p.is_null() {
        free_context_buffer(p);
    }
}

/// sspicli-internal: SEC_E_UNSUPPORTED_FUNCTION.
/// cbindgen:ignore
#[no_mangle]
pub extern "system" fn SecpSetIPAddress() -> SECURITY_STATUS {
    SEC_E_UNSUPPORTED_FUNCTION
}

/// sspicli-internal name translation (TranslateName's worker): SEC_E_UNSUPPORTED_FUNCTION.
/// cbindgen:ignore
#[no_mangle]
pub extern "system" fn SecpTranslateName() -> SECURITY_STATUS {
    SEC_E_UNSUPPORTED_FUNCTION
}

/// See SecpTranslateName.
/// cbindgen:ignore
#[no_mangle]
pub extern "system" fn SecpTranslateNameEx() -> SECURITY_STATUS {
    SEC_E_UNSUPPORTED_FUNCTION
}

/// ntsecpkg.h: marshals a CREDENTIAL_TARGET_INFORMATIONW for an SSP/AP: STATUS_NOT_SUPPORTED
/// (no Credential Manager here).
/// cbindgen:ignore
#[no_mangle]
pub unsafe extern "system" fn CredMarshalTargetInfo(
    InTargetInfo: PVOID,
    Buffer: *mut *mut USHORT,
    BufferSize: *mut ULONG,
) -> i32 {
    let _ = (InTargetInfo, Buffer, BufferSize);
    STATUS_NOT_SUPPORTED
}

/// ntsecpkg.h: the inverse of CredMarshalTargetInfo: STATUS_NOT_SUPPORTED.
/// cbindgen:ignore
#[no_mangle]
pub unsafe extern "system" fn CredUnmarshalTargetInfo(
    Buffer: *mut USHORT,
    BufferSize: ULONG,
    RetTargetInfo: *mut PVOID,
    RetActualSize: *mut ULONG,
) -> i32 {
    let _ = (Buffer, BufferSize, RetTargetInfo, RetActualSize);
    STATUS_NOT_SUPPORTED
}

/// Undocumented Credential Manager user-name parser: STATUS_NOT_SUPPORTED.
/// cbindgen:ignore
#[no_mangle]
pub extern "system" fn CredParseUserNameWithType() -> i32 {
    STATUS_NOT_SUPPORTED
}
