//! The package traits: the Rust form of the SSP/AP function tables.
//!
//! `SecurityPackage` is `SpAcquireCredentialsHandle` and the package's `SecPkgInfo`;
//! `Credentials` holds what `SpAcquireCredentialsHandle` returned and starts contexts;
//! `Context` is `SpInitLsaModeContext` / `SpAcceptLsaModeContext` plus the
//! `SECPKG_USER_FUNCTION_TABLE` entries (`SpSealMessage`, `SpUnsealMessage`,
//! `SpMakeSignature`, `SpVerifySignature`, `SpQueryContextAttributes`, …).
//!
//! Every method takes `&self`: a context keeps its send and receive state apart (and locks
//! each on its own), so EncryptMessage and DecryptMessage can run on two threads at once.

use crate::buffers::SecBuffers;
use crate::status::{Error, Outcome, SecResult};
use core::ffi::c_void;
use parking_lot::RwLock;
use std::sync::Arc;
use zeroize::Zeroizing;

/// What EnumerateSecurityPackages reports for a package (SecPkgInfo).
#[derive(Debug)]
pub struct PackageInfo {
    /// `Name`, e.g. "NTLM".
    pub name: &'static str,
    /// Other names AcquireCredentialsHandle accepts (case-insensitive).
    pub aliases: &'static [&'static str],
    /// `Comment`.
    pub comment: &'static str,
    /// `fCapabilities` (SECPKG_FLAG_*).
    pub capabilities: u32,
    /// `wVersion`.
    pub version: u16,
    /// `wRPCID`.
    pub rpc_id: u16,
    /// `cbMaxToken`.
    pub max_token: u32,
}

impl PackageInfo {
    /// Case-insensitive match against the name and aliases, as Windows does.
    pub fn matches(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }
}

/// A user name, domain and password from SEC_WINNT_AUTH_IDENTITY(_EX)_A/W, decoded to UTF-8.
/// `None` is a NULL pointer; `Some("")` an empty string (they mean different things).
#[derive(Default)]
pub struct Identity {
    pub user: Option<String>,
    pub domain: Option<String>,
    pub password: Option<Zeroizing<String>>,
    /// PackageList of the _EX form (Negotiate), if any.
    pub package_list: Option<String>,
}

impl core::fmt::Debug for Identity {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Identity")
            .field("user", &self.user)
            .field("domain", &self.domain)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

/// The package-specific `pAuthData` of AcquireCredentialsHandle, decoded at the boundary.
#[derive(Debug, Default)]
pub enum AuthData {
    /// NULL pAuthData: default credentials.
    #[default]
    None,
    /// SEC_WINNT_AUTH_IDENTITY_A/W or SEC_WINNT_AUTH_IDENTITY_EXA/W.
    Identity(Identity),
    /// SCHANNEL_CRED or SCH_CREDENTIALS (Schannel).
    Schannel(SchannelCred),
}

/// A certificate from a `PCCERT_CONTEXT`: the DER chain (leaf first) and, when the context
/// carries one (PFXImportCertStore), the PKCS#8 private key.
#[derive(Default)]
pub struct CertMaterial {
    pub chain: Vec<Vec<u8>>,
    pub key: Option<Zeroizing<Vec<u8>>>,
}

impl core::fmt::Debug for CertMaterial {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CertMaterial")
            .field("chain", &self.chain.len())
            .field("key", &self.key.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

/// SCHANNEL_CRED (version 4) or SCH_CREDENTIALS (version 5), decoded at the boundary.
#[derive(Debug, Default)]
pub struct SchannelCred {
    /// dwVersion (SCHANNEL_CRED_VERSION 4 or SCH_CREDENTIALS_VERSION 5).
    pub version: u32,
    /// paCred.
    pub certs: Vec<CertMaterial>,
    /// hRootStore's certificates, if a root store was given.
    pub root_store: Option<Vec<Vec<u8>>>,
    /// grbitEnabledProtocols (version 4; 0 = system default).
    pub enabled_protocols: u32,
    /// Union of the TLS_PARAMETERS' grbitDisabledProtocols (version 5).
    pub disabled_protocols: u32,
    /// dwFlags (SCH_CRED_*).
    pub flags: u32,
}

/// AcquireCredentialsHandle's arguments, decoded.
#[derive(Debug)]
pub struct CredentialRequest {
    /// pszPrincipal.
    pub principal: Option<String>,
    /// fCredentialUse (SECPKG_CRED_INBOUND / OUTBOUND / BOTH).
    pub usage: u32,
    /// pAuthData.
    pub auth: AuthData,
}

/// AcquireCredentialsHandle's pointer arguments exactly as the caller passed them, for
/// packages that take them raw (plug-ins loaded by `crate::sspap`).
#[derive(Debug)]
pub struct RawCredentialArgs {
    /// pvLogonId.
    pub logon_id: *mut c_void,
    /// pAuthData.
    pub auth_data: *mut c_void,
    /// pGetKeyFn.
    pub get_key_fn: *mut c_void,
    /// pvGetKeyArgument.
    pub get_key_arg: *mut c_void,
}

/// A registered security package.
pub trait SecurityPackage: Send + Sync + 'static {
    /// SecPkgInfo values.
    fn info(&self) -> &'static PackageInfo;
    /// AcquireCredentialsHandle.
    fn acquire_credentials(&self, req: CredentialRequest) -> SecResult<Arc<dyn Credentials>>;
    /// AcquireCredentialsHandle for packages that read the caller's pAuthData themselves
    /// (plug-ins). `None`, the default: decode pAuthData and call `acquire_credentials`.
    ///
    /// # Safety
    /// The pointers are the caller's, valid as AcquireCredentialsHandle documents.
    unsafe fn acquire_credentials_raw(
        &self,
        _principal: Option<&str>,
        _usage: u32,
        _raw: &RawCredentialArgs,
    ) -> Option<SecResult<Arc<dyn Credentials>>> {
        None
    }
    /// ImportSecurityContext: a context from what ExportSecurityContext produced, with the
    /// credentials it stands for.
    fn import_context(
        &self,
        _packed: &[u8],
    ) -> SecResult<(Box<dyn Context>, Arc<dyn Credentials>)> {
        Err(Error::UnsupportedFunction)
    }
}

/// Values of QueryContextAttributes / QueryCredentialsAttributes, independent of A/W; the
/// boundary writes each into its C struct.
#[derive(Debug)]
pub enum Attribute {
    /// SECPKG_ATTR_SIZES.
    Sizes {
        max_token: u32,
        max_signature: u32,
        block_size: u32,
        security_trailer: u32,
    },
    /// SECPKG_ATTR_STREAM_SIZES.
    StreamSizes {
        header: u32,
        trailer: u32,
        maximum_message: u32,
        buffers: u32,
        block_size: u32,
    },
    /// SECPKG_ATTR_NAMES / SECPKG_CRED_ATTR_NAMES.
    Names(String),
    /// SECPKG_ATTR_LIFESPAN (FILETIME values).
    Lifespan { start: i64, expiry: i64 },
    /// SECPKG_ATTR_DCE_INFO.
    DceInfo { authz_svc: u32 },
    /// SECPKG_ATTR_KEY_INFO.
    KeyInfo {
        signature_algorithm_name: &'static str,
        encrypt_algorithm_name: &'static str,
        key_size: u32,
        signature_algorithm: u32,
        encrypt_algorithm: u32,
    },
    /// SECPKG_ATTR_AUTHORITY.
    Authority(String),
    /// SECPKG_ATTR_SESSION_KEY.
    SessionKey(Zeroizing<Vec<u8>>),
    /// SECPKG_ATTR_PACKAGE_INFO: the context's package.
    PackageInfo(&'static PackageInfo),
    /// SECPKG_ATTR_NEGOTIATION_INFO: package and SECPKG_NEGOTIATION_* state.
    NegotiationInfo {
        package: &'static PackageInfo,
        state: u32,
    },
    /// SECPKG_ATTR_NATIVE_NAMES.
    NativeNames { client: String, server: String },
    /// SECPKG_ATTR_FLAGS.
    Flags(u32),
    /// SECPKG_ATTR_PASSWORD_EXPIRY (FILETIME).
    PasswordExpiry(i64),
    /// SECPKG_ATTR_CLIENT_SPECIFIED_TARGET.
    ClientSpecifiedTarget(String),
    /// SECPKG_ATTR_UNIQUE_BINDINGS / SECPKG_ATTR_ENDPOINT_BINDINGS: a SEC_CHANNEL_BINDINGS
    /// whose application data is these bytes.
    Bindings(Vec<u8>),
    /// SECPKG_ATTR_APPLICATION_PROTOCOL (Schannel): status and the protocol id.
    ApplicationProtocol {
        status: u32,
        ext: u32,
        protocol: Vec<u8>,
    },
    /// SECPKG_ATTR_CONNECTION_INFO (Schannel): SecPkgContext_ConnectionInfo, Microsoft Learn
    /// "SecPkgContext_ConnectionInfo structure (schannel.h)". Seven DWORDs (28 bytes); the
    /// algorithms are CALG_* ALG_IDs (0 where none exists, e.g. ChaCha20-Poly1305's cipher),
    /// the strengths in bits.
    ConnectionInfo {
        /// dwProtocol: the SP_PROT_*_CLIENT / _SERVER bit of the negotiated version.
        protocol: u32,
        /// aiCipher.
        cipher: u32,
        /// dwCipherStrength.
        cipher_strength: u32,
        /// aiHash.
        hash: u32,
        /// dwHashStrength.
        hash_strength: u32,
        /// aiExch.
        exch: u32,
        /// dwExchStrength.
        exch_strength: u32,
    },
    /// SECPKG_ATTR_CIPHER_INFO (Schannel): SecPkgContext_CipherInfo, Microsoft Learn
    /// "SecPkgContext_CipherInfo structure (schannel.h)". The boundary writes dwVersion
    /// (SECPKGCONTEXT_CIPHERINFO_V1) and each string as a NUL-terminated
    /// WCHAR[SZ_ALG_MAX_SIZE] (64, at most 63 characters kept); key and exchange lengths in
    /// bits, the cipher block length in bytes.
    CipherInfo {
        /// dwProtocol: the TLS wire version (0x0303, 0x0304).
        protocol: u32,
        /// dwCipherSuite: the IANA suite number.
        cipher_suite: u32,
        /// dwBaseCipherSuite.
        base_cipher_suite: u32,
        /// szCipherSuite ("TLS_AES_128_GCM_SHA256", …).
        cipher_suite_name: &'static str,
        /// szCipher.
        cipher: &'static str,
        /// dwCipherLen: the key length in bits.
        cipher_len: u32,
        /// dwCipherBlockLen: the cipher's block length in bytes (16 for AES).
        cipher_block_len: u32,
        /// szHash.
        hash: &'static str,
        /// dwHashLen.
        hash_len: u32,
        /// szExchange.
        exchange: &'static str,
        /// dwMinExchangeLen.
        min_exchange_len: u32,
        /// dwMaxExchangeLen.
        max_exchange_len: u32,
        /// szCertificate: the certificate's key kind ("RSA", "ECDSA").
        certificate: &'static str,
        /// dwKeyType: the key-exchange named group (IANA).
        key_type: u32,
    },
    /// SECPKG_ATTR_SESSION_INFO (Schannel): SecPkgContext_SessionInfo, Microsoft Learn
    /// "SecPkgContext_SessionInfo structure (schannel.h)". dwFlags (SSL_SESSION_RECONNECT for
    /// a resumed session); the boundary writes cbSessionId 0 and rgbSessionId zeroed.
    SessionInfo {
        /// dwFlags: SSL_SESSION_RECONNECT when the session was resumed, else 0.
        flags: u32,
    },
    /// SECPKG_ATTR_SUPPORTED_PROTOCOLS (QueryCredentialsAttributes, Schannel):
    /// SecPkgCred_SupportedProtocols.grbitProtocol, the SP_PROT_* bits a credential enables
    /// (Microsoft Learn "SecPkgCred_SupportedProtocols structure (schannel.h)").
    SupportedProtocols(u32),
    /// SECPKG_ATTR_CIPHER_STRENGTHS (QueryCredentialsAttributes, Schannel):
    /// SecPkgCred_CipherStrengths, the weakest and strongest bulk cipher in bits (Microsoft
    /// Learn "SecPkgCred_CipherStrengths structure (schannel.h)").
    CipherStrengths {
        /// dwMinimumCipherStrength.
        minimum: u32,
        /// dwMaximumCipherStrength.
        maximum: u32,
    },
    /// SECPKG_ATTR_SUPPORTED_ALGS (SecPkgCred_SupportedAlgs): a count and an array of ALG_IDs
    /// the boundary allocates (freed with FreeContextBuffer).
    AlgList(Vec<u32>),
    /// SECPKG_ATTR_REMOTE_CERT_CONTEXT / LOCAL_CERT_CONTEXT: a DER chain (leaf first) the
    /// boundary turns into a new PCCERT_CONTEXT.
    CertContext(Vec<Vec<u8>>),
}

/// One step of InitializeSecurityContext / AcceptSecurityContext.
pub struct Step<'s, 'a> {
    /// pszTargetName (ISC only), UTF-8.
    pub target: Option<&'s str>,
    /// fContextReq (ISC_REQ_* / ASC_REQ_*).
    pub req_flags: u32,
    /// pInput (may be absent on the first ISC call).
    pub input: Option<&'s mut SecBuffers<'a>>,
    /// pOutput; its `allocate()` reflects ISC_REQ_ALLOCATE_MEMORY / ASC_REQ_ALLOCATE_MEMORY.
    pub output: Option<&'s mut SecBuffers<'a>>,
    /// Out: pfContextAttr (ISC_RET_* / ASC_RET_*).
    pub ret_flags: u32,
    /// Out: ptsExpiry (FILETIME, i64::MAX for never).
    pub expiry: i64,
}

impl Step<'_, '_> {
    /// The first SECBUFFER_TOKEN of pInput, copied; none or an empty one → SEC_E_INVALID_TOKEN.
    pub fn input_token(&self) -> SecResult<Vec<u8>> {
        let inp = self.input.as_deref().ok_or(Error::InvalidToken)?;
        let i = inp
            .find(crate::ffi::consts::SECBUFFER_TOKEN)
            .ok_or(Error::InvalidToken)?;
        let b = inp.bytes(i)?;
        if b.is_empty() {
            return Err(Error::InvalidToken);
        }
        Ok(b.to_vec())
    }

    /// MD5 of the caller's SECBUFFER_CHANNEL_BINDINGS ([`channel_bindings_hash`]), if pInput
    /// has one.
    pub fn input_bindings(&self) -> SecResult<Option<[u8; 16]>> {
        let Some(inp) = self.input.as_deref() else {
            return Ok(None);
        };
        match inp.find(crate::ffi::consts::SECBUFFER_CHANNEL_BINDINGS) {
            Some(i) => channel_bindings_hash(inp.bytes(i)?).map(Some),
            None => Ok(None),
        }
    }
}

/// The result of an unseal or verify: the QOP the sender used (pfQOP) and the outcome
/// (`Ok`, or Schannel's `Renegotiate` / `ContextExpired`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unsealed {
    pub qop: u32,
    pub outcome: Outcome,
}

/// Credentials returned by AcquireCredentialsHandle.
pub trait Credentials: Send + Sync + 'static {
    /// The package these credentials belong to.
    fn package(&self) -> &'static PackageInfo;
    /// SECPKG_CRED_INBOUND / OUTBOUND / BOTH.
    fn usage(&self) -> u32;
    /// The first InitializeSecurityContext call: a new client context (no step run yet).
    fn new_client_context(self: Arc<Self>) -> SecResult<Box<dyn Context>>;
    /// The first AcceptSecurityContext call: a new server context (no step run yet).
    fn new_server_context(self: Arc<Self>) -> SecResult<Box<dyn Context>>;
    /// QueryCredentialsAttributes.
    fn query_attribute(&self, _attr: u32) -> SecResult<Attribute> {
        Err(Error::UnsupportedFunction)
    }
    /// QueryCredentialsAttributes for packages that write the caller's struct themselves
    /// (plug-ins). `None`, the default: `query_attribute` answers.
    /// `wide`: the W function was called (else A: strings come back UTF-8).
    ///
    /// # Safety
    /// `buffer` is the caller's struct for `attr`, as QueryCredentialsAttributesW documents.
    unsafe fn query_attribute_raw(
        &self,
        _attr: u32,
        _buffer: *mut c_void,
        _wide: bool,
    ) -> Option<SecResult<()>> {
        None
    }
    /// SetCredentialsAttributes with the caller's struct bytes.
    fn set_attribute(&self, _attr: u32, _value: &[u8]) -> SecResult<()> {
        Err(Error::UnsupportedFunction)
    }
}

/// A security context (SpInitLsaModeContext … SpVerifySignature).
pub trait Context: Send + Sync + 'static {
    /// The package this context belongs to.
    fn package(&self) -> &'static PackageInfo;
    /// InitializeSecurityContext step.
    fn initialize(&self, step: &mut Step<'_, '_>) -> SecResult<Outcome>;
    /// AcceptSecurityContext step.
    fn accept(&self, step: &mut Step<'_, '_>) -> SecResult<Outcome>;
    /// CompleteAuthToken.
    fn complete_auth_token(&self, _token: &mut SecBuffers<'_>) -> SecResult<()> {
        Ok(())
    }
    /// ApplyControlToken.
    fn apply_control_token(&self, _input: &mut SecBuffers<'_>) -> SecResult<()> {
        Err(Error::UnsupportedFunction)
    }
    /// EncryptMessage (SpSealMessage).
    fn seal(&self, qop: u32, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<()>;
    /// DecryptMessage (SpUnsealMessage).
    fn unseal(&self, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<Unsealed>;
    /// MakeSignature (SpMakeSignature).
    fn make_signature(&self, qop: u32, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<()>;
    /// VerifySignature (SpVerifySignature); returns pfQOP.
    fn verify_signature(&self, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<u32>;
    /// QueryContextAttributes.
    fn query_attribute(&self, attr: u32) -> SecResult<Attribute>;
    /// QueryContextAttributes for packages that write the caller's struct themselves
    /// (plug-ins). `None`, the default: `query_attribute` answers.
    /// `wide`: the W function was called (else A: strings come back UTF-8).
    ///
    /// # Safety
    /// `buffer` is the caller's struct for `attr`, as QueryContextAttributesW documents.
    unsafe fn query_attribute_raw(
        &self,
        _attr: u32,
        _buffer: *mut c_void,
        _wide: bool,
    ) -> Option<SecResult<()>> {
        None
    }
    /// SetContextAttributes with the caller's struct bytes.
    fn set_attribute(&self, _attr: u32, _value: &[u8]) -> SecResult<()> {
        Err(Error::UnsupportedFunction)
    }
    /// Whether this mechanism asks SPNEGO for a mechListMIC once established (MS-SPNG
    /// §3.1.5.1: NTLM when its AUTHENTICATE_MESSAGE carried a MIC). Default: no.
    fn mech_list_mic_required(&self) -> bool {
        false
    }
    /// Resets the per-message cipher state of one direction (`outbound` = the MakeSignature
    /// side) after the SPNEGO mechListMIC. MS-SPNG §3.1.5.1: NTLM gets a fresh RC4 handle, its
    /// sequence number carries on. Default: nothing (Kerberos keeps counting, RFC 4121).
    fn reset_message_state(&self, _outbound: bool) {}
    /// Our SPNEGO mechListMIC (RFC 4178 §5, MS-SPNG §3.1.5.1) over `der`, the MechTypeList DER
    /// exactly as the initiator sent it; returns the MIC token (at most cbMaxSignature bytes).
    /// Default ([`make_mech_list_mic_by_signature`]): MakeSignature over `[DATA(der),
    /// TOKEN(cbMaxSignature)]` — it takes the next send sequence number, as MIT's gss_get_mic
    /// and sspi-rs do — then `reset_message_state(true)`. Errors: MakeSignature's.
    fn make_mech_list_mic(&self, der: &[u8]) -> SecResult<Vec<u8>> {
        make_mech_list_mic_by_signature(self, der)
    }
    /// Verifies the peer's SPNEGO mechListMIC `mic` over `der` (the MechTypeList DER as sent).
    /// Default ([`verify_mech_list_mic_by_signature`]): VerifySignature over `[DATA(der),
    /// TOKEN(mic)]` (the receive sequence rules apply), then `reset_message_state(false)`.
    /// Kerberos overrides it: the sequence number is not required to match (Windows signs with
    /// 0). Errors: VerifySignature's (SEC_E_MESSAGE_ALTERED, SEC_E_INVALID_TOKEN,
    /// SEC_E_OUT_OF_SEQUENCE); a failure consumes nothing.
    fn verify_mech_list_mic(&self, der: &[u8], mic: &[u8]) -> SecResult<()> {
        verify_mech_list_mic_by_signature(self, der, mic)
    }
    /// ExportSecurityContext.
    fn export(&self, _flags: u32) -> SecResult<Vec<u8>> {
        Err(Error::UnsupportedFunction)
    }
    /// SaslGetContextOption(SASL_OPTION_SEND_SIZE)'s default once the handshake is done, if the
    /// package negotiates a buffer size (DIGEST-MD5's maxbuf): the peer's size minus
    /// cbBlockSize, cbSecurityTrailer and cbMaxSignature (SaslSetContextOption), 0 without a
    /// security layer.
    fn sasl_send_size(&self) -> Option<u32> {
        None
    }
    /// Server: the authorization identity the client sent during the handshake (DIGEST-MD5's
    /// authzid), read back as SaslGetContextOption(SASL_OPTION_AUTHZ_STRING).
    fn sasl_peer_authz(&self) -> Option<Vec<u8>> {
        None
    }
    /// SaslSetContextOption's SASL_OPTION_AUTHZ_STRING (client: the authorization identity to
    /// send) and SASL_OPTION_AUTHZ_PROCESSING (server: whether a client's authorization identity
    /// is accepted), handed to the context before each Sasl* handshake step.
    fn set_sasl_authz(&self, _authz: Option<&[u8]>, _processed: bool) {}
    /// SaslSetContextOption's SASL_OPTION_RECV_SIZE when the application set one (None: the
    /// package's default), handed to the context before each Sasl* handshake step: the largest
    /// buffer this side announces it can receive (DIGEST-MD5's maxbuf).
    fn set_sasl_recv_size(&self, _size: Option<u32>) {}
}

/// [`Context::make_mech_list_mic`]'s default: MakeSignature (QOP 0) of `ctx` over
/// `[SECBUFFER_DATA(der), SECBUFFER_TOKEN(cbMaxSignature from SECPKG_ATTR_SIZES)]`, then
/// `reset_message_state(true)` (MS-SPNG §3.1.5.1). Returns the TOKEN as written.
pub fn make_mech_list_mic_by_signature<C: Context + ?Sized>(
    ctx: &C,
    der: &[u8],
) -> SecResult<Vec<u8>> {
    use crate::ffi::consts::{SECBUFFER_DATA, SECBUFFER_TOKEN, SECPKG_ATTR_SIZES};
    let max = match ctx.query_attribute(SECPKG_ATTR_SIZES)? {
        Attribute::Sizes { max_signature, .. } => max_signature as usize,
        _ => return Err(Error::InternalError),
    };
    let mut data = der.to_vec();
    let mut sig = vec![0u8; max];
    let n = {
        let mut parts = [
            (SECBUFFER_DATA, &mut data[..]),
            (SECBUFFER_TOKEN, &mut sig[..]),
        ];
        SecBuffers::with_parts(&mut parts, |b| -> SecResult<usize> {
            ctx.make_signature(0, b, 0)?;
            Ok(b.size(1))
        })??
    };
    sig.truncate(n);
    ctx.reset_message_state(true);
    Ok(sig)
}

/// [`Context::verify_mech_list_mic`]'s default: VerifySignature of `ctx` over
/// `[SECBUFFER_DATA(der), SECBUFFER_TOKEN(mic)]`, then `reset_message_state(false)` (MS-SPNG
/// §3.1.5.1). Errors: VerifySignature's, nothing reset.
pub fn verify_mech_list_mic_by_signature<C: Context + ?Sized>(
    ctx: &C,
    der: &[u8],
    mic: &[u8],
) -> SecResult<()> {
    use crate::ffi::consts::{SECBUFFER_DATA, SECBUFFER_TOKEN};
    let mut data = der.to_vec();
    let mut sig = mic.to_vec();
    let mut parts = [
        (SECBUFFER_DATA, &mut data[..]),
        (SECBUFFER_TOKEN, &mut sig[..]),
    ];
    SecBuffers::with_parts(&mut parts, |b| ctx.verify_signature(b, 0))??;
    ctx.reset_message_state(false);
    Ok(())
}

/// The 16-byte channel-binding hash both NTLM (MS-NLMP §3.1.5.1.2, MsvAvChannelBindings) and
/// Kerberos (RFC 4121 §4.1.1.2, the Bnd field) carry: MD5 of the gss_channel_bindings_struct
/// built from a SEC_CHANNEL_BINDINGS and the data after it (offsets relative to the struct's
/// start; each length as a 32-bit little-endian word before its bytes).
/// Errors: a struct shorter than its 32-byte header or an offset/length outside the buffer →
/// SEC_E_INVALID_TOKEN.
pub fn channel_bindings_hash(cb: &[u8]) -> SecResult<[u8; 16]> {
    use md5::{Digest, Md5};
    let u32_at = |at: usize| -> SecResult<u32> {
        cb.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or(Error::InvalidToken)
    };
    let part = |len_at: usize, off_at: usize| -> SecResult<&[u8]> {
        let len = u32_at(len_at)? as usize;
        let off = u32_at(off_at)? as usize;
        if len == 0 {
            return Ok(&[]);
        }
        off.checked_add(len)
            .and_then(|end| cb.get(off..end))
            .ok_or(Error::InvalidToken)
    };
    let init = part(4, 8)?;
    let acc = part(16, 20)?;
    let app = part(24, 28)?;
    let mut h = Md5::new();
    h.update(u32_at(0)?.to_le_bytes());
    h.update((init.len() as u32).to_le_bytes());
    h.update(init);
    h.update(u32_at(12)?.to_le_bytes());
    h.update((acc.len() as u32).to_le_bytes());
    h.update(acc);
    h.update((app.len() as u32).to_le_bytes());
    h.update(app);
    Ok(h.finalize().into())
}

/// The registry behind EnumerateSecurityPackages: only packages that work.
pub fn registry() -> &'static [&'static dyn SecurityPackage] {
    static PACKAGES: &[&dyn SecurityPackage] = &[
        &crate::packages::negotiate::Negotiate,
        &crate::packages::ntlm::Ntlm,
        &crate::packages::kerberos::Kerberos,
        &crate::packages::schannel::SCHANNEL,
        &crate::packages::schannel::UNISP,
        &crate::packages::digest::Digest,
    ];
    PACKAGES
}

/// Packages added at run time (SSP/AP plug-ins: AddSecurityPackage, `SECUR32_PACKAGES`),
/// after the built-in ones. Append-only; read only when a name is not built in and by the
/// enumeration, never on the message path.
static ADDED: RwLock<Vec<&'static dyn SecurityPackage>> = RwLock::new(Vec::new());

/// Adds a package after the built-in ones. A name or alias (case-insensitive) already
/// registered → `SEC_E_INVALID_PARAMETER`, nothing added.
pub fn register(p: &'static dyn SecurityPackage) -> SecResult<()> {
    let info = p.info();
    let clash = |q: &&'static dyn SecurityPackage| {
        let qi = q.info();
        qi.matches(info.name) || info.aliases.iter().any(|a| qi.matches(a))
    };
    let mut added = ADDED.write();
    if registry().iter().any(clash) || added.iter().any(clash) {
        return Err(Error::InvalidParameter);
    }
    added.push(p);
    Ok(())
}

/// Every package: the built-in ones, then those added at run time (loading the configured
/// plug-ins the first time).
pub fn all() -> Vec<&'static dyn SecurityPackage> {
    crate::sspap::load_configured();
    let mut v = registry().to_vec();
    v.extend(ADDED.read().iter().copied());
    v
}

/// Finds a package by name, case-insensitively: built-in packages first (no lock), then those
/// added at run time.
pub fn find(name: &str) -> Option<&'static dyn SecurityPackage> {
    if let Some(p) = registry().iter().copied().find(|p| p.info().matches(name)) {
        return Some(p);
    }
    crate::sspap::load_configured();
    ADDED
        .read()
        .iter()
        .copied()
        .find(|p| p.info().matches(name))
}
