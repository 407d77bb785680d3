//! Security packages, one folder each.

pub mod ntlm;
pub mod schannel;
