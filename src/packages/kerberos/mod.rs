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
#![forbid(unsafe_code)]

pub mod crypto;
pub mod wrap;

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
