//! NTLM (MS-NLMP).
#![forbid(unsafe_code)]

use crate::package::{CredentialRequest, Credentials, PackageInfo, SecurityPackage};
use crate::status::{Error, SecResult};
use std::sync::Arc;

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

impl SecurityPackage for Ntlm {
    fn info(&self) -> &'static PackageInfo {
        &INFO
    }
    fn acquire_credentials(&self, _req: CredentialRequest) -> SecResult<Arc<dyn Credentials>> {
        Err(Error::UnsupportedFunction)
    }
}
