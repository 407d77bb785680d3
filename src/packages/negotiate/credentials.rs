//! Negotiate credentials: the Kerberos and NTLM packages' credentials acquired from the same
//! request, restricted by SEC_WINNT_AUTH_IDENTITY_EX's PackageList.

use super::context::NegotiateContext;
use super::INFO;
use crate::ffi::consts::SECPKG_CRED_ATTR_NAMES;
use crate::package::{
    Attribute, AuthData, Context, CredentialRequest, Credentials, Identity, PackageInfo,
    SecurityPackage,
};
use crate::packages::{kerberos::Kerberos, ntlm::Ntlm};
use crate::status::{Error, SecResult};
use std::sync::Arc;

/// Which of the two mechanisms a PackageList allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allowed {
    pub kerberos: bool,
    pub ntlm: bool,
}

/// Parses a PackageList as Windows reads it: comma-separated package names, case-insensitive;
/// `!name` removes a package; if any name is given without `!`, only the named packages are
/// used. Names of packages this library lacks (NegoExtender, pku2u, CloudAP) are ignored.
pub fn parse_package_list(list: Option<&str>) -> Allowed {
    let Some(list) = list.filter(|l| !l.trim().is_empty()) else {
        return Allowed {
            kerberos: true,
            ntlm: true,
        };
    };
    let mut positive = Allowed {
        kerberos: false,
        ntlm: false,
    };
    let mut any_positive = false;
    let mut negative = Allowed {
        kerberos: false,
        ntlm: false,
    };
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (neg, name) = match item.strip_prefix('!') {
            Some(n) => (true, n.trim()),
            None => (false, item),
        };
        let set = if neg { &mut negative } else { &mut positive };
        if name.eq_ignore_ascii_case("kerberos") {
            set.kerberos = true;
        } else if name.eq_ignore_ascii_case("ntlm") {
            set.ntlm = true;
        }
        if !neg {
            any_positive = true;
        }
    }
    let base = if any_positive {
        positive
    } else {
        Allowed {
            kerberos: true,
            ntlm: true,
        }
    };
    Allowed {
        kerberos: base.kerberos && !negative.kerberos,
        ntlm: base.ntlm && !negative.ntlm,
    }
}

/// Credentials from AcquireCredentialsHandle("Negotiate"): each mechanism's own, if it could
/// be had (a mechanism whose credentials fail is left out, as Windows does).
pub struct NegotiateCredentials {
    usage: u32,
    pub(super) kerberos: Option<Arc<dyn Credentials>>,
    pub(super) ntlm: Option<Arc<dyn Credentials>>,
}

fn copy_identity(id: &Identity) -> Identity {
    Identity {
        user: id.user.clone(),
        domain: id.domain.clone(),
        password: id.password.clone(),
        package_list: None,
    }
}

impl NegotiateCredentials {
    /// Acquires Kerberos (ccache / password / keytab) and NTLM (identity / NTLM_USER_FILE)
    /// credentials for the request. As on Windows, the call succeeds even when neither mechanism
    /// has credentials (or the PackageList allows none): the first InitializeSecurityContext /
    /// AcceptSecurityContext then returns SEC_E_NO_CREDENTIALS. Errors: SEC_E_UNKNOWN_CREDENTIALS
    /// for a Schannel struct.
    pub fn from_request(req: CredentialRequest) -> SecResult<Self> {
        let (identity, allowed) = match &req.auth {
            AuthData::Identity(id) => (Some(id), parse_package_list(id.package_list.as_deref())),
            AuthData::None => (None, parse_package_list(None)),
            AuthData::Schannel(_) => return Err(Error::UnknownCredentials),
        };
        let sub = |pkg: &dyn SecurityPackage| -> SecResult<Arc<dyn Credentials>> {
            pkg.acquire_credentials(CredentialRequest {
                principal: req.principal.clone(),
                usage: req.usage,
                auth: match identity {
                    Some(id) => AuthData::Identity(copy_identity(id)),
                    None => AuthData::None,
                },
            })
        };
        let keep = |r: SecResult<Arc<dyn Credentials>>, name: &str| match r {
            Ok(c) => Some(c),
            Err(e) => {
                crate::log!(
                    crate::log::Level::Debug,
                    "negotiate: no {name} credentials: {e:?}"
                );
                None
            }
        };
        let kerberos = if allowed.kerberos {
            keep(sub(&Kerberos), "Kerberos")
        } else {
            None
        };
        let ntlm = if allowed.ntlm {
            keep(sub(&Ntlm), "NTLM")
        } else {
            None
        };
        Ok(NegotiateCredentials {
            usage: req.usage,
            kerberos,
            ntlm,
        })
    }
}

impl Credentials for NegotiateCredentials {
    fn package(&self) -> &'static PackageInfo {
        &INFO
    }
    fn usage(&self) -> u32 {
        self.usage
    }
    fn new_client_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
        Ok(Box::new(NegotiateContext::new(self, true)))
    }
    fn new_server_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
        Ok(Box::new(NegotiateContext::new(self, false)))
    }
    /// SECPKG_CRED_ATTR_NAMES: the Kerberos principal if Kerberos credentials exist, else the
    /// NTLM account (Windows reports the preferred package's name).
    fn query_attribute(&self, attr: u32) -> SecResult<Attribute> {
        match attr {
            SECPKG_CRED_ATTR_NAMES => {
                for c in [&self.kerberos, &self.ntlm].into_iter().flatten() {
                    if let Ok(a) = c.query_attribute(attr) {
                        return Ok(a);
                    }
                }
                Err(Error::NoCredentials)
            }
            _ => Err(Error::UnsupportedFunction),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_list_as_windows() {
        let a = |k, n| Allowed {
            kerberos: k,
            ntlm: n,
        };
        assert_eq!(parse_package_list(None), a(true, true));
        assert_eq!(parse_package_list(Some("")), a(true, true));
        assert_eq!(parse_package_list(Some("!ntlm")), a(true, false));
        assert_eq!(parse_package_list(Some("!Kerberos")), a(false, true));
        assert_eq!(parse_package_list(Some("kerberos")), a(true, false));
        assert_eq!(parse_package_list(Some("NTLM")), a(false, true));
        assert_eq!(parse_package_list(Some("kerberos, ntlm")), a(true, true));
        assert_eq!(
            parse_package_list(Some("kerberos,!kerberos")),
            a(false, false)
        );
        assert_eq!(parse_package_list(Some("!negoex,!pku2u")), a(true, true));
        assert_eq!(parse_package_list(Some("pku2u")), a(false, false));
    }
}
