//! Schannel (TLS 1.2 / 1.3) over rustls with the ring provider.
//!
//! The handshake runs on rustls's unbuffered connection, one complete record at a time, so
//! the bytes after the last handshake record go back to the caller as SECBUFFER_EXTRA. Once
//! it completes, the keys move to [`record`] (ring AEAD, in place in the caller's buffers)
//! and rustls's kernel connection only computes new secrets on TLS 1.3 KeyUpdate.
#![deny(unsafe_code)] // (record.rs: one test reads a key's bytes)

mod attributes;
pub mod capi;
mod context;
mod credentials;
mod handshake;
mod record;
mod verify;

use crate::buffers::SecBuffers;
use crate::ffi::consts::*;
use crate::ffi::schannel::{
    SecApplicationProtocolNegotiationExt_ALPN, SecApplicationProtocolNegotiationExt_None,
    SecApplicationProtocolNegotiationStatus_None, SecApplicationProtocolNegotiationStatus_Success,
    CALG_AES_128, CALG_AES_256, CALG_ECDH_EPHEM, CALG_ECDSA, CALG_RSA_SIGN, CALG_SHA_256,
    CALG_SHA_384, SCHANNEL_ALERT, SCHANNEL_CRED_VERSION, SCHANNEL_RENEGOTIATE, SCHANNEL_SESSION,
    SCHANNEL_SHUTDOWN, SCH_CRED_DISABLE_RECONNECTS, SCH_CRED_MANUAL_CRED_VALIDATION,
    SCH_CRED_NO_SERVERNAME_CHECK, SECPKG_ATTR_CIPHER_INFO, SECPKG_ATTR_CIPHER_STRENGTHS,
    SECPKG_ATTR_CONNECTION_INFO, SECPKG_ATTR_LOCAL_CERT_CONTEXT, SECPKG_ATTR_REMOTE_CERT_CONTEXT,
    SECPKG_ATTR_SESSION_INFO, SECPKG_ATTR_SUPPORTED_ALGS, SECPKG_ATTR_SUPPORTED_PROTOCOLS,
    SP_PROT_TLS1_2, SP_PROT_TLS1_2_CLIENT, SP_PROT_TLS1_2_SERVER, SP_PROT_TLS1_3,
    SP_PROT_TLS1_3_CLIENT, SP_PROT_TLS1_3_SERVER, SSL_SESSION_RECONNECT, TLS1_ALERT_CLOSE_NOTIFY,
    TLS1_ALERT_FATAL, TLS1_ALERT_NO_RENEGOTIATION, TLS1_ALERT_WARNING,
};
use crate::package::{
    Attribute, AuthData, CertMaterial, Context, CredentialRequest, Credentials, PackageInfo,
    SchannelCred, SecurityPackage, Step, Unsealed,
};
use crate::status::{Error, Outcome, SecResult};
use parking_lot::Mutex;
use record::{Keys, Version};
use rustls::client::{ClientConnectionData, Resumption, UnbufferedClientConnection};
use rustls::crypto::CryptoProvider;
use rustls::kernel::KernelConnection;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::server::{ServerConnectionData, UnbufferedServerConnection};
use rustls::sign::CertifiedKey;
use rustls::unbuffered::{ConnectionState, EncodeError};
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedProtocolVersion};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use verify::{map_error, AnyClientCert, ClientCert, ServerCert, ServerVerifier};

/// The Schannel package, under one of the names Windows lists it by.
pub struct Schannel(pub &'static PackageInfo);

/// "Schannel".
pub static SCHANNEL: Schannel = Schannel(&INFO);
/// UNISP_NAME ("Microsoft Unified Security Protocol Provider"), the same provider.
pub static UNISP: Schannel = Schannel(&UNISP_INFO);

/// SecPkgInfo as Windows 10 reports it for Schannel.
pub static INFO: PackageInfo = PackageInfo {
    name: "Schannel",
    aliases: &[],
    comment: "Schannel Security Package",
    capabilities: 0x0041_07B3,
    version: 1,
    rpc_id: 14,
    max_token: 24576,
};

/// SecPkgInfo for UNISP_NAME; "Default TLS SSP" is accepted as another name for it.
pub static UNISP_INFO: PackageInfo = PackageInfo {
    name: "Microsoft Unified Security Protocol Provider",
    aliases: &["Default TLS SSP"],
    comment: "Schannel Security Package",
    capabilities: 0x0041_07B3,
    version: 1,
    rpc_id: 14,
    max_token: 24576,
};

/// Whether a package is Schannel (its pAuthData is SCHANNEL_CRED / SCH_CREDENTIALS).
pub fn is_schannel(info: &PackageInfo) -> bool {
    core::ptr::eq(info, &INFO) || core::ptr::eq(info, &UNISP_INFO)
}

fn provider() -> Arc<CryptoProvider> {
    static P: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    P.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

/// Directory of the emulated system stores ("ROOT", "MY" sub-directories).
pub fn cert_store_dir() -> Option<std::path::PathBuf> {
    std::env::var_os("SECUR32_CERT_STORE_DIR").map(Into::into)
}

/// The default trusted roots: the system's (rustls-native-certs honours SSL_CERT_FILE and
/// SSL_CERT_DIR) plus PEM/DER files in `$SECUR32_CERT_STORE_DIR/ROOT`.
/// The roots a client trusts by default (CertGetCertificateChain's default engine too).
pub fn trusted_root_ders() -> Vec<Vec<u8>> {
    default_roots()
}

fn default_roots() -> Vec<Vec<u8>> {
    let native = rustls_native_certs::load_native_certs();
    for e in &native.errors {
        crate::log!(crate::log::Level::Warn, "schannel: system roots: {e}");
    }
    let mut roots: Vec<Vec<u8>> = native.certs.into_iter().map(|c| c.to_vec()).collect();
    if crate::log::enabled(crate::log::Level::Trace) {
        use x509_parser::prelude::*;
        for r in &roots {
            if let Ok((_, c)) = X509Certificate::from_der(r) {
                crate::log!(crate::log::Level::Trace, "schannel: root {}", c.subject());
            }
        }
    }
    crate::log!(
        crate::log::Level::Debug,
        "schannel: {} system roots",
        roots.len()
    );
    if let Some(dir) = cert_store_dir() {
        roots.extend(load_cert_dir(&dir.join("ROOT")));
    }
    roots
}

/// DER certificates from the PEM (.pem/.crt/.cer) and DER (.der) files of a directory.
pub fn load_cert_dir(dir: &std::path::Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut paths: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        if bytes.starts_with(b"-----") || bytes.windows(11).any(|w| w == b"-----BEGIN ") {
            for c in rustls_pemfile::certs(&mut bytes.as_slice()).flatten() {
                out.push(c.to_vec());
            }
        } else if p.extension().is_some_and(|e| e == "der" || e == "cer") {
            out.push(bytes);
        }
    }
    out
}

fn certified_key(m: &CertMaterial) -> SecResult<Option<Arc<CertifiedKey>>> {
    let Some(key) = &m.key else {
        return Ok(None);
    };
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.to_vec()));
    let signer = provider().key_provider.load_private_key(key).map_err(|e| {
        crate::log!(
            crate::log::Level::Warn,
            "schannel: private key refused: {e}"
        );
        Error::UnknownCredentials
    })?;
    let chain = m
        .chain
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    Ok(Some(Arc::new(CertifiedKey::new(chain, signer))))
}

impl SecurityPackage for Schannel {
    fn info(&self) -> &'static PackageInfo {
        self.0
    }

    fn acquire_credentials(&self, req: CredentialRequest) -> SecResult<Arc<dyn Credentials>> {
        let cred = match req.auth {
            AuthData::None => SchannelCred {
                version: SCHANNEL_CRED_VERSION,
                ..Default::default()
            },
            AuthData::Schannel(c) => c,
            AuthData::Identity(_) => return Err(Error::UnknownCredentials),
        };
        // TLS 1.2 / 1.3 only: other protocols alone → SEC_E_ALGORITHM_MISMATCH.
        let mut want = SP_PROT_TLS1_2 | SP_PROT_TLS1_3;
        if cred.version == SCHANNEL_CRED_VERSION && cred.enabled_protocols != 0 {
            want &= cred.enabled_protocols;
        }
        want &= !cred.disabled_protocols;
        let mut versions: Vec<&'static SupportedProtocolVersion> = Vec::new();
        if want & SP_PROT_TLS1_3 != 0 {
            versions.push(&rustls::version::TLS13);
        }
        if want & SP_PROT_TLS1_2 != 0 {
            versions.push(&rustls::version::TLS12);
        }
        if versions.is_empty() {
            return Err(Error::AlgorithmMismatch);
        }
        // Windows (Wine dlls/secur32/tests/schannel.c, run on Windows): more than one
        // certificate → SEC_E_UNKNOWN_CREDENTIALS; a certificate without a reachable private
        // key → SEC_E_NO_CREDENTIALS.
        if cred.certs.len() > 1 {
            return Err(Error::UnknownCredentials);
        }
        let mut key = None;
        for m in &cred.certs {
            match certified_key(m)? {
                Some(k) => key = Some(k),
                None => return Err(Error::NoCredentials),
            }
        }
        if req.usage & SECPKG_CRED_INBOUND != 0 && key.is_none() {
            return Err(Error::NoCredentials);
        }
        let root_ders = match cred.root_store {
            Some(list) => list,
            None if req.usage & SECPKG_CRED_OUTBOUND != 0 => default_roots(),
            None => Vec::new(),
        };
        let mut roots = RootCertStore::empty();
        let mut self_signed = std::collections::HashSet::new();
        for der in root_ders {
            if roots.add(CertificateDer::from(der.clone())).is_ok() {
                self_signed.insert(
                    ring::digest::digest(&ring::digest::SHA256, &der)
                        .as_ref()
                        .to_vec(),
                );
            }
        }
        let webpki = if roots.is_empty() {
            None
        } else {
            rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .ok()
        };
        let trusted = Arc::new(self_signed);
        let verifiers = [(false, false), (false, true), (true, false), (true, true)].map(
            |(manual, check_name)| {
                Arc::new(ServerVerifier {
                    webpki: webpki.clone(),
                    trusted: trusted.clone(),
                    manual,
                    check_name,
                    provider: provider(),
                })
            },
        );
        let client_cert = Arc::new(ClientCert { key: key.clone() });
        Ok(Arc::new(SchannelCredentials {
            info: self.0,
            usage: req.usage,
            flags: cred.flags,
            versions,
            key,
            verifiers,
            client_cert,
            sessions: [
                Arc::new(rustls::client::ClientSessionMemoryCache::new(64)),
                Arc::new(rustls::client::ClientSessionMemoryCache::new(64)),
            ],
            server_sessions: rustls::server::ServerSessionMemoryCache::new(256),
        }))
    }
}

struct SchannelCredentials {
    info: &'static PackageInfo,
    usage: u32,
    flags: u32,
    versions: Vec<&'static SupportedProtocolVersion>,
    key: Option<Arc<CertifiedKey>>,
    /// Server certificate checks by [manual * 2 + check_name]: shared by the credentials'
    /// contexts, as rustls resumes only with the verifier that checked the session.
    verifiers: [Arc<ServerVerifier>; 4],
    client_cert: Arc<ClientCert>,
    /// Client sessions to resume, apart for automatic [0] and manual [1] validation (a
    /// session checked by one is not reused by the other).
    sessions: [Arc<rustls::client::ClientSessionMemoryCache>; 2],
    /// Server sessions (TLS 1.2 session ids).
    server_sessions: Arc<rustls::server::ServerSessionMemoryCache>,
}

enum Conn {
    Client(UnbufferedClientConnection),
    Server(UnbufferedServerConnection),
}

enum Kernel {
    Client(KernelConnection<ClientConnectionData>),
    Server(KernelConnection<ServerConnectionData>),
}

impl Kernel {
    fn update_tx(&mut self) -> Result<(u64, rustls::ConnectionTrafficSecrets), rustls::Error> {
        match self {
            Kernel::Client(k) => k.update_tx_secret(),
            Kernel::Server(k) => k.update_tx_secret(),
        }
    }
    /// A TLS 1.3 NewSessionTicket body: kept for resumption (clients).
    fn new_session_ticket(&mut self, payload: &[u8]) {
        if let Kernel::Client(k) = self {
            let _ = k.handle_new_session_ticket(payload);
        }
    }
    fn update_rx(&mut self) -> Result<(u64, rustls::ConnectionTrafficSecrets), rustls::Error> {
        match self {
            Kernel::Client(k) => k.update_rx_secret(),
            Kernel::Server(k) => k.update_rx_secret(),
        }
    }
}

/// What the handshake settled, for the attributes.
struct Info {
    version: Version,
    suite: u16,
    alpn: Option<Vec<u8>>,
    peer_certs: Vec<Vec<u8>>,
    local_cert: Option<Vec<u8>>,
    header: usize,
    trailer: usize,
    /// tls-unique channel binding (TLS 1.2).
    unique: Option<Vec<u8>>,
    /// An abbreviated handshake resumed an earlier session.
    resumed: bool,
    /// The key exchange's named group (IANA number; 0 if none).
    group: u16,
}

#[derive(Default)]
struct Handshake {
    conn: Option<Conn>,
    /// fContextReq of the first ISC/ASC call (the context's mode).
    first_req: Option<u32>,
    /// Records given to rustls and not yet discarded by it.
    buf: Vec<u8>,
    /// TLS records sent and received during the handshake (for tls-unique).
    sent: Vec<u8>,
    received: Vec<u8>,
    /// Output held back while SEC_I_INCOMPLETE_CREDENTIALS is returned.
    pending_out: Vec<u8>,
    /// Input consumed by the call that returned SEC_I_INCOMPLETE_CREDENTIALS: callers
    /// pass it again, and it is skipped then.
    refeed: Option<Vec<u8>>,
    creds_reported: bool,
    /// The server asked for a client certificate.
    cert_asked: bool,
    established: bool,
    /// ApplyControlToken: alert (level, description) to send at the next ISC/ASC.
    alert: Option<[u8; 2]>,
    closed: bool,
    /// The handshake failed: later ISC/ASC calls return this again.
    failed: Option<Error>,
}

struct Tx {
    keys: Option<Keys>,
    /// TLS 1.3 seal of non-adjacent DATA/TRAILER buffers: allocated once.
    scratch: Vec<u8>,
    closed: bool,
}

struct Rx {
    keys: Option<Keys>,
    closed: bool,
}

struct SchannelContext {
    cred: Arc<SchannelCredentials>,
    server: bool,
    hs: Mutex<Handshake>,
    tx: Mutex<Tx>,
    rx: Mutex<Rx>,
    kernel: Mutex<Option<Kernel>>,
    info: OnceLock<Info>,
    /// The peer sent KeyUpdate(update_requested): ours goes out at the next ISC/ASC.
    key_update_due: AtomicBool,
    /// A TLS 1.2 server sent HelloRequest: the next ISC declines it with a no_renegotiation
    /// warning alert (RFC 5246 §7.2.2, RFC 5746) and the connection carries on.
    decline_renegotiation: AtomicBool,
}

#[cfg(test)]
mod tests {
    use super::handshake::parse_alpn;
    use super::*;
    use crate::ffi::schannel::{
        SecApplicationProtocolNegotiationExt_NPN, SCH_CREDENTIALS_VERSION, SP_PROT_TLS1_0_CLIENT,
        SP_PROT_TLS1_1_CLIENT,
    };

    #[test]
    fn alpn_list_is_parsed() {
        let ids = b"\x02h2\x08http/1.1";
        let mut b = Vec::new();
        b.extend_from_slice(&((6 + ids.len()) as u32).to_ne_bytes());
        b.extend_from_slice(&SecApplicationProtocolNegotiationExt_ALPN.to_ne_bytes());
        b.extend_from_slice(&(ids.len() as u16).to_ne_bytes());
        b.extend_from_slice(ids);
        assert_eq!(parse_alpn(&b), vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
        // Truncated or foreign lists give nothing, never a panic.
        for n in 0..b.len() {
            let _ = parse_alpn(&b[..n]);
        }
        let mut npn = b.clone();
        npn[4..8].copy_from_slice(&SecApplicationProtocolNegotiationExt_NPN.to_ne_bytes());
        assert!(parse_alpn(&npn).is_empty());
    }

    #[test]
    fn protocols_map_to_rustls_versions() {
        let req = |cred: SchannelCred, usage| {
            SCHANNEL.acquire_credentials(CredentialRequest {
                principal: None,
                usage,
                auth: AuthData::Schannel(cred),
            })
        };
        let only_old = SchannelCred {
            version: SCHANNEL_CRED_VERSION,
            enabled_protocols: SP_PROT_TLS1_0_CLIENT | SP_PROT_TLS1_1_CLIENT,
            ..Default::default()
        };
        assert_eq!(
            req(only_old, SECPKG_CRED_OUTBOUND).err(),
            Some(Error::AlgorithmMismatch)
        );
        let all_disabled = SchannelCred {
            version: SCH_CREDENTIALS_VERSION,
            disabled_protocols: SP_PROT_TLS1_2 | SP_PROT_TLS1_3,
            ..Default::default()
        };
        assert_eq!(
            req(all_disabled, SECPKG_CRED_OUTBOUND).err(),
            Some(Error::AlgorithmMismatch)
        );
        let inbound = SchannelCred {
            version: SCHANNEL_CRED_VERSION,
            ..Default::default()
        };
        assert_eq!(
            req(inbound, SECPKG_CRED_INBOUND).err(),
            Some(Error::NoCredentials)
        );
    }

    #[test]
    fn package_names() {
        assert!(INFO.matches("schannel"));
        assert!(UNISP_INFO.matches("microsoft unified security protocol provider"));
        assert!(UNISP_INFO.matches("default tls ssp"));
        assert!(!INFO.matches("NTLM"));
        assert!(is_schannel(&UNISP_INFO) && is_schannel(&INFO));
    }
}
