//! ntsecapi.h's LSA client functions that secur32.dll exports. cbindgen turns this file into
//! `include/ntsecapi.h`.
//!
//! There is no Local Security Authority process here. What has a meaning is real: an untrusted
//! connection (LsaConnectUntrusted / LsaDeregisterLogonProcess), package lookup by name
//! (LsaLookupAuthenticationPackage, the package's index in EnumerateSecurityPackages' list),
//! and LsaFreeReturnBuffer. Registering as a logon process needs the TCB privilege that no
//! process has here (`STATUS_PORT_CONNECTION_REFUSED`, as Windows returns to an unprivileged
//! caller); the rest return `STATUS_NOT_SUPPORTED` (0xC00000BB), NTSTATUS' "not supported".

use super::exports::guard;
use super::types::*;
use crate::buffers::free_context_buffer;
use crate::status::Outcome;

/// NT status code (ntdef.h): negative = error.
pub type NTSTATUS = LONG;
/// Pointer to NTSTATUS.
pub type PNTSTATUS = *mut NTSTATUS;
/// LSA_OPERATIONAL_MODE (ntsecapi.h).
pub type LSA_OPERATIONAL_MODE = ULONG;
/// Pointer to LSA_OPERATIONAL_MODE.
pub type PLSA_OPERATIONAL_MODE = *mut LSA_OPERATIONAL_MODE;
/// SECURITY_LOGON_TYPE (ntsecapi.h enum: Interactive = 2, Network = 3…).
pub type SECURITY_LOGON_TYPE = u32;
/// POLICY_NOTIFICATION_INFORMATION_CLASS (ntsecapi.h enum).
pub type POLICY_NOTIFICATION_INFORMATION_CLASS = u32;

/// Counted narrow string (ntsecapi.h STRING / LSA_STRING): `Length` and `MaximumLength` in
/// bytes, `Buffer` not necessarily NUL-terminated.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LSA_STRING {
    pub Length: USHORT,
    pub MaximumLength: USHORT,
    pub Buffer: *mut SEC_CHAR,
}
/// Pointer to LSA_STRING.
pub type PLSA_STRING = *mut LSA_STRING;

/// fQOP for EncryptMessage with Kerberos or Negotiate (ntsecapi.h): sign without encrypting
/// (the same value as sspi.h's SECQOP_WRAP_NO_ENCRYPT); DecryptMessage reports it in pfQOP.
pub const KERB_WRAP_NO_ENCRYPT: ULONG = 0x8000_0001;

pub const STATUS_SUCCESS: NTSTATUS = 0;
pub const STATUS_INVALID_HANDLE: NTSTATUS = 0xC000_0008_u32 as NTSTATUS;
pub const STATUS_INVALID_PARAMETER: NTSTATUS = 0xC000_000D_u32 as NTSTATUS;
pub const STATUS_PORT_CONNECTION_REFUSED: NTSTATUS = 0xC000_0041_u32 as NTSTATUS;
pub const STATUS_NOT_SUPPORTED: NTSTATUS = 0xC000_00BB_u32 as NTSTATUS;
pub const STATUS_NO_SUCH_PACKAGE: NTSTATUS = 0xC000_00FE_u32 as NTSTATUS;

/// The one untrusted LSA connection handle value handed out (any number of times).
static CONNECTION: u8 = 0;

fn connection() -> HANDLE {
    &CONNECTION as *const u8 as HANDLE
}

fn nt(name: &'static str, f: impl FnOnce() -> NTSTATUS) -> NTSTATUS {
    let mut r = STATUS_NOT_SUPPORTED;
    let _ = guard(name, || {
        r = f();
        Ok(Outcome::Ok)
    });
    r
}

/// Opens an untrusted connection to the LSA: writes a handle for LsaLookupAuthenticationPackage
/// and LsaCallAuthenticationPackage, released by LsaDeregisterLogonProcess. NULL `LsaHandle`
/// → STATUS_INVALID_PARAMETER.
#[no_mangle]
pub unsafe extern "system" fn LsaConnectUntrusted(LsaHandle: PHANDLE) -> NTSTATUS {
    nt("LsaConnectUntrusted", || {
        if LsaHandle.is_null() {
            return STATUS_INVALID_PARAMETER;
        }
        // SAFETY: checked non-NULL.
        unsafe { LsaHandle.write_unaligned(connection()) };
        STATUS_SUCCESS
    })
}

/// Registering a trusted logon process needs the TCB privilege: STATUS_PORT_CONNECTION_REFUSED.
#[no_mangle]
pub unsafe extern "system" fn LsaRegisterLogonProcess(
    LogonProcessName: PLSA_STRING,
    LsaHandle: PHANDLE,
    SecurityMode: PLSA_OPERATIONAL_MODE,
) -> NTSTATUS {
    let _ = (LogonProcessName, LsaHandle, SecurityMode);
    STATUS_PORT_CONNECTION_REFUSED
}

/// Closes a connection from LsaConnectUntrusted: STATUS_SUCCESS, or STATUS_INVALID_HANDLE for
/// any other value.
#[no_mangle]
pub unsafe extern "system" fn LsaDeregisterLogonProcess(LsaHandle: HANDLE) -> NTSTATUS {
    if LsaHandle == connection() {
        STATUS_SUCCESS
    } else {
        STATUS_INVALID_HANDLE
    }
}

/// The package number of a package name ("NTLM", "Schannel", …, or MSV1_0's name
/// "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0" for NTLM): its index in EnumerateSecurityPackages'
/// list. Unknown name → STATUS_NO_SUCH_PACKAGE; bad handle → STATUS_INVALID_HANDLE.
#[no_mangle]
pub unsafe extern "system" fn LsaLookupAuthenticationPackage(
    LsaHandle: HANDLE,
    PackageName: PLSA_STRING,
    AuthenticationPackage: *mut ULONG,
) -> NTSTATUS {
    nt("LsaLookupAuthenticationPackage", || {
        if LsaHandle != connection() {
            return STATUS_INVALID_HANDLE;
        }
        if PackageName.is_null() || AuthenticationPackage.is_null() {
            return STATUS_INVALID_PARAMETER;
        }
        // SAFETY: the caller's LSA_STRING: Buffer readable for Length bytes.
        let name = unsafe {
            let s = PackageName.read_unaligned();
            if s.Buffer.is_null() {
                return STATUS_INVALID_PARAMETER;
            }
            let b = core::slice::from_raw_parts(s.Buffer as *const u8, s.Length as usize);
            String::from_utf8_lossy(b).into_owned()
        };
        let name = if name.eq_ignore_ascii_case("MICROSOFT_AUTHENTICATION_PACKAGE_V1_0") {
            "NTLM".to_string()
        } else {
            name
        };
        match crate::package::all()
            .iter()
            .position(|p| p.info().matches(&name))
        {
            Some(i) => {
                // SAFETY: checked non-NULL.
                unsafe { AuthenticationPackage.write_unaligned(i as ULONG) };
                STATUS_SUCCESS
            }
            None => STATUS_NO_SUCH_PACKAGE,
        }
    })
}

/// Package-specific LSA calls (MSV1_0/Kerberos submit buffers) need the LSA:
/// STATUS_NOT_SUPPORTED, with `*ProtocolStatus` the same and no return buffer.
#[no_mangle]
pub unsafe extern "system" fn LsaCallAuthenticationPackage(
    LsaHandle: HANDLE,
    AuthenticationPackage: ULONG,
    ProtocolSubmitBuffer: PVOID,
    SubmitBufferLength: ULONG,
    ProtocolReturnBuffer: *mut PVOID,
    ReturnBufferLength: *mut ULONG,
    ProtocolStatus: PNTSTATUS,
) -> NTSTATUS {
    let _ = (
        AuthenticationPackage,
        ProtocolSubmitBuffer,
        SubmitBufferLength,
    );
    nt("LsaCallAuthenticationPackage", || {
        if LsaHandle != connection() {
            return STATUS_INVALID_HANDLE;
        }
        // SAFETY: NULL-checked writes of the caller's out-parameters.
        unsafe {
            if !ProtocolReturnBuffer.is_null() {
                ProtocolReturnBuffer.write_unaligned(core::ptr::null_mut());
            }
            if !ReturnBufferLength.is_null() {
                ReturnBufferLength.write_unaligned(0);
            }
            if !ProtocolStatus.is_null() {
                ProtocolStatus.write_unaligned(STATUS_NOT_SUPPORTED);
            }
        }
        STATUS_NOT_SUPPORTED
    })
}

/// Frees a buffer an Lsa* function returned (NULL → STATUS_SUCCESS).
#[no_mangle]
pub unsafe extern "system" fn LsaFreeReturnBuffer(Buffer: PVOID) -> NTSTATUS {
    nt("LsaFreeReturnBuffer", || {
        if !Buffer.is_null() {
            free_context_buffer(Buffer);
        }
        STATUS_SUCCESS
    })
}

/// Interactive/network logons through the LSA do not exist here: STATUS_NOT_SUPPORTED,
/// out-parameters untouched.
#[no_mangle]
pub unsafe extern "system" fn LsaLogonUser(
    LsaHandle: HANDLE,
    OriginName: PLSA_STRING,
    LogonType: SECURITY_LOGON_TYPE,
    AuthenticationPackage: ULONG,
    AuthenticationInformation: PVOID,
    AuthenticationInformationLength: ULONG,
    LocalGroups: PVOID,
    SourceContext: PVOID,
    ProfileBuffer: *mut PVOID,
    ProfileBufferLength: *mut ULONG,
    LogonId: PLUID,
    Token: PHANDLE,
    Quotas: PVOID,
    SubStatus: PNTSTATUS,
) -> NTSTATUS {
    let _ = (
        LsaHandle,
        OriginName,
        LogonType,
        AuthenticationPackage,
        AuthenticationInformation,
        AuthenticationInformationLength,
        LocalGroups,
        SourceContext,
        ProfileBuffer,
        ProfileBufferLength,
        LogonId,
        Token,
        Quotas,
        SubStatus,
    );
    STATUS_NOT_SUPPORTED
}

/// LSA logon sessions do not exist here: STATUS_NOT_SUPPORTED.
#[no_mangle]
pub unsafe extern "system" fn LsaEnumerateLogonSessions(
    LogonSessionCount: *mut ULONG,
    LogonSessionList: *mut PLUID,
) -> NTSTATUS {
    let _ = (LogonSessionCount, LogonSessionList);
    STATUS_NOT_SUPPORTED
}

/// See LsaEnumerateLogonSessions (`ppLogonSessionData` is a SECURITY_LOGON_SESSION_DATA**).
#[no_mangle]
pub unsafe extern "system" fn LsaGetLogonSessionData(
    LogonId: PLUID,
    ppLogonSessionData: *mut PVOID,
) -> NTSTATUS {
    let _ = (LogonId, ppLogonSessionData);
    STATUS_NOT_SUPPORTED
}

/// LSA policy change events do not exist here: STATUS_NOT_SUPPORTED.
#[no_mangle]
pub unsafe extern "system" fn LsaRegisterPolicyChangeNotification(
    InformationClass: POLICY_NOTIFICATION_INFORMATION_CLASS,
    NotificationEventHandle: HANDLE,
) -> NTSTATUS {
    let _ = (InformationClass, NotificationEventHandle);
    STATUS_NOT_SUPPORTED
}

/// See LsaRegisterPolicyChangeNotification.
#[no_mangle]
pub unsafe extern "system" fn LsaUnregisterPolicyChangeNotification(
    InformationClass: POLICY_NOTIFICATION_INFORMATION_CLASS,
    NotificationEventHandle: HANDLE,
) -> NTSTATUS {
    let _ = (InformationClass, NotificationEventHandle);
    STATUS_NOT_SUPPORTED
}
