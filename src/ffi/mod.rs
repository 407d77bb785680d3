//! The C boundary: types, constants and the exported Secur32 functions.
#![allow(
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    missing_docs
)]

pub mod consts;
pub mod types;
