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

/// SecPkgInfo for Negotiate, as Windows reports it: wVersion 1, wRPCID 9
/// (RPC_C_AUTHN_GSS_NEGOTIATE), cbMaxToken = Kerberos' + 256 for the SPNEGO framing (48256 with
/// Kerberos' default 48000; a Windows 10 EnumerateSecurityPackages dump with MaxTokenSize 65535
/// shows 65791), comment "Microsoft Package Negotiator", fCapabilities 0x00083BB3 (WinPR's
/// copy of Windows' value): INTEGRITY, PRIVACY, CONNECTION, MULTI_REQUIRED, EXTENDED_ERROR,
/// IMPERSONATION, ACCEPT_WIN32_NAME, NEGOTIABLE, GSS_COMPATIBLE, LOGON, RESTRICTED_TOKENS
/// (without APPCONTAINER_CHECKS, as the NTLM and Kerberos entries here).
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
    use crate::buffers::SecBuffers;
    use crate::ffi::consts::{SECBUFFER_TOKEN, SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND};
    use crate::package::{
        AuthData, Context, CredentialRequest, Credentials, Identity, SecurityPackage, Step,
    };
    use crate::status::{Outcome, SecResult};
    use std::sync::Arc;

    fn ntlm_only(usage: u32) -> Arc<dyn Credentials> {
        super::Negotiate
            .acquire_credentials(CredentialRequest {
                principal: None,
                usage,
                auth: AuthData::Identity(Identity {
                    user: Some("user".into()),
                    domain: Some("DOMAIN".into()),
                    password: Some(zeroize::Zeroizing::new("Password01".into())),
                    package_list: Some("!kerberos".into()),
                }),
            })
            .expect("NTLM credentials from an identity")
    }

    fn step(
        ctx: &dyn Context,
        client: bool,
        input: Option<&[u8]>,
    ) -> (SecResult<Outcome>, Vec<u8>) {
        let mut tok = input.map(<[u8]>::to_vec).unwrap_or_default();
        let mut out = vec![0u8; 70_000];
        let mut inp: Vec<(u32, &mut [u8])> = Vec::new();
        if input.is_some() {
            inp.push((SECBUFFER_TOKEN, &mut tok[..]));
        }
        let has = input.is_some();
        let mut outp = [(SECBUFFER_TOKEN, &mut out[..])];
        let (r, n) = SecBuffers::with_two_parts(&mut inp, &mut outp, |i, o| {
            let r = {
                let mut st = Step {
                    target: Some("host/localhost"),
                    req_flags: 0x10 | 0x10000 | 0x800,
                    input: if has { Some(&mut *i) } else { None },
                    output: Some(&mut *o),
                    ret_flags: 0,
                    expiry: 0,
                };
                if client {
                    ctx.initialize(&mut st)
                } else {
                    ctx.accept(&mut st)
                }
            };
            (r, o.size(0))
        })
        .expect("at most 8 buffers");
        out.truncate(n.min(70_000));
        (r, out)
    }

    /// The acceptor's first AcceptSecurityContext on arbitrary input (NTLM credentials), then,
    /// when it asks for more, the same input again as the second leg.
    pub fn accept(b: &[u8]) -> bool {
        let s = ntlm_only(SECPKG_CRED_INBOUND)
            .new_server_context()
            .expect("context");
        let (r, _) = step(&*s, false, Some(b));
        if r == Ok(Outcome::ContinueNeeded) {
            let _ = step(&*s, false, Some(b));
        }
        r.is_ok()
    }

    /// The initiator's second InitializeSecurityContext on arbitrary input, after a genuine
    /// NegTokenInit; when that continues, a genuine exchange must still be impossible to
    /// complete with the same bytes.
    pub fn initiate(b: &[u8]) -> bool {
        let c = ntlm_only(SECPKG_CRED_OUTBOUND)
            .new_client_context()
            .expect("context");
        let (r0, _) = step(&*c, true, None);
        assert_eq!(r0, Ok(Outcome::ContinueNeeded));
        let (r, _) = step(&*c, true, Some(b));
        if r == Ok(Outcome::ContinueNeeded) {
            let _ = step(&*c, true, Some(b));
        }
        r.is_ok()
    }

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
