//! schannel.h: Schannel's credential structures, constants and attribute structs, with
//! Windows' layouts. build.rs generates include/schannel.h from this file.

use super::crypt32::{HCERTSTORE, PCCERT_CONTEXT};
use super::types::{DWORD, PVOID, SEC_WCHAR, ULONG, USHORT};

pub use super::crypt32::ALG_ID;

pub const UNISP_RPC_ID: DWORD = 14;

pub const SCHANNEL_CRED_VERSION: DWORD = 4;
pub const SCH_CREDENTIALS_VERSION: DWORD = 5;
pub const SCH_CRED_V1: DWORD = 1;
pub const SCH_CRED_V2: DWORD = 2;
pub const SCH_CRED_V3: DWORD = 3;
pub const SCHANNEL_SECRET_TYPE_CAPI: DWORD = 1;
pub const SCHANNEL_SECRET_PRIVKEY: DWORD = 2;
pub const SCH_CRED_X509_CERTCHAIN: DWORD = 1;
pub const SCH_CRED_X509_CAPI: DWORD = 2;
pub const SCH_CRED_CERT_CONTEXT: DWORD = 3;
pub const SCH_CRED_FORMAT_CERT_CONTEXT: DWORD = 0;
pub const SCH_CRED_FORMAT_CERT_HASH: DWORD = 1;
pub const SCH_CRED_FORMAT_CERT_HASH_STORE: DWORD = 2;
pub const SCH_CRED_MAX_STORE_NAME_SIZE: DWORD = 128;
pub const SCH_CRED_MAX_SUPPORTED_ALGS: DWORD = 256;
pub const SCH_CRED_MAX_SUPPORTED_CERTS: DWORD = 100;

// dwFlags. Honoured: NO_SERVERNAME_CHECK, MANUAL_CRED_VALIDATION, AUTO_CRED_VALIDATION
// (the default), NO_DEFAULT_CREDS / USE_DEFAULT_CREDS (no default client certificate is
// ever picked), DISABLE_RECONNECTS. USE_STRONG_CRYPTO: always true (rustls has only AEAD
// suites). The revocation, mapper, SNI and cache flags are accepted and ignored.
pub const SCH_CRED_NO_SYSTEM_MAPPER: DWORD = 0x2;
pub const SCH_CRED_NO_SERVERNAME_CHECK: DWORD = 0x4;
pub const SCH_CRED_MANUAL_CRED_VALIDATION: DWORD = 0x8;
pub const SCH_CRED_NO_DEFAULT_CREDS: DWORD = 0x10;
pub const SCH_CRED_AUTO_CRED_VALIDATION: DWORD = 0x20;
pub const SCH_CRED_USE_DEFAULT_CREDS: DWORD = 0x40;
pub const SCH_CRED_DISABLE_RECONNECTS: DWORD = 0x80;
pub const SCH_CRED_REVOCATION_CHECK_END_CERT: DWORD = 0x100;
pub const SCH_CRED_REVOCATION_CHECK_CHAIN: DWORD = 0x200;
pub const SCH_CRED_REVOCATION_CHECK_CHAIN_EXCLUDE_ROOT: DWORD = 0x400;
pub const SCH_CRED_IGNORE_NO_REVOCATION_CHECK: DWORD = 0x800;
pub const SCH_CRED_IGNORE_REVOCATION_OFFLINE: DWORD = 0x1000;
pub const SCH_CRED_RESTRICTED_ROOTS: DWORD = 0x2000;
pub const SCH_CRED_REVOCATION_CHECK_CACHE_ONLY: DWORD = 0x4000;
pub const SCH_CRED_CACHE_ONLY_URL_RETRIEVAL: DWORD = 0x8000;
pub const SCH_CRED_MEMORY_STORE_CERT: DWORD = 0x10000;
pub const SCH_CRED_CACHE_ONLY_URL_RETRIEVAL_ON_CREATE: DWORD = 0x20000;
pub const SCH_SEND_ROOT_CERT: DWORD = 0x40000;
pub const SCH_CRED_SNI_CREDENTIAL: DWORD = 0x80000;
pub const SCH_CRED_SNI_ENABLE_OCSP: DWORD = 0x100000;
pub const SCH_SEND_AUX_RECORD: DWORD = 0x200000;
pub const SCH_USE_STRONG_CRYPTO: DWORD = 0x400000;
pub const SCH_USE_PRESHAREDKEY_ONLY: DWORD = 0x800000;
pub const SCH_USE_DTLS_ONLY: DWORD = 0x1000000;
pub const SCH_ALLOW_NULL_ENCRYPTION: DWORD = 0x2000000;
pub const SCH_CRED_DEFERRED_CRED_VALIDATION: DWORD = 0x4000000;

// grbitEnabledProtocols / grbitDisabledProtocols. Only TLS 1.2 and 1.3 exist here.
pub const SP_PROT_NONE: DWORD = 0;
pub const SP_PROT_PCT1_SERVER: DWORD = 0x1;
pub const SP_PROT_PCT1_CLIENT: DWORD = 0x2;
pub const SP_PROT_SSL2_SERVER: DWORD = 0x4;
pub const SP_PROT_SSL2_CLIENT: DWORD = 0x8;
pub const SP_PROT_SSL3_SERVER: DWORD = 0x10;
pub const SP_PROT_SSL3_CLIENT: DWORD = 0x20;
pub const SP_PROT_TLS1_SERVER: DWORD = 0x40;
pub const SP_PROT_TLS1_CLIENT: DWORD = 0x80;
pub const SP_PROT_TLS1_0_SERVER: DWORD = 0x40;
pub const SP_PROT_TLS1_0_CLIENT: DWORD = 0x80;
pub const SP_PROT_TLS1_0: DWORD = 0xC0;
pub const SP_PROT_TLS1_1_SERVER: DWORD = 0x100;
pub const SP_PROT_TLS1_1_CLIENT: DWORD = 0x200;
pub const SP_PROT_TLS1_1: DWORD = 0x300;
pub const SP_PROT_TLS1_2_SERVER: DWORD = 0x400;
pub const SP_PROT_TLS1_2_CLIENT: DWORD = 0x800;
pub const SP_PROT_TLS1_2: DWORD = 0xC00;
pub const SP_PROT_TLS1_3_SERVER: DWORD = 0x1000;
pub const SP_PROT_TLS1_3_CLIENT: DWORD = 0x2000;
pub const SP_PROT_TLS1_3: DWORD = 0x3000;
pub const SP_PROT_DTLS_SERVER: DWORD = 0x10000;
pub const SP_PROT_DTLS_CLIENT: DWORD = 0x20000;
pub const SP_PROT_DTLS1_2_SERVER: DWORD = 0x40000;
pub const SP_PROT_DTLS1_2_CLIENT: DWORD = 0x80000;

// The rest of schannel.h's constants, with mingw-w64's values (c-tests/macro_check.py checks
// each): protocol families and aliases (incl. SSL2/SSL3/PCT/DTLS, which are never negotiated
// here), TLS alert numbers, credential flags and versions.
pub const CERT_SCHANNEL_IIS_PASSWORD_PROP_ID: DWORD = 0x8001;
pub const CERT_SCHANNEL_IIS_PRIVATE_KEY_PROP_ID: DWORD = 0x8000;
pub const CERT_SCHANNEL_SGC_CERTIFICATE_PROP_ID: DWORD = 0x8002;
pub const ENABLE_TLS_CLIENT_EARLY_START: DWORD = 1;
pub const KERN_CONTEXT_CERT_INFO_V1: DWORD = 0;
pub const LCRED_CRED_EXISTS: DWORD = 1;
pub const LCRED_STATUS_NOCRED: DWORD = 0;
pub const LCRED_STATUS_UNKNOWN_ISSUER: DWORD = 2;
pub const RCRED_CRED_EXISTS: DWORD = 1;
pub const RCRED_STATUS_NOCRED: DWORD = 0;
pub const RCRED_STATUS_UNKNOWN_ISSUER: DWORD = 2;
pub const SCH_CRED_VERSION: DWORD = 2;
pub const SCH_MACHINE_CERT_HASH: DWORD = 1;
pub const SCH_MAX_EXT_SUBSCRIPTIONS: DWORD = 2;
pub const SECPKGCONTEXT_CONNECTION_INFO_EX_V1: DWORD = 1;
pub const SECPKG_ATTR_KEYING_MATERIAL_INPROC: DWORD = 0x70;
pub const SECPKG_ATTR_KEYING_MATERIAL_TOKEN_BINDING: DWORD = 0x6f;
pub const SP_PROT_ALL: DWORD = 0xffffffff;
pub const SP_PROT_CLIENTS: DWORD = 0x800000aa;
pub const SP_PROT_DTLS: DWORD = 0x30000;
pub const SP_PROT_DTLS1_0: DWORD = 0x30000;
pub const SP_PROT_DTLS1_0_CLIENT: DWORD = 0x20000;
pub const SP_PROT_DTLS1_0_SERVER: DWORD = 0x10000;
pub const SP_PROT_DTLS1_2: DWORD = 0xc0000;
pub const SP_PROT_DTLS1_X: DWORD = 0xf0000;
pub const SP_PROT_DTLS1_X_CLIENT: DWORD = 0xa0000;
pub const SP_PROT_DTLS1_X_SERVER: DWORD = 0x50000;
pub const SP_PROT_PCT1: DWORD = 3;
pub const SP_PROT_SERVERS: DWORD = 0x40000055;
pub const SP_PROT_SSL2: DWORD = 0xc;
pub const SP_PROT_SSL3: DWORD = 0x30;
pub const SP_PROT_SSL3TLS1: DWORD = 0xf0;
pub const SP_PROT_SSL3TLS1_CLIENTS: DWORD = 0xa0;
pub const SP_PROT_SSL3TLS1_SERVERS: DWORD = 0x50;
pub const SP_PROT_SSL3TLS1_X: DWORD = 0x3ff0;
pub const SP_PROT_SSL3TLS1_X_CLIENTS: DWORD = 0x2aa0;
pub const SP_PROT_SSL3TLS1_X_SERVERS: DWORD = 0x1550;
pub const SP_PROT_TLS1: DWORD = 0xc0;
pub const SP_PROT_TLS1_1PLUS: DWORD = 0x3f00;
pub const SP_PROT_TLS1_1PLUS_CLIENT: DWORD = 0x2a00;
pub const SP_PROT_TLS1_1PLUS_SERVER: DWORD = 0x1500;
pub const SP_PROT_TLS1_3PLUS: DWORD = 0x3000;
pub const SP_PROT_TLS1_3PLUS_CLIENT: DWORD = 0x2000;
pub const SP_PROT_TLS1_3PLUS_SERVER: DWORD = 0x1000;
pub const SP_PROT_TLS1_X: DWORD = 0x3fc0;
pub const SP_PROT_TLS1_X_CLIENT: DWORD = 0x2a80;
pub const SP_PROT_TLS1_X_SERVER: DWORD = 0x1540;
pub const SP_PROT_UNI: DWORD = 0xc0000000;
pub const SP_PROT_UNI_CLIENT: DWORD = 0x80000000;
pub const SP_PROT_UNI_SERVER: DWORD = 0x40000000;
pub const SP_PROT_X_CLIENTS: DWORD = 0x800a2aaa;
pub const SP_PROT_X_SERVERS: DWORD = 0x40051555;
pub const SSL_SESSION_DISABLE_RECONNECTS: DWORD = 2;
pub const SSL_SESSION_ENABLE_RECONNECTS: DWORD = 1;
pub const TLS1_ALERT_ACCESS_DENIED: DWORD = 0x31;
pub const TLS1_ALERT_BAD_CERTIFICATE: DWORD = 0x2a;
pub const TLS1_ALERT_BAD_RECORD_MAC: DWORD = 0x14;
pub const TLS1_ALERT_CERTIFICATE_EXPIRED: DWORD = 0x2d;
pub const TLS1_ALERT_CERTIFICATE_REVOKED: DWORD = 0x2c;
pub const TLS1_ALERT_CERTIFICATE_UNKNOWN: DWORD = 0x2e;
pub const TLS1_ALERT_DECODE_ERROR: DWORD = 0x32;
pub const TLS1_ALERT_DECOMPRESSION_FAIL: DWORD = 0x1e;
pub const TLS1_ALERT_DECRYPTION_FAILED: DWORD = 0x15;
pub const TLS1_ALERT_DECRYPT_ERROR: DWORD = 0x33;
pub const TLS1_ALERT_EXPORT_RESTRICTION: DWORD = 0x3c;
pub const TLS1_ALERT_HANDSHAKE_FAILURE: DWORD = 0x28;
pub const TLS1_ALERT_ILLEGAL_PARAMETER: DWORD = 0x2f;
pub const TLS1_ALERT_INSUFFIENT_SECURITY: DWORD = 0x47;
pub const TLS1_ALERT_INTERNAL_ERROR: DWORD = 0x50;
pub const TLS1_ALERT_NO_APP_PROTOCOL: DWORD = 0x78;
pub const TLS1_ALERT_NO_RENEGOTIATION: DWORD = 0x64;
pub const TLS1_ALERT_PROTOCOL_VERSION: DWORD = 0x46;
pub const TLS1_ALERT_RECORD_OVERFLOW: DWORD = 0x16;
pub const TLS1_ALERT_UNEXPECTED_MESSAGE: DWORD = 0xa;
pub const TLS1_ALERT_UNKNOWN_CA: DWORD = 0x30;
pub const TLS1_ALERT_UNKNOWN_PSK_IDENTITY: DWORD = 0x73;
pub const TLS1_ALERT_UNSUPPORTED_CERT: DWORD = 0x2b;
pub const TLS1_ALERT_UNSUPPORTED_EXT: DWORD = 0x6e;
pub const TLS1_ALERT_USER_CANCELED: DWORD = 0x5a;

// ApplyControlToken.
pub const SCHANNEL_RENEGOTIATE: DWORD = 0;
pub const SCHANNEL_SHUTDOWN: DWORD = 1;
pub const SCHANNEL_ALERT: DWORD = 2;
pub const SCHANNEL_SESSION: DWORD = 3;
pub const TLS1_ALERT_WARNING: DWORD = 1;
pub const TLS1_ALERT_FATAL: DWORD = 2;
pub const TLS1_ALERT_CLOSE_NOTIFY: DWORD = 0;

// Schannel context attributes.
pub const SECPKG_ATTR_ISSUER_LIST: ULONG = 0x50;
pub const SECPKG_ATTR_REMOTE_CRED: ULONG = 0x51;
pub const SECPKG_ATTR_LOCAL_CRED: ULONG = 0x52;
pub const SECPKG_ATTR_REMOTE_CERT_CONTEXT: ULONG = 0x53;
pub const SECPKG_ATTR_LOCAL_CERT_CONTEXT: ULONG = 0x54;
pub const SECPKG_ATTR_ROOT_STORE: ULONG = 0x55;
pub const SECPKG_ATTR_SUPPORTED_ALGS: ULONG = 0x56;
pub const SECPKG_ATTR_CIPHER_STRENGTHS: ULONG = 0x57;
pub const SECPKG_ATTR_SUPPORTED_PROTOCOLS: ULONG = 0x58;
pub const SECPKG_ATTR_ISSUER_LIST_EX: ULONG = 0x59;
pub const SECPKG_ATTR_CONNECTION_INFO: ULONG = 0x5a;
pub const SECPKG_ATTR_EAP_KEY_BLOCK: ULONG = 0x5b;
pub const SECPKG_ATTR_MAPPED_CRED_ATTR: ULONG = 0x5c;
pub const SECPKG_ATTR_SESSION_INFO: ULONG = 0x5d;
pub const SECPKG_ATTR_APP_DATA: ULONG = 0x5e;
pub const SECPKG_ATTR_REMOTE_CERTIFICATES: ULONG = 0x5f;
pub const SECPKG_ATTR_CLIENT_CERT_POLICY: ULONG = 0x60;
pub const SECPKG_ATTR_CC_POLICY_RESULT: ULONG = 0x61;
pub const SECPKG_ATTR_USE_NCRYPT: ULONG = 0x62;
pub const SECPKG_ATTR_LOCAL_CERT_INFO: ULONG = 0x63;
pub const SECPKG_ATTR_CIPHER_INFO: ULONG = 0x64;
pub const SECPKG_ATTR_EAP_PRF_INFO: ULONG = 0x65;
pub const SECPKG_ATTR_SUPPORTED_SIGNATURES: ULONG = 0x66;
pub const SECPKG_ATTR_REMOTE_CERT_CHAIN: ULONG = 0x67;
pub const SECPKG_ATTR_UI_INFO: ULONG = 0x68;
pub const SECPKG_ATTR_EARLY_START: ULONG = 0x69;
pub const SECPKG_ATTR_KEYING_MATERIAL_INFO: ULONG = 0x6a;
pub const SECPKG_ATTR_KEYING_MATERIAL: ULONG = 0x6b;
pub const SECPKG_ATTR_SRTP_PARAMETERS: ULONG = 0x6c;
pub const SECPKG_ATTR_TOKEN_BINDING: ULONG = 0x6d;
pub const SECPKG_ATTR_CONNECTION_INFO_EX: ULONG = 0x6e;

// ALG_IDs reported in SecPkgContext_ConnectionInfo.
pub const CALG_AES_128: ALG_ID = 0x660e;
pub const CALG_AES_256: ALG_ID = 0x6610;
pub const CALG_SHA_256: ALG_ID = 0x800c;
pub const CALG_SHA_384: ALG_ID = 0x800d;
pub const CALG_ECDH_EPHEM: ALG_ID = 0xae06;
pub const CALG_ECDH: ALG_ID = 0xaa05;
pub const CALG_RSA_KEYX: ALG_ID = 0xa400;
pub const CALG_RSA_SIGN: ALG_ID = 0x2400;
pub const CALG_ECDSA: ALG_ID = 0x2203;

pub const SECPKGCONTEXT_CIPHERINFO_V1: DWORD = 1;
pub const SZ_ALG_MAX_SIZE: usize = 64;
pub const SSL_SESSION_RECONNECT: DWORD = 1;

// SEC_APPLICATION_PROTOCOL_NEGOTIATION_STATUS / _EXT.
pub const SecApplicationProtocolNegotiationStatus_None: DWORD = 0;
pub const SecApplicationProtocolNegotiationStatus_Success: DWORD = 1;
pub const SecApplicationProtocolNegotiationStatus_SelectedClientOnly: DWORD = 2;
pub const SecApplicationProtocolNegotiationExt_None: DWORD = 0;
pub const SecApplicationProtocolNegotiationExt_NPN: DWORD = 1;
pub const SecApplicationProtocolNegotiationExt_ALPN: DWORD = 2;
pub const MAX_PROTOCOL_ID_SIZE: usize = 0xff;

/// UNICODE_STRING (ntdef.h), as TLS_PARAMETERS uses it: Length and MaximumLength in bytes.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct UNICODE_STRING {
    pub Length: USHORT,
    pub MaximumLength: USHORT,
    pub Buffer: *mut SEC_WCHAR,
}
pub type PUNICODE_STRING = *mut UNICODE_STRING;

/// CRYPTO_SETTINGS (SCH_CREDENTIALS): disabled algorithms; read and ignored.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct CRYPTO_SETTINGS {
    pub eAlgorithmUsage: DWORD,
    pub strCngAlgId: UNICODE_STRING,
    pub cChainingModes: DWORD,
    pub rgstrChainingModes: PUNICODE_STRING,
    pub dwMinBitLength: DWORD,
    pub dwMaxBitLength: DWORD,
}
pub type PCRYPTO_SETTINGS = *mut CRYPTO_SETTINGS;

/// TLS_PARAMETERS (SCH_CREDENTIALS).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct TLS_PARAMETERS {
    pub cAlpnIds: DWORD,
    pub rgstrAlpnIds: PUNICODE_STRING,
    pub grbitDisabledProtocols: DWORD,
    pub cDisabledCrypto: DWORD,
    pub pDisabledCrypto: PCRYPTO_SETTINGS,
    pub dwFlags: DWORD,
}
pub type PTLS_PARAMETERS = *mut TLS_PARAMETERS;

/// SCHANNEL_CRED (dwVersion SCHANNEL_CRED_VERSION).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SCHANNEL_CRED {
    pub dwVersion: DWORD,
    pub cCreds: DWORD,
    pub paCred: *mut PCCERT_CONTEXT,
    pub hRootStore: HCERTSTORE,
    pub cMappers: DWORD,
    pub aphMappers: *mut PVOID,
    pub cSupportedAlgs: DWORD,
    pub palgSupportedAlgs: *mut ALG_ID,
    pub grbitEnabledProtocols: DWORD,
    pub dwMinimumCipherStrength: DWORD,
    pub dwMaximumCipherStrength: DWORD,
    pub dwSessionLifespan: DWORD,
    pub dwFlags: DWORD,
    pub dwCredFormat: DWORD,
}
pub type PSCHANNEL_CRED = *mut SCHANNEL_CRED;

/// SCH_CREDENTIALS (dwVersion SCH_CREDENTIALS_VERSION).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SCH_CREDENTIALS {
    pub dwVersion: DWORD,
    pub dwCredFormat: DWORD,
    pub cCreds: DWORD,
    pub paCred: *mut PCCERT_CONTEXT,
    pub hRootStore: HCERTSTORE,
    pub cMappers: DWORD,
    pub aphMappers: *mut PVOID,
    pub dwSessionLifespan: DWORD,
    pub dwFlags: DWORD,
    pub cTlsParameters: DWORD,
    pub pTlsParameters: PTLS_PARAMETERS,
}
pub type PSCH_CREDENTIALS = *mut SCH_CREDENTIALS;

/// ApplyControlToken's SCHANNEL_SHUTDOWN token is one DWORD; SCHANNEL_ALERT uses this.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SCHANNEL_ALERT_TOKEN {
    pub dwTokenType: DWORD,
    pub dwAlertType: DWORD,
    pub dwAlertNumber: DWORD,
}

/// SECPKG_ATTR_CONNECTION_INFO.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct SecPkgContext_ConnectionInfo {
    pub dwProtocol: DWORD,
    pub aiCipher: ALG_ID,
    pub dwCipherStrength: DWORD,
    pub aiHash: ALG_ID,
    pub dwHashStrength: DWORD,
    pub aiExch: ALG_ID,
    pub dwExchStrength: DWORD,
}

/// SECPKG_ATTR_CIPHER_INFO (strings are WCHAR[SZ_ALG_MAX_SIZE]).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SecPkgContext_CipherInfo {
    pub dwVersion: DWORD,
    pub dwProtocol: DWORD,
    pub dwCipherSuite: DWORD,
    pub dwBaseCipherSuite: DWORD,
    pub szCipherSuite: [SEC_WCHAR; 64],
    pub szCipher: [SEC_WCHAR; 64],
    pub dwCipherLen: DWORD,
    pub dwCipherBlockLen: DWORD,
    pub szHash: [SEC_WCHAR; 64],
    pub dwHashLen: DWORD,
    pub szExchange: [SEC_WCHAR; 64],
    pub dwMinExchangeLen: DWORD,
    pub dwMaxExchangeLen: DWORD,
    pub szCertificate: [SEC_WCHAR; 64],
    pub dwKeyType: DWORD,
}

/// SECPKG_ATTR_SESSION_INFO.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SecPkgContext_SessionInfo {
    pub dwFlags: DWORD,
    pub cbSessionId: DWORD,
    pub rgbSessionId: [u8; 32],
}

/// SECPKG_ATTR_APPLICATION_PROTOCOL.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SecPkgContext_ApplicationProtocol {
    pub ProtoNegoStatus: DWORD,
    pub ProtoNegoExt: DWORD,
    pub ProtocolIdSize: u8,
    pub ProtocolId: [u8; 255],
}

/// One list of SEC_APPLICATION_PROTOCOLS (SECBUFFER_APPLICATION_PROTOCOLS); ProtocolList
/// holds ProtocolListSize bytes of length-prefixed protocol ids. Packed as on Windows
/// (the list follows the 6-byte head directly).
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct SEC_APPLICATION_PROTOCOL_LIST {
    pub ProtoNegoExt: DWORD,
    pub ProtocolListSize: USHORT,
    pub ProtocolList: [u8; 1],
}

/// SECBUFFER_APPLICATION_PROTOCOLS contents: ProtocolListsSize bytes of lists.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct SEC_APPLICATION_PROTOCOLS {
    pub ProtocolListsSize: ULONG,
    pub ProtocolLists: [SEC_APPLICATION_PROTOCOL_LIST; 1],
}

/// Decodes SCHANNEL_CRED / SCH_CREDENTIALS (AcquireCredentialsHandle's pAuthData for
/// Schannel). Unknown dwVersion → `SEC_E_UNKNOWN_CREDENTIALS`; a certificate context this
/// library did not create → `SEC_E_UNKNOWN_CREDENTIALS`.
///
/// # Safety
/// `p` points to a readable structure of the type its first DWORD names.
pub unsafe fn decode_schannel_cred(
    p: *const core::ffi::c_void,
) -> crate::status::SecResult<crate::package::SchannelCred> {
    use crate::status::Error;
    // SAFETY: both structures start with dwVersion.
    let version = unsafe { (p as *const DWORD).read_unaligned() };
    let (count, certs, root, enabled, disabled, flags) = match version {
        SCHANNEL_CRED_VERSION => {
            // SAFETY: dwVersion names SCHANNEL_CRED.
            let c = unsafe { (p as *const SCHANNEL_CRED).read_unaligned() };
            (
                c.cCreds,
                c.paCred,
                c.hRootStore,
                c.grbitEnabledProtocols,
                0,
                c.dwFlags,
            )
        }
        SCH_CREDENTIALS_VERSION => {
            // SAFETY: dwVersion names SCH_CREDENTIALS.
            let c = unsafe { (p as *const SCH_CREDENTIALS).read_unaligned() };
            let mut disabled = 0;
            if !c.pTlsParameters.is_null() && c.cTlsParameters <= 16 {
                for i in 0..c.cTlsParameters as usize {
                    // SAFETY: cTlsParameters entries per the documentation.
                    let t = unsafe { c.pTlsParameters.add(i).read_unaligned() };
                    // An entry naming ALPN ids applies to those only; the rest apply to all.
                    if t.cAlpnIds == 0 {
                        disabled |= t.grbitDisabledProtocols;
                    }
                }
            }
            (c.cCreds, c.paCred, c.hRootStore, 0, disabled, c.dwFlags)
        }
        _ => return Err(Error::UnknownCredentials),
    };
    if count > SCH_CRED_MAX_SUPPORTED_CERTS {
        return Err(Error::InvalidParameter);
    }
    let mut out = crate::package::SchannelCred {
        version,
        enabled_protocols: enabled,
        disabled_protocols: disabled,
        flags,
        ..Default::default()
    };
    if count > 0 && certs.is_null() {
        return Err(Error::InvalidParameter);
    }
    for i in 0..count as usize {
        // SAFETY: paCred holds cCreds PCCERT_CONTEXTs.
        let c = unsafe { certs.add(i).read_unaligned() };
        out.certs
            .push(super::certs::cert_material(c).ok_or(Error::UnknownCredentials)?);
    }
    if !root.is_null() {
        out.root_store = Some(super::certs::store_certs(root).ok_or(Error::UnknownCredentials)?);
    }
    Ok(out)
}

/// SECPKG_ATTR_SUPPORTED_ALGS (QueryCredentialsAttributes): the algorithms a credential
/// offers; `palgSupportedAlgs` is freed with FreeContextBuffer.
#[repr(C)]
pub struct SecPkgCred_SupportedAlgs {
    pub cSupportedAlgs: DWORD,
    pub palgSupportedAlgs: *mut ALG_ID,
}
/// Pointer to SecPkgCred_SupportedAlgs.
pub type PSecPkgCred_SupportedAlgs = *mut SecPkgCred_SupportedAlgs;

/// SECPKG_ATTR_CIPHER_STRENGTHS: the weakest and strongest bulk cipher, in bits.
#[repr(C)]
pub struct SecPkgCred_CipherStrengths {
    pub dwMinimumCipherStrength: DWORD,
    pub dwMaximumCipherStrength: DWORD,
}
/// Pointer to SecPkgCred_CipherStrengths.
pub type PSecPkgCred_CipherStrengths = *mut SecPkgCred_CipherStrengths;

/// SECPKG_ATTR_SUPPORTED_PROTOCOLS: the SP_PROT_* bits a credential enables.
#[repr(C)]
pub struct SecPkgCred_SupportedProtocols {
    pub grbitProtocol: DWORD,
}
/// Pointer to SecPkgCred_SupportedProtocols.
pub type PSecPkgCred_SupportedProtocols = *mut SecPkgCred_SupportedProtocols;
