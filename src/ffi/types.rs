//! C types of sspi.h, with Windows' layout: `ULONG` is 32-bit everywhere and handles are two
//! pointer-sized words. cbindgen turns this file into `include/sspi.h`.

use core::ffi::{c_char, c_void};

/// 32-bit unsigned, as on Windows (never C `unsigned long` on LP64).
pub type ULONG = u32;
/// 32-bit signed.
pub type LONG = i32;
/// 16-bit unsigned.
pub type USHORT = u16;
/// 8-bit unsigned.
pub type UCHAR = u8;
/// 8-bit unsigned.
pub type BYTE = u8;
/// 32-bit unsigned.
pub type DWORD = u32;
/// 32-bit Windows BOOL.
pub type BOOL = i32;
/// Pointer-sized unsigned integer.
pub type ULONG_PTR = usize;
/// Status returned by every SSPI function.
pub type SECURITY_STATUS = LONG;
/// Narrow character: strings are UTF-8.
pub type SEC_CHAR = c_char;
/// UTF-16 code unit (the header picks `wchar_t` or `char16_t` to match).
pub type SEC_WCHAR = u16;
/// Pointer to a context buffer.
pub type PVOID = *mut c_void;
/// Opaque handle (winnt.h).
pub type HANDLE = *mut c_void;
/// Pointer to HANDLE.
pub type PHANDLE = *mut HANDLE;
/// LUID, as in winnt.h.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct LUID {
    pub LowPart: DWORD,
    pub HighPart: LONG,
}
/// Pointer to LUID.
pub type PLUID = *mut LUID;

/// `SECURITY_INTEGER` / `TimeStamp`: 100 ns since 1601-01-01, laid out as LARGE_INTEGER
/// (the header defines the C union with `QuadPart`, `LowPart`, `HighPart`).
#[repr(C)]
#[derive(Clone, Copy)]
pub union SECURITY_INTEGER {
    pub QuadPart: i64,
    pub u: SECURITY_INTEGER_PARTS,
}
/// The two halves of SECURITY_INTEGER.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SECURITY_INTEGER_PARTS {
    pub LowPart: ULONG,
    pub HighPart: LONG,
}
/// Expiry times.
pub type TimeStamp = SECURITY_INTEGER;
/// Pointer to TimeStamp.
pub type PTimeStamp = *mut TimeStamp;

/// Credential and context handle: two opaque pointer-sized words.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SecHandle {
    pub dwLower: ULONG_PTR,
    pub dwUpper: ULONG_PTR,
}
/// Pointer to SecHandle.
pub type PSecHandle = *mut SecHandle;
/// Credentials handle.
pub type CredHandle = SecHandle;
/// Pointer to CredHandle.
pub type PCredHandle = *mut CredHandle;
/// Context handle.
pub type CtxtHandle = SecHandle;
/// Pointer to CtxtHandle.
pub type PCtxtHandle = *mut CtxtHandle;

/// One buffer of a message or token.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecBuffer {
    pub cbBuffer: ULONG,
    pub BufferType: ULONG,
    pub pvBuffer: *mut c_void,
}
/// Pointer to SecBuffer.
pub type PSecBuffer = *mut SecBuffer;

/// A list of SecBuffers.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecBufferDesc {
    pub ulVersion: ULONG,
    pub cBuffers: ULONG,
    pub pBuffers: PSecBuffer,
}
/// Pointer to SecBufferDesc.
pub type PSecBufferDesc = *mut SecBufferDesc;

/// Package description (narrow).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgInfoA {
    pub fCapabilities: ULONG,
    pub wVersion: USHORT,
    pub wRPCID: USHORT,
    pub cbMaxToken: ULONG,
    pub Name: *mut SEC_CHAR,
    pub Comment: *mut SEC_CHAR,
}
/// Pointer to SecPkgInfoA.
pub type PSecPkgInfoA = *mut SecPkgInfoA;
/// Package description (wide).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgInfoW {
    pub fCapabilities: ULONG,
    pub wVersion: USHORT,
    pub wRPCID: USHORT,
    pub cbMaxToken: ULONG,
    pub Name: *mut SEC_WCHAR,
    pub Comment: *mut SEC_WCHAR,
}
/// Pointer to SecPkgInfoW.
pub type PSecPkgInfoW = *mut SecPkgInfoW;

/// User name, domain and password (narrow).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SEC_WINNT_AUTH_IDENTITY_A {
    pub User: *mut u8,
    pub UserLength: ULONG,
    pub Domain: *mut u8,
    pub DomainLength: ULONG,
    pub Password: *mut u8,
    pub PasswordLength: ULONG,
    pub Flags: ULONG,
}
/// User name, domain and password (wide).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SEC_WINNT_AUTH_IDENTITY_W {
    pub User: *mut u16,
    pub UserLength: ULONG,
    pub Domain: *mut u16,
    pub DomainLength: ULONG,
    pub Password: *mut u16,
    pub PasswordLength: ULONG,
    pub Flags: ULONG,
}
/// Versioned identity with a package list (narrow).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SEC_WINNT_AUTH_IDENTITY_EXA {
    pub Version: ULONG,
    pub Length: ULONG,
    pub User: *mut u8,
    pub UserLength: ULONG,
    pub Domain: *mut u8,
    pub DomainLength: ULONG,
    pub Password: *mut u8,
    pub PasswordLength: ULONG,
    pub Flags: ULONG,
    pub PackageList: *mut u8,
    pub PackageListLength: ULONG,
}
/// Versioned identity with a package list (wide).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SEC_WINNT_AUTH_IDENTITY_EXW {
    pub Version: ULONG,
    pub Length: ULONG,
    pub User: *mut u16,
    pub UserLength: ULONG,
    pub Domain: *mut u16,
    pub DomainLength: ULONG,
    pub Password: *mut u16,
    pub PasswordLength: ULONG,
    pub Flags: ULONG,
    pub PackageList: *mut u16,
    pub PackageListLength: ULONG,
}
/// Opaque identity blob handled by the Sspi* helpers.
pub type PSEC_WINNT_AUTH_IDENTITY_OPAQUE = PVOID;

/// Channel bindings passed in a SECBUFFER_CHANNEL_BINDINGS buffer.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SEC_CHANNEL_BINDINGS {
    pub dwInitiatorAddrType: ULONG,
    pub cbInitiatorLength: ULONG,
    pub dwInitiatorOffset: ULONG,
    pub dwAcceptorAddrType: ULONG,
    pub cbAcceptorLength: ULONG,
    pub dwAcceptorOffset: ULONG,
    pub cbApplicationDataLength: ULONG,
    pub dwApplicationDataOffset: ULONG,
}

/// SECPKG_ATTR_SIZES.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SecPkgContext_Sizes {
    pub cbMaxToken: ULONG,
    pub cbMaxSignature: ULONG,
    pub cbBlockSize: ULONG,
    pub cbSecurityTrailer: ULONG,
}
/// SECPKG_ATTR_STREAM_SIZES.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SecPkgContext_StreamSizes {
    pub cbHeader: ULONG,
    pub cbTrailer: ULONG,
    pub cbMaximumMessage: ULONG,
    pub cBuffers: ULONG,
    pub cbBlockSize: ULONG,
}
/// SECPKG_ATTR_NAMES (narrow).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_NamesA {
    pub sUserName: *mut SEC_CHAR,
}
/// SECPKG_ATTR_NAMES (wide).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_NamesW {
    pub sUserName: *mut SEC_WCHAR,
}
/// SECPKG_ATTR_LIFESPAN.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SecPkgContext_Lifespan {
    pub tsStart: TimeStamp,
    pub tsExpiry: TimeStamp,
}
/// SECPKG_ATTR_DCE_INFO.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_DceInfo {
    pub AuthzSvc: ULONG,
    pub pPac: PVOID,
}
/// SECPKG_ATTR_KEY_INFO (narrow).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_KeyInfoA {
    pub sSignatureAlgorithmName: *mut SEC_CHAR,
    pub sEncryptAlgorithmName: *mut SEC_CHAR,
    pub KeySize: ULONG,
    pub SignatureAlgorithm: ULONG,
    pub EncryptAlgorithm: ULONG,
}
/// SECPKG_ATTR_KEY_INFO (wide).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_KeyInfoW {
    pub sSignatureAlgorithmName: *mut SEC_WCHAR,
    pub sEncryptAlgorithmName: *mut SEC_WCHAR,
    pub KeySize: ULONG,
    pub SignatureAlgorithm: ULONG,
    pub EncryptAlgorithm: ULONG,
}
/// SECPKG_ATTR_AUTHORITY (narrow).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_AuthorityA {
    pub sAuthorityName: *mut SEC_CHAR,
}
/// SECPKG_ATTR_AUTHORITY (wide).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_AuthorityW {
    pub sAuthorityName: *mut SEC_WCHAR,
}
/// SECPKG_ATTR_PACKAGE_INFO (narrow).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_PackageInfoA {
    pub PackageInfo: PSecPkgInfoA,
}
/// SECPKG_ATTR_PACKAGE_INFO (wide).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_PackageInfoW {
    pub PackageInfo: PSecPkgInfoW,
}
/// SECPKG_ATTR_NEGOTIATION_INFO (narrow).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_NegotiationInfoA {
    pub PackageInfo: PSecPkgInfoA,
    pub NegotiationState: ULONG,
}
/// SECPKG_ATTR_NEGOTIATION_INFO (wide).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_NegotiationInfoW {
    pub PackageInfo: PSecPkgInfoW,
    pub NegotiationState: ULONG,
}
/// SECPKG_ATTR_NATIVE_NAMES (narrow).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_NativeNamesA {
    pub sClientName: *mut SEC_CHAR,
    pub sServerName: *mut SEC_CHAR,
}
/// SECPKG_ATTR_NATIVE_NAMES (wide).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_NativeNamesW {
    pub sClientName: *mut SEC_WCHAR,
    pub sServerName: *mut SEC_WCHAR,
}
/// SECPKG_ATTR_SESSION_KEY.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_SessionKey {
    pub SessionKeyLength: ULONG,
    pub SessionKey: *mut UCHAR,
}
/// SECPKG_ATTR_FLAGS.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SecPkgContext_Flags {
    pub Flags: ULONG,
}
/// SECPKG_ATTR_PASSWORD_EXPIRY.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SecPkgContext_PasswordExpiry {
    pub tsPasswordExpires: TimeStamp,
}
/// SECPKG_ATTR_ACCESS_TOKEN.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_AccessToken {
    pub AccessToken: PVOID,
}
/// SECPKG_ATTR_TARGET_INFORMATION.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_TargetInformation {
    pub MarshalledTargetInfoLength: ULONG,
    pub MarshalledTargetInfo: *mut UCHAR,
}
/// SECPKG_ATTR_CLIENT_SPECIFIED_TARGET.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_ClientSpecifiedTarget {
    pub sTargetName: *mut SEC_WCHAR,
}
/// SECPKG_ATTR_LAST_CLIENT_TOKEN_STATUS.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_LastClientTokenStatus {
    pub LastClientTokenStatus: ULONG,
}
/// SECPKG_ATTR_UNIQUE_BINDINGS / SECPKG_ATTR_ENDPOINT_BINDINGS.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_Bindings {
    pub BindingsLength: ULONG,
    pub Bindings: *mut SEC_CHANNEL_BINDINGS,
}
/// SECPKG_CRED_ATTR_NAMES (narrow).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgCredentials_NamesA {
    pub sUserName: *mut SEC_CHAR,
}
/// SECPKG_CRED_ATTR_NAMES (wide).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgCredentials_NamesW {
    pub sUserName: *mut SEC_WCHAR,
}

/// Key callback of AcquireCredentialsHandle (unused by the packages here).
pub type SEC_GET_KEY_FN = Option<
    unsafe extern "system" fn(
        Arg: *mut c_void,
        Principal: *mut c_void,
        KeyVer: ULONG,
        Key: *mut *mut c_void,
        Status: *mut SECURITY_STATUS,
    ),
>;

pub type ENUMERATE_SECURITY_PACKAGES_FN_W =
    Option<unsafe extern "system" fn(*mut ULONG, *mut PSecPkgInfoW) -> SECURITY_STATUS>;
pub type ENUMERATE_SECURITY_PACKAGES_FN_A =
    Option<unsafe extern "system" fn(*mut ULONG, *mut PSecPkgInfoA) -> SECURITY_STATUS>;
pub type QUERY_CREDENTIALS_ATTRIBUTES_FN_W =
    Option<unsafe extern "system" fn(PCredHandle, ULONG, *mut c_void) -> SECURITY_STATUS>;
pub type QUERY_CREDENTIALS_ATTRIBUTES_FN_A =
    Option<unsafe extern "system" fn(PCredHandle, ULONG, *mut c_void) -> SECURITY_STATUS>;
pub type ACQUIRE_CREDENTIALS_HANDLE_FN_W = Option<
    unsafe extern "system" fn(
        *mut SEC_WCHAR,
        *mut SEC_WCHAR,
        ULONG,
        *mut c_void,
        *mut c_void,
        SEC_GET_KEY_FN,
        *mut c_void,
        PCredHandle,
        PTimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type ACQUIRE_CREDENTIALS_HANDLE_FN_A = Option<
    unsafe extern "system" fn(
        *mut SEC_CHAR,
        *mut SEC_CHAR,
        ULONG,
        *mut c_void,
        *mut c_void,
        SEC_GET_KEY_FN,
        *mut c_void,
        PCredHandle,
        PTimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type FREE_CREDENTIALS_HANDLE_FN =
    Option<unsafe extern "system" fn(PCredHandle) -> SECURITY_STATUS>;
pub type INITIALIZE_SECURITY_CONTEXT_FN_W = Option<
    unsafe extern "system" fn(
        PCredHandle,
        PCtxtHandle,
        *mut SEC_WCHAR,
        ULONG,
        ULONG,
        ULONG,
        PSecBufferDesc,
        ULONG,
        PCtxtHandle,
        PSecBufferDesc,
        *mut ULONG,
        PTimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type INITIALIZE_SECURITY_CONTEXT_FN_A = Option<
    unsafe extern "system" fn(
        PCredHandle,
        PCtxtHandle,
        *mut SEC_CHAR,
        ULONG,
        ULONG,
        ULONG,
        PSecBufferDesc,
        ULONG,
        PCtxtHandle,
        PSecBufferDesc,
        *mut ULONG,
        PTimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type ACCEPT_SECURITY_CONTEXT_FN = Option<
    unsafe extern "system" fn(
        PCredHandle,
        PCtxtHandle,
        PSecBufferDesc,
        ULONG,
        ULONG,
        PCtxtHandle,
        PSecBufferDesc,
        *mut ULONG,
        PTimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type COMPLETE_AUTH_TOKEN_FN =
    Option<unsafe extern "system" fn(PCtxtHandle, PSecBufferDesc) -> SECURITY_STATUS>;
pub type DELETE_SECURITY_CONTEXT_FN =
    Option<unsafe extern "system" fn(PCtxtHandle) -> SECURITY_STATUS>;
pub type APPLY_CONTROL_TOKEN_FN =
    Option<unsafe extern "system" fn(PCtxtHandle, PSecBufferDesc) -> SECURITY_STATUS>;
pub type QUERY_CONTEXT_ATTRIBUTES_FN_W =
    Option<unsafe extern "system" fn(PCtxtHandle, ULONG, *mut c_void) -> SECURITY_STATUS>;
pub type QUERY_CONTEXT_ATTRIBUTES_FN_A =
    Option<unsafe extern "system" fn(PCtxtHandle, ULONG, *mut c_void) -> SECURITY_STATUS>;
pub type IMPERSONATE_SECURITY_CONTEXT_FN =
    Option<unsafe extern "system" fn(PCtxtHandle) -> SECURITY_STATUS>;
pub type REVERT_SECURITY_CONTEXT_FN =
    Option<unsafe extern "system" fn(PCtxtHandle) -> SECURITY_STATUS>;
pub type MAKE_SIGNATURE_FN =
    Option<unsafe extern "system" fn(PCtxtHandle, ULONG, PSecBufferDesc, ULONG) -> SECURITY_STATUS>;
pub type VERIFY_SIGNATURE_FN = Option<
    unsafe extern "system" fn(PCtxtHandle, PSecBufferDesc, ULONG, *mut ULONG) -> SECURITY_STATUS,
>;
pub type FREE_CONTEXT_BUFFER_FN = Option<unsafe extern "system" fn(PVOID) -> SECURITY_STATUS>;
pub type QUERY_SECURITY_PACKAGE_INFO_FN_W =
    Option<unsafe extern "system" fn(*mut SEC_WCHAR, *mut PSecPkgInfoW) -> SECURITY_STATUS>;
pub type QUERY_SECURITY_PACKAGE_INFO_FN_A =
    Option<unsafe extern "system" fn(*mut SEC_CHAR, *mut PSecPkgInfoA) -> SECURITY_STATUS>;
pub type EXPORT_SECURITY_CONTEXT_FN = Option<
    unsafe extern "system" fn(PCtxtHandle, ULONG, PSecBuffer, *mut *mut c_void) -> SECURITY_STATUS,
>;
pub type IMPORT_SECURITY_CONTEXT_FN_W = Option<
    unsafe extern "system" fn(
        *mut SEC_WCHAR,
        PSecBuffer,
        *mut c_void,
        PCtxtHandle,
    ) -> SECURITY_STATUS,
>;
pub type IMPORT_SECURITY_CONTEXT_FN_A = Option<
    unsafe extern "system" fn(
        *mut SEC_CHAR,
        PSecBuffer,
        *mut c_void,
        PCtxtHandle,
    ) -> SECURITY_STATUS,
>;
pub type ADD_CREDENTIALS_FN_W = Option<
    unsafe extern "system" fn(
        PCredHandle,
        *mut SEC_WCHAR,
        *mut SEC_WCHAR,
        ULONG,
        *mut c_void,
        SEC_GET_KEY_FN,
        *mut c_void,
        PTimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type ADD_CREDENTIALS_FN_A = Option<
    unsafe extern "system" fn(
        PCredHandle,
        *mut SEC_CHAR,
        *mut SEC_CHAR,
        ULONG,
        *mut c_void,
        SEC_GET_KEY_FN,
        *mut c_void,
        PTimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type QUERY_SECURITY_CONTEXT_TOKEN_FN =
    Option<unsafe extern "system" fn(PCtxtHandle, *mut *mut c_void) -> SECURITY_STATUS>;
pub type ENCRYPT_MESSAGE_FN =
    Option<unsafe extern "system" fn(PCtxtHandle, ULONG, PSecBufferDesc, ULONG) -> SECURITY_STATUS>;
pub type DECRYPT_MESSAGE_FN = Option<
    unsafe extern "system" fn(PCtxtHandle, PSecBufferDesc, ULONG, *mut ULONG) -> SECURITY_STATUS,
>;
pub type SET_CONTEXT_ATTRIBUTES_FN_W =
    Option<unsafe extern "system" fn(PCtxtHandle, ULONG, *mut c_void, ULONG) -> SECURITY_STATUS>;
pub type SET_CONTEXT_ATTRIBUTES_FN_A =
    Option<unsafe extern "system" fn(PCtxtHandle, ULONG, *mut c_void, ULONG) -> SECURITY_STATUS>;
pub type SET_CREDENTIALS_ATTRIBUTES_FN_W =
    Option<unsafe extern "system" fn(PCredHandle, ULONG, *mut c_void, ULONG) -> SECURITY_STATUS>;
pub type SET_CREDENTIALS_ATTRIBUTES_FN_A =
    Option<unsafe extern "system" fn(PCredHandle, ULONG, *mut c_void, ULONG) -> SECURITY_STATUS>;
pub type CHANGE_PASSWORD_FN_W = Option<
    unsafe extern "system" fn(
        *mut SEC_WCHAR,
        *mut SEC_WCHAR,
        *mut SEC_WCHAR,
        *mut SEC_WCHAR,
        *mut SEC_WCHAR,
        BOOLEAN,
        ULONG,
        PSecBufferDesc,
    ) -> SECURITY_STATUS,
>;
pub type CHANGE_PASSWORD_FN_A = Option<
    unsafe extern "system" fn(
        *mut SEC_CHAR,
        *mut SEC_CHAR,
        *mut SEC_CHAR,
        *mut SEC_CHAR,
        *mut SEC_CHAR,
        BOOLEAN,
        ULONG,
        PSecBufferDesc,
    ) -> SECURITY_STATUS,
>;
pub type QUERY_CONTEXT_ATTRIBUTES_EX_FN_W =
    Option<unsafe extern "system" fn(PCtxtHandle, ULONG, *mut c_void, ULONG) -> SECURITY_STATUS>;
pub type QUERY_CONTEXT_ATTRIBUTES_EX_FN_A =
    Option<unsafe extern "system" fn(PCtxtHandle, ULONG, *mut c_void, ULONG) -> SECURITY_STATUS>;
pub type QUERY_CREDENTIALS_ATTRIBUTES_EX_FN_W =
    Option<unsafe extern "system" fn(PCredHandle, ULONG, *mut c_void, ULONG) -> SECURITY_STATUS>;
pub type QUERY_CREDENTIALS_ATTRIBUTES_EX_FN_A =
    Option<unsafe extern "system" fn(PCredHandle, ULONG, *mut c_void, ULONG) -> SECURITY_STATUS>;

/// Windows BOOLEAN (one byte).
pub type BOOLEAN = u8;

/// The function table InitSecurityInterfaceW returns (SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5 layout).
#[repr(C)]
pub struct SecurityFunctionTableW {
    pub dwVersion: ULONG,
    pub EnumerateSecurityPackagesW: ENUMERATE_SECURITY_PACKAGES_FN_W,
    pub QueryCredentialsAttributesW: QUERY_CREDENTIALS_ATTRIBUTES_FN_W,
    pub AcquireCredentialsHandleW: ACQUIRE_CREDENTIALS_HANDLE_FN_W,
    pub FreeCredentialsHandle: FREE_CREDENTIALS_HANDLE_FN,
    pub Reserved2: *mut c_void,
    pub InitializeSecurityContextW: INITIALIZE_SECURITY_CONTEXT_FN_W,
    pub AcceptSecurityContext: ACCEPT_SECURITY_CONTEXT_FN,
    pub CompleteAuthToken: COMPLETE_AUTH_TOKEN_FN,
    pub DeleteSecurityContext: DELETE_SECURITY_CONTEXT_FN,
    pub ApplyControlToken: APPLY_CONTROL_TOKEN_FN,
    pub QueryContextAttributesW: QUERY_CONTEXT_ATTRIBUTES_FN_W,
    pub ImpersonateSecurityContext: IMPERSONATE_SECURITY_CONTEXT_FN,
    pub RevertSecurityContext: REVERT_SECURITY_CONTEXT_FN,
    pub MakeSignature: MAKE_SIGNATURE_FN,
    pub VerifySignature: VERIFY_SIGNATURE_FN,
    pub FreeContextBuffer: FREE_CONTEXT_BUFFER_FN,
    pub QuerySecurityPackageInfoW: QUERY_SECURITY_PACKAGE_INFO_FN_W,
    pub Reserved3: ENCRYPT_MESSAGE_FN,
    pub Reserved4: DECRYPT_MESSAGE_FN,
    pub ExportSecurityContext: EXPORT_SECURITY_CONTEXT_FN,
    pub ImportSecurityContextW: IMPORT_SECURITY_CONTEXT_FN_W,
    pub AddCredentialsW: ADD_CREDENTIALS_FN_W,
    pub Reserved8: *mut c_void,
    pub QuerySecurityContextToken: QUERY_SECURITY_CONTEXT_TOKEN_FN,
    pub EncryptMessage: ENCRYPT_MESSAGE_FN,
    pub DecryptMessage: DECRYPT_MESSAGE_FN,
    pub SetContextAttributesW: SET_CONTEXT_ATTRIBUTES_FN_W,
    pub SetCredentialsAttributesW: SET_CREDENTIALS_ATTRIBUTES_FN_W,
    pub ChangeAccountPasswordW: CHANGE_PASSWORD_FN_W,
    pub QueryContextAttributesExW: QUERY_CONTEXT_ATTRIBUTES_EX_FN_W,
    pub QueryCredentialsAttributesExW: QUERY_CREDENTIALS_ATTRIBUTES_EX_FN_W,
}
/// Pointer to SecurityFunctionTableW.
pub type PSecurityFunctionTableW = *mut SecurityFunctionTableW;

/// The function table InitSecurityInterfaceA returns (SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5 layout).
#[repr(C)]
pub struct SecurityFunctionTableA {
    pub dwVersion: ULONG,
    pub EnumerateSecurityPackagesA: ENUMERATE_SECURITY_PACKAGES_FN_A,
    pub QueryCredentialsAttributesA: QUERY_CREDENTIALS_ATTRIBUTES_FN_A,
    pub AcquireCredentialsHandleA: ACQUIRE_CREDENTIALS_HANDLE_FN_A,
    pub FreeCredentialHandle: FREE_CREDENTIALS_HANDLE_FN,
    pub Reserved2: *mut c_void,
    pub InitializeSecurityContextA: INITIALIZE_SECURITY_CONTEXT_FN_A,
    pub AcceptSecurityContext: ACCEPT_SECURITY_CONTEXT_FN,
    pub CompleteAuthToken: COMPLETE_AUTH_TOKEN_FN,
    pub DeleteSecurityContext: DELETE_SECURITY_CONTEXT_FN,
    pub ApplyControlToken: APPLY_CONTROL_TOKEN_FN,
    pub QueryContextAttributesA: QUERY_CONTEXT_ATTRIBUTES_FN_A,
    pub ImpersonateSecurityContext: IMPERSONATE_SECURITY_CONTEXT_FN,
    pub RevertSecurityContext: REVERT_SECURITY_CONTEXT_FN,
    pub MakeSignature: MAKE_SIGNATURE_FN,
    pub VerifySignature: VERIFY_SIGNATURE_FN,
    pub FreeContextBuffer: FREE_CONTEXT_BUFFER_FN,
    pub QuerySecurityPackageInfoA: QUERY_SECURITY_PACKAGE_INFO_FN_A,
    pub Reserved3: ENCRYPT_MESSAGE_FN,
    pub Reserved4: DECRYPT_MESSAGE_FN,
    pub ExportSecurityContext: EXPORT_SECURITY_CONTEXT_FN,
    pub ImportSecurityContextA: IMPORT_SECURITY_CONTEXT_FN_A,
    pub AddCredentialsA: ADD_CREDENTIALS_FN_A,
    pub Reserved8: *mut c_void,
    pub QuerySecurityContextToken: QUERY_SECURITY_CONTEXT_TOKEN_FN,
    pub EncryptMessage: ENCRYPT_MESSAGE_FN,
    pub DecryptMessage: DECRYPT_MESSAGE_FN,
    pub SetContextAttributesA: SET_CONTEXT_ATTRIBUTES_FN_A,
    pub SetCredentialsAttributesA: SET_CREDENTIALS_ATTRIBUTES_FN_A,
    pub ChangeAccountPasswordA: CHANGE_PASSWORD_FN_A,
    pub QueryContextAttributesExA: QUERY_CONTEXT_ATTRIBUTES_EX_FN_A,
    pub QueryCredentialsAttributesExA: QUERY_CREDENTIALS_ATTRIBUTES_EX_FN_A,
}
/// Pointer to SecurityFunctionTableA.
pub type PSecurityFunctionTableA = *mut SecurityFunctionTableA;
/// InitSecurityInterfaceW's type.
pub type INIT_SECURITY_INTERFACE_W = Option<unsafe extern "system" fn() -> PSecurityFunctionTableW>;
/// InitSecurityInterfaceA's type.
pub type INIT_SECURITY_INTERFACE_A = Option<unsafe extern "system" fn() -> PSecurityFunctionTableA>;

// Pointer typedefs sspi.h declares with each struct (`} X, *PX;`).
/// Pointer to SEC_WINNT_AUTH_IDENTITY_A.
pub type PSEC_WINNT_AUTH_IDENTITY_A = *mut SEC_WINNT_AUTH_IDENTITY_A;
/// Pointer to SEC_WINNT_AUTH_IDENTITY_W.
pub type PSEC_WINNT_AUTH_IDENTITY_W = *mut SEC_WINNT_AUTH_IDENTITY_W;
/// Pointer to SEC_WINNT_AUTH_IDENTITY_EXA.
pub type PSEC_WINNT_AUTH_IDENTITY_EXA = *mut SEC_WINNT_AUTH_IDENTITY_EXA;
/// Pointer to SEC_WINNT_AUTH_IDENTITY_EXW.
pub type PSEC_WINNT_AUTH_IDENTITY_EXW = *mut SEC_WINNT_AUTH_IDENTITY_EXW;
/// Pointer to SEC_CHANNEL_BINDINGS.
pub type PSEC_CHANNEL_BINDINGS = *mut SEC_CHANNEL_BINDINGS;
/// Pointer to SecPkgContext_Sizes.
pub type PSecPkgContext_Sizes = *mut SecPkgContext_Sizes;
/// Pointer to SecPkgContext_StreamSizes.
pub type PSecPkgContext_StreamSizes = *mut SecPkgContext_StreamSizes;
/// Pointer to SecPkgContext_NamesA.
pub type PSecPkgContext_NamesA = *mut SecPkgContext_NamesA;
/// Pointer to SecPkgContext_NamesW.
pub type PSecPkgContext_NamesW = *mut SecPkgContext_NamesW;
/// Pointer to SecPkgContext_Lifespan.
pub type PSecPkgContext_Lifespan = *mut SecPkgContext_Lifespan;
/// Pointer to SecPkgContext_DceInfo.
pub type PSecPkgContext_DceInfo = *mut SecPkgContext_DceInfo;
/// Pointer to SecPkgContext_KeyInfoA.
pub type PSecPkgContext_KeyInfoA = *mut SecPkgContext_KeyInfoA;
/// Pointer to SecPkgContext_KeyInfoW.
pub type PSecPkgContext_KeyInfoW = *mut SecPkgContext_KeyInfoW;
/// Pointer to SecPkgContext_AuthorityA.
pub type PSecPkgContext_AuthorityA = *mut SecPkgContext_AuthorityA;
/// Pointer to SecPkgContext_AuthorityW.
pub type PSecPkgContext_AuthorityW = *mut SecPkgContext_AuthorityW;
/// Pointer to SecPkgContext_PackageInfoA.
pub type PSecPkgContext_PackageInfoA = *mut SecPkgContext_PackageInfoA;
/// Pointer to SecPkgContext_PackageInfoW.
pub type PSecPkgContext_PackageInfoW = *mut SecPkgContext_PackageInfoW;
/// Pointer to SecPkgContext_NegotiationInfoA.
pub type PSecPkgContext_NegotiationInfoA = *mut SecPkgContext_NegotiationInfoA;
/// Pointer to SecPkgContext_NegotiationInfoW.
pub type PSecPkgContext_NegotiationInfoW = *mut SecPkgContext_NegotiationInfoW;
/// Pointer to SecPkgContext_NativeNamesA.
pub type PSecPkgContext_NativeNamesA = *mut SecPkgContext_NativeNamesA;
/// Pointer to SecPkgContext_NativeNamesW.
pub type PSecPkgContext_NativeNamesW = *mut SecPkgContext_NativeNamesW;
/// Pointer to SecPkgContext_SessionKey.
pub type PSecPkgContext_SessionKey = *mut SecPkgContext_SessionKey;
/// Pointer to SecPkgContext_Flags.
pub type PSecPkgContext_Flags = *mut SecPkgContext_Flags;
/// Pointer to SecPkgContext_PasswordExpiry.
pub type PSecPkgContext_PasswordExpiry = *mut SecPkgContext_PasswordExpiry;
/// Pointer to SecPkgContext_AccessToken.
pub type PSecPkgContext_AccessToken = *mut SecPkgContext_AccessToken;
/// Pointer to SecPkgContext_TargetInformation.
pub type PSecPkgContext_TargetInformation = *mut SecPkgContext_TargetInformation;
/// Pointer to SecPkgContext_ClientSpecifiedTarget.
pub type PSecPkgContext_ClientSpecifiedTarget = *mut SecPkgContext_ClientSpecifiedTarget;
/// Pointer to SecPkgContext_LastClientTokenStatus.
pub type PSecPkgContext_LastClientTokenStatus = *mut SecPkgContext_LastClientTokenStatus;
/// Pointer to SecPkgContext_Bindings.
pub type PSecPkgContext_Bindings = *mut SecPkgContext_Bindings;
/// Pointer to SecPkgCredentials_NamesA.
pub type PSecPkgCredentials_NamesA = *mut SecPkgCredentials_NamesA;
/// Pointer to SecPkgCredentials_NamesW.
pub type PSecPkgCredentials_NamesW = *mut SecPkgCredentials_NamesW;

/// SECPKG_CRED_ATTR_SSI_PROVIDER (wide): the SSI provider of a credential.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SecPkgCredentials_SSIProviderW {
    pub sProviderName: *mut SEC_WCHAR,
    pub ProviderInfoLength: ULONG,
    pub ProviderInfo: *mut c_char,
}
/// Pointer to SecPkgCredentials_SSIProviderW.
pub type PSecPkgCredentials_SSIProviderW = *mut SecPkgCredentials_SSIProviderW;
/// SECPKG_CRED_ATTR_SSI_PROVIDER (narrow).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SecPkgCredentials_SSIProviderA {
    pub sProviderName: *mut SEC_CHAR,
    pub ProviderInfoLength: ULONG,
    pub ProviderInfo: *mut c_char,
}
/// Pointer to SecPkgCredentials_SSIProviderA.
pub type PSecPkgCredentials_SSIProviderA = *mut SecPkgCredentials_SSIProviderA;

/// SECPKG_ATTR_PROTO_INFO (wide): protocol name and version of a context.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SecPkgContext_ProtoInfoW {
    pub sProtocolName: *mut SEC_WCHAR,
    pub majorVersion: ULONG,
    pub minorVersion: ULONG,
}
/// Pointer to SecPkgContext_ProtoInfoW.
pub type PSecPkgContext_ProtoInfoW = *mut SecPkgContext_ProtoInfoW;
/// SECPKG_ATTR_PROTO_INFO (narrow).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SecPkgContext_ProtoInfoA {
    pub sProtocolName: *mut SEC_CHAR,
    pub majorVersion: ULONG,
    pub minorVersion: ULONG,
}
/// Pointer to SecPkgContext_ProtoInfoA.
pub type PSecPkgContext_ProtoInfoA = *mut SecPkgContext_ProtoInfoA;

/// SECPKG_ATTR_CREDENTIAL_NAME (wide): the credential's type and name.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SecPkgContext_CredentialNameW {
    pub CredentialType: ULONG,
    pub sCredentialName: *mut SEC_WCHAR,
}
/// Pointer to SecPkgContext_CredentialNameW.
pub type PSecPkgContext_CredentialNameW = *mut SecPkgContext_CredentialNameW;
/// SECPKG_ATTR_CREDENTIAL_NAME (narrow).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SecPkgContext_CredentialNameA {
    pub CredentialType: ULONG,
    pub sCredentialName: *mut SEC_CHAR,
}
/// Pointer to SecPkgContext_CredentialNameA.
pub type PSecPkgContext_CredentialNameA = *mut SecPkgContext_CredentialNameA;
