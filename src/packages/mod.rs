//! Security packages, one folder each.

pub mod digest;
pub mod kerberos;
pub mod negotiate;
pub mod ntlm;
pub mod schannel;
