//! The Kerberos security context: InitializeSecurityContext (AP-REQ, AP-REP check) and
//! AcceptSecurityContext (ticket and authenticator checks, AP-REP), RFC 4120 §3.2,
//! RFC 4121 §4.1 and MS-KILE §3.2.5 / §3.4.5; then the message functions of `wrap`.
//!
//! Tokens: the AP-REQ goes in an RFC 2743 §3.1 InitialContextToken (krb5 OID, TOK_ID 01 00)
//! and the AP-REP in one with TOK_ID 02 00; with ISC_REQ_USE_DCE_STYLE (MS-KILE §3.4.5.1)
//! both travel bare and the client answers the AP-REP with an AP-REP of its own (three legs).

use super::asn1::gss::{self, Mech};
use super::asn1::{
    self, error_code, flags, msg_type, ApRep, ApRepBody, ApReq, ApReqBody, App, Authenticator,
    AuthenticatorBody, Checksum, EncApRepPart, EncApRepPartBody, EncKrbCredPart,
    EncKrbCredPartBody, EncTicketPart, EncryptedData, EncryptionKey, KerberosFlags, KerberosTime,
    KrbCred, KrbCredBody, KrbCredInfo, KrbError, KrbErrorBody, PrincipalName, SecretOctets, Ticket,
    UInt32,
};
use super::credentials::{display_name, KerberosCredentials};
use super::crypto::{fill_random, Etype, Key};
use super::wrap::{Options, Session};
use super::{Principal, INFO};
use crate::buffers::SecBuffers;
use crate::ffi::consts::*;
use crate::package::{Attribute, Context, PackageInfo, Step, Unsealed};
use crate::status::{Error, Outcome, SecResult};
use der::asn1::OctetString;
use parking_lot::Mutex;
use std::sync::{Arc, OnceLock};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

mod acceptor;
mod initiator;

use acceptor::ap_req_of;

/// RFC 4120 §7.5.1 key usages of the AP exchange.
mod usage {
    pub const TICKET: u32 = 2;
    pub const AP_REQ_AUTHENTICATOR: u32 = 11;
    pub const AP_REP_ENC_PART: u32 = 12;
    pub const KRB_CRED_ENC_PART: u32 = 14;
}

/// RFC 4121 §4.1.1 authenticator checksum type and its GSS flags.
const GSS_CHECKSUM_TYPE: i32 = 0x8003;
mod gss_flags {
    pub const DELEG: u32 = 1;
    pub const MUTUAL: u32 = 2;
    pub const REPLAY: u32 = 4;
    pub const SEQUENCE: u32 = 8;
    pub const CONF: u32 = 16;
    pub const INTEG: u32 = 32;
    pub const DCE_STYLE: u32 = 0x1000;
    pub const IDENTIFY: u32 = 0x2000;
    pub const EXTENDED_ERROR: u32 = 0x4000;
}

/// The GSS flags an ISC_REQ_* request asks for (RFC 4121 §4.1.1.1; MS-KILE §3.2.5.2).
fn gss_flags_of(req: u32) -> u32 {
    let mut f = 0;
    for (isc, g) in [
        (ISC_REQ_DELEGATE, gss_flags::DELEG),
        (ISC_REQ_MUTUAL_AUTH, gss_flags::MUTUAL),
        (ISC_REQ_REPLAY_DETECT, gss_flags::REPLAY),
        (ISC_REQ_SEQUENCE_DETECT, gss_flags::SEQUENCE),
        (ISC_REQ_CONFIDENTIALITY, gss_flags::CONF),
        (ISC_REQ_INTEGRITY, gss_flags::INTEG),
        (
            ISC_REQ_USE_DCE_STYLE,
            gss_flags::DCE_STYLE | gss_flags::MUTUAL,
        ),
        (ISC_REQ_IDENTIFY, gss_flags::IDENTIFY),
        (ISC_REQ_EXTENDED_ERROR, gss_flags::EXTENDED_ERROR),
    ] {
        if req & isc != 0 {
            f |= g;
        }
    }
    f
}

fn wrap_options(gss: u32) -> Options {
    Options {
        dce_style: gss & gss_flags::DCE_STYLE != 0,
        sequence_detect: gss & gss_flags::SEQUENCE != 0,
        replay_detect: gss & gss_flags::REPLAY != 0,
        confidentiality: gss & gss_flags::CONF != 0,
        integrity: gss & gss_flags::INTEG != 0,
    }
}

fn asn1_err(_: asn1::Asn1Error) -> Error {
    Error::InvalidToken
}

fn internal(_: impl core::fmt::Debug) -> Error {
    Error::InternalError
}

fn octets(b: Vec<u8>) -> SecResult<OctetString> {
    OctetString::new(b).map_err(internal)
}

fn encryption_key(k: &Key) -> EncryptionKey {
    EncryptionKey {
        keytype: k.etype().to_i32(),
        keyvalue: SecretOctets(Zeroizing::new(k.bytes().to_vec())),
    }
}

fn key_of(ek: &EncryptionKey) -> SecResult<Key> {
    let etype = Etype::from_i32(ek.keytype).ok_or(Error::AlgorithmMismatch)?;
    Key::new(etype, &ek.keyvalue.0).ok_or(Error::InvalidToken)
}

/// A sequence number as Windows and MIT choose them: random, below 2^30 so that peers that
/// read it as a signed 32-bit number agree.
fn random_seq() -> u32 {
    let mut b = [0u8; 4];
    fill_random(&mut b);
    u32::from_be_bytes(b) & 0x3fff_ffff
}

/// Seconds since the Unix epoch → FILETIME (100 ns since 1601).
fn filetime(unix: i64) -> i64 {
    unix.saturating_mul(10_000_000)
        .saturating_add(116_444_736_000_000_000)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Writes the output token; returns whether the library allocated it.
fn write_output(step: &mut Step<'_, '_>, msg: &[u8]) -> SecResult<bool> {
    let out = step.output.as_deref_mut().ok_or(Error::InvalidToken)?;
    out.write_token(msg)?;
    Ok(out.allocate())
}

/// An empty output token (the last leg sends nothing).
fn empty_output(step: &mut Step<'_, '_>) -> bool {
    match step.output.as_deref_mut() {
        Some(out) => {
            if let Some(i) = out.find(SECBUFFER_TOKEN) {
                let _ = out.set_size(i, 0);
            }
            false
        }
        None => false,
    }
}

/// A peer's KRB-ERROR (RFC 4120 §5.9.1) as the SEC_E_* Windows returns for it.
/// AP exchange codes: KRB_AP_ERR_MODIFIED / NOKEY / BADKEYVER mean the service's key is not
/// the one the ticket was made for — Windows' "the target principal name is incorrect"
/// (SEC_E_WRONG_PRINCIPAL); a replayed or mismatched authenticator is a refused logon.
fn krb_error_status(bytes: &[u8]) -> Error {
    match KrbError::from_bytes(bytes) {
        Ok(e) => match e.error_code {
            error_code::KRB_AP_ERR_MODIFIED
            | error_code::KRB_AP_ERR_NOKEY
            | error_code::KRB_AP_ERR_BADKEYVER
            | error_code::KRB_AP_ERR_NOT_US => Error::WrongPrincipal,
            error_code::KRB_AP_ERR_REPEAT | error_code::KRB_AP_ERR_BADMATCH => Error::LogonDenied,
            code => super::kdc::map_error_code(code),
        },
        Err(_) => Error::InvalidToken,
    }
}

enum State {
    Initial,
    /// Client: AP-REQ sent; the AP-REP is awaited (mutual authentication or DCE style).
    AwaitApRep(Box<ClientPending>),
    /// Server, DCE style: AP-REP sent; the client's AP-REP is awaited.
    AwaitDceApRep(Box<ServerPending>),
    Done,
    /// A step failed: the context is unusable (Windows: the handle must be deleted).
    Failed,
}

struct ClientPending {
    ticket: super::Credential,
    subkey: Key,
    ctime: KerberosTime,
    cusec: i32,
    seq: u32,
    gss: u32,
    server: Principal,
}

struct ServerPending {
    established: Established,
    session_key: Key,
    seq: u32,
}

/// What a completed handshake leaves.
struct Established {
    session: Session,
    /// SECPKG_ATTR_SESSION_KEY: the key the messages use.
    key: Key,
    client: Principal,
    server: Principal,
    start: i64,
    end: i64,
    ret_flags: u32,
}

/// A Kerberos security context.
pub struct KerberosContext {
    creds: Arc<KerberosCredentials>,
    client: bool,
    hs: Mutex<(State, u32)>,
    done: OnceLock<Established>,
    /// The RFC 4120 §7.5.9 code of the last AP-REQ refusal (for the KRB-ERROR token).
    ap_error: Mutex<i32>,
}

impl KerberosContext {
    pub(super) fn new(creds: Arc<KerberosCredentials>, client: bool) -> Self {
        KerberosContext {
            creds,
            client,
            hs: Mutex::new((State::Initial, 0)),
            done: OnceLock::new(),
            ap_error: Mutex::new(error_code::KRB_ERR_GENERIC),
        }
    }

    /// Records the Kerberos error code an AP-REQ refusal maps to; returns the SSPI error.
    fn ap_error(&self, e: Error, code: i32) -> Error {
        *self.ap_error.lock() = code;
        e
    }

    /// The KRB-ERROR an acceptor returns with a refused AP-REQ (RFC 4120 §3.2.3, §5.9.1;
    /// RFC 4121 §4.1: TOK_ID 03 00 in an InitialContextToken, bare in DCE style), as Windows
    /// does with ASC_REQ_EXTENDED_ERROR: stime/susec now, realm and sname of the ticket.
    fn error_token(&self, token: Option<&[u8]>) -> Option<Vec<u8>> {
        let (ap_req, framed) = token.and_then(|t| ap_req_of(t).ok())?;
        let tkt = &ap_req.0.ticket.0;
        let (stime, susec) = KerberosTime::now();
        let e = KrbError::from(App(KrbErrorBody {
            pvno: 5,
            msg_type: msg_type::KRB_ERROR,
            ctime: None,
            cusec: None,
            stime,
            susec,
            error_code: *self.ap_error.lock(),
            crealm: None,
            cname: None,
            realm: tkt.realm.clone(),
            sname: tkt.sname.clone(),
            e_text: None,
            e_data: None,
        }));
        let der = e.to_bytes().ok()?;
        Some(if framed {
            gss::encode_initial_context_token(Mech::Krb5, gss::TOK_ID_KRB_ERROR, &der)
        } else {
            der
        })
    }

    fn established(&self) -> SecResult<&Established> {
        self.done.get().ok_or(Error::InvalidHandle)
    }

    /// The service principal for pszTargetName: `service/host[:port][@REALM]`; without a
    /// realm, [domain_realm] for the host, else the client's realm (MS-KILE §3.3.5.1 leaves
    /// the realm to the client's domain).
    fn target_principal(&self, target: &str, client_realm: &str) -> SecResult<Principal> {
        let cfg = &self.creds.config;
        let mut p = super::kdc::service_principal(target, "").ok_or(Error::TargetUnknown)?;
        if p.realm.is_empty() {
            p.realm = p
                .components
                .get(1)
                .and_then(|h| cfg.realm_for_host(h))
                .unwrap_or_else(|| client_realm.to_owned());
        }
        Ok(p)
    }
}

impl Context for KerberosContext {
    fn package(&self) -> &'static PackageInfo {
        &INFO
    }

    fn initialize(&self, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        if !self.client {
            return Err(Error::InvalidHandle);
        }
        let mut hs = self.hs.lock();
        let state = std::mem::replace(&mut hs.0, State::Failed);
        let result = match state {
            State::Initial => self.ap_req(step).map(|(s, o, r)| {
                hs.0 = s;
                (o, r)
            }),
            State::AwaitApRep(p) => match self.ap_rep(step, &p) {
                Ok(x) => {
                    hs.0 = State::Done;
                    Ok(x)
                }
                Err(e) => {
                    // A token that did not parse leaves the context waiting, as Windows.
                    if e == Error::InvalidToken {
                        hs.0 = State::AwaitApRep(p);
                    }
                    Err(e)
                }
            },
            other => {
                hs.0 = other;
                Err(Error::InvalidToken)
            }
        };
        let (outcome, ret) = result?;
        hs.1 = ret;
        step.ret_flags = ret;
        step.expiry = self.done.get().map(|e| filetime(e.end)).unwrap_or(i64::MAX);
        Ok(outcome)
    }

    fn accept(&self, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        if self.client {
            return Err(Error::InvalidHandle);
        }
        let mut hs = self.hs.lock();
        let state = std::mem::replace(&mut hs.0, State::Failed);
        let result = match state {
            State::Initial => self.accept_ap_req(step).map(|(s, o, r)| {
                hs.0 = s;
                (o, r)
            }),
            State::AwaitDceApRep(p) => self.accept_dce_ap_rep(step, *p).map(|r| {
                hs.0 = State::Done;
                (Outcome::Ok, r)
            }),
            other => {
                hs.0 = other;
                Err(Error::InvalidToken)
            }
        };
        let (outcome, ret) = match result {
            Ok(x) => x,
            Err(e) => {
                // ASC_REQ_EXTENDED_ERROR: the KRB-ERROR goes back to the client in the output
                // token with the failure (MS-KILE §3.4.5.1; Windows' KRB_AP_ERR_SKEW retry).
                if step.req_flags & ASC_REQ_EXTENDED_ERROR != 0 && e != Error::InvalidToken {
                    let input = step.input_token().ok();
                    if let Some(tok) = self.error_token(input.as_deref()) {
                        let _ = write_output(step, &tok);
                    }
                }
                return Err(e);
            }
        };
        hs.1 = ret;
        step.ret_flags = ret;
        step.expiry = self.done.get().map(|e| filetime(e.end)).unwrap_or(i64::MAX);
        Ok(outcome)
    }

    fn seal(&self, qop: u32, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<()> {
        self.established()?.session.seal(qop, message, seq_no)
    }

    fn unseal(&self, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<Unsealed> {
        let qop = self.established()?.session.unseal(message, seq_no)?;
        Ok(Unsealed {
            qop,
            outcome: Outcome::Ok,
        })
    }

    fn make_signature(&self, qop: u32, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<()> {
        self.established()?
            .session
            .make_signature(qop, message, seq_no)
    }

    fn verify_signature(&self, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<u32> {
        self.established()?
            .session
            .verify_signature(message, seq_no)
    }

    /// The peer's mechListMIC, its sequence number not required to match (Windows signs it
    /// with 0): [`Session::verify_mech_list_mic`]. Ours is the default (MakeSignature).
    fn verify_mech_list_mic(&self, der: &[u8], mic: &[u8]) -> SecResult<()> {
        self.established()?.session.verify_mech_list_mic(der, mic)
    }

    fn query_attribute(&self, attr: u32) -> SecResult<Attribute> {
        Ok(match attr {
            SECPKG_ATTR_SIZES => {
                let s = self.established()?.session.sizes();
                Attribute::Sizes {
                    max_token: INFO.max_token,
                    max_signature: s.max_signature,
                    block_size: s.block_size,
                    security_trailer: s.security_trailer,
                }
            }
            SECPKG_ATTR_PACKAGE_INFO => Attribute::PackageInfo(&INFO),
            SECPKG_ATTR_NEGOTIATION_INFO => Attribute::NegotiationInfo {
                package: &INFO,
                state: if self.done.get().is_some() {
                    SECPKG_NEGOTIATION_COMPLETE
                } else {
                    SECPKG_NEGOTIATION_IN_PROGRESS
                },
            },
            SECPKG_ATTR_FLAGS => Attribute::Flags(match self.done.get() {
                Some(e) => e.ret_flags,
                None => self.hs.lock().1,
            }),
            SECPKG_ATTR_LIFESPAN => {
                let e = self.established()?;
                Attribute::Lifespan {
                    start: filetime(e.start),
                    expiry: filetime(e.end),
                }
            }
            SECPKG_ATTR_NAMES => Attribute::Names(display_name(&self.established()?.client)),
            SECPKG_ATTR_NATIVE_NAMES => {
                let e = self.established()?;
                Attribute::NativeNames {
                    client: display_name(&e.client),
                    server: display_name(&e.server),
                }
            }
            SECPKG_ATTR_SESSION_KEY => {
                Attribute::SessionKey(Zeroizing::new(self.established()?.key.bytes().to_vec()))
            }
            SECPKG_ATTR_KEY_INFO => {
                let e = self.established()?;
                let et = e.key.etype();
                let (sig, enc) = match et {
                    Etype::Aes128CtsHmacSha196 => {
                        ("HMAC-SHA1-96-AES128", "AES-128-CTS-HMAC-SHA1-96")
                    }
                    Etype::Aes256CtsHmacSha196 => {
                        ("HMAC-SHA1-96-AES256", "AES-256-CTS-HMAC-SHA1-96")
                    }
                    Etype::Aes128CtsHmacSha256128 => {
                        ("HMAC-SHA256-128-AES128", "AES-128-CTS-HMAC-SHA256-128")
                    }
                    Etype::Aes256CtsHmacSha384192 => {
                        ("HMAC-SHA384-192-AES256", "AES-256-CTS-HMAC-SHA384-192")
                    }
                    Etype::Rc4Hmac => ("HMAC-MD5", "RSADSI RC4-HMAC"),
                };
                Attribute::KeyInfo {
                    signature_algorithm_name: sig,
                    encrypt_algorithm_name: enc,
                    key_size: (et.key_len() * 8) as u32,
                    signature_algorithm: et.checksum_type() as u32,
                    encrypt_algorithm: et.to_i32() as u32,
                }
            }
            SECPKG_ATTR_DCE_INFO => {
                self.established()?;
                Attribute::DceInfo { authz_svc: 0 }
            }
            _ => return Err(Error::UnsupportedFunction),
        })
    }
}
