//! ntsecpkg.h: the SSP/AP interface a third-party security package implements (the package side
//! of SSPI). cbindgen turns this file into `include/ntsecpkg.h`; `c-tests/header-check.sh`
//! compares every size, offset and constant with mingw-w64's ntsecpkg.h for x86_64 and i686.
//!
//! A package is a shared object exporting `SpLsaModeInitialize` (returning
//! SECPKG_FUNCTION_TABLEs: credentials and the handshake) and/or `SpUserModeInitialize`
//! (returning SECPKG_USER_FUNCTION_TABLEs: SpSealMessage, SpUnsealMessage, signatures,
//! attributes). `src/sspap/` loads it (AddSecurityPackage, `SECUR32_PACKAGES`).
//!
//! The `Sp*Fn` names are function types, as in Windows' header (`SpSealMessageFn *SealMessage`
//! in the tables); the `PLSA_*` names are function pointers. Types with no Linux meaning
//! (access tokens, SAM handles, thread attributes) are `PVOID` in the callbacks' parameters.

use super::crypt32_chain::GUID;
use super::lsa::{NTSTATUS, PLSA_STRING, PNTSTATUS, SECURITY_LOGON_TYPE};
use super::schannel::{PUNICODE_STRING, UNICODE_STRING};
use super::types::*;
use core::ffi::c_void;

/// A package's own handle for credentials or a context (ntsecpkg.h LSA_SEC_HANDLE).
pub type LSA_SEC_HANDLE = ULONG_PTR;
/// Pointer to LSA_SEC_HANDLE.
pub type PLSA_SEC_HANDLE = *mut LSA_SEC_HANDLE;
/// The LSA's client-request cookie (opaque to the package).
pub type PLSA_CLIENT_REQUEST = *mut PVOID;
/// SECURITY_STRING (ntsecpkg.h's name for UNICODE_STRING).
pub type SECURITY_STRING = UNICODE_STRING;
/// Pointer to SECURITY_STRING.
pub type PSECURITY_STRING = *mut UNICODE_STRING;
/// SECPKG_EXTENDED_INFORMATION_CLASS (enum: SecpkgGssInfo = 1 …).
pub type SECPKG_EXTENDED_INFORMATION_CLASS = u32;
/// SECPKG_NAME_TYPE (enum: SecNameSamCompatible = 0 …).
pub type SECPKG_NAME_TYPE = u32;
/// SECPKG_SESSIONINFO_TYPE (enum: SecSessionPrimaryCred = 0).
pub type SECPKG_SESSIONINFO_TYPE = u32;
/// LSA_TOKEN_INFORMATION_TYPE (enum: LsaTokenInformationNull = 0 …).
pub type LSA_TOKEN_INFORMATION_TYPE = u32;
/// Pointer to SECPKG_EXTENDED_INFORMATION (a class-tagged union; see the SDK).
pub type PSECPKG_EXTENDED_INFORMATION = *mut c_void;

/// `Version` of SpLsaModeInitialize / SpUserModeInitialize: SECPKG_FUNCTION_TABLE up to and
/// including SetExtendedInformation.
pub const SECPKG_INTERFACE_VERSION: ULONG = 0x0001_0000;
/// … up to and including SetContextAttributes.
pub const SECPKG_INTERFACE_VERSION_2: ULONG = 0x0002_0000;
/// … up to and including SetCredentialsAttributes (the end of this header's table).
pub const SECPKG_INTERFACE_VERSION_3: ULONG = 0x0004_0000;
/// Later SDK versions append entries after SetCredentialsAttributes; the loader reads only the
/// first 29.
pub const SECPKG_INTERFACE_VERSION_4: ULONG = 0x0008_0000;
pub const SECPKG_INTERFACE_VERSION_5: ULONG = 0x0010_0000;
pub const SECPKG_INTERFACE_VERSION_6: ULONG = 0x0020_0000;
pub const SECPKG_INTERFACE_VERSION_7: ULONG = 0x0040_0000;
pub const SECPKG_INTERFACE_VERSION_8: ULONG = 0x0080_0000;
pub const SECPKG_INTERFACE_VERSION_9: ULONG = 0x0100_0000;
pub const SECPKG_INTERFACE_VERSION_10: ULONG = 0x0200_0000;
pub const SECPKG_INTERFACE_VERSION_11: ULONG = 0x0400_0000;

pub const SECPKG_STATE_ENCRYPTION_PERMITTED: ULONG = 0x01;
pub const SECPKG_STATE_STRONG_ENCRYPTION_PERMITTED: ULONG = 0x02;
pub const SECPKG_STATE_DOMAIN_CONTROLLER: ULONG = 0x04;
pub const SECPKG_STATE_WORKSTATION: ULONG = 0x08;
pub const SECPKG_STATE_STANDALONE: ULONG = 0x10;

pub const SECPKG_CLIENT_PROCESS_TERMINATED: ULONG = 0x01;
pub const SECPKG_CLIENT_THREAD_TERMINATED: ULONG = 0x02;

pub const SECPKG_CALL_KERNEL_MODE: ULONG = 0x0000_0001;
pub const SECPKG_CALL_ANSI: ULONG = 0x0000_0002;
pub const SECPKG_CALL_URGENT: ULONG = 0x0000_0004;
pub const SECPKG_CALL_RECURSIVE: ULONG = 0x0000_0008;
pub const SECPKG_CALL_IN_PROC: ULONG = 0x0000_0010;
pub const SECPKG_CALL_CLEANUP: ULONG = 0x0000_0020;
pub const SECPKG_CALL_WOWCLIENT: ULONG = 0x0000_0040;
pub const SECPKG_CALL_THREAD_TERM: ULONG = 0x0000_0080;
pub const SECPKG_CALL_PROCESS_TERM: ULONG = 0x0000_0100;
pub const SECPKG_CALL_IS_TCB: ULONG = 0x0000_0200;

pub const SECBUFFER_UNMAPPED: ULONG = 0x4000_0000;
pub const SECBUFFER_KERNEL_MAP: ULONG = 0x2000_0000;

pub const PRIMARY_CRED_CLEAR_PASSWORD: ULONG = 0x1;
pub const PRIMARY_CRED_OWF_PASSWORD: ULONG = 0x2;
pub const PRIMARY_CRED_UPDATE: ULONG = 0x4;
pub const PRIMARY_CRED_CACHED_LOGON: ULONG = 0x8;
pub const PRIMARY_CRED_LOGON_NO_TCB: ULONG = 0x10;
pub const PRIMARY_CRED_LOGON_PACKAGE_SHIFT: ULONG = 24;
pub const PRIMARY_CRED_PACKAGE_MASK: ULONG = 0xff00_0000;
pub const MAX_CRED_SIZE: ULONG = 1024;
pub const SECPKG_MAX_OID_LENGTH: ULONG = 32;
pub const SECPKG_ATTR_SASL_CONTEXT: ULONG = 0x0001_0000;
pub const SECPKG_ATTR_THUNK_ALL: ULONG = 0x0001_0000;
pub const UNDERSTANDS_LONG_NAMES: ULONG = 1;
pub const NO_LONG_NAMES: ULONG = 2;

pub const NOTIFIER_FLAG_NEW_THREAD: ULONG = 0x0000_0001;
pub const NOTIFIER_FLAG_ONE_SHOT: ULONG = 0x0000_0002;
pub const NOTIFIER_FLAG_SECONDS: ULONG = 0x8000_0000;
pub const NOTIFIER_TYPE_INTERVAL: ULONG = 1;
pub const NOTIFIER_TYPE_HANDLE_WAIT: ULONG = 2;
pub const NOTIFIER_TYPE_STATE_CHANGE: ULONG = 3;
pub const NOTIFIER_TYPE_NOTIFY_EVENT: ULONG = 4;
pub const NOTIFIER_TYPE_IMMEDIATE: ULONG = 16;
pub const NOTIFY_CLASS_PACKAGE_CHANGE: ULONG = 1;
pub const NOTIFY_CLASS_ROLE_CHANGE: ULONG = 2;
pub const NOTIFY_CLASS_DOMAIN_CHANGE: ULONG = 3;
pub const NOTIFY_CLASS_REGISTRY_CHANGE: ULONG = 4;
pub const SECPKG_PACKAGE_CHANGE_LOAD: ULONG = 0;
pub const SECPKG_PACKAGE_CHANGE_UNLOAD: ULONG = 1;
pub const SECPKG_PACKAGE_CHANGE_SELECT: ULONG = 2;

/// SpInitialize's machine description. Here: Version 0, MachineState
/// SECPKG_STATE_STANDALONE | SECPKG_STATE_ENCRYPTION_PERMITTED |
/// SECPKG_STATE_STRONG_ENCRYPTION_PERMITTED, no domain (empty strings, NULL SID, zero GUID).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SECPKG_PARAMETERS {
    pub Version: ULONG,
    pub MachineState: ULONG,
    pub SetupMode: ULONG,
    pub DomainSid: PVOID,
    pub DomainName: UNICODE_STRING,
    pub DnsDomainName: UNICODE_STRING,
    pub DomainGuid: GUID,
}
/// Pointer to SECPKG_PARAMETERS.
pub type PSECPKG_PARAMETERS = *mut SECPKG_PARAMETERS;

/// GetClientInfo's answer: the calling process and thread.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SECPKG_CLIENT_INFO {
    pub LogonId: LUID,
    pub ProcessID: ULONG,
    pub ThreadID: ULONG,
    pub HasTcbPrivilege: BOOLEAN,
    pub Impersonating: BOOLEAN,
    pub Restricted: BOOLEAN,
    pub ClientFlags: UCHAR,
    /// SECURITY_IMPERSONATION_LEVEL (winnt.h enum).
    pub ImpersonationLevel: u32,
}
/// Pointer to SECPKG_CLIENT_INFO.
pub type PSECPKG_CLIENT_INFO = *mut SECPKG_CLIENT_INFO;

/// GetCallInfo's answer.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SECPKG_CALL_INFO {
    pub ProcessId: ULONG,
    pub ThreadId: ULONG,
    pub Attributes: ULONG,
    pub CallCount: ULONG,
}
/// Pointer to SECPKG_CALL_INFO.
pub type PSECPKG_CALL_INFO = *mut SECPKG_CALL_INFO;

/// Supplemental credentials for one package.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SECPKG_SUPPLEMENTAL_CRED {
    pub PackageName: UNICODE_STRING,
    pub CredentialSize: ULONG,
    pub Credentials: *mut UCHAR,
}
/// Pointer to SECPKG_SUPPLEMENTAL_CRED.
pub type PSECPKG_SUPPLEMENTAL_CRED = *mut SECPKG_SUPPLEMENTAL_CRED;

/// A counted array of SECPKG_SUPPLEMENTAL_CRED.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SECPKG_SUPPLEMENTAL_CRED_ARRAY {
    pub CredentialCount: ULONG,
    pub Credentials: [SECPKG_SUPPLEMENTAL_CRED; 1],
}
/// Pointer to SECPKG_SUPPLEMENTAL_CRED_ARRAY.
pub type PSECPKG_SUPPLEMENTAL_CRED_ARRAY = *mut SECPKG_SUPPLEMENTAL_CRED_ARRAY;

/// A logon's primary credentials (SpAcceptCredentials).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SECPKG_PRIMARY_CRED {
    pub LogonId: LUID,
    pub DownlevelName: UNICODE_STRING,
    pub DomainName: UNICODE_STRING,
    pub Password: UNICODE_STRING,
    pub OldPassword: UNICODE_STRING,
    pub UserSid: PVOID,
    pub Flags: ULONG,
    pub DnsDomainName: UNICODE_STRING,
    pub Upn: UNICODE_STRING,
    pub LogonServer: UNICODE_STRING,
    pub Spare1: UNICODE_STRING,
    pub Spare2: UNICODE_STRING,
    pub Spare3: UNICODE_STRING,
    pub Spare4: UNICODE_STRING,
}
/// Pointer to SECPKG_PRIMARY_CRED.
pub type PSECPKG_PRIMARY_CRED = *mut SECPKG_PRIMARY_CRED;

/// SpGetUserInfo's answer.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SECURITY_USER_DATA {
    pub UserName: UNICODE_STRING,
    pub LogonDomainName: UNICODE_STRING,
    pub LogonServer: UNICODE_STRING,
    pub pSid: PVOID,
}
/// Pointer to SECURITY_USER_DATA.
pub type PSECURITY_USER_DATA = *mut SECURITY_USER_DATA;
/// SecurityUserData (the older name).
pub type SecurityUserData = SECURITY_USER_DATA;
/// Pointer to SecurityUserData.
pub type PSecurityUserData = *mut SECURITY_USER_DATA;

/// A callback the package registers with SECPKG_DLL_FUNCTIONS.RegisterCallback.
pub type PLSA_CALLBACK_FUNCTION = Option<
    unsafe extern "system" fn(
        Argument1: ULONG_PTR,
        Argument2: ULONG_PTR,
        InputBuffer: PSecBuffer,
        OutputBuffer: PSecBuffer,
    ) -> NTSTATUS,
>;

// --- LSA callbacks (LSA_SECPKG_FUNCTION_TABLE) ----------------------------------------------

pub type PLSA_CREATE_LOGON_SESSION = Option<unsafe extern "system" fn(LogonId: PLUID) -> NTSTATUS>;
pub type PLSA_DELETE_LOGON_SESSION = Option<unsafe extern "system" fn(LogonId: PLUID) -> NTSTATUS>;
pub type PLSA_ADD_CREDENTIAL = Option<
    unsafe extern "system" fn(
        LogonId: PLUID,
        AuthenticationPackage: ULONG,
        PrimaryKeyValue: PLSA_STRING,
        Credentials: PLSA_STRING,
    ) -> NTSTATUS,
>;
pub type PLSA_GET_CREDENTIALS = Option<
    unsafe extern "system" fn(
        LogonId: PLUID,
        AuthenticationPackage: ULONG,
        QueryContext: *mut ULONG,
        RetrieveAllCredentials: BOOLEAN,
        PrimaryKeyValue: PLSA_STRING,
        PrimaryKeyLength: *mut ULONG,
        Credentials: PLSA_STRING,
    ) -> NTSTATUS,
>;
pub type PLSA_DELETE_CREDENTIAL = Option<
    unsafe extern "system" fn(
        LogonId: PLUID,
        AuthenticationPackage: ULONG,
        PrimaryKeyValue: PLSA_STRING,
    ) -> NTSTATUS,
>;
/// Memory the package hands out (output tokens, ContextData); FreeContextBuffer frees it.
pub type PLSA_ALLOCATE_LSA_HEAP = Option<unsafe extern "system" fn(Length: ULONG) -> PVOID>;
pub type PLSA_FREE_LSA_HEAP = Option<unsafe extern "system" fn(Base: PVOID)>;
pub type PLSA_ALLOCATE_PRIVATE_HEAP = Option<unsafe extern "system" fn(Length: usize) -> PVOID>;
pub type PLSA_FREE_PRIVATE_HEAP = Option<unsafe extern "system" fn(Base: PVOID)>;
/// The client is this process: client memory is ordinary memory.
pub type PLSA_ALLOCATE_CLIENT_BUFFER = Option<
    unsafe extern "system" fn(
        ClientRequest: PLSA_CLIENT_REQUEST,
        LengthRequired: ULONG,
        ClientBaseAddress: *mut PVOID,
    ) -> NTSTATUS,
>;
pub type PLSA_FREE_CLIENT_BUFFER = Option<
    unsafe extern "system" fn(
        ClientRequest: PLSA_CLIENT_REQUEST,
        ClientBaseAddress: PVOID,
    ) -> NTSTATUS,
>;
pub type PLSA_COPY_TO_CLIENT_BUFFER = Option<
    unsafe extern "system" fn(
        ClientRequest: PLSA_CLIENT_REQUEST,
        Length: ULONG,
        ClientBaseAddress: PVOID,
        BufferToCopy: PVOID,
    ) -> NTSTATUS,
>;
pub type PLSA_COPY_FROM_CLIENT_BUFFER = Option<
    unsafe extern "system" fn(
        ClientRequest: PLSA_CLIENT_REQUEST,
        Length: ULONG,
        BufferToCopy: PVOID,
        ClientBaseAddress: PVOID,
    ) -> NTSTATUS,
>;
pub type PLSA_IMPERSONATE_CLIENT = Option<unsafe extern "system" fn() -> NTSTATUS>;
pub type PLSA_UNLOAD_PACKAGE = Option<unsafe extern "system" fn() -> NTSTATUS>;
pub type PLSA_DUPLICATE_HANDLE = Option<
    unsafe extern "system" fn(SourceHandle: HANDLE, DestionationHandle: PHANDLE) -> NTSTATUS,
>;
pub type PLSA_SAVE_SUPPLEMENTAL_CREDENTIALS = Option<
    unsafe extern "system" fn(
        LogonId: PLUID,
        SupplementalCredSize: ULONG,
        SupplementalCreds: PVOID,
        Synchronous: BOOLEAN,
    ) -> NTSTATUS,
>;
pub type PLSA_CREATE_THREAD = Option<
    unsafe extern "system" fn(
        SecurityAttributes: PVOID,
        StackSize: ULONG,
        StartFunction: PVOID,
        ThreadParameter: PVOID,
        CreationFlags: ULONG,
        ThreadId: *mut ULONG,
    ) -> HANDLE,
>;
pub type PLSA_GET_CLIENT_INFO =
    Option<unsafe extern "system" fn(ClientInfo: PSECPKG_CLIENT_INFO) -> NTSTATUS>;
pub type PLSA_REGISTER_NOTIFICATION = Option<
    unsafe extern "system" fn(
        StartFunction: PVOID,
        Parameter: PVOID,
        NotificationType: ULONG,
        NotificationClass: ULONG,
        NotificationFlags: ULONG,
        IntervalMinutes: ULONG,
        WaitEvent: HANDLE,
    ) -> HANDLE,
>;
pub type PLSA_CANCEL_NOTIFICATION =
    Option<unsafe extern "system" fn(NotifyHandle: HANDLE) -> NTSTATUS>;
pub type PLSA_MAP_BUFFER = Option<
    unsafe extern "system" fn(InputBuffer: PSecBuffer, OutputBuffer: PSecBuffer) -> NTSTATUS,
>;
pub type PLSA_CREATE_TOKEN = Option<
    unsafe extern "system" fn(
        LogonId: PLUID,
        TokenSource: PVOID,
        LogonType: SECURITY_LOGON_TYPE,
        ImpersonationLevel: u32,
        TokenInformationType: LSA_TOKEN_INFORMATION_TYPE,
        TokenInformation: PVOID,
        TokenGroups: PVOID,
        AccountName: PUNICODE_STRING,
        AuthorityName: PUNICODE_STRING,
        Workstation: PUNICODE_STRING,
        ProfilePath: PUNICODE_STRING,
        Token: PHANDLE,
        SubStatus: PNTSTATUS,
    ) -> NTSTATUS,
>;
pub type PLSA_AUDIT_LOGON = Option<
    unsafe extern "system" fn(
        Status: NTSTATUS,
        SubStatus: NTSTATUS,
        AccountName: PUNICODE_STRING,
        AuthenticatingAuthority: PUNICODE_STRING,
        WorkstationName: PUNICODE_STRING,
        UserSid: PVOID,
        LogonType: SECURITY_LOGON_TYPE,
        TokenSource: PVOID,
        LogonId: PLUID,
    ),
>;
pub type PLSA_CALL_PACKAGE = Option<
    unsafe extern "system" fn(
        AuthenticationPackage: PUNICODE_STRING,
        ProtocolSubmitBuffer: PVOID,
        SubmitBufferLength: ULONG,
        ProtocolReturnBuffer: *mut PVOID,
        ReturnBufferLength: *mut ULONG,
        ProtocolStatus: PNTSTATUS,
    ) -> NTSTATUS,
>;
pub type PLSA_CALL_PACKAGEEX = Option<
    unsafe extern "system" fn(
        AuthenticationPackage: PUNICODE_STRING,
        ClientBufferBase: PVOID,
        ProtocolSubmitBuffer: PVOID,
        SubmitBufferLength: ULONG,
        ProtocolReturnBuffer: *mut PVOID,
        ReturnBufferLength: *mut ULONG,
        ProtocolStatus: PNTSTATUS,
    ) -> NTSTATUS,
>;
pub type PLSA_CALL_PACKAGE_PASSTHROUGH = PLSA_CALL_PACKAGEEX;
pub type PLSA_GET_CALL_INFO = Option<unsafe extern "system" fn(Info: PSECPKG_CALL_INFO) -> BOOLEAN>;
pub type PLSA_CREATE_SHARED_MEMORY =
    Option<unsafe extern "system" fn(MaxSize: ULONG, InitialSize: ULONG) -> PVOID>;
pub type PLSA_ALLOCATE_SHARED_MEMORY =
    Option<unsafe extern "system" fn(SharedMem: PVOID, Size: ULONG) -> PVOID>;
pub type PLSA_FREE_SHARED_MEMORY =
    Option<unsafe extern "system" fn(SharedMem: PVOID, Memory: PVOID)>;
pub type PLSA_DELETE_SHARED_MEMORY = Option<unsafe extern "system" fn(SharedMem: PVOID) -> BOOLEAN>;
pub type PLSA_OPEN_SAM_USER = Option<
    unsafe extern "system" fn(
        Name: PSECURITY_STRING,
        NameType: SECPKG_NAME_TYPE,
        Prefix: PSECURITY_STRING,
        AllowGuest: BOOLEAN,
        Reserved: ULONG,
        UserHandle: *mut PVOID,
    ) -> NTSTATUS,
>;
pub type PLSA_GET_USER_CREDENTIALS = Option<
    unsafe extern "system" fn(
        UserHandle: PVOID,
        PrimaryCreds: *mut PVOID,
        PrimaryCredsSize: *mut ULONG,
        SupplementalCreds: *mut PVOID,
        SupplementalCredsSize: *mut ULONG,
    ) -> NTSTATUS,
>;
pub type PLSA_GET_USER_AUTH_DATA = Option<
    unsafe extern "system" fn(
        UserHandle: PVOID,
        UserAuthData: *mut *mut UCHAR,
        UserAuthDataSize: *mut ULONG,
    ) -> NTSTATUS,
>;
pub type PLSA_CLOSE_SAM_USER = Option<unsafe extern "system" fn(UserHandle: PVOID) -> NTSTATUS>;
pub type PLSA_CONVERT_AUTH_DATA_TO_TOKEN = Option<
    unsafe extern "system" fn(
        UserAuthData: PVOID,
        UserAuthDataSize: ULONG,
        ImpersonationLevel: u32,
        TokenSource: PVOID,
        LogonType: SECURITY_LOGON_TYPE,
        AuthorityName: PUNICODE_STRING,
        Token: PHANDLE,
        LogonId: PLUID,
        AccountName: PUNICODE_STRING,
        SubStatus: PNTSTATUS,
    ) -> NTSTATUS,
>;
pub type PLSA_CLIENT_CALLBACK = Option<
    unsafe extern "system" fn(
        Callback: *mut SEC_CHAR,
        Argument1: ULONG_PTR,
        Argument2: ULONG_PTR,
        Input: PSecBuffer,
        Output: PSecBuffer,
    ) -> NTSTATUS,
>;
pub type PLSA_UPDATE_PRIMARY_CREDENTIALS = Option<
    unsafe extern "system" fn(
        PrimaryCredentials: PSECPKG_PRIMARY_CRED,
        Credentials: PSECPKG_SUPPLEMENTAL_CRED_ARRAY,
    ) -> NTSTATUS,
>;
pub type PLSA_GET_AUTH_DATA_FOR_USER = Option<
    unsafe extern "system" fn(
        Name: PSECURITY_STRING,
        NameType: SECPKG_NAME_TYPE,
        Prefix: PSECURITY_STRING,
        UserAuthData: *mut *mut UCHAR,
        UserAuthDataSize: *mut ULONG,
        UserFlatName: PUNICODE_STRING,
    ) -> NTSTATUS,
>;
pub type PLSA_CRACK_SINGLE_NAME = Option<
    unsafe extern "system" fn(
        FormatOffered: ULONG,
        PerformAtGC: BOOLEAN,
        NameInput: PUNICODE_STRING,
        Prefix: PUNICODE_STRING,
        RequestedFormat: ULONG,
        CrackedName: PUNICODE_STRING,
        DnsDomainName: PUNICODE_STRING,
        SubStatus: *mut ULONG,
    ) -> NTSTATUS,
>;
pub type PLSA_AUDIT_ACCOUNT_LOGON = Option<
    unsafe extern "system" fn(
        AuditId: ULONG,
        Success: BOOLEAN,
        Source: PUNICODE_STRING,
        ClientName: PUNICODE_STRING,
        MappedName: PUNICODE_STRING,
        Status: NTSTATUS,
    ) -> NTSTATUS,
>;
/// LsaProtectMemory / LsaUnprotectMemory: in-process, so the memory stays as it is.
pub type PLSA_PROTECT_MEMORY = Option<unsafe extern "system" fn(Buffer: PVOID, BufferSize: ULONG)>;
pub type PLSA_OPEN_TOKEN_BY_LOGON_ID =
    Option<unsafe extern "system" fn(LogonId: PLUID, RetTokenHandle: PHANDLE) -> NTSTATUS>;
pub type PLSA_EXPAND_AUTH_DATA_FOR_DOMAIN = Option<
    unsafe extern "system" fn(
        UserAuthData: *mut UCHAR,
        UserAuthDataSize: ULONG,
        Reserved: PVOID,
        ExpandedAuthData: *mut *mut UCHAR,
        ExpandedAuthDataSize: *mut ULONG,
    ) -> NTSTATUS,
>;
pub type PLSA_CREATE_TOKEN_EX = Option<
    unsafe extern "system" fn(
        LogonId: PLUID,
        TokenSource: PVOID,
        LogonType: SECURITY_LOGON_TYPE,
        ImpersonationLevel: u32,
        TokenInformationType: LSA_TOKEN_INFORMATION_TYPE,
        TokenInformation: PVOID,
        TokenGroups: PVOID,
        Workstation: PUNICODE_STRING,
        ProfilePath: PUNICODE_STRING,
        SessionInformation: PVOID,
        SessionInformationType: SECPKG_SESSIONINFO_TYPE,
        Token: PHANDLE,
        SubStatus: PNTSTATUS,
    ) -> NTSTATUS,
>;
pub type PLSA_REGISTER_CALLBACK = Option<
    unsafe extern "system" fn(CallbackId: ULONG, Callback: PLSA_CALLBACK_FUNCTION) -> NTSTATUS,
>;

/// The callbacks SpInitialize receives. Memory, client-buffer, client/call-info, protect-memory
/// and CallPackage-style entries work; those that need an access token, SAM or a domain
/// controller return STATUS_NOT_IMPLEMENTED (or NULL / nothing for non-NTSTATUS ones).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LSA_SECPKG_FUNCTION_TABLE {
    pub CreateLogonSession: PLSA_CREATE_LOGON_SESSION,
    pub DeleteLogonSession: PLSA_DELETE_LOGON_SESSION,
    pub AddCredential: PLSA_ADD_CREDENTIAL,
    pub GetCredentials: PLSA_GET_CREDENTIALS,
    pub DeleteCredential: PLSA_DELETE_CREDENTIAL,
    pub AllocateLsaHeap: PLSA_ALLOCATE_LSA_HEAP,
    pub FreeLsaHeap: PLSA_FREE_LSA_HEAP,
    pub AllocateClientBuffer: PLSA_ALLOCATE_CLIENT_BUFFER,
    pub FreeClientBuffer: PLSA_FREE_CLIENT_BUFFER,
    pub CopyToClientBuffer: PLSA_COPY_TO_CLIENT_BUFFER,
    pub CopyFromClientBuffer: PLSA_COPY_FROM_CLIENT_BUFFER,
    pub ImpersonateClient: PLSA_IMPERSONATE_CLIENT,
    pub UnloadPackage: PLSA_UNLOAD_PACKAGE,
    pub DuplicateHandle: PLSA_DUPLICATE_HANDLE,
    pub SaveSupplementalCredentials: PLSA_SAVE_SUPPLEMENTAL_CREDENTIALS,
    pub CreateThread: PLSA_CREATE_THREAD,
    pub GetClientInfo: PLSA_GET_CLIENT_INFO,
    pub RegisterNotification: PLSA_REGISTER_NOTIFICATION,
    pub CancelNotification: PLSA_CANCEL_NOTIFICATION,
    pub MapBuffer: PLSA_MAP_BUFFER,
    pub CreateToken: PLSA_CREATE_TOKEN,
    pub AuditLogon: PLSA_AUDIT_LOGON,
    pub CallPackage: PLSA_CALL_PACKAGE,
    pub FreeReturnBuffer: PLSA_FREE_LSA_HEAP,
    pub GetCallInfo: PLSA_GET_CALL_INFO,
    pub CallPackageEx: PLSA_CALL_PACKAGEEX,
    pub CreateSharedMemory: PLSA_CREATE_SHARED_MEMORY,
    pub AllocateSharedMemory: PLSA_ALLOCATE_SHARED_MEMORY,
    pub FreeSharedMemory: PLSA_FREE_SHARED_MEMORY,
    pub DeleteSharedMemory: PLSA_DELETE_SHARED_MEMORY,
    pub OpenSamUser: PLSA_OPEN_SAM_USER,
    pub GetUserCredentials: PLSA_GET_USER_CREDENTIALS,
    pub GetUserAuthData: PLSA_GET_USER_AUTH_DATA,
    pub CloseSamUser: PLSA_CLOSE_SAM_USER,
    pub ConvertAuthDataToToken: PLSA_CONVERT_AUTH_DATA_TO_TOKEN,
    pub ClientCallback: PLSA_CLIENT_CALLBACK,
    pub UpdateCredentials: PLSA_UPDATE_PRIMARY_CREDENTIALS,
    pub GetAuthDataForUser: PLSA_GET_AUTH_DATA_FOR_USER,
    pub CrackSingleName: PLSA_CRACK_SINGLE_NAME,
    pub AuditAccountLogon: PLSA_AUDIT_ACCOUNT_LOGON,
    pub CallPackagePassthrough: PLSA_CALL_PACKAGE_PASSTHROUGH,
    /// CrediRead (wincred.h); the Credential Manager does not exist here.
    pub DummyFunction1: PLSA_PROTECT_MEMORY,
    /// CrediReadDomainCredentials.
    pub DummyFunction2: PLSA_PROTECT_MEMORY,
    /// CrediFreeCredentials.
    pub DummyFunction3: PLSA_PROTECT_MEMORY,
    pub LsaProtectMemory: PLSA_PROTECT_MEMORY,
    pub LsaUnprotectMemory: PLSA_PROTECT_MEMORY,
    pub OpenTokenByLogonId: PLSA_OPEN_TOKEN_BY_LOGON_ID,
    pub ExpandAuthDataForDomain: PLSA_EXPAND_AUTH_DATA_FOR_DOMAIN,
    pub AllocatePrivateHeap: PLSA_ALLOCATE_PRIVATE_HEAP,
    pub FreePrivateHeap: PLSA_FREE_PRIVATE_HEAP,
    pub CreateTokenEx: PLSA_CREATE_TOKEN_EX,
    /// CrediWrite.
    pub DummyFunction4: PLSA_PROTECT_MEMORY,
}
/// Pointer to LSA_SECPKG_FUNCTION_TABLE.
pub type PLSA_SECPKG_FUNCTION_TABLE = *mut LSA_SECPKG_FUNCTION_TABLE;

/// The callbacks SpInstanceInit receives (user mode). AllocateHeap memory is freed with
/// FreeContextBuffer, so output tokens a package allocates reach the caller as Windows' do.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SECPKG_DLL_FUNCTIONS {
    pub AllocateHeap: PLSA_ALLOCATE_LSA_HEAP,
    pub FreeHeap: PLSA_FREE_LSA_HEAP,
    pub RegisterCallback: PLSA_REGISTER_CALLBACK,
}
/// Pointer to SECPKG_DLL_FUNCTIONS.
pub type PSECPKG_DLL_FUNCTIONS = *mut SECPKG_DLL_FUNCTIONS;

// --- LSA-mode entry points (SECPKG_FUNCTION_TABLE) ------------------------------------------

pub type PLSA_AP_INITIALIZE_PACKAGE = Option<
    unsafe extern "system" fn(
        AuthenticationPackageId: ULONG,
        LsaDispatchTable: PVOID,
        Database: PLSA_STRING,
        Confidentiality: PLSA_STRING,
        AuthenticationPackageName: *mut PLSA_STRING,
    ) -> NTSTATUS,
>;
pub type PLSA_AP_LOGON_USER = Option<
    unsafe extern "system" fn(
        ClientRequest: PLSA_CLIENT_REQUEST,
        LogonType: SECURITY_LOGON_TYPE,
        AuthenticationInformation: PVOID,
        ClientAuthenticationBase: PVOID,
        AuthenticationInformationLength: ULONG,
        ProfileBuffer: *mut PVOID,
        ProfileBufferLength: *mut ULONG,
        LogonId: PLUID,
        SubStatus: PNTSTATUS,
        TokenInformationType: *mut LSA_TOKEN_INFORMATION_TYPE,
        TokenInformation: *mut PVOID,
        AccountName: *mut PUNICODE_STRING,
        AuthenticatingAuthority: *mut PUNICODE_STRING,
    ) -> NTSTATUS,
>;
pub type PLSA_AP_CALL_PACKAGE = Option<
    unsafe extern "system" fn(
        ClientRequest: PLSA_CLIENT_REQUEST,
        ProtocolSubmitBuffer: PVOID,
        ClientBufferBase: PVOID,
        SubmitBufferLength: ULONG,
        ProtocolReturnBuffer: *mut PVOID,
        ReturnBufferLength: *mut ULONG,
        ProtocolStatus: PNTSTATUS,
    ) -> NTSTATUS,
>;
pub type PLSA_AP_LOGON_TERMINATED = Option<unsafe extern "system" fn(LogonId: PLUID)>;
pub type PLSA_AP_CALL_PACKAGE_UNTRUSTED = PLSA_AP_CALL_PACKAGE;
pub type PLSA_AP_CALL_PACKAGE_PASSTHROUGH = PLSA_AP_CALL_PACKAGE;
pub type PLSA_AP_LOGON_USER_EX = Option<
    unsafe extern "system" fn(
        ClientRequest: PLSA_CLIENT_REQUEST,
        LogonType: SECURITY_LOGON_TYPE,
        AuthenticationInformation: PVOID,
        ClientAuthenticationBase: PVOID,
        AuthenticationInformationLength: ULONG,
        ProfileBuffer: *mut PVOID,
        ProfileBufferLength: *mut ULONG,
        LogonId: PLUID,
        SubStatus: PNTSTATUS,
        TokenInformationType: *mut LSA_TOKEN_INFORMATION_TYPE,
        TokenInformation: *mut PVOID,
        AccountName: *mut PUNICODE_STRING,
        AuthenticatingAuthority: *mut PUNICODE_STRING,
        MachineName: *mut PUNICODE_STRING,
    ) -> NTSTATUS,
>;
pub type PLSA_AP_LOGON_USER_EX2 = Option<
    unsafe extern "system" fn(
        ClientRequest: PLSA_CLIENT_REQUEST,
        LogonType: SECURITY_LOGON_TYPE,
        AuthenticationInformation: PVOID,
        ClientAuthenticationBase: PVOID,
        AuthenticationInformationLength: ULONG,
        ProfileBuffer: *mut PVOID,
        ProfileBufferLength: *mut ULONG,
        LogonId: PLUID,
        SubStatus: PNTSTATUS,
        TokenInformationType: *mut LSA_TOKEN_INFORMATION_TYPE,
        TokenInformation: *mut PVOID,
        AccountName: *mut PUNICODE_STRING,
        AuthenticatingAuthority: *mut PUNICODE_STRING,
        MachineName: *mut PUNICODE_STRING,
        PrimaryCredentials: PSECPKG_PRIMARY_CRED,
        CachedCredentials: *mut PSECPKG_SUPPLEMENTAL_CRED_ARRAY,
    ) -> NTSTATUS,
>;

/// SpInitialize: called once per table with the package id, SECPKG_PARAMETERS and the LSA
/// callbacks (which stay valid for the life of the process).
pub type SpInitializeFn = unsafe extern "system" fn(
    PackageId: ULONG_PTR,
    Parameters: PSECPKG_PARAMETERS,
    FunctionTable: PLSA_SECPKG_FUNCTION_TABLE,
) -> NTSTATUS;
pub type SpShutdownFn = unsafe extern "system" fn() -> NTSTATUS;
/// SpGetInfo: fills a SecPkgInfoW (LSA packages are Unicode); the strings must stay valid.
pub type SpGetInfoFn = unsafe extern "system" fn(PackageInfo: PSecPkgInfoW) -> NTSTATUS;
pub type SpGetExtendedInformationFn = unsafe extern "system" fn(
    Class: SECPKG_EXTENDED_INFORMATION_CLASS,
    ppInformation: *mut PSECPKG_EXTENDED_INFORMATION,
) -> NTSTATUS;
pub type SpSetExtendedInformationFn = unsafe extern "system" fn(
    Class: SECPKG_EXTENDED_INFORMATION_CLASS,
    Info: PSECPKG_EXTENDED_INFORMATION,
) -> NTSTATUS;
pub type SpAcceptCredentialsFn = unsafe extern "system" fn(
    LogonType: SECURITY_LOGON_TYPE,
    AccountName: PUNICODE_STRING,
    PrimaryCredentials: PSECPKG_PRIMARY_CRED,
    SupplementalCredentials: PSECPKG_SUPPLEMENTAL_CRED,
) -> NTSTATUS;
/// SpAcquireCredentialsHandle: `AuthorizationData` is the caller's pAuthData as given.
pub type SpAcquireCredentialsHandleFn = unsafe extern "system" fn(
    PrincipalName: PUNICODE_STRING,
    CredentialUseFlags: ULONG,
    LogonId: PLUID,
    AuthorizationData: PVOID,
    GetKeyFunciton: PVOID,
    GetKeyArgument: PVOID,
    CredentialHandle: PLSA_SEC_HANDLE,
    ExpirationTime: PTimeStamp,
) -> NTSTATUS;
pub type SpFreeCredentialsHandleFn =
    unsafe extern "system" fn(CredentialHandle: LSA_SEC_HANDLE) -> NTSTATUS;
pub type SpQueryCredentialsAttributesFn = unsafe extern "system" fn(
    CredentialHandle: LSA_SEC_HANDLE,
    CredentialAttribute: ULONG,
    Buffer: PVOID,
) -> NTSTATUS;
pub type SpSetCredentialsAttributesFn = unsafe extern "system" fn(
    CredentialHandle: LSA_SEC_HANDLE,
    CredentialAttribute: ULONG,
    Buffer: PVOID,
    BufferSize: ULONG,
) -> NTSTATUS;
pub type SpAddCredentialsFn = unsafe extern "system" fn(
    CredentialHandle: LSA_SEC_HANDLE,
    PrincipalName: PUNICODE_STRING,
    Package: PUNICODE_STRING,
    CredentialUseFlags: ULONG,
    AuthorizationData: PVOID,
    GetKeyFunciton: PVOID,
    GetKeyArgument: PVOID,
    ExpirationTime: PTimeStamp,
) -> NTSTATUS;
pub type SpSaveCredentialsFn = unsafe extern "system" fn(
    CredentialHandle: LSA_SEC_HANDLE,
    Credentials: PSecBuffer,
) -> NTSTATUS;
pub type SpGetCredentialsFn = unsafe extern "system" fn(
    CredentialHandle: LSA_SEC_HANDLE,
    Credentials: PSecBuffer,
) -> NTSTATUS;
pub type SpDeleteCredentialsFn =
    unsafe extern "system" fn(CredentialHandle: LSA_SEC_HANDLE, Key: PSecBuffer) -> NTSTATUS;
/// SpInitLsaModeContext: InitializeSecurityContext's package side. `ContextHandle` is 0 on the
/// first call; `MappedContext` TRUE asks for SpInitUserModeContext with `ContextData`.
pub type SpInitLsaModeContextFn = unsafe extern "system" fn(
    CredentialHandle: LSA_SEC_HANDLE,
    ContextHandle: LSA_SEC_HANDLE,
    TargetName: PUNICODE_STRING,
    ContextRequirements: ULONG,
    TargetDataRep: ULONG,
    InputBuffers: PSecBufferDesc,
    NewContextHandle: PLSA_SEC_HANDLE,
    OutputBuffers: PSecBufferDesc,
    ContextAttributes: *mut ULONG,
    ExpirationTime: PTimeStamp,
    MappedContext: *mut BOOLEAN,
    ContextData: PSecBuffer,
) -> NTSTATUS;
pub type SpDeleteContextFn = unsafe extern "system" fn(ContextHandle: LSA_SEC_HANDLE) -> NTSTATUS;
pub type SpApplyControlTokenFn = unsafe extern "system" fn(
    ContextHandle: LSA_SEC_HANDLE,
    ControlToken: PSecBufferDesc,
) -> NTSTATUS;
/// SpAcceptLsaModeContext: AcceptSecurityContext's package side.
pub type SpAcceptLsaModeContextFn = unsafe extern "system" fn(
    CredentialHandle: LSA_SEC_HANDLE,
    ContextHandle: LSA_SEC_HANDLE,
    InputBuffer: PSecBufferDesc,
    ContextRequirements: ULONG,
    TargetDataRep: ULONG,
    NewContextHandle: PLSA_SEC_HANDLE,
    OutputBuffer: PSecBufferDesc,
    ContextAttributes: *mut ULONG,
    ExpirationTime: PTimeStamp,
    MappedContext: *mut BOOLEAN,
    ContextData: PSecBuffer,
) -> NTSTATUS;
pub type SpGetUserInfoFn = unsafe extern "system" fn(
    LogonId: PLUID,
    Flags: ULONG,
    UserData: *mut PSecurityUserData,
) -> NTSTATUS;
pub type SpQueryContextAttributesFn = unsafe extern "system" fn(
    ContextHandle: LSA_SEC_HANDLE,
    ContextAttribute: ULONG,
    Buffer: PVOID,
) -> NTSTATUS;
pub type SpSetContextAttributesFn = unsafe extern "system" fn(
    ContextHandle: LSA_SEC_HANDLE,
    ContextAttribute: ULONG,
    Buffer: PVOID,
    BufferSize: ULONG,
) -> NTSTATUS;

/// One LSA-mode package (SpLsaModeInitialize returns `*pcTables` of them). Entries after
/// SetExtendedInformation exist from SECPKG_INTERFACE_VERSION_2 (SetContextAttributes) and
/// _3 (SetCredentialsAttributes); the loader never reads past what the version covers.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct SECPKG_FUNCTION_TABLE {
    pub InitializePackage: PLSA_AP_INITIALIZE_PACKAGE,
    pub LogonUser: PLSA_AP_LOGON_USER,
    pub CallPackage: PLSA_AP_CALL_PACKAGE,
    pub LogonTerminated: PLSA_AP_LOGON_TERMINATED,
    pub CallPackageUntrusted: PLSA_AP_CALL_PACKAGE_UNTRUSTED,
    pub CallPackagePassthrough: PLSA_AP_CALL_PACKAGE_PASSTHROUGH,
    pub LogonUserEx: PLSA_AP_LOGON_USER_EX,
    pub LogonUserEx2: PLSA_AP_LOGON_USER_EX2,
    pub Initialize: Option<SpInitializeFn>,
    pub Shutdown: Option<SpShutdownFn>,
    pub GetInfo: Option<SpGetInfoFn>,
    pub AcceptCredentials: Option<SpAcceptCredentialsFn>,
    pub AcquireCredentialsHandle: Option<SpAcquireCredentialsHandleFn>,
    pub QueryCredentialsAttributes: Option<SpQueryCredentialsAttributesFn>,
    pub FreeCredentialsHandle: Option<SpFreeCredentialsHandleFn>,
    pub SaveCredentials: Option<SpSaveCredentialsFn>,
    pub GetCredentials: Option<SpGetCredentialsFn>,
    pub DeleteCredentials: Option<SpDeleteCredentialsFn>,
    pub InitLsaModeContext: Option<SpInitLsaModeContextFn>,
    pub AcceptLsaModeContext: Option<SpAcceptLsaModeContextFn>,
    pub DeleteContext: Option<SpDeleteContextFn>,
    pub ApplyControlToken: Option<SpApplyControlTokenFn>,
    pub GetUserInfo: Option<SpGetUserInfoFn>,
    pub GetExtendedInformation: Option<SpGetExtendedInformationFn>,
    pub QueryContextAttributes: Option<SpQueryContextAttributesFn>,
    pub AddCredentials: Option<SpAddCredentialsFn>,
    pub SetExtendedInformation: Option<SpSetExtendedInformationFn>,
    pub SetContextAttributes: Option<SpSetContextAttributesFn>,
    pub SetCredentialsAttributes: Option<SpSetCredentialsAttributesFn>,
}
/// Pointer to SECPKG_FUNCTION_TABLE.
pub type PSECPKG_FUNCTION_TABLE = *mut SECPKG_FUNCTION_TABLE;

// --- user-mode entry points (SECPKG_USER_FUNCTION_TABLE) ------------------------------------

/// SpInstanceInit: called once per user table with SECPKG_INTERFACE_VERSION and the DLL
/// callbacks; `UserFunctions` is unused (NULL).
pub type SpInstanceInitFn = unsafe extern "system" fn(
    Version: ULONG,
    FunctionTable: PSECPKG_DLL_FUNCTIONS,
    UserFunctions: *mut PVOID,
) -> NTSTATUS;
/// SpInitUserModeContext: the packed context SpInit/AcceptLsaModeContext returned with
/// MappedContext TRUE (the loader frees `PackedContext->pvBuffer` after the call).
pub type SpInitUserModeContextFn =
    unsafe extern "system" fn(ContextHandle: LSA_SEC_HANDLE, PackedContext: PSecBuffer) -> NTSTATUS;
pub type SpMakeSignatureFn = unsafe extern "system" fn(
    ContextHandle: LSA_SEC_HANDLE,
    QualityOfProtection: ULONG,
    MessageBuffers: PSecBufferDesc,
    MessageSequenceNumber: ULONG,
) -> NTSTATUS;
pub type SpVerifySignatureFn = unsafe extern "system" fn(
    ContextHandle: LSA_SEC_HANDLE,
    MessageBuffers: PSecBufferDesc,
    MessageSequenceNumber: ULONG,
    QualityOfProtection: *mut ULONG,
) -> NTSTATUS;
/// SpSealMessage: EncryptMessage's package side, given the caller's own SecBufferDesc (the
/// message is encrypted in place), fQOP and MessageSeqNo unchanged.
pub type SpSealMessageFn = unsafe extern "system" fn(
    ContextHandle: LSA_SEC_HANDLE,
    QualityOfProtection: ULONG,
    MessageBuffers: PSecBufferDesc,
    MessageSequenceNumber: ULONG,
) -> NTSTATUS;
/// SpUnsealMessage: DecryptMessage's package side (in place; writes pfQOP).
pub type SpUnsealMessageFn = unsafe extern "system" fn(
    ContextHandle: LSA_SEC_HANDLE,
    MessageBuffers: PSecBufferDesc,
    MessageSequenceNumber: ULONG,
    QualityOfProtection: *mut ULONG,
) -> NTSTATUS;
pub type SpGetContextTokenFn = unsafe extern "system" fn(
    ContextHandle: LSA_SEC_HANDLE,
    ImpersonationToken: PHANDLE,
) -> NTSTATUS;
pub type SpExportSecurityContextFn = unsafe extern "system" fn(
    phContext: LSA_SEC_HANDLE,
    fFlags: ULONG,
    pPackedContext: PSecBuffer,
    pToken: PHANDLE,
) -> NTSTATUS;
pub type SpImportSecurityContextFn = unsafe extern "system" fn(
    pPackedContext: PSecBuffer,
    Token: HANDLE,
    phContext: PLSA_SEC_HANDLE,
) -> NTSTATUS;
pub type SpCompleteAuthTokenFn = unsafe extern "system" fn(
    ContextHandle: LSA_SEC_HANDLE,
    InputBuffer: PSecBufferDesc,
) -> NTSTATUS;
pub type SpFormatCredentialsFn = unsafe extern "system" fn(
    Credentials: PSecBuffer,
    FormattedCredentials: PSecBuffer,
) -> NTSTATUS;
pub type SpMarshallSupplementalCredsFn = unsafe extern "system" fn(
    CredentialSize: ULONG,
    Credentials: *mut UCHAR,
    MarshalledCredSize: *mut ULONG,
    MarshalledCreds: *mut PVOID,
) -> NTSTATUS;

/// One user-mode package (SpUserModeInitialize returns `*pcTables` of them, in the same order
/// as SpLsaModeInitialize's tables).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct SECPKG_USER_FUNCTION_TABLE {
    pub InstanceInit: Option<SpInstanceInitFn>,
    pub InitUserModeContext: Option<SpInitUserModeContextFn>,
    pub MakeSignature: Option<SpMakeSignatureFn>,
    pub VerifySignature: Option<SpVerifySignatureFn>,
    pub SealMessage: Option<SpSealMessageFn>,
    pub UnsealMessage: Option<SpUnsealMessageFn>,
    pub GetContextToken: Option<SpGetContextTokenFn>,
    pub QueryContextAttributes: Option<SpQueryContextAttributesFn>,
    pub CompleteAuthToken: Option<SpCompleteAuthTokenFn>,
    pub DeleteUserModeContext: Option<SpDeleteContextFn>,
    pub FormatCredentials: Option<SpFormatCredentialsFn>,
    pub MarshallSupplementalCreds: Option<SpMarshallSupplementalCredsFn>,
    pub ExportContext: Option<SpExportSecurityContextFn>,
    pub ImportContext: Option<SpImportSecurityContextFn>,
}
/// Pointer to SECPKG_USER_FUNCTION_TABLE.
pub type PSECPKG_USER_FUNCTION_TABLE = *mut SECPKG_USER_FUNCTION_TABLE;

/// The package's exported `SpLsaModeInitialize` (SECPKG_LSAMODEINIT_NAME).
pub type SpLsaModeInitializeFn = Option<
    unsafe extern "system" fn(
        LsaVersion: ULONG,
        PackageVersion: *mut ULONG,
        ppTables: *mut PSECPKG_FUNCTION_TABLE,
        pcTables: *mut ULONG,
    ) -> NTSTATUS,
>;
/// The package's exported `SpUserModeInitialize` (SECPKG_USERMODEINIT_NAME).
pub type SpUserModeInitializeFn = Option<
    unsafe extern "system" fn(
        LsaVersion: ULONG,
        PackageVersion: *mut ULONG,
        ppTables: *mut PSECPKG_USER_FUNCTION_TABLE,
        pcTables: *mut ULONG,
    ) -> NTSTATUS,
>;
