//! WDigest: SASL DIGEST-MD5 (RFC 2831) with its integrity and confidentiality layers, and
//! HTTP Digest (RFC 7616 / RFC 2617), as Windows' Digest SSP provides them.
//!
//! Accounts: a client authenticates with the SEC_WINNT_AUTH_IDENTITY given to
//! AcquireCredentialsHandle (Domain is the realm). A server verifies against the identity it
//! was given (SECPKG_CRED_INBOUND with auth data) or, without one, against the file named by
//! NTLM_USER_FILE (`DOMAIN:USER:PASSWORD` lines, the format the NTLM package reads; DOMAIN is
//! the realm, empty matches any). Digest needs the password itself (or H(user:realm:pass)), so
//! the file's passwords are kept (zeroized on drop).
#![forbid(unsafe_code)]

mod accounts;
mod context;
mod directives;
mod http;
mod layer;
mod sasl;

#[cfg(test)]
mod tests;

/// Direct entry points to the parsers for the fuzz targets (`--features fuzzing`).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz_api {
    /// The directive-list parser and every token parser built on it; none may panic.
    pub fn parse_all(b: &[u8]) -> bool {
        let a = super::directives::Directives::parse(b).is_ok();
        let c = super::sasl::Challenge::parse(b).is_ok();
        let r = super::sasl::Response::parse(b).is_ok();
        let s = super::sasl::parse_rspauth(b).is_ok();
        let h = super::http::Authorization::parse(b).is_ok();
        let w = super::http::HttpChallenge::parse(b).is_ok();
        a | c | r | s | h | w
    }

    /// The receiving handshake legs with `b` as the peer's token: a SASL server context that
    /// sent its challenge, a SASL client context, an HTTP server context (no output buffers:
    /// parsing and verification run in full; the reply write is refused).
    pub fn handshake_legs(b: &[u8]) -> bool {
        use crate::buffers::SecBuffers;
        use crate::ffi::consts::{
            ASC_REQ_CONFIDENTIALITY, ISC_REQ_CONFIDENTIALITY, SECBUFFER_TOKEN,
        };
        use crate::package::{AuthData, CredentialRequest, Identity, SecurityPackage, Step};
        let id = || {
            AuthData::Identity(Identity {
                user: Some("u".into()),
                domain: Some("R".into()),
                password: Some(zeroize::Zeroizing::new("p".into())),
                package_list: None,
            })
        };
        let cred = |usage| {
            super::Digest.acquire_credentials(CredentialRequest {
                principal: None,
                usage,
                auth: id(),
            })
        };
        let (Ok(sc), Ok(cc)) = (cred(1), cred(2)) else {
            return false;
        };
        let mut ok = false;
        let mut run = |ctx: &dyn crate::package::Context, client: bool, req: u32, tok: &[u8]| {
            let mut t = tok.to_vec();
            let _ = SecBuffers::with_parts(&mut [(SECBUFFER_TOKEN, &mut t[..])], |inp| {
                let mut s = Step {
                    target: Some("ldap/h"),
                    req_flags: req,
                    input: Some(inp),
                    output: None,
                    ret_flags: 0,
                    expiry: 0,
                };
                let r = if client {
                    ctx.initialize(&mut s)
                } else {
                    ctx.accept(&mut s)
                };
                ok |= r.is_ok();
            });
        };
        if let Ok(s) = sc.clone().new_server_context() {
            // The challenge first (into an output buffer), then `b` as the digest-response.
            let mut out = [0u8; 512];
            let _ = SecBuffers::with_parts(&mut [(SECBUFFER_TOKEN, &mut out[..])], |o| {
                let mut st = Step {
                    target: None,
                    req_flags: ASC_REQ_CONFIDENTIALITY,
                    input: None,
                    output: Some(o),
                    ret_flags: 0,
                    expiry: 0,
                };
                let _ = s.accept(&mut st);
            });
            run(&*s, false, ASC_REQ_CONFIDENTIALITY, b);
        }
        if let Ok(s) = sc.new_server_context() {
            run(&*s, false, super::context::ASC_REQ_HTTP, b);
        }
        if let Ok(c) = cc.clone().new_client_context() {
            run(&*c, true, ISC_REQ_CONFIDENTIALITY, b);
        }
        if let Ok(c) = cc.new_client_context() {
            run(&*c, true, crate::ffi::consts::ISC_REQ_USE_HTTP_STYLE, b);
        }
        ok
    }

    /// DecryptMessage / VerifySignature of the security layer on arbitrary tokens: `b[0]`
    /// picks the qop/cipher, the rest is the token (one DATA buffer).
    pub fn unseal(b: &[u8]) -> bool {
        use super::sasl::{Cipher, Qop};
        use crate::buffers::SecBuffers;
        use crate::ffi::consts::SECBUFFER_DATA;
        let Some((&sel, tok)) = b.split_first() else {
            return false;
        };
        let (qop, cipher) = match sel % 6 {
            5 => (Qop::AuthInt, None),
            i => (Qop::AuthConf, Some(Cipher::PREFERENCE[i as usize])),
        };
        let layer = super::layer::Layer::new(&[7u8; 16], qop, cipher, false);
        let mut t = tok.to_vec();
        let r = SecBuffers::with_parts(&mut [(SECBUFFER_DATA, &mut t[..])], |m| {
            layer.unseal(m, 0).is_ok()
        });
        let mut t2 = tok.to_vec();
        let _ = SecBuffers::with_parts(&mut [(SECBUFFER_DATA, &mut t2[..])], |m| {
            layer.verify_signature(m, 0)
        });
        r.unwrap_or(false)
    }
}

pub use context::DigestContext;

use crate::ffi::consts::{SECPKG_CRED_ATTR_NAMES, SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND};
use crate::package::{
    Attribute, AuthData, Context, CredentialRequest, Credentials, PackageInfo, SecurityPackage,
};
use crate::status::{Error, SecResult};
use accounts::Account;
use std::sync::Arc;

/// The WDigest package.
pub struct Digest;

/// SECPKG_FLAG_TOKEN_ONLY | IMPERSONATION | ACCEPT_WIN32_NAME | APPCONTAINER_CHECKS, as
/// Windows 10/11 report WDigest (EnumerateSecurityPackages dumps, NtObjectManager
/// Get-LsaPackage).
pub const CAPABILITIES: u32 = 0x0000_0004 | 0x0000_0100 | 0x0000_0200 | 0x0040_0000;

/// SecPkgInfo for WDigest, as Windows reports it: RPC id 21 (RPC_C_AUTHN_DIGEST), cbMaxToken
/// 4096.
pub static INFO: PackageInfo = PackageInfo {
    name: "WDigest",
    aliases: &["Digest"],
    comment: "Digest Authentication for Windows",
    capabilities: CAPABILITIES,
    version: 1,
    rpc_id: 21,
    max_token: 4096,
};

/// Credentials from AcquireCredentialsHandle.
pub struct DigestCredentials {
    usage: u32,
    /// The account a client context authenticates as.
    client: Option<Account>,
    /// With SECPKG_CRED_INBOUND and an identity: the one account the server accepts.
    /// `None`: accounts come from NTLM_USER_FILE, read at accept time.
    server: Option<Account>,
}

impl DigestCredentials {
    fn from_request(req: CredentialRequest) -> SecResult<Self> {
        let usage = req.usage;
        let inbound = usage & SECPKG_CRED_INBOUND != 0;
        let outbound = usage & SECPKG_CRED_OUTBOUND != 0;
        let account = match req.auth {
            AuthData::Identity(id) => match (&id.user, &id.password) {
                (Some(u), Some(p)) if !u.is_empty() => {
                    Some(Account::new(u, id.domain.as_deref(), p))
                }
                (Some(u), None) if !u.is_empty() => {
                    let a = Account::new(u, id.domain.as_deref(), "");
                    Some(
                        accounts::read_file()?
                            .into_iter()
                            .find(|f| f.matches(&a.user, &a.realm))
                            .ok_or(Error::NoCredentials)?,
                    )
                }
                _ => accounts::read_file()
                    .ok()
                    .and_then(|v| v.into_iter().next()),
            },
            AuthData::None if outbound => accounts::read_file()
                .ok()
                .and_then(|v| v.into_iter().next()),
            AuthData::None => None,
            AuthData::Schannel(_) => return Err(Error::UnknownCredentials),
        };
        if outbound && !inbound && account.is_none() {
            return Err(Error::NoCredentials);
        }
        let (client, server) = match (inbound, outbound, account) {
            (true, true, Some(a)) => (Some(a.clone()), Some(a)),
            (true, false, a) => (None, a),
            (_, _, a) => (a, None),
        };
        Ok(DigestCredentials {
            usage,
            client,
            server,
        })
    }

    /// The realm a server names in its challenges: its account's, the user file's first
    /// non-empty one, or the host name.
    fn server_realm(&self) -> String {
        if let Some(a) = self.server.as_ref().filter(|a| !a.realm.is_empty()) {
            return a.realm.clone();
        }
        accounts::read_file()
            .ok()
            .and_then(|v| {
                v.into_iter()
                    .map(|a| a.realm.clone())
                    .find(|r| !r.is_empty())
            })
            .unwrap_or_else(|| crate::packages::ntlm::hostname().to_owned())
    }

    /// Looks an account up for the server side.
    fn find_account(&self, user: &str, realm: &str) -> Option<Account> {
        match &self.server {
            Some(a) => Some(a.clone()).filter(|a| a.matches(user, realm)),
            None => accounts::read_file()
                .ok()?
                .into_iter()
                .find(|a| a.matches(user, realm)),
        }
    }
}

impl SecurityPackage for Digest {
    fn info(&self) -> &'static PackageInfo {
        &INFO
    }
    fn acquire_credentials(&self, req: CredentialRequest) -> SecResult<Arc<dyn Credentials>> {
        Ok(Arc::new(DigestCredentials::from_request(req)?))
    }
}

impl Credentials for DigestCredentials {
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
        Ok(Box::new(DigestContext::new(self, true)))
    }
    fn new_server_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
        Ok(Box::new(DigestContext::new(self, false)))
    }
    fn query_attribute(&self, attr: u32) -> SecResult<Attribute> {
        match attr {
            SECPKG_CRED_ATTR_NAMES => self
                .client
                .as_ref()
                .or(self.server.as_ref())
                .map(|a| Attribute::Names(a.display()))
                .ok_or(Error::NoCredentials),
            _ => Err(Error::UnsupportedFunction),
        }
    }
}
