//! Schannel (TLS 1.2 / 1.3) over rustls with the ring provider.
//!
//! The handshake runs on rustls's unbuffered connection, one complete record at a time, so
//! the bytes after the last handshake record go back to the caller as SECBUFFER_EXTRA. Once
//! it completes, the keys move to [`record`] (ring AEAD, in place in the caller's buffers)
//! and rustls's kernel connection only computes new secrets on TLS 1.3 KeyUpdate.
#![deny(unsafe_code)] // (record.rs: one test reads a key's bytes)

pub mod capi;
mod record;
mod verify;

use crate::buffers::SecBuffers;
use crate::ffi::consts::*;
use crate::ffi::schannel::*;
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

impl Credentials for SchannelCredentials {
    fn package(&self) -> &'static PackageInfo {
        self.info
    }
    fn usage(&self) -> u32 {
        self.usage
    }
    fn new_client_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
        Ok(Box::new(SchannelContext::new(self, false)))
    }
    fn new_server_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
        Ok(Box::new(SchannelContext::new(self, true)))
    }
    fn query_attribute(&self, attr: u32) -> SecResult<Attribute> {
        match attr {
            SECPKG_ATTR_SUPPORTED_PROTOCOLS => {
                let mut p = 0;
                for v in &self.versions {
                    p |= if v.version == rustls::ProtocolVersion::TLSv1_3 {
                        SP_PROT_TLS1_3
                    } else {
                        SP_PROT_TLS1_2
                    };
                }
                Ok(Attribute::Raw(p.to_ne_bytes().to_vec()))
            }
            // The ALG_IDs of the suites offered: ciphers, hashes, key exchange, signatures.
            SECPKG_ATTR_SUPPORTED_ALGS => Ok(Attribute::AlgList(vec![
                CALG_AES_128,
                CALG_AES_256,
                CALG_SHA_256,
                CALG_SHA_384,
                CALG_ECDH_EPHEM,
                CALG_RSA_SIGN,
                CALG_ECDSA,
            ])),
            // SecPkgCred_CipherStrengths: the weakest and strongest bulk cipher offered.
            SECPKG_ATTR_CIPHER_STRENGTHS => {
                let mut v = Vec::with_capacity(8);
                push_u32(&mut v, 128);
                push_u32(&mut v, 256);
                Ok(Attribute::Raw(v))
            }
            // A client credential without a certificate has no name (Windows:
            // SEC_E_NO_CREDENTIALS).
            SECPKG_CRED_ATTR_NAMES => {
                let k = self.key.as_ref().ok_or(Error::NoCredentials)?;
                let der = k.cert.first().ok_or(Error::NoCredentials)?;
                Ok(Attribute::Names(cert_subject(der)))
            }
            _ => Err(Error::UnsupportedFunction),
        }
    }
}

/// The subject of a DER certificate as an X.500 string ("CN=…, O=…").
fn cert_subject(der: &[u8]) -> String {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, c)| c.subject().to_string())
        .unwrap_or_default()
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

/// ALPN ids from a SECBUFFER_APPLICATION_PROTOCOLS buffer (SEC_APPLICATION_PROTOCOLS).
fn parse_alpn(b: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if b.len() < 4 {
        return out;
    }
    let total = (u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize).min(b.len() - 4);
    let mut lists = &b[4..4 + total];
    while lists.len() >= 6 {
        let ext = u32::from_ne_bytes([lists[0], lists[1], lists[2], lists[3]]);
        let n = (u16::from_ne_bytes([lists[4], lists[5]]) as usize).min(lists.len() - 6);
        let mut l = &lists[6..6 + n];
        if ext == SecApplicationProtocolNegotiationExt_ALPN {
            while let Some((&len, rest)) = l.split_first() {
                let len = len as usize;
                if len == 0 || rest.len() < len {
                    break;
                }
                out.push(rest[..len].to_vec());
                l = &rest[len..];
            }
        }
        lists = &lists[6 + n..];
    }
    out
}

enum Drive {
    Blocked,
    Done,
}

/// Runs rustls over `buf` until it needs another record or the handshake is complete,
/// appending what it sends to `out`.
fn drive(conn: &mut Conn, buf: &mut Vec<u8>, out: &mut Vec<u8>) -> SecResult<Drive> {
    loop {
        let (discard, r) = match conn {
            Conn::Client(c) => {
                let st = c.process_tls_records(buf);
                (st.discard, handle_state(st.state, out))
            }
            Conn::Server(c) => {
                let st = c.process_tls_records(buf);
                (st.discard, handle_state(st.state, out))
            }
        };
        buf.drain(..discard.min(buf.len()));
        if let Some(r) = r? {
            return Ok(r);
        }
    }
}

/// After a handshake error: the fatal alert rustls queued, if any. `buf` is what rustls
/// has not discarded. rustls hands queued output out before it reads input again, so the
/// first call yields the alert; a further call would re-read the bad input (a second fatal
/// alert, which rustls asserts against).
fn pending_alert(conn: &mut Conn, buf: &mut [u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let r = match conn {
        Conn::Client(c) => handle_state(c.process_tls_records(buf).state, &mut out),
        Conn::Server(c) => handle_state(c.process_tls_records(buf).state, &mut out),
    };
    if r.is_err() {
        out.clear();
    }
    out
}

/// Hands a fatal alert to the caller: in a SECBUFFER_ALERT output buffer, else in the
/// output token when ISC_REQ_EXTENDED_ERROR / ASC_REQ_EXTENDED_ERROR was asked for.
fn write_alert(step: &mut Step<'_, '_>, alert: &[u8], extended: bool) {
    if alert.is_empty() {
        return;
    }
    let Some(o) = step.output.as_deref_mut() else {
        return;
    };
    if let Some(i) = o.find(SECBUFFER_ALERT) {
        let _ = o.write_token_at(i, alert);
    } else if extended {
        let _ = o.write_token(alert);
    }
}

fn handle_state<D>(
    state: Result<ConnectionState<'_, '_, D>, rustls::Error>,
    out: &mut Vec<u8>,
) -> SecResult<Option<Drive>> {
    let state = state.map_err(|e| {
        crate::log!(crate::log::Level::Debug, "schannel: handshake: {e}");
        map_error(&e)
    })?;
    match state {
        ConnectionState::EncodeTlsData(mut e) => {
            let start = out.len();
            out.resize(start + 4096, 0);
            loop {
                match e.encode(&mut out[start..]) {
                    Ok(n) => {
                        out.truncate(start + n);
                        break;
                    }
                    Err(EncodeError::InsufficientSize(s)) => {
                        out.resize(start + s.required_size, 0);
                    }
                    Err(_) => return Err(Error::InternalError),
                }
            }
            Ok(None)
        }
        ConnectionState::TransmitTlsData(t) => {
            // The caller sends the output token.
            t.done();
            Ok(None)
        }
        ConnectionState::BlockedHandshake => Ok(Some(Drive::Blocked)),
        ConnectionState::WriteTraffic(_) | ConnectionState::ReadTraffic(_) => Ok(Some(Drive::Done)),
        ConnectionState::PeerClosed | ConnectionState::Closed => Err(Error::IllegalMessage),
        _ => Err(Error::InternalError),
    }
}

/// Keeps output that could not be handed over, for the next call, which skips the input
/// already consumed when the caller passes it again.
fn hold_output(hs: &mut Handshake, out: Vec<u8>, consumed: &[u8]) {
    hs.pending_out = out;
    hs.refeed = Some(consumed.to_vec());
}

/// Writes the output token (an empty one: cbBuffer 0, pvBuffer NULL).
fn write_output(step: &mut Step<'_, '_>, out: &[u8]) -> SecResult<()> {
    let Some(o) = step.output.as_deref_mut() else {
        return if out.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidToken)
        };
    };
    let Some(i) = o.find(SECBUFFER_TOKEN) else {
        return if out.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidToken)
        };
    };
    if out.is_empty() {
        if o.allocate() {
            o.set_counter(i, SECBUFFER_TOKEN, 0);
        } else {
            o.set_size(i, 0)?;
        }
        return Ok(());
    }
    // The caller's token buffer cannot take the output (too small, or no memory and no
    // ALLOCATE_MEMORY): SEC_E_INSUFFICIENT_MEMORY with cbBuffer 0, as Windows' Schannel (Wine
    // dlls/secur32/tests/schannel.c test_communication, run on Windows). The output is kept
    // for a call with room.
    match o.write_token_at(i, out) {
        Err(Error::BufferTooSmall | Error::InvalidParameter) => {
            let _ = o.set_size(i, 0);
            Err(Error::InsufficientMemory)
        }
        r => r,
    }
}

/// Reports `n` unprocessed bytes at the end of the input token as SECBUFFER_EXTRA (in the
/// input's second buffer, as Windows).
fn set_extra(input: &mut SecBuffers<'_>, token: usize, used: usize, total: usize) -> SecResult<()> {
    let slot = (0..input.len()).find(|&i| i != token && input.kind(i) == SECBUFFER_EMPTY);
    if let Some(e) = slot {
        if used < total {
            input.point_into(e, SECBUFFER_EXTRA, token, used, total - used)?;
        }
    }
    Ok(())
}

fn suite_info(suite: u16) -> (&'static str, &'static str, u32, ALG_ID, u32, ALG_ID, u32) {
    // (name, cipher, cipher bits, cipher alg, hash bits, hash alg, base suite)
    match suite {
        0x1301 => (
            "TLS_AES_128_GCM_SHA256",
            "AES",
            128,
            CALG_AES_128,
            256,
            CALG_SHA_256,
            0x1301,
        ),
        0x1302 => (
            "TLS_AES_256_GCM_SHA384",
            "AES",
            256,
            CALG_AES_256,
            384,
            CALG_SHA_384,
            0x1302,
        ),
        0x1303 => (
            "TLS_CHACHA20_POLY1305_SHA256",
            "CHACHA20_POLY1305",
            256,
            0,
            256,
            CALG_SHA_256,
            0x1303,
        ),
        0xC02B => (
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "AES",
            128,
            CALG_AES_128,
            256,
            CALG_SHA_256,
            0x9C,
        ),
        0xC02C => (
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "AES",
            256,
            CALG_AES_256,
            384,
            CALG_SHA_384,
            0x9D,
        ),
        0xC02F => (
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "AES",
            128,
            CALG_AES_128,
            256,
            CALG_SHA_256,
            0x9C,
        ),
        0xC030 => (
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "AES",
            256,
            CALG_AES_256,
            384,
            CALG_SHA_384,
            0x9D,
        ),
        0xCCA8 => (
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "CHACHA20_POLY1305",
            256,
            0,
            256,
            CALG_SHA_256,
            0xCCA8,
        ),
        0xCCA9 => (
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "CHACHA20_POLY1305",
            256,
            0,
            256,
            CALG_SHA_256,
            0xCCA9,
        ),
        _ => ("", "", 0, 0, 0, 0, 0),
    }
}

fn wide64(s: &str) -> [u16; 64] {
    let mut w = [0u16; 64];
    for (d, c) in w.iter_mut().take(63).zip(s.encode_utf16()) {
        *d = c;
    }
    w
}

fn push_u32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_ne_bytes());
}

fn push_wide(v: &mut Vec<u8>, s: &str) {
    for c in wide64(s) {
        v.extend_from_slice(&c.to_ne_bytes());
    }
}

impl SchannelContext {
    fn new(cred: Arc<SchannelCredentials>, server: bool) -> Self {
        SchannelContext {
            cred,
            server,
            hs: Mutex::new(Handshake::default()),
            tx: Mutex::new(Tx {
                keys: None,
                scratch: Vec::new(),
                closed: false,
            }),
            rx: Mutex::new(Rx {
                keys: None,
                closed: false,
            }),
            kernel: Mutex::new(None),
            info: OnceLock::new(),
            key_update_due: AtomicBool::new(false),
            decline_renegotiation: AtomicBool::new(false),
        }
    }

    fn new_conn(&self, target: Option<&str>, req: u32, alpn: Vec<Vec<u8>>) -> SecResult<Conn> {
        let p = provider();
        if self.server {
            let key = self.cred.key.clone().ok_or(Error::NoCredentials)?;
            let b = ServerConfig::builder_with_provider(p.clone())
                .with_protocol_versions(&self.cred.versions)
                .map_err(|_| Error::AlgorithmMismatch)?;
            let b = if req & ASC_REQ_MUTUAL_AUTH != 0 {
                b.with_client_cert_verifier(Arc::new(AnyClientCert { provider: p }))
            } else {
                b.with_no_client_auth()
            };
            let mut cfg = b.with_cert_resolver(Arc::new(ServerCert(key)));
            cfg.enable_secret_extraction = true;
            // No TLS 1.3 tickets: TLS 1.2 session ids resume (Windows' "reconnects").
            cfg.send_tls13_tickets = 0;
            if self.cred.flags & SCH_CRED_DISABLE_RECONNECTS == 0 {
                cfg.session_storage = self.cred.server_sessions.clone();
            } else {
                cfg.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
            }
            cfg.alpn_protocols = alpn;
            let c = UnbufferedServerConnection::new(Arc::new(cfg)).map_err(|e| map_error(&e))?;
            return Ok(Conn::Server(c));
        }
        let manual = self.cred.flags & SCH_CRED_MANUAL_CRED_VALIDATION != 0
            || req & ISC_REQ_MANUAL_CRED_VALIDATION != 0;
        let target = target.map(str::trim).filter(|t| !t.is_empty());
        // No target name: no name check (as Windows). A target that is no host name or
        // address can match no certificate.
        let name = match target {
            None => None,
            Some(t) => Some(
                ServerName::try_from(t.to_string())
                    .or_else(|_| ServerName::try_from("invalid.invalid"))
                    .map_err(|_| Error::InternalError)?,
            ),
        };
        let check_name = name.is_some() && self.cred.flags & SCH_CRED_NO_SERVERNAME_CHECK == 0;
        let verifier = self.cred.verifiers[manual as usize * 2 + check_name as usize].clone();
        let mut cfg = ClientConfig::builder_with_provider(p)
            .with_protocol_versions(&self.cred.versions)
            .map_err(|_| Error::AlgorithmMismatch)?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_client_cert_resolver(self.cred.client_cert.clone());
        cfg.enable_secret_extraction = true;
        cfg.resumption = if self.cred.flags & SCH_CRED_DISABLE_RECONNECTS != 0 {
            Resumption::disabled()
        } else {
            Resumption::store(self.cred.sessions[manual as usize].clone())
        };
        cfg.alpn_protocols = alpn;
        let name = match name {
            Some(n) => n,
            None => {
                cfg.enable_sni = false;
                ServerName::IpAddress(std::net::Ipv4Addr::UNSPECIFIED.into())
            }
        };
        let c = UnbufferedClientConnection::new(Arc::new(cfg), name).map_err(|e| map_error(&e))?;
        Ok(Conn::Client(c))
    }

    /// Moves a finished handshake to the record layer.
    fn establish(&self, conn: Conn, sent: &[u8], received: &[u8]) -> SecResult<()> {
        // The client and server connection types differ but expose the same accessors.
        macro_rules! finished {
            ($c:expr, $kernel:path) => {{
                let c = $c;
                let resumed = c.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
                let v = c.protocol_version();
                let s = c.negotiated_cipher_suite();
                let a = c.alpn_protocol().map(|a| a.to_vec());
                let g = c
                    .negotiated_key_exchange_group()
                    .map_or(0, |g| u16::from(g.name()));
                let p: Vec<Vec<u8>> = c
                    .peer_certificates()
                    .map(|l| l.iter().map(|x| x.to_vec()).collect())
                    .unwrap_or_default();
                let (sec, k) = c
                    .dangerous_into_kernel_connection()
                    .map_err(|_| Error::InternalError)?;
                (v, s, a, p, resumed, g, sec, $kernel(k))
            }};
        }
        let (version, suite, alpn, peer, resumed, group, secrets, kernel) = match conn {
            Conn::Client(c) => finished!(c, Kernel::Client),
            Conn::Server(c) => finished!(c, Kernel::Server),
        };
        let version = match version {
            Some(rustls::ProtocolVersion::TLSv1_3) => Version::Tls13,
            Some(rustls::ProtocolVersion::TLSv1_2) => Version::Tls12,
            _ => return Err(Error::AlgorithmMismatch),
        };
        let suite = suite.map(|s| u16::from(s.suite())).unwrap_or(0);
        let mut tx = Keys::new(version, secrets.tx.0, secrets.tx.1)?;
        let mut rx = Keys::new(version, secrets.rx.0, secrets.rx.1)?;
        // tls-unique (RFC 5929): the first Finished of the handshake, the client's in a full
        // handshake and the server's in a resumed one. TLS 1.2 only.
        let unique = if version == Version::Tls12 {
            let first_is_ours = self.server == resumed;
            let (flight, keys) = if first_is_ours {
                (sent, &mut tx)
            } else {
                (received, &mut rx)
            };
            record::first_after_ccs(flight).and_then(|rec| {
                let mut rec = rec.to_vec();
                let o = record::open_at(keys, version, &mut rec, 0).ok()?;
                let msg = &rec[o.start..o.start + o.len];
                (msg.len() >= 4 && msg[0] == 20).then(|| msg[4..].to_vec())
            })
        } else {
            None
        };
        let (header, trailer) = match version {
            Version::Tls12 => (tx.header_len(), record::TAG),
            Version::Tls13 => (record::HEADER, record::TAG + 1),
        };
        self.tx.lock().keys = Some(tx);
        self.rx.lock().keys = Some(rx);
        *self.kernel.lock() = Some(kernel);
        let _ = self.info.set(Info {
            version,
            suite,
            alpn,
            peer_certs: peer,
            local_cert: self
                .cred
                .key
                .as_ref()
                .and_then(|k| k.cert.first().map(|c| c.to_vec())),
            header,
            trailer,
            unique,
            resumed,
            group,
        });
        Ok(())
    }

    /// After the handshake: the KeyUpdate answer and ApplyControlToken alerts.
    fn post_handshake_output(&self, hs: &mut Handshake, out: &mut Vec<u8>) -> SecResult<()> {
        let Some(info) = self.info.get() else {
            return Ok(());
        };
        let mut tx = self.tx.lock();
        if self.decline_renegotiation.swap(false, Ordering::AcqRel) && !tx.closed {
            if let Some(keys) = tx.keys.as_mut() {
                out.extend_from_slice(&record::seal_to_vec(
                    keys,
                    info.version,
                    record::CT_ALERT,
                    &[TLS1_ALERT_WARNING as u8, TLS1_ALERT_NO_RENEGOTIATION as u8],
                )?);
            }
        }
        if self.key_update_due.swap(false, Ordering::AcqRel) && !tx.closed {
            if let Some(keys) = tx.keys.as_mut() {
                // KeyUpdate(update_not_requested) under the old key, then the new key.
                let msg = [24u8, 0, 0, 1, 0];
                out.extend_from_slice(&record::seal_to_vec(
                    keys,
                    info.version,
                    record::CT_HANDSHAKE,
                    &msg,
                )?);
                let mut k = self.kernel.lock();
                let (seq, sec) = k
                    .as_mut()
                    .ok_or(Error::InternalError)?
                    .update_tx()
                    .map_err(|_| Error::InternalError)?;
                tx.keys = Some(Keys::new(info.version, seq, sec)?);
            }
        }
        if let Some(alert) = hs.alert.take() {
            let Tx { keys, closed, .. } = &mut *tx;
            if let Some(keys) = keys.as_mut() {
                if !*closed {
                    out.extend_from_slice(&record::seal_to_vec(
                        keys,
                        info.version,
                        record::CT_ALERT,
                        &alert,
                    )?);
                }
            }
            tx.closed = true;
            hs.closed = true;
        }
        Ok(())
    }

    fn step(&self, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        let mut hs = self.hs.lock();
        let req = step.req_flags;
        let allocated = step.output.as_deref().is_some_and(|o| o.allocate());
        // An output token with a size and a NULL pvBuffer: Schannel allocates the token even
        // without ISC_REQ_ALLOCATE_MEMORY, and does not report ALLOCATED_MEMORY (Wine
        // dlls/secur32/tests/schannel.c test_connection_shutdown, run on Windows).
        if let Some(o) = step.output.as_deref_mut() {
            if let Some(i) = o.find(SECBUFFER_TOKEN) {
                if o.size(i) > 0 && o.bytes(i).is_err() {
                    o.set_allocate(true);
                }
            }
        }
        // The flags describe the context, not the request: a TLS context always provides
        // replay and sequence detection, confidentiality and the stream form (Windows'
        // Schannel; curl's schannel.c compares them with what it needs). The request's other
        // bits are kept from the first call. ALLOCATED_MEMORY when this call allocated.
        let first = *hs.first_req.get_or_insert(req);
        step.ret_flags = if self.server {
            ASC_RET_REPLAY_DETECT
                | ASC_RET_SEQUENCE_DETECT
                | ASC_RET_CONFIDENTIALITY
                | ASC_RET_STREAM
                | (first & (ASC_REQ_EXTENDED_ERROR | ASC_REQ_MUTUAL_AUTH))
                | if allocated {
                    ASC_RET_ALLOCATED_MEMORY
                } else {
                    0
                }
        } else {
            ISC_RET_REPLAY_DETECT
                | ISC_RET_SEQUENCE_DETECT
                | ISC_RET_CONFIDENTIALITY
                | ISC_RET_STREAM
                | (first
                    & (ISC_REQ_EXTENDED_ERROR
                        | ISC_REQ_MANUAL_CRED_VALIDATION
                        | ISC_REQ_USE_SUPPLIED_CREDS))
                | if allocated {
                    ISC_RET_ALLOCATED_MEMORY
                } else {
                    0
                }
        };
        step.expiry = i64::MAX;

        // The input token and ALPN list.
        let mut token_idx = None;
        let mut alpn = Vec::new();
        if let Some(input) = step.input.as_deref() {
            // An EMPTY input buffer claiming bytes it does not have (cbBuffer with a NULL
            // pvBuffer) is refused, as Windows refuses it (issue #12's conformance cases).
            if (0..input.len()).any(|i| input.kind(i) == SECBUFFER_EMPTY && input.bytes(i).is_err())
            {
                return Err(Error::InvalidToken);
            }
            token_idx = input.find(SECBUFFER_TOKEN);
            if let Some(a) = input.find(SECBUFFER_APPLICATION_PROTOCOLS) {
                alpn = parse_alpn(input.bytes(a)?);
            }
        }
        let data: Vec<u8> = match (token_idx, step.input.as_deref()) {
            (Some(i), Some(input)) => input.bytes(i)?.to_vec(),
            _ => Vec::new(),
        };
        let mut pos = 0;
        if let Some(prev) = hs.refeed.take() {
            if data.starts_with(&prev) {
                pos = prev.len();
            }
        }
        if let Some(e) = hs.failed {
            return Err(e);
        }
        let mut out = std::mem::take(&mut hs.pending_out);

        if !hs.established {
            if let Some([level, desc]) = hs.alert.take() {
                // ApplyControlToken(SCHANNEL_SHUTDOWN / SCHANNEL_ALERT) before the handshake
                // completed: no keys yet, so the alert goes out as a plaintext alert record,
                // and the context is closed. A later token gives its record again (Wine
                // dlls/secur32/tests/schannel.c test_connection_shutdown, run on Windows).
                hs.closed = true;
                hs.conn = None;
                out.extend_from_slice(&[record::CT_ALERT, 3, 3, 0, 2, level, desc]);
                write_output(step, &out)?;
                return Ok(Outcome::Ok);
            }
        }
        if hs.established || hs.closed {
            self.post_handshake_output(&mut hs, &mut out)?;
            // Nothing to send and no input (e.g. a further ISC after the alert record went
            // out): SEC_E_INCOMPLETE_MESSAGE, the output buffer and phNewContext untouched
            // (Wine dlls/secur32/tests/schannel.c test_connection_shutdown, run on Windows).
            if out.is_empty() && token_idx.is_none() {
                return Err(Error::IncompleteMessage);
            }
            // Bytes after the handshake (application data) go back as EXTRA.
            if let (Some(t), Some(input)) = (token_idx, step.input.as_deref_mut()) {
                set_extra(input, t, pos, data.len())?;
            }
            if let Err(e) = write_output(step, &out) {
                hold_output(&mut hs, out, &data[..pos]);
                return Err(e);
            }
            return Ok(Outcome::Ok);
        }
        // An input token that does not start with a TLS record header (content type 20..=24,
        // major version 3) is refused at once, with an empty output token, as Windows does
        // (Wine dlls/secur32/tests/schannel.c test_communication: garbage and all-zero tokens
        // → SEC_E_INVALID_TOKEN, cbBuffer 0).
        if let Some(h) = data.get(pos..pos + 3) {
            if !(20..=24).contains(&h[0]) || h[1] != 3 {
                if let Some(o) = step.output.as_deref_mut() {
                    if let Some(i) = o.find(SECBUFFER_TOKEN) {
                        let _ = o.set_size(i, 0);
                    }
                }
                return Err(Error::InvalidToken);
            }
        }
        if hs.conn.is_none() {
            if self.server && data.is_empty() {
                if let Some(input) = step.input.as_deref_mut() {
                    if let Some(e) = (0..input.len()).find(|&i| input.kind(i) == SECBUFFER_EMPTY) {
                        input.set_counter(e, SECBUFFER_MISSING, record::HEADER);
                    }
                }
                return Err(Error::IncompleteMessage);
            }
            let c = self.new_conn(step.target, req, alpn)?;
            hs.conn = Some(c);
        }

        let mut fed = false;
        ClientCert::reset_asked();
        let done = loop {
            let Handshake { conn, buf, .. } = &mut *hs;
            let conn = conn.as_mut().ok_or(Error::InternalError)?;
            match drive(conn, buf, &mut out) {
                Ok(Drive::Done) => break true,
                Ok(Drive::Blocked) => {}
                Err(e) => {
                    let alert = pending_alert(conn, buf);
                    let extended =
                        req & if self.server {
                            ASC_REQ_EXTENDED_ERROR
                        } else {
                            ISC_REQ_EXTENDED_ERROR
                        } != 0;
                    hs.conn = None;
                    hs.failed = Some(e);
                    write_alert(step, &alert, extended);
                    return Err(e);
                }
            }
            match record::record_len(&data[pos..]) {
                Ok(n) => {
                    hs.buf.extend_from_slice(&data[pos..pos + n]);
                    hs.received.extend_from_slice(&data[pos..pos + n]);
                    pos += n;
                    fed = true;
                }
                Err(missing) => {
                    if !fed && out.is_empty() {
                        if let (Some(t), Some(input)) = (token_idx, step.input.as_deref_mut()) {
                            if let Some(e) = (0..input.len())
                                .find(|&i| i != t && input.kind(i) == SECBUFFER_EMPTY)
                            {
                                input.set_counter(e, SECBUFFER_MISSING, missing);
                            }
                        }
                        return Err(Error::IncompleteMessage);
                    }
                    break false;
                }
            }
        };

        hs.sent.extend_from_slice(&out);
        if done {
            let conn = hs.conn.take().ok_or(Error::InternalError)?;
            let (sent, received) = (
                std::mem::take(&mut hs.sent),
                std::mem::take(&mut hs.received),
            );
            self.establish(conn, &sent, &received)?;
            hs.established = true;
            hs.buf = Vec::new();
        }

        // The server asked for a certificate and the credentials have none.
        hs.cert_asked |= !self.server && ClientCert::asked();
        let asked = hs.cert_asked && self.cred.key.is_none();
        if asked && !hs.creds_reported && req & ISC_REQ_USE_SUPPLIED_CREDS == 0 {
            hs.creds_reported = true;
            hs.pending_out = out;
            hs.refeed = Some(data[..pos].to_vec());
            write_output(step, &[])?;
            return Ok(Outcome::IncompleteCredentials);
        }

        if let Err(e) = write_output(step, &out) {
            // Output token too small: the caller may call again with a larger one and the
            // same input.
            hold_output(&mut hs, out, &data[..pos]);
            return Err(e);
        }
        if let (Some(t), Some(input)) = (token_idx, step.input.as_deref_mut()) {
            set_extra(input, t, pos, data.len())?;
        }
        Ok(if done {
            Outcome::Ok
        } else {
            Outcome::ContinueNeeded
        })
    }

    fn established(&self) -> SecResult<&Info> {
        self.info.get().ok_or(Error::InvalidHandle)
    }
}

/// Buffers of a DecryptMessage call: the DATA buffer and three EMPTY ones.
fn decrypt_shape(msg: &SecBuffers<'_>) -> SecResult<(usize, [usize; 3])> {
    let d = msg.find(SECBUFFER_DATA).ok_or(Error::InvalidToken)?;
    let mut e = [0usize; 3];
    let mut k = 0;
    for i in 0..msg.len() {
        if i != d && msg.kind(i) == SECBUFFER_EMPTY && k < 3 {
            e[k] = i;
            k += 1;
        }
    }
    if k < 3 {
        return Err(Error::InvalidToken);
    }
    Ok((d, e))
}

impl Context for SchannelContext {
    fn package(&self) -> &'static PackageInfo {
        self.cred.info
    }

    fn initialize(&self, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        if self.server {
            return Err(Error::InvalidHandle);
        }
        self.step(step)
    }

    fn accept(&self, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        if !self.server {
            return Err(Error::InvalidHandle);
        }
        self.step(step)
    }

    /// Windows' checks (Wine dlls/secur32/schannel.c schan_ApplyControlToken, whose tests run
    /// on Windows): exactly one buffer, a SECBUFFER_TOKEN (else SEC_E_INVALID_TOKEN), at least
    /// one DWORD (else SEC_E_UNSUPPORTED_FUNCTION). A NULL descriptor is the export's
    /// SEC_E_INTERNAL_ERROR.
    fn apply_control_token(&self, input: &mut SecBuffers<'_>) -> SecResult<()> {
        if input.len() != 1 || input.kind(0) != SECBUFFER_TOKEN {
            return Err(Error::InvalidToken);
        }
        let b = input.bytes(0)?;
        if b.len() < 4 {
            return Err(Error::UnsupportedFunction);
        }
        let word = |k: usize| -> Option<u32> {
            b.get(k..k + 4)
                .map(|w| u32::from_ne_bytes([w[0], w[1], w[2], w[3]]))
        };
        let mut hs = self.hs.lock();
        match word(0) {
            Some(SCHANNEL_SHUTDOWN) => {
                hs.alert = Some([TLS1_ALERT_WARNING as u8, TLS1_ALERT_CLOSE_NOTIFY as u8]);
                Ok(())
            }
            Some(SCHANNEL_ALERT) => {
                let (Some(t), Some(n)) = (word(4), word(8)) else {
                    return Err(Error::InvalidToken);
                };
                if !(TLS1_ALERT_WARNING..=TLS1_ALERT_FATAL).contains(&t) || n > 255 {
                    return Err(Error::InvalidToken);
                }
                hs.alert = Some([t as u8, n as u8]);
                Ok(())
            }
            Some(SCHANNEL_SESSION) => Ok(()),
            Some(SCHANNEL_RENEGOTIATE) => Err(Error::UnsupportedFunction),
            _ => Err(Error::InvalidToken),
        }
    }

    fn seal(&self, qop: u32, msg: &mut SecBuffers<'_>, _seq_no: u32) -> SecResult<()> {
        let h = msg
            .find(SECBUFFER_STREAM_HEADER)
            .ok_or(Error::InvalidToken)?;
        let d = msg.find(SECBUFFER_DATA).ok_or(Error::InvalidToken)?;
        let t = msg
            .find(SECBUFFER_STREAM_TRAILER)
            .ok_or(Error::InvalidToken)?;
        let info = self.info.get().ok_or(Error::InvalidHandle)?;
        let content_type = if qop & SECQOP_WRAP_OOB_DATA != 0 {
            record::CT_ALERT
        } else {
            record::CT_APPLICATION_DATA
        };
        let dlen = msg.size(d);
        // More than cbMaximumMessage: SEC_E_ENCRYPT_FAILURE, nothing changed (public
        // measurements of Windows' Schannel).
        if dlen > record::MAX_PLAINTEXT {
            return Err(Error::EncryptFailure);
        }
        if msg.size(h) < info.header || msg.size(t) < info.trailer {
            return Err(Error::BufferTooSmall);
        }
        let mut tx = self.tx.lock();
        let Tx {
            keys,
            scratch,
            closed,
        } = &mut *tx;
        if *closed {
            return Err(Error::ContextExpired);
        }
        let keys = keys.as_mut().ok_or(Error::ContextExpired)?;
        let mut tag = [0u8; record::TAG];
        match info.version {
            Version::Tls12 => {
                let parts = record::seal12(keys, content_type, msg.bytes_mut(d)?, &mut tag)?;
                msg.bytes_mut(h)?[..parts.header_len]
                    .copy_from_slice(&parts.header[..parts.header_len]);
                msg.set_size(h, parts.header_len)?;
                msg.bytes_mut(t)?[..record::TAG].copy_from_slice(&tag);
                msg.set_size(t, record::TAG)?;
            }
            Version::Tls13 => {
                let header = if let Some(inner) = msg.adjacent_mut(d, t, 1) {
                    record::seal13(keys, content_type, inner, &mut tag)?
                } else {
                    if scratch.capacity() < record::MAX_PLAINTEXT + 1 {
                        scratch.reserve_exact(record::MAX_PLAINTEXT + 1 - scratch.len());
                    }
                    scratch.clear();
                    scratch.extend_from_slice(msg.bytes(d)?);
                    scratch.push(0);
                    let hdr = record::seal13(keys, content_type, scratch, &mut tag)?;
                    msg.bytes_mut(d)?.copy_from_slice(&scratch[..dlen]);
                    msg.bytes_mut(t)?[0] = scratch[dlen];
                    hdr
                };
                msg.bytes_mut(h)?[..record::HEADER].copy_from_slice(&header);
                msg.set_size(h, record::HEADER)?;
                msg.bytes_mut(t)?[1..1 + record::TAG].copy_from_slice(&tag);
                msg.set_size(t, 1 + record::TAG)?;
            }
        }
        Ok(())
    }

    fn unseal(&self, msg: &mut SecBuffers<'_>, _seq_no: u32) -> SecResult<Unsealed> {
        let (d, e) = decrypt_shape(msg)?;
        let info = self.info.get().ok_or(Error::InvalidHandle)?;
        let mut rx = self.rx.lock();
        if rx.closed {
            return Err(Error::ContextExpired);
        }
        let total = msg.size(d);
        let n = match record::record_len(msg.bytes(d)?) {
            Ok(n) => n,
            Err(missing) => {
                // Windows puts the count in the DATA buffer itself, pvBuffer kept (Wine
                // dlls/secur32/tests/schannel.c test_communication, run on Windows).
                msg.set_missing(d, missing);
                return Err(Error::IncompleteMessage);
            }
        };
        let keys = rx.keys.as_mut().ok_or(Error::ContextExpired)?;
        let opened = {
            let buf = msg.bytes_mut(d)?;
            let o = record::open(keys, info.version, &mut buf[..n])?;
            // Post-handshake content is read here, before the buffers are rewritten.
            let body = &buf[o.start..o.start + o.len];
            let mut outcome = Outcome::Ok;
            let mut data_len = o.len;
            match o.content_type {
                record::CT_APPLICATION_DATA => {}
                record::CT_ALERT => {
                    data_len = 0;
                    match body {
                        [_, 0, ..] => {
                            rx.closed = true;
                            outcome = Outcome::ContextExpired;
                        }
                        [2, ..] => return Err(Error::IllegalMessage),
                        _ => {}
                    }
                }
                record::CT_HANDSHAKE => {
                    data_len = 0;
                    if info.version == Version::Tls13 {
                        let mut m = body;
                        let mut update = None;
                        while m.len() >= 4 {
                            let len = u32::from_be_bytes([0, m[1], m[2], m[3]]) as usize;
                            if m.len() < 4 + len {
                                break;
                            }
                            if m[0] == 24 && len == 1 {
                                update = Some(m[4]);
                            }
                            if m[0] == 4 {
                                if let Some(k) = self.kernel.lock().as_mut() {
                                    k.new_session_ticket(&m[4..4 + len]);
                                }
                            }
                            m = &m[4 + len..];
                        }
                        if let Some(req) = update {
                            let mut k = self.kernel.lock();
                            let (seq, sec) = k
                                .as_mut()
                                .ok_or(Error::InternalError)?
                                .update_rx()
                                .map_err(|_| Error::InternalError)?;
                            rx.keys = Some(Keys::new(info.version, seq, sec)?);
                            if req == 1 {
                                self.key_update_due.store(true, Ordering::Release);
                            }
                        }
                        outcome = Outcome::Renegotiate;
                    } else if !self.server && body.len() >= 4 && body[0] == 0 {
                        // TLS 1.2 HelloRequest: SEC_I_RENEGOTIATE, as Windows returns; the
                        // caller's next ISC declines with a no_renegotiation warning alert
                        // (renegotiation is not implemented) and the connection stays usable.
                        self.decline_renegotiation.store(true, Ordering::Release);
                        outcome = Outcome::Renegotiate;
                    }
                }
                record::CT_CHANGE_CIPHER_SPEC => data_len = 0,
                _ => return Err(Error::IllegalMessage),
            }
            (o.start, data_len, outcome)
        };
        let (start, len, outcome) = opened;
        // EXTRA, TRAILER and DATA point into the DATA buffer, which becomes the HEADER last.
        if total > n {
            msg.point_into(e[2], SECBUFFER_EXTRA, d, n, total - n)?;
        } else {
            msg.set_counter(e[2], SECBUFFER_EMPTY, 0);
        }
        msg.point_into(
            e[1],
            SECBUFFER_STREAM_TRAILER,
            d,
            start + len,
            n - start - len,
        )?;
        msg.point_into(e[0], SECBUFFER_DATA, d, start, len)?;
        msg.point_into(d, SECBUFFER_STREAM_HEADER, d, 0, start)?;
        Ok(Unsealed { qop: 0, outcome })
    }

    fn make_signature(&self, _qop: u32, _m: &mut SecBuffers<'_>, _s: u32) -> SecResult<()> {
        Err(Error::UnsupportedFunction)
    }

    fn verify_signature(&self, _m: &mut SecBuffers<'_>, _s: u32) -> SecResult<u32> {
        Err(Error::UnsupportedFunction)
    }

    fn query_attribute(&self, attr: u32) -> SecResult<Attribute> {
        let proto = |v: Version| match (v, self.server) {
            (Version::Tls12, false) => SP_PROT_TLS1_2_CLIENT,
            (Version::Tls12, true) => SP_PROT_TLS1_2_SERVER,
            (Version::Tls13, false) => SP_PROT_TLS1_3_CLIENT,
            (Version::Tls13, true) => SP_PROT_TLS1_3_SERVER,
        };
        match attr {
            SECPKG_ATTR_STREAM_SIZES => {
                let i = self.established()?;
                Ok(Attribute::StreamSizes {
                    header: i.header as u32,
                    trailer: i.trailer as u32,
                    maximum_message: record::MAX_PLAINTEXT as u32,
                    buffers: 4,
                    block_size: 1,
                })
            }
            SECPKG_ATTR_SIZES => {
                let i = self.established()?;
                Ok(Attribute::Sizes {
                    max_token: INFO.max_token,
                    max_signature: 0,
                    block_size: 1,
                    security_trailer: i.trailer as u32,
                })
            }
            SECPKG_ATTR_PACKAGE_INFO => Ok(Attribute::PackageInfo(self.cred.info)),
            SECPKG_ATTR_NEGOTIATION_INFO => Err(Error::UnsupportedFunction),
            SECPKG_ATTR_CONNECTION_INFO => {
                let i = self.established()?;
                let (_, _, bits, alg, hbits, halg, _) = suite_info(i.suite);
                let mut v = Vec::with_capacity(28);
                // Every suite here is AEAD: no separate MAC, so dwHashStrength is 0 as Windows
                // reports it.
                let _ = hbits;
                for x in [proto(i.version), alg, bits, halg, 0, CALG_ECDH_EPHEM, 256] {
                    push_u32(&mut v, x);
                }
                Ok(Attribute::Raw(v))
            }
            SECPKG_ATTR_CIPHER_INFO => {
                let i = self.established()?;
                let (name, cipher, bits, _, _, _, _) = suite_info(i.suite);
                let mut v = Vec::with_capacity(std::mem::size_of::<SecPkgContext_CipherInfo>());
                push_u32(&mut v, SECPKGCONTEXT_CIPHERINFO_V1);
                // As Windows fills it: dwProtocol is the wire version (0x0303, 0x0304),
                // dwCipherSuite and dwBaseCipherSuite the IANA number, no hash for AEAD
                // suites, exchange "ECDH", dwKeyType the named group.
                push_u32(&mut v, i.version.wire() as u32);
                push_u32(&mut v, i.suite as u32);
                push_u32(&mut v, i.suite as u32);
                push_wide(&mut v, name);
                push_wide(&mut v, cipher);
                push_u32(&mut v, bits);
                push_u32(&mut v, 16);
                push_wide(&mut v, "");
                push_u32(&mut v, 0);
                push_wide(&mut v, "ECDH");
                push_u32(&mut v, 255);
                push_u32(&mut v, 521);
                let cert_kind = i
                    .peer_certs
                    .first()
                    .or(i.local_cert.as_ref())
                    .map(|c| cert_key_kind(c))
                    .unwrap_or("");
                push_wide(&mut v, cert_kind);
                push_u32(&mut v, i.group as u32);
                Ok(Attribute::Raw(v))
            }
            SECPKG_ATTR_KEY_INFO => {
                let i = self.established()?;
                let (_, cipher, bits, alg, _, _, _) = suite_info(i.suite);
                let server_cert = if self.server {
                    i.local_cert.as_ref()
                } else {
                    i.peer_certs.first()
                };
                let ecdsa = server_cert.is_some_and(|c| cert_key_kind(c) == "ECDSA");
                Ok(Attribute::KeyInfo {
                    signature_algorithm_name: if ecdsa { "ECDSA" } else { "RSA" },
                    encrypt_algorithm_name: cipher,
                    key_size: bits,
                    signature_algorithm: if ecdsa { CALG_ECDSA } else { CALG_RSA_SIGN },
                    encrypt_algorithm: alg,
                })
            }
            SECPKG_ATTR_SESSION_INFO => {
                let i = self.established()?;
                let mut v = vec![0u8; 40];
                let flags = if i.resumed { SSL_SESSION_RECONNECT } else { 0 };
                v[..4].copy_from_slice(&flags.to_ne_bytes());
                Ok(Attribute::Raw(v))
            }
            SECPKG_ATTR_APPLICATION_PROTOCOL => {
                let i = self.established()?;
                Ok(match &i.alpn {
                    Some(p) => Attribute::ApplicationProtocol {
                        status: SecApplicationProtocolNegotiationStatus_Success,
                        ext: SecApplicationProtocolNegotiationExt_ALPN,
                        protocol: p.clone(),
                    },
                    None => Attribute::ApplicationProtocol {
                        status: SecApplicationProtocolNegotiationStatus_None,
                        ext: SecApplicationProtocolNegotiationExt_None,
                        protocol: Vec::new(),
                    },
                })
            }
            SECPKG_ATTR_REMOTE_CERT_CONTEXT => {
                let i = self.established()?;
                if i.peer_certs.is_empty() {
                    return Err(Error::NoCredentials);
                }
                Ok(Attribute::CertContext(i.peer_certs.clone()))
            }
            SECPKG_ATTR_LOCAL_CERT_CONTEXT => {
                let i = self.established()?;
                let c = i.local_cert.clone().ok_or(Error::NoCredentials)?;
                Ok(Attribute::CertContext(vec![c]))
            }
            SECPKG_ATTR_ENDPOINT_BINDINGS => {
                let i = self.established()?;
                let cert = if self.server {
                    i.local_cert.as_ref()
                } else {
                    i.peer_certs.first()
                };
                let cert = cert.ok_or(Error::NoCredentials)?;
                let mut v = b"tls-server-end-point:".to_vec();
                v.extend_from_slice(&endpoint_hash(cert));
                Ok(Attribute::Bindings(v))
            }
            SECPKG_ATTR_UNIQUE_BINDINGS => {
                let i = self.established()?;
                let u = i.unique.as_ref().ok_or(Error::UnsupportedFunction)?;
                let mut v = b"tls-unique:".to_vec();
                v.extend_from_slice(u);
                Ok(Attribute::Bindings(v))
            }
            _ => Err(Error::UnsupportedFunction),
        }
    }
}

/// "RSA" or "ECDSA" from the certificate's public key algorithm.
fn cert_key_kind(der: &[u8]) -> &'static str {
    // id-ecPublicKey 1.2.840.10045.2.1
    const EC: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    if der.windows(EC.len()).any(|w| w == EC) {
        "ECDSA"
    } else {
        "RSA"
    }
}

/// RFC 5929 tls-server-end-point hash: the certificate's signature hash, SHA-256 for MD5,
/// SHA-1 and unknown.
fn endpoint_hash(der: &[u8]) -> Vec<u8> {
    use x509_parser::prelude::*;
    let alg = match X509Certificate::from_der(der) {
        Ok((_, c)) => match c.signature_algorithm.algorithm.to_id_string().as_str() {
            "1.2.840.113549.1.1.12" | "1.2.840.10045.4.3.3" => &ring::digest::SHA384,
            "1.2.840.113549.1.1.13" | "1.2.840.10045.4.3.4" => &ring::digest::SHA512,
            _ => &ring::digest::SHA256,
        },
        Err(_) => &ring::digest::SHA256,
    };
    ring::digest::digest(alg, der).as_ref().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

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
