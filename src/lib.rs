//! secur32: the Windows SSPI / Secur32 C API in Rust.
//!
//! `ffi` holds the exported functions and C types, `handles` the handle table, `buffers` the
//! SecBufferDesc views; everything else is safe Rust: `package` (the SSP/AP tables as traits),
//! `packages::*` (NTLM, …).

pub mod buffers;
pub mod ffi;
pub mod handles;
pub mod log;
pub mod package;
pub mod packages;
pub mod sspap;
pub mod status;
