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
