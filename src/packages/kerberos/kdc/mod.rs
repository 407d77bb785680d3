//! The client side of the KDC exchanges: AS (RFC 4120 §3.1) with PA-ENC-TIMESTAMP
//! pre-authentication, TGS (§3.3) with PA-TGS-REQ and cross-realm referrals, over the §7.2
//! transports (`transport`).
//!
//! Requests are shaped as Windows sends them (MS-KILE §3.3.5): the first AS-REQ carries only
//! PA-PAC-REQUEST; after KDC_ERR_PREAUTH_REQUIRED the second adds PA-ENC-TIMESTAMP keyed from the
//! ETYPE-INFO2 salt and s2kparams; KDCOptions forwardable, renewable, canonicalize,
//! renewable-ok; till 20370913024805Z.

pub mod proxy;
pub mod transport;

use super::asn1::{
    self, error_code, flags, msg_type, pa_type, ApReqBody, App, AsRep, AsReq, Authenticator,
    AuthenticatorBody, Checksum, EncKdcRepPart, EncryptedData, EncryptionKey, EtypeInfo2Entry,
    KdcRep, KdcReq, KdcReqBody, KerberosFlags, KerberosTime, KrbError, PaData, PaEncTsEnc,
    PrincipalName, SecretOctets, TgsRep, TgsReq, Ticket, UInt32,
};
use super::config::Config;
use super::crypto::{default_salt, fill_random, CryptoError, Etype, Key};
use super::{name_type, Credential, Principal};
use crate::status::Error;
use der::asn1::OctetString;
use std::time::Duration;
use transport::{send_to_realm, TransportError};

/// Key usages of RFC 4120 §7.5.1 used here.
pub mod usage {
    pub const AS_REQ_PA_ENC_TIMESTAMP: u32 = 1;
    pub const AS_REP_ENC_PART: u32 = 3;
    pub const TGS_REQ_AUTH_CKSUM: u32 = 6;
    pub const TGS_REQ_AUTHENTICATOR: u32 = 7;
    pub const TGS_REP_ENC_PART_SESSION_KEY: u32 = 8;
    pub const TGS_REP_ENC_PART_SUBKEY: u32 = 9;
}

pub use super::config::{KdcAddr, Transport};

/// Where the KDCs are and how long to wait for them (krb5.conf `[realms]` `kdc`, `[libdefaults]`
/// `kdc_timeout`, `udp_preference_limit`).
#[derive(Clone, Debug)]
pub struct KdcSettings {
    /// (realm, its KDCs in the order to try them), consulted before `config`. Realm names
    /// compare exactly (case-sensitive, RFC 4120 §6.1).
    pub realms: Vec<(String, Vec<KdcAddr>)>,
    /// krb5.conf: `[realms] REALM kdc` entries for the realms not in `realms`.
    pub config: Option<Config>,
    /// Wait for one UDP reply / one TCP exchange (default 1 s, MIT's `kdc_timeout`).
    pub kdc_timeout: Duration,
    /// Passes over the realm's KDC list (default 3).
    pub udp_tries: u32,
    /// Bound on one request, all KDCs and retries included (default 5 s).
    pub total_timeout: Duration,
    /// Requests longer than this go over TCP first (default 1465, RFC 4120 §7.2.1 / MIT).
    pub udp_preference_limit: usize,
    /// Referral hops followed by a TGS exchange (default 5).
    pub max_referrals: usize,
    /// Seconds added to the local clock for the timestamps sent to the KDC (PA-ENC-TIMESTAMP,
    /// authenticator ctime); 0 normally.
    pub clock_offset: i64,
    /// On KRB_AP_ERR_SKEW in reply to PA-ENC-TIMESTAMP, retry once with the KDC's time from
    /// the KRB-ERROR's stime (MIT's `kdc_timesync`, default true).
    pub kdc_timesync: bool,
    /// SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS: an MS-KKDCP proxy used when no KDC answers
    /// (always, with FORCEPROXY).
    pub kdc_proxy: Option<proxy::KdcProxy>,
}

impl Default for KdcSettings {
    fn default() -> Self {
        KdcSettings {
            realms: Vec::new(),
            config: None,
            kdc_timeout: Duration::from_secs(1),
            udp_tries: 3,
            total_timeout: Duration::from_secs(5),
            udp_preference_limit: 1465,
            max_referrals: 5,
            clock_offset: 0,
            kdc_timesync: true,
            kdc_proxy: None,
        }
    }
}

impl KdcSettings {
    /// Settings from krb5.conf: its KDC lists, `kdc_timeout` (per try), `request_timeout` (the
    /// bound on one request, default 5 s) and `udp_preference_limit`.
    pub fn from_config(config: &Config) -> KdcSettings {
        let d = KdcSettings::default();
        KdcSettings {
            kdc_timeout: config.kdc_timeout(),
            total_timeout: config.request_timeout().unwrap_or(d.total_timeout),
            udp_preference_limit: config.udp_preference_limit(),
            config: Some(config.clone()),
            ..d
        }
    }

    /// The KDCs of `realm`: those of `realms`, else krb5.conf's (empty when the realm is
    /// unknown).
    pub fn kdcs(&self, realm: &str) -> Vec<KdcAddr> {
        if let Some((_, k)) = self.realms.iter().find(|(r, _)| r == realm) {
            return k.clone();
        }
        self.config
            .as_ref()
            .map(|c| c.kdcs(realm))
            .unwrap_or_default()
    }
}

/// A failed exchange: the SEC_E_* error, the KDC's KRB-ERROR when there was one (the context
/// turns it into an output token), and a description for the log.
#[derive(Debug)]
pub struct KdcError {
    pub error: Error,
    pub krb_error: Option<Box<KrbError>>,
    pub detail: String,
}

impl KdcError {
    fn new(error: Error, detail: impl Into<String>) -> Self {
        KdcError {
            error,
            krb_error: None,
            detail: detail.into(),
        }
    }
    fn from_krb_error(e: KrbError) -> Self {
        let text = e.e_text.as_ref().map(|t| t.0.as_str()).unwrap_or("");
        KdcError {
            error: map_error_code(e.error_code),
            detail: format!("KRB-ERROR {} from {}: {}", e.error_code, e.realm.0, text),
            krb_error: Some(Box::new(e)),
        }
    }
}

impl core::fmt::Display for KdcError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?}: {}", self.error, self.detail)
    }
}

impl std::error::Error for KdcError {}

impl From<KdcError> for Error {
    fn from(e: KdcError) -> Error {
        e.error
    }
}

pub type KdcResult<T> = Result<T, KdcError>;

/// The SEC_E_* code of a KRB-ERROR error-code (RFC 4120 §7.5.9), as Windows' Kerberos
/// package reports them from InitializeSecurityContext:
/// - client unknown / revoked, preauth failed, key (password) expired, bad integrity, policy
///   → SEC_E_LOGON_DENIED;
/// - server unknown / not unique, must use user-to-user → SEC_E_TARGET_UNKNOWN;
/// - clock skew → SEC_E_TIME_SKEW; enctype / checksum type unsupported →
///   SEC_E_ALGORITHM_MISMATCH; expired ticket → SEC_E_CONTEXT_EXPIRED;
/// - wrong realm, service unavailable → SEC_E_NO_AUTHENTICATING_AUTHORITY;
/// - anything else → SEC_E_INTERNAL_ERROR.
pub fn map_error_code(code: i32) -> Error {
    use error_code::*;
    match code {
        KDC_ERR_NAME_EXP
        | KDC_ERR_C_PRINCIPAL_UNKNOWN
        | KDC_ERR_CLIENT_REVOKED
        | KDC_ERR_KEY_EXPIRED
        | KDC_ERR_PREAUTH_FAILED
        | KRB_AP_ERR_BAD_INTEGRITY
        | KDC_ERR_POLICY
        | KDC_ERR_CLIENT_NOTYET
        | KDC_ERR_TGT_REVOKED => Error::LogonDenied,
        KDC_ERR_S_PRINCIPAL_UNKNOWN
        | KDC_ERR_PRINCIPAL_NOT_UNIQUE
        | KDC_ERR_SERVICE_EXP
        | KDC_ERR_SERVICE_REVOKED
        | KDC_ERR_SERVICE_NOTYET
        | KDC_ERR_MUST_USE_USER2USER => Error::TargetUnknown,
        KRB_AP_ERR_SKEW => Error::TimeSkew,
        KDC_ERR_ETYPE_NOSUPP | KDC_ERR_SUMTYPE_NOSUPP | KDC_ERR_NULL_KEY => {
            Error::AlgorithmMismatch
        }
        KRB_AP_ERR_TKT_EXPIRED => Error::ContextExpired,
        KDC_ERR_WRONG_REALM | KDC_ERR_SVC_UNAVAILABLE => Error::NoAuthenticatingAuthority,
        _ => Error::InternalError,
    }
}

/// What a TGS exchange asks for.
#[derive(Clone, Debug)]
pub struct TgsOptions {
    /// KDCOptions forwardable (set when the TGT is forwardable, as Windows does).
    pub forwardable: bool,
    /// KDCOptions canonicalize (RFC 6806), as Windows sets it.
    pub canonicalize: bool,
    /// KDCOptions forwarded: a TGT to hand to a service (delegation, RFC 4120 §2.6).
    pub forwarded: bool,
    /// Enctypes acceptable for the service ticket's session key, preferred first.
    pub etypes: Vec<Etype>,
}

impl Default for TgsOptions {
    fn default() -> Self {
        TgsOptions {
            forwardable: true,
            canonicalize: true,
            forwarded: false,
            etypes: DEFAULT_ETYPES.to_vec(),
        }
    }
}

/// The enctypes requested by default, strongest first.
pub const DEFAULT_ETYPES: &[Etype] = &[
    Etype::Aes256CtsHmacSha196,
    Etype::Aes128CtsHmacSha196,
    Etype::Aes256CtsHmacSha384192,
    Etype::Aes128CtsHmacSha256128,
    Etype::Rc4Hmac,
];

/// `till` / `rtime` as Windows sends them.
const WINDOWS_TILL: i64 = 2_136_422_885; // 20370913024805Z

/// The current time plus `offset` seconds, and its microseconds.
fn now_with_offset(offset: i64) -> (KerberosTime, i32) {
    let (t, usec) = KerberosTime::now();
    (KerberosTime(t.0.saturating_add(offset)), usec)
}

fn nonce() -> u32 {
    let mut b = [0u8; 4];
    fill_random(&mut b);
    // 31 bits: some KDCs decode the nonce as a signed 32-bit integer.
    u32::from_be_bytes(b) & 0x7fff_ffff
}

fn asn1_err(e: asn1::Asn1Error) -> KdcError {
    KdcError::new(Error::InternalError, e.to_string())
}

fn octets(b: Vec<u8>) -> KdcResult<OctetString> {
    OctetString::new(b).map_err(|e| KdcError::new(Error::InternalError, e.to_string()))
}

fn exchange(settings: &KdcSettings, realm: &str, req: &[u8]) -> KdcResult<Vec<u8>> {
    send_to_realm(settings, realm, req).map_err(|e| match e {
        TransportError::NoKdc => KdcError::new(
            Error::NoAuthenticatingAuthority,
            format!("no KDC known for realm {realm}"),
        ),
        TransportError::NoAnswer => KdcError::new(
            Error::NoAuthenticatingAuthority,
            format!("no KDC of {realm} answered"),
        ),
    })
}

/// A KRB-ERROR from the KDC, with its pvno and msg-type checked (RFC 4120 §5.9.1: 5 and 30).
fn parse_krb_error(bytes: &[u8]) -> KdcResult<KrbError> {
    let e = KrbError::from_bytes(bytes).map_err(asn1_err)?;
    if e.pvno != 5 || e.msg_type != 30 {
        return Err(KdcError::new(
            Error::InternalError,
            format!("KRB-ERROR with pvno {} msg-type {}", e.pvno, e.msg_type),
        ));
    }
    Ok(e)
}

/// A KDC reply: the KDC-REP (pvno 5, msg-type `want`: RFC 4120 §5.4.2), or the KRB-ERROR as
/// an error.
fn parse_reply(bytes: &[u8], want: u32) -> KdcResult<KdcRep> {
    let rep = match asn1::application_tag(bytes) {
        Some(30) => return Err(KdcError::from_krb_error(parse_krb_error(bytes)?)),
        Some(11) if want == 11 => AsRep::from_bytes(bytes).map_err(asn1_err)?.0,
        Some(13) if want == 13 => TgsRep::from_bytes(bytes).map_err(asn1_err)?.0,
        t => {
            return Err(KdcError::new(
                Error::InternalError,
                format!("unexpected KDC reply tag {t:?}"),
            ))
        }
    };
    if rep.pvno != 5 || i64::from(rep.msg_type) != i64::from(want) {
        return Err(KdcError::new(
            Error::InternalError,
            format!("KDC-REP with pvno {} msg-type {}", rep.pvno, rep.msg_type),
        ));
    }
    Ok(rep)
}

fn eq_name(a: &PrincipalName, b: &PrincipalName) -> bool {
    a.name_string.len() == b.name_string.len()
        && a.name_string
            .iter()
            .zip(&b.name_string)
            .all(|(x, y)| x.0.eq_ignore_ascii_case(&y.0))
}

/// Builds the Credential from a KDC-REP and its decrypted enc-part.
fn credential(rep: &KdcRep, enc: &EncKdcRepPart) -> KdcResult<Credential> {
    let b = &enc.body;
    let etype = Etype::from_i32(b.key.keytype).ok_or_else(|| {
        KdcError::new(
            Error::AlgorithmMismatch,
            format!("session key enctype {}", b.key.keytype),
        )
    })?;
    let key = Key::new(etype, &b.key.keyvalue.0)
        .ok_or_else(|| KdcError::new(Error::InternalError, "session key of the wrong length"))?;
    Ok(Credential {
        client: rep.cname.to_principal(&rep.crealm),
        server: b.sname.to_principal(&b.srealm),
        key,
        auth_time: b.authtime.0,
        start_time: b.starttime.map(|t| t.0),
        end_time: b.endtime.0,
        renew_till: b.renew_till.map(|t| t.0),
        flags: b.flags.0,
        ticket: rep.ticket.to_bytes().map_err(asn1_err)?,
    })
}

fn decrypt_enc_part(
    key: &Key,
    usage: u32,
    ed: &EncryptedData,
) -> Result<EncKdcRepPart, Option<asn1::Asn1Error>> {
    if ed.etype != key.etype().to_i32() {
        return Err(None);
    }
    let plain = key.decrypt(usage, ed.cipher.as_bytes()).map_err(|_| None)?;
    EncKdcRepPart::from_bytes(&plain).map_err(Some)
}

fn check_nonce(enc: &EncKdcRepPart, nonce: u32) -> KdcResult<()> {
    if enc.body.nonce.0 != nonce {
        return Err(KdcError::new(
            Error::InternalError,
            "KDC reply nonce does not match",
        ));
    }
    Ok(())
}

/// The ETYPE-INFO2 entry to use: the first (the KDC's preference) whose enctype we asked for.
fn choose_etype_info(
    info: &[EtypeInfo2Entry],
    etypes: &[Etype],
) -> Option<(Etype, EtypeInfo2Entry)> {
    info.iter().find_map(|e| {
        Etype::from_i32(e.etype)
            .filter(|t| etypes.contains(t))
            .map(|t| (t, e.clone()))
    })
}

fn key_from_info(
    client: &Principal,
    password: &str,
    etype: Etype,
    info: Option<&EtypeInfo2Entry>,
) -> KdcResult<Key> {
    let salt = match info.and_then(|i| i.salt.as_ref()) {
        Some(s) => s.0.clone(),
        None => default_salt(client),
    };
    let params = info
        .and_then(|i| i.s2kparams.as_ref())
        .map(|p| p.as_bytes());
    Key::from_password(etype, password, &salt, params).map_err(|e| {
        let err = match e {
            CryptoError::Unsupported => Error::AlgorithmMismatch,
            _ => Error::InternalError,
        };
        KdcError::new(err, format!("string-to-key for {}: {e}", etype.name()))
    })
}

fn as_req(
    client: &Principal,
    etypes: &[Etype],
    nonce: u32,
    padata: Vec<PaData>,
) -> KdcResult<Vec<u8>> {
    let opts = KerberosFlags(0)
        .with_bit(flags::FORWARDABLE)
        .with_bit(flags::RENEWABLE)
        .with_bit(flags::CANONICALIZE)
        .with_bit(flags::RENEWABLE_OK);
    let req = AsReq::from(App(KdcReq {
        pvno: 5,
        msg_type: msg_type::AS_REQ,
        padata: Some(padata),
        req_body: KdcReqBody {
            kdc_options: opts,
            cname: Some(PrincipalName::from(client)),
            realm: client.realm.as_str().into(),
            sname: Some(PrincipalName::new(
                name_type::NT_SRV_INST,
                &["krbtgt", &client.realm],
            )),
            from: None,
            till: KerberosTime(WINDOWS_TILL),
            rtime: Some(KerberosTime(WINDOWS_TILL)),
            nonce: UInt32(nonce),
            etype: etypes.iter().map(|e| e.to_i32()).collect(),
            addresses: None,
            enc_authorization_data: None,
            additional_tickets: None,
        },
    }));
    req.to_bytes().map_err(asn1_err)
}

/// The AS exchange (RFC 4120 §3.1): a TGT (krbtgt/REALM@REALM) for `client` (whose `realm`
/// names the KDCs to ask) from its password.
///
/// Sends an AS-REQ with PA-PAC-REQUEST; on KDC_ERR_PREAUTH_REQUIRED derives the key from the
/// e-data's ETYPE-INFO2 (salt, s2kparams; the first entry whose enctype is in `etypes`) and
/// sends PA-ENC-TIMESTAMP (key usage 1). Decrypts the AS-REP enc-part (key usage 3; tag 25 or
/// 26 accepted) and checks the nonce and the client name and realm.
///
/// Errors: NoAuthenticatingAuthority (unknown realm, no KDC answering within the bound),
/// LogonDenied (wrong password, unknown or disabled client, expired password),
/// AlgorithmMismatch (no common enctype), TimeSkew, InternalError (malformed or inconsistent
/// reply); `krb_error` holds the KDC's KRB-ERROR when it sent one.
pub fn as_exchange(
    settings: &KdcSettings,
    client: &Principal,
    password: &str,
    etypes: &[Etype],
) -> KdcResult<Credential> {
    let etypes = if etypes.is_empty() {
        DEFAULT_ETYPES
    } else {
        etypes
    };
    let pac = PaData::pac_request(true).map_err(asn1_err)?;
    let mut nonce = nonce();
    let first = as_req(client, etypes, nonce, vec![pac.clone()])?;
    let mut reply = exchange(settings, &client.realm, &first)?;
    let mut preauth_key: Option<Key> = None;

    if asn1::application_tag(&reply) == Some(30) {
        let err = parse_krb_error(&reply)?;
        if err.error_code != error_code::KDC_ERR_PREAUTH_REQUIRED {
            return Err(KdcError::from_krb_error(err));
        }
        // MIT offers neither PA-ENC-TIMESTAMP nor ETYPE-INFO2 when none of the client's keys
        // is of a requested enctype.
        let methods = err.method_data().unwrap_or_default();
        if !methods.is_empty()
            && !methods
                .iter()
                .any(|p| p.padata_type == pa_type::PA_ENC_TIMESTAMP)
        {
            let mut e = KdcError::from_krb_error(err);
            e.error = Error::AlgorithmMismatch;
            e.detail = "the KDC offers no encrypted-timestamp pre-authentication for the requested enctypes".into();
            return Err(e);
        }
        let info = err.etype_info2().unwrap_or_default();
        let (etype, entry) = match choose_etype_info(&info, etypes) {
            Some((t, e)) => (t, Some(e)),
            None if info.is_empty() => (etypes[0], None),
            None => {
                let mut e = KdcError::from_krb_error(err);
                e.error = Error::AlgorithmMismatch;
                e.detail = "no ETYPE-INFO2 entry of a requested enctype".into();
                return Err(e);
            }
        };
        let key = key_from_info(client, password, etype, entry.as_ref())?;
        let mut offset = settings.clock_offset;
        for attempt in 0..2 {
            let (now, usec) = now_with_offset(offset);
            let ts = asn1::encode_der(
                "PA-ENC-TS-ENC",
                &PaEncTsEnc {
                    patimestamp: now,
                    pausec: Some(usec),
                },
            )
            .map_err(asn1_err)?;
            let ed = EncryptedData::new(
                etype.to_i32(),
                None,
                key.encrypt(usage::AS_REQ_PA_ENC_TIMESTAMP, &ts),
            )
            .map_err(asn1_err)?;
            let pa_ts = PaData::new(
                pa_type::PA_ENC_TIMESTAMP,
                asn1::encode_der("EncryptedData", &ed).map_err(asn1_err)?,
            )
            .map_err(asn1_err)?;
            nonce = self::nonce();
            let second = as_req(client, etypes, nonce, vec![pa_ts, pac.clone()])?;
            reply = exchange(settings, &client.realm, &second)?;
            // KRB_AP_ERR_SKEW: retry once with the KDC's time (stime), as MIT's
            // kdc_timesync does.
            if attempt == 0 && settings.kdc_timesync && asn1::application_tag(&reply) == Some(30) {
                if let Ok(e) = KrbError::from_bytes(&reply) {
                    if e.error_code == error_code::KRB_AP_ERR_SKEW {
                        offset = e.stime.0 - now_with_offset(0).0 .0;
                        continue;
                    }
                }
            }
            break;
        }
        preauth_key = Some(key);
    }

    let rep = parse_reply(&reply, 11)?;
    // The reply key: the preauth key when the enctype matches, else derived from the AS-REP's
    // own PA-ETYPE-INFO2 (or the default salt).
    let ed = &rep.enc_part;
    let rep_etype = Etype::from_i32(ed.etype)
        .filter(|t| etypes.contains(t))
        .ok_or_else(|| {
            KdcError::new(
                Error::AlgorithmMismatch,
                format!("AS-REP enctype {}", ed.etype),
            )
        })?;
    let preauth_key_used = preauth_key.is_some();
    let key = match preauth_key {
        Some(k) if k.etype() == rep_etype => k,
        _ => {
            let info: Vec<EtypeInfo2Entry> = rep
                .padata
                .iter()
                .flatten()
                .filter(|p| p.padata_type == pa_type::PA_ETYPE_INFO2)
                .filter_map(|p| asn1::decode_etype_info2(p.padata_value.as_bytes()).ok())
                .flatten()
                .collect();
            let entry = info.iter().find(|e| e.etype == ed.etype);
            key_from_info(client, password, rep_etype, entry)?
        }
    };
    let preauthenticated = preauth_key_used;
    let enc = decrypt_enc_part(&key, usage::AS_REP_ENC_PART, ed).map_err(|e| match e {
        // Without pre-authentication a wrong password shows here; after it, the KDC knew
        // the key: the reply was altered.
        None if preauthenticated => KdcError::new(
            Error::InternalError,
            "AS-REP enc-part fails its integrity check",
        ),
        None => KdcError::new(
            Error::LogonDenied,
            "AS-REP enc-part does not decrypt with the password key",
        ),
        Some(a) => asn1_err(a),
    })?;
    check_nonce(&enc, nonce)?;
    if !rep.crealm.0.eq_ignore_ascii_case(&client.realm)
        || (client.name_type != name_type::NT_ENTERPRISE
            && !eq_name(&rep.cname, &PrincipalName::from(client)))
    {
        return Err(KdcError::new(
            Error::InternalError,
            format!(
                "AS-REP for {}@{}, not the client asked for",
                rep.cname.to_text(),
                rep.crealm.0
            ),
        ));
    }
    credential(&rep, &enc)
}

/// The realm a TGT is for: krbtgt/REALM@ISSUER → REALM.
fn tgt_realm(tgt: &Credential) -> Option<&str> {
    match tgt.server.components.as_slice() {
        [k, r] if k == "krbtgt" => Some(r),
        _ => None,
    }
}

fn tgs_req(
    tgt: &Credential,
    realm: &str,
    sname: &PrincipalName,
    opts: &TgsOptions,
    nonce: u32,
    subkey: &Key,
    clock_offset: i64,
) -> KdcResult<Vec<u8>> {
    let mut kdc_options = KerberosFlags(0).with_bit(flags::RENEWABLE_OK);
    if opts.forwardable && KerberosFlags(tgt.flags).bit(flags::FORWARDABLE) {
        kdc_options = kdc_options.with_bit(flags::FORWARDABLE);
    }
    if opts.canonicalize {
        kdc_options = kdc_options.with_bit(flags::CANONICALIZE);
    }
    if opts.forwarded {
        kdc_options = kdc_options.with_bit(flags::FORWARDED);
    }
    let etypes = if opts.etypes.is_empty() {
        DEFAULT_ETYPES
    } else {
        &opts.etypes
    };
    let body = KdcReqBody {
        kdc_options,
        cname: None,
        realm: realm.into(),
        sname: Some(sname.clone()),
        from: None,
        till: KerberosTime(WINDOWS_TILL),
        rtime: None,
        nonce: UInt32(nonce),
        etype: etypes.iter().map(|e| e.to_i32()).collect(),
        addresses: None,
        enc_authorization_data: None,
        additional_tickets: None,
    };
    let session = &tgt.key;
    let cksum = Checksum {
        cksumtype: session.etype().checksum_type(),
        checksum: octets(session.make_checksum(
            usage::TGS_REQ_AUTH_CKSUM,
            &body.to_bytes().map_err(asn1_err)?,
        ))?,
    };
    let (now, usec) = now_with_offset(clock_offset);
    let auth = Authenticator::from(App(AuthenticatorBody {
        authenticator_vno: 5,
        crealm: tgt.client.realm.as_str().into(),
        cname: PrincipalName::from(&tgt.client),
        cksum: Some(cksum),
        cusec: usec,
        ctime: now,
        subkey: Some(EncryptionKey {
            keytype: subkey.etype().to_i32(),
            keyvalue: SecretOctets(subkey.bytes().to_vec().into()),
        }),
        seq_number: None,
        authorization_data: None,
    }));
    let auth_der = zeroize::Zeroizing::new(auth.to_bytes().map_err(asn1_err)?);
    let ap_req = App::<14, _>(ApReqBody {
        pvno: 5,
        msg_type: msg_type::AP_REQ,
        ap_options: KerberosFlags(0),
        ticket: Ticket::from_bytes(&tgt.ticket).map_err(asn1_err)?,
        authenticator: EncryptedData::new(
            session.etype().to_i32(),
            None,
            session.encrypt(usage::TGS_REQ_AUTHENTICATOR, &auth_der),
        )
        .map_err(asn1_err)?,
    });
    let pa =
        PaData::new(pa_type::PA_TGS_REQ, ap_req.to_bytes().map_err(asn1_err)?).map_err(asn1_err)?;
    TgsReq::from(App(KdcReq {
        pvno: 5,
        msg_type: msg_type::TGS_REQ,
        padata: Some(vec![pa]),
        req_body: body,
    }))
    .to_bytes()
    .map_err(asn1_err)
}

/// One TGS-REQ/TGS-REP round with `tgt` for `sname` in `realm` (the realm of the KDC asked).
fn tgs_round(
    settings: &KdcSettings,
    tgt: &Credential,
    realm: &str,
    sname: &PrincipalName,
    opts: &TgsOptions,
) -> KdcResult<Credential> {
    let nonce = nonce();
    let subkey = Key::random(tgt.key.etype());
    let req = tgs_req(
        tgt,
        realm,
        sname,
        opts,
        nonce,
        &subkey,
        settings.clock_offset,
    )?;
    let reply = exchange(settings, realm, &req)?;
    let rep = parse_reply(&reply, 13)?;
    // RFC 4120 §5.4.2 / §7.5.1: usage 9 under the authenticator subkey; a KDC that ignores
    // the subkey uses the session key with usage 8.
    let attempts = [
        (&subkey, usage::TGS_REP_ENC_PART_SUBKEY),
        (&tgt.key, usage::TGS_REP_ENC_PART_SESSION_KEY),
    ];
    let mut enc = None;
    for (key, u) in attempts {
        match decrypt_enc_part(key, u, &rep.enc_part) {
            Ok(e) => {
                enc = Some(e);
                break;
            }
            Err(Some(a)) => return Err(asn1_err(a)),
            Err(None) => {}
        }
    }
    let enc = enc
        .ok_or_else(|| KdcError::new(Error::InternalError, "TGS-REP enc-part does not decrypt"))?;
    check_nonce(&enc, nonce)?;
    if !rep.crealm.0.eq_ignore_ascii_case(&tgt.client.realm)
        || !eq_name(&rep.cname, &PrincipalName::from(&tgt.client))
    {
        return Err(KdcError::new(
            Error::InternalError,
            "TGS-REP for another client",
        ));
    }
    // The reply's cname is cleartext (its case may even differ, as eq_name allows): the client
    // stays the TGT's, which is the name in the ticket the KDC issued.
    let mut cred = credential(&rep, &enc)?;
    cred.client = tgt.client.clone();
    Ok(cred)
}

/// The TGS exchange (RFC 4120 §3.3): a service ticket for `service` with `tgt`.
///
/// The TGS-REQ carries PA-TGS-REQ (an AP-REQ with the TGT; authenticator key usage 7, its
/// checksum over the KDC-REQ-BODY DER with usage 6, a fresh subkey); the reply enc-part is
/// decrypted with the subkey (usage 9; the session key with usage 8 is also accepted). When
/// `service.realm` is not the TGT's realm, a cross-realm TGT (krbtgt/SERVICE-REALM) is asked first;
/// referral TGTs (krbtgt/OTHER) the KDC returns are followed up to `settings.max_referrals` hops.
///
/// Errors: TargetUnknown (KDC_ERR_S_PRINCIPAL_UNKNOWN), NoAuthenticatingAuthority (no KDC for a
/// realm on the path, too many referrals), ContextExpired (TGT expired), TimeSkew,
/// InternalError (malformed reply); `krb_error` as for [`as_exchange`].
pub fn tgs_exchange(
    settings: &KdcSettings,
    tgt: &Credential,
    service: &Principal,
    opts: &TgsOptions,
) -> KdcResult<Credential> {
    let mut current = tgt.clone();
    let mut target_realm = if service.realm.is_empty() {
        tgt.client.realm.clone()
    } else {
        service.realm.clone()
    };
    let service_name = PrincipalName::from(service);
    let service_is_tgs = service.components.first().is_some_and(|c| c == "krbtgt");
    for _hop in 0..=settings.max_referrals {
        let kdc_realm = tgt_realm(&current)
            .ok_or_else(|| KdcError::new(Error::InternalError, "the credential is not a TGT"))?
            .to_string();
        // Not yet at the service's realm: ask for a cross-realm TGT towards it.
        let asked_tgt = kdc_realm != target_realm;
        let sname = if asked_tgt {
            PrincipalName::new(name_type::NT_SRV_INST, &["krbtgt", &target_realm])
        } else {
            service_name.clone()
        };
        let cred = tgs_round(settings, &current, &kdc_realm, &sname, opts)?;
        match tgt_realm(&cred) {
            // A TGT: the cross-realm TGT asked for, one for a realm on the way (capath), or a
            // referral (RFC 6806 §8) telling where the service lives. Go on with it.
            Some(next) if asked_tgt || !service_is_tgs => {
                if next == kdc_realm {
                    return Err(KdcError::new(
                        Error::NoAuthenticatingAuthority,
                        "referral loop",
                    ));
                }
                if !asked_tgt {
                    target_realm = next.to_string();
                }
                current = cred;
            }
            _ => {
                if !opts.canonicalize && !eq_name(&PrincipalName::from(&cred.server), &service_name)
                {
                    return Err(KdcError::new(
                        Error::InternalError,
                        "ticket for another service",
                    ));
                }
                return Ok(cred);
            }
        }
    }
    Err(KdcError::new(
        Error::NoAuthenticatingAuthority,
        "too many referrals",
    ))
}

/// The principal of a service named by an SPN: `service/host[/...]` with an optional `@REALM`
/// (`default_realm` otherwise), name type NT-SRV-INST as Windows sends it. `\` escapes `/` and
/// `@`. None for an empty name.
pub fn service_principal(spn: &str, default_realm: &str) -> Option<Principal> {
    let mut components = vec![String::new()];
    let mut realm: Option<String> = None;
    let mut chars = spn.chars();
    while let Some(c) = chars.next() {
        let in_realm = realm.is_some();
        match c {
            '/' if !in_realm => components.push(String::new()),
            '@' if !in_realm => realm = Some(String::new()),
            c => {
                let c = if c == '\\' { chars.next()? } else { c };
                match realm.as_mut() {
                    Some(r) => r.push(c),
                    None => components.last_mut()?.push(c),
                }
            }
        }
    }
    if components.iter().any(|c| c.is_empty()) {
        return None;
    }
    let realm = match realm {
        Some(r) if !r.is_empty() => r,
        _ => default_realm.to_string(),
    };
    Some(Principal {
        name_type: name_type::NT_SRV_INST,
        components,
        realm,
    })
}

#[cfg(test)]
mod tests;
