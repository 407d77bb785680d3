//! Security packages, one folder each.

pub mod ntlm;
