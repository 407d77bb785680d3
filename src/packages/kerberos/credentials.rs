//! AcquireCredentialsHandle for Kerberos: who the client is and where its tickets come from
//! (a password → AS exchange, or the MIT credential cache), and where the acceptor's keys come
//! from (the keytab, or a password for the service principal).
//!
//! As on Windows, AcquireCredentialsHandle itself sends nothing to a KDC: the AS exchange runs
//! on the first InitializeSecurityContext, and its tickets (TGT and service tickets) are kept
//! with the credentials, as Windows keeps them in the logon session's ticket cache.

use super::ccache::Ccache;
use super::config::Config;
use super::crypto::{Etype, Key};
use super::kdc::{self, KdcSettings, TgsOptions};
use super::keytab::{same_principal, Keytab};
use super::{name_type, Credential, Principal, INFO};
use crate::ffi::consts::{
    SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, SECPKG_CRED_ATTR_NAMES, SECPKG_CRED_INBOUND,
    SECPKG_CRED_OUTBOUND,
};
use crate::package::{
    Attribute, AuthData, Context, CredentialRequest, Credentials, Identity, PackageInfo,
};
use crate::status::{Error, SecResult};
use parking_lot::Mutex;
use std::sync::Arc;
use zeroize::Zeroizing;

/// Where a client's TGT comes from.
enum ClientSecret {
    /// SEC_WINNT_AUTH_IDENTITY with a password: the AS exchange (RFC 4120 §3.1).
    Password(Zeroizing<String>),
    /// NULL pAuthData: the TGT in the credential cache `KRB5CCNAME` names.
    Ccache(String),
}

/// The initiator side of a credential handle.
pub(super) struct ClientCredentials {
    pub principal: Principal,
    secret: ClientSecret,
    /// TGTs and service tickets obtained so far (the logon session's ticket cache).
    tickets: Mutex<Vec<Credential>>,
    /// SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS (MS-KKDCP).
    kdc_proxy: Mutex<Option<kdc::proxy::KdcProxy>>,
}

/// Where the acceptor's long-term keys come from.
enum ServerKeys {
    /// The keytab named by `KRB5_KTNAME` (default /etc/krb5.keytab), read at accept time so a
    /// rotated keytab is seen without new credentials.
    Keytab,
    /// An identity with a password: keys derived for the service principal with the default
    /// salt (RFC 4120 §4), for whatever enctype the ticket uses.
    Password(Zeroizing<String>),
}

/// The acceptor side of a credential handle.
pub(super) struct ServerCredentials {
    /// pszPrincipal or the identity's principal: only tickets for it are accepted; `None`
    /// accepts a ticket for any principal of the keytab (as MIT's GSS_C_NO_NAME acceptor).
    pub principal: Option<Principal>,
    keys: ServerKeys,
}

/// Kerberos credentials from AcquireCredentialsHandle.
pub struct KerberosCredentials {
    usage: u32,
    pub(super) config: Config,
    pub(super) client: Option<ClientCredentials>,
    pub(super) server: Option<ServerCredentials>,
}

/// The realm a SEC_WINNT_AUTH_IDENTITY domain names: a NetBIOS-style domain (no dot) that is
/// the first label of the default realm means the default realm (as a Windows domain member
/// maps SAMBA to SAMBA.TEST); otherwise the domain in upper case (realms are upper case by
/// convention, RFC 4120 §6.1).
fn realm_of_domain(cfg: &Config, domain: &str) -> String {
    if !domain.contains('.') {
        if let Some(d) = cfg.default_realm() {
            if d.split('.')
                .next()
                .is_some_and(|l| l.eq_ignore_ascii_case(domain))
            {
                return d.to_owned();
            }
        }
    }
    domain.to_ascii_uppercase()
}

/// The client principal an identity names: `DOMAIN\user`, `user@REALM` (a UPN whose suffix is
/// the realm: sent as NT-PRINCIPAL `user` in that realm, which MIT and AD both accept), or
/// `user` with the identity's domain (the default realm when there is none).
/// Errors: no user, or no realm anywhere → SEC_E_NO_CREDENTIALS.
pub(super) fn client_principal(
    cfg: &Config,
    user: &str,
    domain: Option<&str>,
) -> SecResult<Principal> {
    let (user, realm) = if let Some((d, u)) = user.split_once('\\') {
        (u.to_owned(), realm_of_domain(cfg, d))
    } else if let (Some((u, r)), None | Some("")) = (user.rsplit_once('@'), domain) {
        (u.to_owned(), realm_of_domain(cfg, r))
    } else {
        let realm = match domain.filter(|d| !d.is_empty()) {
            Some(d) => realm_of_domain(cfg, d),
            None => cfg.default_realm().ok_or(Error::NoCredentials)?.to_owned(),
        };
        (user.to_owned(), realm)
    };
    if user.is_empty() || realm.is_empty() {
        return Err(Error::NoCredentials);
    }
    Ok(Principal {
        name_type: name_type::NT_PRINCIPAL,
        components: user.split('/').map(str::to_owned).collect(),
        realm,
    })
}

/// `user@REALM` as Windows writes a Kerberos name (SECPKG_ATTR_NAMES).
pub(super) fn display_name(p: &Principal) -> String {
    format!("{}@{}", p.components.join("/"), p.realm)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Enctypes the configuration allows for session keys and tickets (Debian's krb5 refuses RC4
/// unless `allow_rc4`; we follow the file the user gave).
fn etypes(cfg: &Config) -> Vec<Etype> {
    let mut v = cfg.default_tgs_enctypes();
    if !cfg.allow_rc4() {
        v.retain(|e| *e != Etype::Rc4Hmac);
    }
    v
}

impl ClientCredentials {
    /// krb5.conf's KDC settings with the KDC proxy set on these credentials.
    fn kdc_settings(&self, cfg: &Config) -> KdcSettings {
        KdcSettings {
            kdc_proxy: self.kdc_proxy.lock().clone(),
            ..KdcSettings::from_config(cfg)
        }
    }

    /// A TGT for the client's realm: cached, from the ccache, or from the AS exchange.
    fn tgt(&self, cfg: &Config) -> SecResult<Credential> {
        let t = now();
        let krbtgt = Principal::krbtgt(&self.principal.realm, &self.principal.realm);
        if let Some(c) = self
            .tickets
            .lock()
            .iter()
            .find(|c| same_principal(&c.server, &krbtgt) && c.end_time > t)
        {
            return Ok(c.clone());
        }
        let tgt = match &self.secret {
            ClientSecret::Password(pw) => {
                let settings = self.kdc_settings(cfg);
                kdc::as_exchange(&settings, &self.principal, pw, &cfg.default_tkt_enctypes())
                    .map_err(|e| {
                        crate::log!(crate::log::Level::Debug, "kerberos: AS exchange: {e}");
                        Error::from(e)
                    })?
            }
            ClientSecret::Ccache(name) => {
                let cc = Ccache::open_name(name)?;
                cc.tgt(&self.principal.realm)
                    .filter(|c| c.end_time > t)
                    .cloned()
                    .ok_or(Error::NoCredentials)?
            }
        };
        self.tickets.lock().push(tgt.clone());
        Ok(tgt)
    }

    /// A service ticket for `service`: cached (ours or the ccache's), else a TGS exchange.
    /// Errors: SEC_E_TARGET_UNKNOWN (no such service), SEC_E_NO_AUTHENTICATING_AUTHORITY (no
    /// KDC), SEC_E_LOGON_DENIED (AS exchange refused), SEC_E_NO_CREDENTIALS (no TGT).
    pub fn service_ticket(&self, cfg: &Config, service: &Principal) -> SecResult<Credential> {
        let t = now();
        let fresh = |c: &&Credential| same_principal(&c.server, service) && c.end_time > t;
        if let Some(c) = self.tickets.lock().iter().find(fresh) {
            return Ok(c.clone());
        }
        if let ClientSecret::Ccache(name) = &self.secret {
            if let Ok(cc) = Ccache::open_name(name) {
                if let Some(c) = cc.credentials().iter().find(fresh) {
                    return Ok(c.clone());
                }
            }
        }
        let tgt = self.tgt(cfg)?;
        let settings = self.kdc_settings(cfg);
        let opts = TgsOptions {
            etypes: etypes(cfg),
            ..TgsOptions::default()
        };
        let ticket = kdc::tgs_exchange(&settings, &tgt, service, &opts).map_err(|e| {
            crate::log!(crate::log::Level::Debug, "kerberos: TGS exchange: {e}");
            Error::from(e)
        })?;
        self.tickets.lock().push(ticket.clone());
        Ok(ticket)
    }
}

impl ClientCredentials {
    /// A forwarded TGT for delegation (ISC_REQ_DELEGATE): asked from the KDC with KDCOptions
    /// forwarded when the client's TGT is forwardable (RFC 4120 §2.6); `None` otherwise (as
    /// Windows, the context is then made without delegation).
    pub fn forwarded_tgt(&self, cfg: &Config) -> Option<Credential> {
        let tgt = self.tgt(cfg).ok()?;
        if !super::asn1::KerberosFlags(tgt.flags).bit(super::asn1::flags::FORWARDABLE) {
            return None;
        }
        let krbtgt = Principal::krbtgt(&self.principal.realm, &self.principal.realm);
        let opts = TgsOptions {
            forwarded: true,
            canonicalize: false,
            etypes: etypes(cfg),
            ..TgsOptions::default()
        };
        kdc::tgs_exchange(&self.kdc_settings(cfg), &tgt, &krbtgt, &opts)
            .map_err(|e| {
                crate::log!(crate::log::Level::Debug, "kerberos: forwarded TGT: {e}");
            })
            .ok()
    }
}

impl ServerCredentials {
    /// The long-term keys that may decrypt a ticket for `sname` of `etype` / `kvno`: the
    /// keytab entries for that principal first, then (no principal chosen) every entry of that
    /// enctype — a Windows service account's SPNs share the account's keys, which a keytab may
    /// hold under the account name only (Samba's exportkeytab does).
    pub fn ticket_keys(
        &self,
        sname: &Principal,
        etype: Etype,
        kvno: Option<u32>,
    ) -> SecResult<Vec<Key>> {
        if let Some(p) = &self.principal {
            if !same_principal(p, sname) {
                return Err(Error::WrongPrincipal);
            }
        }
        match &self.keys {
            ServerKeys::Password(pw) => {
                let p = self.principal.as_ref().unwrap_or(sname);
                let salt = super::crypto::default_salt(p);
                Key::from_password(etype, pw, &salt, None)
                    .map(|k| vec![k])
                    .map_err(|_| Error::InternalError)
            }
            ServerKeys::Keytab => {
                let kt = Keytab::open_default(&Config::load()).map_err(|e| {
                    crate::log!(crate::log::Level::Debug, "kerberos: keytab: {e:?}");
                    Error::NoCredentials
                })?;
                let mut keys: Vec<Key> = Vec::new();
                if let Some(e) = kt.find(sname, kvno, etype) {
                    keys.push(e.key.clone());
                }
                if self.principal.is_none() {
                    let mut others: Vec<_> = kt
                        .entries
                        .iter()
                        .filter(|e| e.key.etype() == etype && kvno.is_none_or(|k| e.kvno == k))
                        .collect();
                    others.sort_by_key(|e| std::cmp::Reverse(e.kvno));
                    for e in others {
                        if !keys.iter().any(|k| k.bytes() == e.key.bytes()) {
                            keys.push(e.key.clone());
                        }
                    }
                }
                Ok(keys)
            }
        }
    }
}

impl KerberosCredentials {
    /// Resolves AcquireCredentialsHandle's arguments.
    /// Errors: SEC_E_NO_CREDENTIALS (outbound with neither an identity nor a usable ccache;
    /// inbound with neither a password nor a readable keytab), SEC_E_UNKNOWN_CREDENTIALS
    /// (another package's structure).
    pub fn from_request(req: CredentialRequest) -> SecResult<Self> {
        let cfg = Config::load();
        let inbound = req.usage & SECPKG_CRED_INBOUND != 0;
        let outbound = req.usage & SECPKG_CRED_OUTBOUND != 0;
        let identity: Option<Identity> = match req.auth {
            AuthData::Identity(id) => Some(id),
            AuthData::None => None,
            AuthData::Schannel(_) => return Err(Error::UnknownCredentials),
        };
        let mut client = None;
        let mut server = None;
        if outbound {
            client = Some(match &identity {
                Some(Identity {
                    user: Some(u),
                    domain,
                    password: Some(pw),
                    ..
                }) if !u.is_empty() => ClientCredentials {
                    principal: client_principal(&cfg, u, domain.as_deref())?,
                    secret: ClientSecret::Password(pw.clone()),
                    tickets: Mutex::new(Vec::new()),
                    kdc_proxy: Mutex::new(None),
                },
                // No password: the default credentials (the ccache), which must be for the
                // named user when one is named.
                _ => {
                    let name = super::ccache::default_ccache_name(&cfg);
                    let cc = Ccache::open_name(&name).map_err(|e| {
                        crate::log!(crate::log::Level::Debug, "kerberos: ccache {name}: {e:?}");
                        Error::NoCredentials
                    })?;
                    let principal = cc.default_principal().clone();
                    if let Some(Identity {
                        user: Some(u),
                        domain,
                        ..
                    }) = &identity
                    {
                        if !u.is_empty() {
                            let want = client_principal(&cfg, u, domain.as_deref())?;
                            if !same_principal(&want, &principal) {
                                return Err(Error::NoCredentials);
                            }
                        }
                    }
                    ClientCredentials {
                        principal,
                        secret: ClientSecret::Ccache(name),
                        tickets: Mutex::new(Vec::new()),
                        kdc_proxy: Mutex::new(None),
                    }
                }
            });
        }
        if inbound {
            let named = req
                .principal
                .as_deref()
                .filter(|p| !p.is_empty())
                .map(|p| {
                    kdc::service_principal(p, cfg.default_realm().unwrap_or_default())
                        .ok_or(Error::UnknownCredentials)
                })
                .transpose()?;
            server = Some(match &identity {
                Some(Identity {
                    user: Some(u),
                    domain,
                    password: Some(pw),
                    ..
                }) if !u.is_empty() => {
                    let p = match named {
                        Some(p) => p,
                        None => client_principal(&cfg, u, domain.as_deref())?,
                    };
                    ServerCredentials {
                        principal: Some(p),
                        keys: ServerKeys::Password(pw.clone()),
                    }
                }
                _ => {
                    let kt = Keytab::open_default(&cfg).map_err(|e| {
                        crate::log!(crate::log::Level::Debug, "kerberos: keytab: {e:?}");
                        Error::NoCredentials
                    })?;
                    if let Some(p) = &named {
                        if !kt.entries.iter().any(|e| same_principal(&e.principal, p)) {
                            return Err(Error::NoCredentials);
                        }
                    }
                    ServerCredentials {
                        principal: named,
                        keys: ServerKeys::Keytab,
                    }
                }
            });
        }
        Ok(KerberosCredentials {
            usage: req.usage,
            config: cfg,
            client,
            server,
        })
    }
}

impl Credentials for KerberosCredentials {
    fn package(&self) -> &'static PackageInfo {
        &INFO
    }
    fn usage(&self) -> u32 {
        self.usage
    }
    fn new_client_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
        if self.client.is_none() {
            return Err(Error::NoCredentials);
        }
        Ok(Box::new(super::context::KerberosContext::new(self, true)))
    }
    fn new_server_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
        if self.server.is_none() {
            return Err(Error::NoCredentials);
        }
        Ok(Box::new(super::context::KerberosContext::new(self, false)))
    }
    fn query_attribute(&self, attr: u32) -> SecResult<Attribute> {
        match attr {
            SECPKG_CRED_ATTR_NAMES => {
                if let Some(c) = &self.client {
                    return Ok(Attribute::Names(display_name(&c.principal)));
                }
                match self.server.as_ref().and_then(|s| s.principal.as_ref()) {
                    Some(p) => Ok(Attribute::Names(display_name(p))),
                    None => Err(Error::NoCredentials),
                }
            }
            _ => Err(Error::UnsupportedFunction),
        }
    }

    /// SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS: `value` is a SecPkgCredentials_KdcProxySettingsW
    /// followed by its proxy server string (see [`kdc::proxy::KdcProxy::from_settings`]); the
    /// client's later AS and TGS exchanges use that MS-KKDCP proxy. Errors: malformed settings
    /// → SEC_E_INVALID_TOKEN; other attributes → SEC_E_UNSUPPORTED_FUNCTION.
    fn set_attribute(&self, attr: u32, value: &[u8]) -> SecResult<()> {
        match attr {
            SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS => {
                let proxy = kdc::proxy::KdcProxy::from_settings(value)?;
                if let Some(c) = &self.client {
                    *c.kdc_proxy.lock() = proxy;
                }
                Ok(())
            }
            _ => Err(Error::UnsupportedFunction),
        }
    }
}
