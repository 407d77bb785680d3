//! The C boundary: types, constants and the exported Secur32 functions.
#![allow(
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    missing_docs
)]
// The exports' safety contract is Microsoft's documentation of each function (valid pointers
// or NULL where documented); the README's "API conventions" states it once for all.
#![allow(clippy::missing_safety_doc)]

pub mod attrs;
pub mod consts;
pub mod crypt32;
pub mod crypt32_chain;
pub mod crypt32_keyprov;
pub mod crypt32_store;
pub mod exports;
pub mod identity;
pub mod lsa;
pub mod names;
pub mod ntsecpkg;
pub mod schannel;
pub mod strings;
pub mod table;
pub mod types;
#[cfg(windows)]
pub mod win32;

/// Certificate contexts as Schannel credentials take them: this library's crypt32 subset
/// everywhere but Windows, crypt32.dll's CERT_CONTEXTs on Windows.
#[cfg(not(windows))]
pub(crate) use crypt32 as certs;
#[cfg(windows)]
pub(crate) use win32 as certs;
