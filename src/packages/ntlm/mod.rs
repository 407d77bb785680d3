//! NTLM (MS-NLMP): NTLMv2 with extended session security, 128-bit keys and key exchange.
#![forbid(unsafe_code)]

mod authenticate;
mod av_pair;
mod challenge;
mod context;
mod hmac_md5;
mod negotiate;
mod ntlmv2;
pub(crate) mod rc4;
mod seal;
mod users;
mod wire;

#[cfg(test)]
mod tests;

/// Direct entry points to the message parsers for the fuzz targets (`--features fuzzing`; not
/// in the default build). Each returns whether the input parsed; none may panic.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz_api {
    /// The in-house RC4 (for `rc4_differential`, against the `rc4` crate).
    pub use super::rc4::Rc4;
    /// NEGOTIATE_MESSAGE parser (server side).
    pub fn negotiate(b: &[u8]) -> bool {
        super::negotiate::parse(b).is_ok()
    }
    /// CHALLENGE_MESSAGE parser and its TargetInfo AV pairs (client side).
    pub fn challenge(b: &[u8]) -> bool {
        match super::challenge::parse(b) {
            Ok(c) => super::av_pair::AvPairs::parse(&c.target_info).is_ok(),
            Err(_) => false,
        }
    }
    /// AUTHENTICATE_MESSAGE parser and the AV pairs of an NTLMv2 response (server side).
    pub fn authenticate(b: &[u8]) -> bool {
        match super::authenticate::parse(b) {
            Ok(a) => a
                .nt_response
                .get(16 + super::ntlmv2::BLOB_AV_OFFSET..)
                .map(|av| super::av_pair::AvPairs::parse(av).is_ok())
                .unwrap_or(false),
            Err(_) => false,
        }
    }
    /// AV_PAIR list parser.
    pub fn av_pairs(b: &[u8]) -> bool {
        super::av_pair::AvPairs::parse(b).is_ok()
    }
    /// SEC_CHANNEL_BINDINGS hashing (the SECBUFFER_CHANNEL_BINDINGS input).
    pub fn channel_bindings(b: &[u8]) -> bool {
        crate::package::channel_bindings_hash(b).is_ok()
    }
}

pub use context::NtlmContext;

use crate::ffi::consts::{SECPKG_CRED_ATTR_NAMES, SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND};
use crate::package::{
    Attribute, AuthData, Context, CredentialRequest, Credentials, PackageInfo, SecurityPackage,
};
use crate::status::{Error, SecResult};
use std::sync::Arc;
use users::Account;

/// The NTLM package.
pub struct Ntlm;

/// SecPkgInfo for NTLM, as Windows reports it.
pub static INFO: PackageInfo = PackageInfo {
    name: "NTLM",
    aliases: &[],
    comment: "NTLM Security Package",
    capabilities: 0x0008_2B37,
    version: 1,
    rpc_id: 10,
    max_token: 2888,
};

/// Credentials from AcquireCredentialsHandle.
pub struct NtlmCredentials {
    usage: u32,
    /// The account a client context authenticates as.
    client: Option<Account>,
    /// With SECPKG_CRED_INBOUND and an identity: the one account the server accepts.
    /// `None`: accounts come from NTLM_USER_FILE, read at accept time.
    server: Option<Account>,
    /// The CHALLENGE's TargetName and the AV pairs before MsvAvTimestamp (names of this
    /// machine and the server account's domain), built at the first accept.
    target: std::sync::OnceLock<(String, Vec<u8>)>,
}

/// This machine's NetBIOS-style name (upper case), read once per process (as Windows, whose
/// computer name changes take effect at the next boot).
pub(crate) fn hostname() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().split('.').next().unwrap_or("").to_uppercase())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "LOCALHOST".to_string())
    })
}

impl NtlmCredentials {
    /// Resolves the request's auth data into accounts.
    pub fn from_request(req: CredentialRequest) -> SecResult<Self> {
        let usage = req.usage;
        let inbound = usage & SECPKG_CRED_INBOUND != 0;
        let outbound = usage & SECPKG_CRED_OUTBOUND != 0;
        let account = match req.auth {
            AuthData::Identity(id) => Some(match (&id.user, &id.password) {
                (Some(u), Some(p)) if !u.is_empty() => Account::new(u, id.domain.as_deref(), p),
                (Some(u), None) if !u.is_empty() => {
                    // No password: the file's entry for this user.
                    let (user, domain) = users::split_user(u, id.domain.as_deref());
                    users::read_file()?
                        .into_iter()
                        .find(|a| a.matches(&user, &domain))
                        .ok_or(Error::NoCredentials)?
                }
                // No user (Windows: the logged-on user's): the default account, with the
                // domain and password the caller did give taking precedence.
                _ => {
                    let mut a = users::read_file()?
                        .into_iter()
                        .next()
                        .ok_or(Error::NoCredentials)?;
                    if let Some(d) = id.domain.as_deref().filter(|d| !d.is_empty()) {
                        a.domain = d.to_string();
                    }
                    if let Some(p) = &id.password {
                        a = Account::new(&a.user, Some(&a.domain), p);
                    }
                    a
                }
            }),
            AuthData::None if outbound => match users::read_file() {
                Ok(v) => v.into_iter().next(),
                Err(_) => None,
            },
            AuthData::None => None,
            // Another package's structure (never passed to NTLM by the exports).
            AuthData::Schannel(_) => return Err(Error::UnknownCredentials),
        };
        if outbound && !inbound && account.is_none() {
            return Err(Error::NoCredentials);
        }
        let (client, server) = match (inbound, outbound, account) {
            (true, true, Some(a)) => (
                Some(Account::with_hash(
                    a.domain.clone(),
                    a.user.clone(),
                    a.nt_hash.clone(),
                )),
                Some(a),
            ),
            (true, false, a) => (None, a),
            (_, _, a) => (a, None),
        };
        Ok(NtlmCredentials {
            usage,
            client,
            server,
            target: std::sync::OnceLock::new(),
        })
    }
}

impl SecurityPackage for Ntlm {
    fn info(&self) -> &'static PackageInfo {
        &INFO
    }
    fn acquire_credentials(&self, req: CredentialRequest) -> SecResult<Arc<dyn Credentials>> {
        Ok(Arc::new(NtlmCredentials::from_request(req)?))
    }
}

impl Credentials for NtlmCredentials {
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
        Ok(Box::new(NtlmContext::new(self, true)))
    }
    fn new_server_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
        Ok(Box::new(NtlmContext::new(self, false)))
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
