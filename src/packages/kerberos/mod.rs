//! Kerberos (MS-KILE over RFC 4120 / RFC 4121): the "Kerberos" security package.
//!
//! Modules, each named after its spec:
//! - `crypto`  RFC 3961 framework, RFC 3962 (AES-CTS-HMAC-SHA1), RFC 8009 (AES-CTS-HMAC-SHA2),
//!   RFC 4757 (RC4-HMAC): string-to-key, encrypt/decrypt with key usages, checksums.
//! - `asn1`    RFC 4120 §5 messages (DER) and the RFC 2743 §3.1 / RFC 4121 §4.1 GSS framing.
//! - `kdc`     AS and TGS exchanges over UDP/TCP (RFC 4120 §3.1, §3.3, §7.2).
//! - `ccache`, `keytab`  MIT credential cache and keytab file formats.
//! - `config`  krb5.conf (`KRB5_CONFIG`).
//! - `context` ISC/ASC: AP-REQ / AP-REP (RFC 4120 §3.2, RFC 4121 §4.1, MS-KILE §3.4.5).
//! - `wrap`    RFC 4121 §4.2 wrap and MIC tokens, RFC 4757 §7 tokens, on the caller's SecBuffers.
//! - `sasl`    RFC 4752 §3.1 security-layer negotiation of the SASL "GSSAPI" profile.
#![forbid(unsafe_code)]

pub mod asn1;
pub mod ccache;
pub mod config;
mod context;
mod credentials;
pub mod crypto;
pub mod kdc;
pub mod keytab;
pub mod sasl;
pub mod wrap;

pub use credentials::KerberosCredentials;

use crate::package::{CredentialRequest, Credentials, PackageInfo, SecurityPackage};
use crate::status::SecResult;
use std::sync::Arc;

/// The Kerberos package.
pub struct Kerberos;

/// SecPkgInfo for Kerberos, as Windows reports it (PACKAGES-NOTES: wVersion 1, wRPCID 16 =
/// RPC_C_AUTHN_GSS_KERBEROS, cbMaxToken 48000 since Windows 8 / Server 2012, comment
/// "Microsoft Kerberos V1.0", capabilities 0x000F3BBF: INTEGRITY, PRIVACY, TOKEN_ONLY,
/// DATAGRAM, CONNECTION, MULTI_REQUIRED, EXTENDED_ERROR, IMPERSONATION, ACCEPT_WIN32_NAME,
/// NEGOTIABLE, GSS_COMPATIBLE, LOGON, MUTUAL_AUTH, DELEGATION, READONLY_WITH_CHECKSUM,
/// RESTRICTED_TOKENS).
pub static INFO: PackageInfo = PackageInfo {
    name: "Kerberos",
    aliases: &[],
    comment: "Microsoft Kerberos V1.0",
    capabilities: 0x000F_3BBF,
    version: 1,
    rpc_id: 16,
    max_token: 48000,
};

impl SecurityPackage for Kerberos {
    fn info(&self) -> &'static PackageInfo {
        &INFO
    }
    fn acquire_credentials(&self, req: CredentialRequest) -> SecResult<Arc<dyn Credentials>> {
        Ok(Arc::new(KerberosCredentials::from_request(req)?))
    }
}

/// Direct entry points to the file parsers for the fuzz targets (`--features fuzzing`; not in
/// the default build). Each returns whether the input parsed; none may panic.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz_api {
    /// MIT credential cache parser; what parses re-encodes to the same entries.
    pub fn ccache(b: &[u8]) -> bool {
        super::ccache::fuzz_round_trip(b)
    }
    /// MIT keytab parser, and a lookup of every entry found.
    pub fn keytab(b: &[u8]) -> bool {
        match super::keytab::Keytab::parse(b) {
            Ok(kt) => {
                for e in &kt.entries {
                    let found = kt.find(&e.principal, None, e.key.etype());
                    assert!(found.is_some_and(|f| f.kvno >= e.kvno));
                }
                true
            }
            Err(_) => false,
        }
    }
    /// krb5.conf parser (includes not followed) and every accessor.
    pub fn krb5_conf(text: &str) -> bool {
        let c = super::config::Config::parse(text, false);
        let realm = c.default_realm().unwrap_or("EXAMPLE.COM").to_owned();
        let _ = c.kdcs(&realm);
        for host in ["a.b.example.com", "localhost", "x.", ".", ""] {
            let _ = c.realm_for_host(host);
            let _ = c.fallback_realm_for_host(host);
        }
        let _ = (
            c.clockskew(),
            c.kdc_timeout(),
            c.request_timeout(),
            c.udp_preference_limit(),
        );
        let _ = (
            c.default_tkt_enctypes(),
            c.default_tgs_enctypes(),
            c.permitted_enctypes(),
        );
        let _ = (
            c.allow_rc4(),
            c.dns_canonicalize_hostname(),
            c.rdns(),
            c.forwardable(),
        );
        c.default_realm().is_some()
    }
}

#[cfg(test)]
mod files_tests;
#[cfg(test)]
pub(crate) mod test_kdc;

use crypto::Key;

/// RFC 4120 §5.2.2 name types used here.
pub mod name_type {
    pub const NT_UNKNOWN: i32 = 0;
    pub const NT_PRINCIPAL: i32 = 1;
    pub const NT_SRV_INST: i32 = 2;
    pub const NT_SRV_HST: i32 = 3;
    pub const NT_ENTERPRISE: i32 = 10;
}

/// A principal: RFC 4120 PrincipalName (name-type, name-string components) and its Realm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub name_type: i32,
    pub components: Vec<String>,
    pub realm: String,
}

/// A ticket and what the KDC told the client about it (RFC 4120 §5.4.2 EncKDCRepPart):
/// what a KDC exchange returns and an MIT credential cache entry holds.
/// Times are seconds since the Unix epoch (KerberosTime).
#[derive(Clone, Debug)]
pub struct Credential {
    pub client: Principal,
    pub server: Principal,
    /// The session key (EncKDCRepPart.key).
    pub key: Key,
    pub auth_time: i64,
    pub start_time: Option<i64>,
    pub end_time: i64,
    pub renew_till: Option<i64>,
    /// TicketFlags as a 32-bit number, bit 0 (reserved) being the most significant
    /// (RFC 4120 §5.3: forwardable = 0x4000_0000 …), as MIT's ccache stores them.
    pub flags: u32,
    /// The DER encoding of the Ticket (application tag 1), as received.
    pub ticket: Vec<u8>,
}
