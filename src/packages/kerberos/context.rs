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

/// ASC_RET_* for the GSS flags the client sent (and the acceptor's own choices).
fn asc_ret(gss: u32, req: u32, allocated: bool) -> u32 {
    let mut r = 0;
    for (g, asc) in [
        (gss_flags::DELEG, ASC_RET_DELEGATE),
        (gss_flags::MUTUAL, ASC_RET_MUTUAL_AUTH),
        (gss_flags::REPLAY, ASC_RET_REPLAY_DETECT),
        (gss_flags::SEQUENCE, ASC_RET_SEQUENCE_DETECT),
        (gss_flags::CONF, ASC_RET_CONFIDENTIALITY),
        (gss_flags::INTEG, ASC_RET_INTEGRITY),
        (gss_flags::DCE_STYLE, ASC_RET_USED_DCE_STYLE),
        (gss_flags::IDENTIFY, ASC_RET_IDENTIFY),
        (gss_flags::EXTENDED_ERROR, ASC_RET_EXTENDED_ERROR),
    ] {
        if gss & g != 0 {
            r |= asc;
        }
    }
    if req & ASC_REQ_CONNECTION != 0 {
        r |= ASC_RET_CONNECTION;
    }
    if allocated {
        r |= ASC_RET_ALLOCATED_MEMORY;
    }
    r
}

/// ISC_RET_* for what the context got: the GSS flags sent, mutual auth only once the AP-REP
/// was verified, delegation only when a forwardable TGT was sent.
fn isc_ret(gss: u32, req: u32, mutual_done: bool, allocated: bool) -> u32 {
    let mut r = 0;
    for (g, isc) in [
        (gss_flags::REPLAY, ISC_RET_REPLAY_DETECT),
        (gss_flags::SEQUENCE, ISC_RET_SEQUENCE_DETECT),
        (gss_flags::CONF, ISC_RET_CONFIDENTIALITY),
        (gss_flags::INTEG, ISC_RET_INTEGRITY),
        (gss_flags::DCE_STYLE, ISC_RET_USED_DCE_STYLE),
        (gss_flags::IDENTIFY, ISC_RET_IDENTIFY),
        (gss_flags::EXTENDED_ERROR, ISC_RET_EXTENDED_ERROR),
        (gss_flags::DELEG, ISC_RET_DELEGATE),
    ] {
        if gss & g != 0 {
            r |= isc;
        }
    }
    if mutual_done {
        r |= ISC_RET_MUTUAL_AUTH;
    }
    if req & ISC_REQ_CONNECTION != 0 {
        r |= ISC_RET_CONNECTION;
    }
    if allocated {
        r |= ISC_RET_ALLOCATED_MEMORY;
    }
    r
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

/// RFC 4121 §4.1.1 checksum value: Lgth (16), Bnd, Flags, little-endian; with delegation
/// DlgOpt (1), Dlgth and Deleg (the KRB-CRED).
fn gss_checksum(bindings: &[u8; 16], flags: u32, deleg: Option<&[u8]>) -> SecResult<Vec<u8>> {
    let mut v = Vec::with_capacity(28 + deleg.map_or(0, <[u8]>::len));
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(bindings);
    v.extend_from_slice(&flags.to_le_bytes());
    if let Some(d) = deleg {
        let n = u16::try_from(d.len()).map_err(internal)?;
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&n.to_le_bytes());
        v.extend_from_slice(d);
    }
    Ok(v)
}

/// The KRB-CRED carrying a forwarded TGT (RFC 4120 §5.8, RFC 4121 §4.1.1.1), its enc-part
/// under the ticket session key (key usage 14), as MIT and Windows send it.
fn krb_cred(fwd: &super::Credential, key: &Key) -> SecResult<Vec<u8>> {
    let info = KrbCredInfo {
        key: encryption_key(&fwd.key),
        prealm: Some(fwd.client.realm.as_str().into()),
        pname: Some(PrincipalName::from(&fwd.client)),
        flags: Some(KerberosFlags(fwd.flags)),
        authtime: Some(KerberosTime(fwd.auth_time)),
        starttime: fwd.start_time.map(KerberosTime),
        endtime: Some(KerberosTime(fwd.end_time)),
        renew_till: fwd.renew_till.map(KerberosTime),
        srealm: Some(fwd.server.realm.as_str().into()),
        sname: Some(PrincipalName::from(&fwd.server)),
        caddr: None,
    };
    let (now, usec) = KerberosTime::now();
    let enc = EncKrbCredPart::from(App(EncKrbCredPartBody {
        ticket_info: vec![info],
        nonce: None,
        timestamp: Some(now),
        usec: Some(usec),
        s_address: None,
        r_address: None,
    }));
    let enc_der = Zeroizing::new(enc.to_bytes().map_err(internal)?);
    let cred = KrbCred::from(App(KrbCredBody {
        pvno: 5,
        msg_type: msg_type::KRB_CRED,
        tickets: vec![Ticket::from_bytes(&fwd.ticket).map_err(internal)?],
        enc_part: EncryptedData::new(
            key.etype().to_i32(),
            None,
            key.encrypt(usage::KRB_CRED_ENC_PART, &enc_der),
        )
        .map_err(internal)?,
    }));
    cred.to_bytes().map_err(internal)
}

/// Checks a delegated KRB-CRED (RFC 4121 §4.1.1.1 Deleg): it must decrypt under the session
/// key (or the initiator subkey) and hold one credential. Errors: SEC_E_INVALID_TOKEN.
fn check_krb_cred(bytes: &[u8], keys: &[&Key]) -> SecResult<()> {
    let cred = KrbCred::from_bytes(bytes).map_err(asn1_err)?;
    let ed = &cred.0.enc_part;
    let plain = keys
        .iter()
        .filter(|k| k.etype().to_i32() == ed.etype)
        .find_map(|k| {
            k.decrypt(usage::KRB_CRED_ENC_PART, ed.cipher.as_bytes())
                .ok()
        })
        .ok_or(Error::InvalidToken)?;
    let enc = EncKrbCredPart::from_bytes(&plain).map_err(asn1_err)?;
    if enc.0.ticket_info.len() != cred.0.tickets.len() || cred.0.tickets.is_empty() {
        return Err(Error::InvalidToken);
    }
    Ok(())
}

/// The AP-REQ inside an input token: an InitialContextToken with TOK_ID 01 00 under the krb5
/// or Microsoft krb5 OID, or (DCE style, HTTP clients) a bare AP-REQ.
fn ap_req_of(token: &[u8]) -> SecResult<(ApReq, bool)> {
    match token.first() {
        Some(0x60) => {
            let t = gss::parse_initial_context_token(token).map_err(asn1_err)?;
            if !matches!(t.mech, Mech::Krb5 | Mech::MsKrb5) || t.tok_id != gss::TOK_ID_AP_REQ {
                return Err(Error::InvalidToken);
            }
            Ok((ApReq::from_bytes(t.message).map_err(asn1_err)?, true))
        }
        Some(0x6e) => Ok((ApReq::from_bytes(token).map_err(asn1_err)?, false)),
        _ => Err(Error::InvalidToken),
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

/// Replayed authenticators (RFC 4120 §3.2.3): (client, authenticator, ctime, cusec) seen within
/// the clock skew, kept process-wide as Windows keeps them per machine. `authenticator` is the
/// authenticator's ciphertext (as MIT's replay cache tags entries since 1.18), not the ticket's
/// sname: that is cleartext an attacker may change (Windows and MIT accept tickets whose sname
/// differs from the key's principal), which would slip a replay past a cache keyed on it.
fn replay_seen(client: &str, authenticator: &str, ctime: i64, cusec: i32, skew: i64) -> bool {
    type Entry = (String, String, i64, i32);
    static CACHE: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
    let t = now();
    let mut c = CACHE.lock();
    c.retain(|e| (e.2 - t).abs() <= skew);
    if c.iter()
        .any(|e| e.0 == client && e.1 == authenticator && e.2 == ctime && e.3 == cusec)
    {
        return true;
    }
    c.push((client.to_owned(), authenticator.to_owned(), ctime, cusec));
    false
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

    /// ISC, first call: the AP-REQ.
    fn ap_req(&self, step: &mut Step<'_, '_>) -> SecResult<(State, Outcome, u32)> {
        let client = self.creds.client.as_ref().ok_or(Error::NoCredentials)?;
        let target = step
            .target
            .filter(|t| !t.is_empty())
            .ok_or(Error::TargetUnknown)?;
        let server = self.target_principal(target, &client.principal.realm)?;
        let ticket = client.service_ticket(&self.creds.config, &server)?;
        let bindings = step.input_bindings()?.unwrap_or([0; 16]);
        let mut gss = gss_flags_of(step.req_flags);
        // Delegation: a forwarded TGT in a KRB-CRED, when the client's TGT is forwardable;
        // otherwise the context is made without it and ISC_RET_DELEGATE stays clear.
        let deleg = if gss & gss_flags::DELEG != 0 {
            client
                .forwarded_tgt(&self.creds.config)
                .map(|fwd| krb_cred(&fwd, &ticket.key))
                .transpose()?
        } else {
            None
        };
        if deleg.is_none() {
            gss &= !gss_flags::DELEG;
        }
        let dce = gss & gss_flags::DCE_STYLE != 0;
        let mutual = gss & gss_flags::MUTUAL != 0;
        let subkey = Key::random(ticket.key.etype());
        let seq = random_seq();
        let (ctime, cusec) = KerberosTime::now();
        let auth = Authenticator::from(App(AuthenticatorBody {
            authenticator_vno: 5,
            crealm: ticket.client.realm.as_str().into(),
            cname: PrincipalName::from(&ticket.client),
            cksum: Some(Checksum {
                cksumtype: GSS_CHECKSUM_TYPE,
                checksum: octets(gss_checksum(&bindings, gss, deleg.as_deref())?)?,
            }),
            cusec,
            ctime,
            subkey: Some(encryption_key(&subkey)),
            seq_number: Some(UInt32(seq)),
            authorization_data: None,
        }));
        let auth_der = Zeroizing::new(auth.to_bytes().map_err(internal)?);
        let enc_auth = ticket.key.encrypt(usage::AP_REQ_AUTHENTICATOR, &auth_der);
        let mut ap_options = KerberosFlags(0);
        if mutual {
            ap_options = ap_options.with_bit(flags::MUTUAL_REQUIRED);
        }
        let ap_req = ApReq::from(App(ApReqBody {
            pvno: 5,
            msg_type: msg_type::AP_REQ,
            ap_options,
            ticket: Ticket::from_bytes(&ticket.ticket).map_err(internal)?,
            authenticator: EncryptedData::new(ticket.key.etype().to_i32(), None, enc_auth)
                .map_err(internal)?,
        }));
        let der = ap_req.to_bytes().map_err(internal)?;
        let token = if dce {
            der
        } else {
            gss::encode_initial_context_token(Mech::Krb5, gss::TOK_ID_AP_REQ, &der)
        };
        let allocated = write_output(step, &token)?;
        if mutual {
            let ret = isc_ret(gss, step.req_flags, false, allocated);
            return Ok((
                State::AwaitApRep(Box::new(ClientPending {
                    ticket,
                    subkey,
                    ctime,
                    cusec,
                    seq,
                    gss,
                    server,
                })),
                Outcome::ContinueNeeded,
                ret,
            ));
        }
        // No AP-REP: the acceptor sends with the initiator's sequence number (RFC 4121 §2,
        // MIT: seq_send = seq_recv) and the initiator subkey protects the messages.
        let ret = isc_ret(gss, step.req_flags, false, allocated);
        let est = Established {
            session: Session::new(
                subkey.clone(),
                true,
                false,
                seq as u64,
                seq as u64,
                wrap_options(gss),
            ),
            key: subkey,
            client: ticket.client.clone(),
            server,
            start: ticket.start_time.unwrap_or(ticket.auth_time),
            end: ticket.end_time,
            ret_flags: ret,
        };
        let _ = self.done.set(est);
        Ok((State::Done, Outcome::Ok, ret))
    }

    /// ISC, second call: verify the AP-REP (RFC 4120 §3.2.5); DCE style answers it.
    fn ap_rep(&self, step: &mut Step<'_, '_>, p: &ClientPending) -> SecResult<(Outcome, u32)> {
        let token = step.input_token()?;
        let dce = p.gss & gss_flags::DCE_STYLE != 0;
        let der: &[u8] = match token.first() {
            Some(0x60) => {
                let t = gss::parse_initial_context_token(&token).map_err(asn1_err)?;
                if t.tok_id == gss::TOK_ID_KRB_ERROR {
                    return Err(krb_error_status(t.message));
                }
                if t.tok_id != gss::TOK_ID_AP_REP {
                    return Err(Error::InvalidToken);
                }
                // Borrow from the token for the rest of the function.
                let off = t.message.as_ptr() as usize - token.as_ptr() as usize;
                &token[off..off + t.message.len()]
            }
            Some(0x7e) => return Err(krb_error_status(&token)),
            Some(0x6f) => &token,
            _ => return Err(Error::InvalidToken),
        };
        let rep = ApRep::from_bytes(der).map_err(asn1_err)?;
        let key = &p.ticket.key;
        if rep.pvno != 5 || rep.msg_type != msg_type::AP_REP {
            return Err(Error::InvalidToken);
        }
        if rep.enc_part.etype != key.etype().to_i32() {
            return Err(Error::InvalidToken);
        }
        let plain = key
            .decrypt(usage::AP_REP_ENC_PART, rep.enc_part.cipher.as_bytes())
            .map_err(|_| Error::MessageAltered)?;
        let enc = EncApRepPart::from_bytes(&plain).map_err(asn1_err)?;
        if enc.ctime != p.ctime || enc.cusec != p.cusec {
            // RFC 4120 §3.2.5: KRB_AP_ERR_MUT_FAIL.
            return Err(Error::MessageAltered);
        }
        let acceptor_subkey = enc.subkey.as_ref().map(key_of).transpose()?;
        let acceptor_seq = enc.seq_number.map(|s| s.0).unwrap_or(p.seq);
        let mut allocated = false;
        if dce {
            // MS-KILE §3.4.5.1 / MIT krb5_mk_rep_dce: the client's AP-REP, current time, no
            // subkey, the acceptor's sequence number, under the ticket session key.
            let (ctime, cusec) = KerberosTime::now();
            let mine = EncApRepPart::from(App(EncApRepPartBody {
                ctime,
                cusec,
                subkey: None,
                seq_number: Some(UInt32(acceptor_seq)),
            }));
            let mine_der = Zeroizing::new(mine.to_bytes().map_err(internal)?);
            let rep = ApRep::from(App(ApRepBody {
                pvno: 5,
                msg_type: msg_type::AP_REP,
                enc_part: EncryptedData::new(
                    key.etype().to_i32(),
                    None,
                    key.encrypt(usage::AP_REP_ENC_PART, &mine_der),
                )
                .map_err(internal)?,
            }));
            allocated = write_output(step, &rep.to_bytes().map_err(internal)?)?;
        } else {
            empty_output(step);
        }
        let ret = isc_ret(p.gss, step.req_flags, true, allocated);
        let (wrap_key, is_acceptor_subkey) = match acceptor_subkey {
            Some(k) => (k, true),
            None => (p.subkey.clone(), false),
        };
        let est = Established {
            session: Session::new(
                wrap_key.clone(),
                true,
                is_acceptor_subkey,
                p.seq as u64,
                acceptor_seq as u64,
                wrap_options(p.gss),
            ),
            key: wrap_key,
            client: p.ticket.client.clone(),
            server: p.server.clone(),
            start: p.ticket.start_time.unwrap_or(p.ticket.auth_time),
            end: p.ticket.end_time,
            ret_flags: ret,
        };
        let _ = self.done.set(est);
        Ok((Outcome::Ok, ret))
    }

    /// ASC, first call: check the AP-REQ (RFC 4120 §3.2.3), answer with an AP-REP.
    fn accept_ap_req(&self, step: &mut Step<'_, '_>) -> SecResult<(State, Outcome, u32)> {
        let server = self.creds.server.as_ref().ok_or(Error::NoCredentials)?;
        let token = step.input_token()?;
        let (ap_req, framed) = ap_req_of(&token)?;
        let req = &ap_req.0;
        if req.pvno != 5 || req.msg_type != msg_type::AP_REQ {
            return Err(Error::InvalidToken);
        }
        let tkt = &req.ticket.0;
        if tkt.tkt_vno != 5 {
            return Err(Error::InvalidToken);
        }
        let sname = tkt.sname.to_principal(&tkt.realm);
        let etype = Etype::from_i32(tkt.enc_part.etype).ok_or(Error::AlgorithmMismatch)?;
        let kvno = tkt.enc_part.kvno.map(|k| k.0);
        let keys = server.ticket_keys(&sname, etype, kvno)?;
        if keys.is_empty() {
            // KRB_AP_ERR_NOKEY: a ticket for a key this acceptor does not hold.
            return Err(self.ap_error(Error::WrongPrincipal, error_code::KRB_AP_ERR_NOKEY));
        }
        let enc_ticket = keys
            .iter()
            .find_map(|k| {
                k.decrypt(usage::TICKET, tkt.enc_part.cipher.as_bytes())
                    .ok()
            })
            // KRB_AP_ERR_MODIFIED: Windows reports the wrong account's key this way.
            .ok_or_else(|| self.ap_error(Error::WrongPrincipal, error_code::KRB_AP_ERR_MODIFIED))?;
        let et = EncTicketPart::from_bytes(&enc_ticket).map_err(asn1_err)?.0;
        let session_key = key_of(&et.key)?;
        let client = et.cname.to_principal(&et.crealm);
        let skew = self.creds.config.clockskew().as_secs() as i64;
        let t = now();
        let start = et.starttime.map(|s| s.0).unwrap_or(et.authtime.0);
        if start - skew > t {
            return Err(self.ap_error(Error::TimeSkew, error_code::KRB_AP_ERR_TKT_NYV));
        }
        if et.endtime.0 + skew < t {
            return Err(self.ap_error(Error::ContextExpired, error_code::KRB_AP_ERR_TKT_EXPIRED));
        }
        if req.authenticator.etype != session_key.etype().to_i32() {
            return Err(Error::InvalidToken);
        }
        let auth_plain = session_key
            .decrypt(
                usage::AP_REQ_AUTHENTICATOR,
                req.authenticator.cipher.as_bytes(),
            )
            .map_err(|_| self.ap_error(Error::LogonDenied, error_code::KRB_AP_ERR_MODIFIED))?;
        let auth = Authenticator::from_bytes(&auth_plain).map_err(asn1_err)?.0;
        if auth.crealm != et.crealm || !auth.cname.same_name(&et.cname) {
            return Err(self.ap_error(Error::LogonDenied, error_code::KRB_AP_ERR_BADMATCH));
        }
        if (auth.ctime.0 - t).abs() > skew {
            return Err(self.ap_error(Error::TimeSkew, error_code::KRB_AP_ERR_SKEW));
        }
        let client_text = display_name(&client);
        // The GSS checksum: bindings and flags (RFC 4121 §4.1.1).
        let mut gss = 0;
        if let Some(ck) = auth
            .cksum
            .as_ref()
            .filter(|c| c.cksumtype == GSS_CHECKSUM_TYPE)
        {
            let v = ck.checksum.as_bytes();
            if v.len() < 24 || u32::from_le_bytes([v[0], v[1], v[2], v[3]]) != 16 {
                return Err(Error::InvalidToken);
            }
            let bnd: [u8; 16] = v[4..20].try_into().map_err(internal)?;
            gss = u32::from_le_bytes([v[20], v[21], v[22], v[23]]);
            if let Some(ours) = step.input_bindings()? {
                // Windows accepts a client that sent no bindings unless hardened.
                if bnd != [0; 16] && !bool::from(ours.ct_eq(&bnd)) {
                    return Err(Error::BadBindings);
                }
            }
            // RFC 4121 §4.1.1.1: with GSS_C_DELEG_FLAG, DlgOpt 1, Dlgth, Deleg (KRB-CRED).
            // The delegated TGT is checked; it is not stored (there is no logon session to
            // put it in), but the context reports the delegation as Windows does.
            if gss & gss_flags::DELEG != 0 {
                let dlg = v.get(24..28).ok_or(Error::InvalidToken)?;
                let len = u16::from_le_bytes([dlg[2], dlg[3]]) as usize;
                let cred = v.get(28..28 + len).ok_or(Error::InvalidToken)?;
                if u16::from_le_bytes([dlg[0], dlg[1]]) != 1 {
                    return Err(Error::InvalidToken);
                }
                let sub = auth.subkey.as_ref().map(key_of).transpose()?;
                let mut keys = vec![&session_key];
                if let Some(k) = &sub {
                    keys.push(k);
                }
                check_krb_cred(cred, &keys)?;
            }
        } else if framed {
            return Err(Error::InvalidToken);
        }
        if req.ap_options.bit(flags::MUTUAL_REQUIRED) {
            gss |= gss_flags::MUTUAL;
        }
        if step.req_flags & ASC_REQ_USE_DCE_STYLE != 0 && !framed {
            gss |= gss_flags::DCE_STYLE;
        }
        let auth_tag: String = req
            .authenticator
            .cipher
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if replay_seen(&client_text, &auth_tag, auth.ctime.0, auth.cusec, skew) {
            return Err(self.ap_error(Error::LogonDenied, error_code::KRB_AP_ERR_REPEAT));
        }
        let initiator_subkey = auth.subkey.as_ref().map(key_of).transpose()?;
        let initiator_seq = auth.seq_number.map(|s| s.0).unwrap_or(0);
        let dce = gss & gss_flags::DCE_STYLE != 0;
        let mutual = gss & gss_flags::MUTUAL != 0 || dce;
        // The acceptor subkey (RFC 4121 §2): sent for the AES enctypes and in DCE style, as
        // MIT and Windows do; RC4 contexts keep the initiator's key (RFC 4757).
        let base = initiator_subkey
            .clone()
            .unwrap_or_else(|| session_key.clone());
        let acceptor_subkey =
            (mutual && (base.etype().is_aes() || dce)).then(|| Key::random(base.etype()));
        // The AP-REP carries the AP-REQ's sequence number (what Windows acceptors send).
        let acceptor_seq = initiator_seq;
        let (wrap_key, is_acceptor_subkey) = match &acceptor_subkey {
            Some(k) => (k.clone(), true),
            None => (base, false),
        };
        let mut allocated = false;
        if mutual {
            let enc = EncApRepPart::from(App(EncApRepPartBody {
                ctime: auth.ctime,
                cusec: auth.cusec,
                subkey: acceptor_subkey.as_ref().map(encryption_key),
                seq_number: Some(UInt32(acceptor_seq)),
            }));
            let enc_der = Zeroizing::new(enc.to_bytes().map_err(internal)?);
            let rep = ApRep::from(App(ApRepBody {
                pvno: 5,
                msg_type: msg_type::AP_REP,
                enc_part: EncryptedData::new(
                    session_key.etype().to_i32(),
                    None,
                    session_key.encrypt(usage::AP_REP_ENC_PART, &enc_der),
                )
                .map_err(internal)?,
            }));
            let der = rep.to_bytes().map_err(internal)?;
            let token = if dce {
                der
            } else {
                gss::encode_initial_context_token(Mech::Krb5, gss::TOK_ID_AP_REP, &der)
            };
            allocated = write_output(step, &token)?;
        } else {
            empty_output(step);
        }
        let ret = asc_ret(gss, step.req_flags, allocated);
        let est = Established {
            session: Session::new(
                wrap_key.clone(),
                false,
                is_acceptor_subkey,
                acceptor_seq as u64,
                initiator_seq as u64,
                wrap_options(gss),
            ),
            key: wrap_key,
            client,
            server: sname,
            start,
            end: et.endtime.0,
            ret_flags: ret,
        };
        if dce {
            return Ok((
                State::AwaitDceApRep(Box::new(ServerPending {
                    established: est,
                    session_key,
                    seq: acceptor_seq,
                })),
                Outcome::ContinueNeeded,
                ret,
            ));
        }
        let _ = self.done.set(est);
        Ok((State::Done, Outcome::Ok, ret))
    }

    /// ASC, DCE style: the client's AP-REP ends the exchange (MS-KILE §3.4.5.1).
    fn accept_dce_ap_rep(&self, step: &mut Step<'_, '_>, p: ServerPending) -> SecResult<u32> {
        let token = step.input_token()?;
        if token.first() == Some(&0x7e) {
            return Err(krb_error_status(&token));
        }
        let rep = ApRep::from_bytes(&token).map_err(asn1_err)?;
        if rep.pvno != 5
            || rep.msg_type != msg_type::AP_REP
            || rep.enc_part.etype != p.session_key.etype().to_i32()
        {
            return Err(Error::InvalidToken);
        }
        let plain = p
            .session_key
            .decrypt(usage::AP_REP_ENC_PART, rep.enc_part.cipher.as_bytes())
            .map_err(|_| Error::MessageAltered)?;
        let enc = EncApRepPart::from_bytes(&plain).map_err(asn1_err)?;
        if enc.seq_number.map(|s| s.0) != Some(p.seq) {
            return Err(Error::MessageAltered);
        }
        empty_output(step);
        let ret = p.established.ret_flags;
        let _ = self.done.set(p.established);
        Ok(ret)
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
