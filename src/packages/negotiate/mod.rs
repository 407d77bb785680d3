//! Negotiate (SPNEGO, RFC 4178 with the MS-SPNG extensions): the "Negotiate" security package.
//!
//! Built only on the package traits: a Negotiate context drives a Kerberos or NTLM context
//! (`crate::packages::kerberos::Kerberos`, `crate::packages::ntlm::Ntlm`) through their
//! `Context` methods and wraps their tokens in NegotiationTokens.
//!
//! Modules, each named after its spec:
//! - `spnego`       RFC 4178 §4.2 NegTokenInit / NegTokenResp and MS-SPNG §2.2.1 NegTokenInit2.
//! - `credentials`  AcquireCredentialsHandle: both mechanisms' credentials, PackageList.
//! - `context`      ISC/ASC (RFC 4178 §5, MS-SPNG §3.1.5, §3.2.5, §3.3.5), then delegation.
#![forbid(unsafe_code)]

mod context;
mod credentials;
pub mod spnego;

#[cfg(test)]
mod tests;

pub use context::NegotiateContext;
pub use credentials::{parse_package_list, NegotiateCredentials};

use crate::package::{CredentialRequest, Credentials, PackageInfo, SecurityPackage};
use crate::status::SecResult;
use std::sync::Arc;

/// The Negotiate package.
pub struct Negotiate;

/// SecPkgInfo for Negotiate, as Windows 10/11 and Server 2016+ report it: wVersion 1,
/// wRPCID 9 (RPC_C_AUTHN_GSS_NEGOTIATE), cbMaxToken 48256 (Kerberos' 48000 plus SPNEGO
/// framing), comment "Microsoft Package Negotiator", fCapabilities 0x00083BB3: INTEGRITY,
/// PRIVACY, CONNECTION, MULTI_REQUIRED, EXTENDED_ERROR, IMPERSONATION, ACCEPT_WIN32_NAME,
/// NEGOTIABLE, GSS_COMPATIBLE, LOGON, RESTRICTED_TOKENS.
pub static INFO: PackageInfo = PackageInfo {
    name: "Negotiate",
    aliases: &[],
    comment: "Microsoft Package Negotiator",
    capabilities: 0x0008_3BB3,
    version: 1,
    rpc_id: 9,
    max_token: 48256,
};

impl SecurityPackage for Negotiate {
    fn info(&self) -> &'static PackageInfo {
        &INFO
    }
    fn acquire_credentials(&self, req: CredentialRequest) -> SecResult<Arc<dyn Credentials>> {
        Ok(Arc::new(NegotiateCredentials::from_request(req)?))
    }
}

/// Direct entry point to the SPNEGO decoder for the fuzz target (`--features fuzzing`; not in
/// the default build). Returns whether the input decoded; must never panic.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz_api {
    use super::spnego::{self, NegotiationToken};

    /// Decodes a NegotiationToken; what decodes re-encodes and decodes to the same fields.
    pub fn spnego(b: &[u8]) -> bool {
        match spnego::decode(b) {
            Ok(NegotiationToken::Init(i)) => {
                let again = spnego::encode_init(i.mech_types_der, i.mech_token, i.mech_list_mic);
                match spnego::decode(&again) {
                    Ok(NegotiationToken::Init(j)) => {
                        assert_eq!(i.mech_types, j.mech_types);
                        assert_eq!(i.mech_token, j.mech_token);
                        assert_eq!(i.mech_list_mic, j.mech_list_mic);
                    }
                    other => panic!("re-encoded NegTokenInit decoded as {other:?}"),
                }
                true
            }
            Ok(NegotiationToken::Resp(r)) => {
                let again = spnego::encode_resp(&r);
                assert_eq!(spnego::decode(&again), Ok(NegotiationToken::Resp(r)));
                true
            }
            Err(_) => false,
        }
    }
}
