//! The exported Secur32 functions (`SEC_ENTRY` = `extern "system"`). Each body runs inside
//! [`guard`], so no panic crosses into C: a caught panic returns `SEC_E_INTERNAL_ERROR`.
//!
//! Conventions for every function: out-parameters are written only on success (including
//! `SEC_I_*` outcomes); memory handed to the caller (SecPkgInfo arrays, tokens allocated for
//! ISC_REQ_ALLOCATE_MEMORY / ASC_REQ_ALLOCATE_MEMORY, attribute strings and keys) is released
//! with FreeContextBuffer; handles that are NULL, zeroed, forged, deleted or of the wrong kind
//! give `SEC_E_INVALID_HANDLE`.

use super::attrs::{alloc_pkg_infos, struct_size, write_attribute};
use super::consts::*;
use super::strings::{any_str, decode_identity, Charset};
use super::types::*;
use crate::buffers::{free_context_buffer, SecBuffers};
use crate::handles::{self, ContextEntry};
use crate::log::Level;
use crate::package::{self, AuthData, CredentialRequest, RawCredentialArgs, Step};
use crate::status::{Error, Outcome, SecResult};
use core::cell::Cell;
use core::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};

mod context;
mod credentials;
mod internal;
mod message;
mod packages;
mod sasl;
mod sspap;
mod unsupported;

pub use context::*;
pub use credentials::*;
pub use internal::*;
pub use message::*;
pub use packages::*;
pub use sasl::*;
pub use sspap::*;
pub use unsupported::*;

thread_local! {
    /// The package the current call resolved to, for log lines.
    static PACKAGE: Cell<&'static str> = const { Cell::new("-") };
}

fn note_package(name: &'static str) {
    if crate::log::enabled(Level::Error) {
        PACKAGE.with(|p| p.set(name));
    }
}

/// Looks up a context handle passed by pointer.
///
/// # Safety
/// `h` is NULL or points to a readable SecHandle.
unsafe fn context_of(h: *const SecHandle) -> SecResult<std::sync::Arc<ContextEntry>> {
    // SAFETY: forwarded contract.
    let entry = handles::context(&unsafe { read_handle(h)? })?;
    note_package(entry.context.package().name);
    Ok(entry)
}

/// Looks up a credentials handle passed by pointer.
///
/// # Safety
/// `h` is NULL or points to a readable SecHandle.
unsafe fn credentials_of(
    h: *const SecHandle,
) -> SecResult<std::sync::Arc<dyn crate::package::Credentials>> {
    // SAFETY: forwarded contract.
    let cred = handles::credentials(&unsafe { read_handle(h)? })?;
    note_package(cred.package().name);
    Ok(cred)
}

/// Runs an export body: maps its result to a status, logs failures (function, package,
/// status), and turns a panic into `SEC_E_INTERNAL_ERROR`.
pub(crate) fn guard(name: &'static str, f: impl FnOnce() -> SecResult<Outcome>) -> SECURITY_STATUS {
    let r = catch_unwind(AssertUnwindSafe(f));
    let pkg = if crate::log::enabled(Level::Error) {
        PACKAGE.with(|p| p.replace("-"))
    } else {
        "-"
    };
    match r {
        Ok(Ok(o)) => {
            crate::log!(Level::Trace, "{name} [{pkg}]: {o:?}");
            o.status()
        }
        Ok(Err(e)) => {
            crate::log!(Level::Debug, "{name} [{pkg}]: {e}");
            e.status()
        }
        Err(_) => {
            crate::log!(
                Level::Error,
                "{name} [{pkg}]: panic caught, returning SEC_E_INTERNAL_ERROR"
            );
            SEC_E_INTERNAL_ERROR
        }
    }
}

/// Reads a handle the caller passed by pointer (NULL → `SEC_E_INVALID_HANDLE`).
///
/// # Safety
/// `h` is NULL or points to a readable SecHandle.
unsafe fn read_handle(h: *const SecHandle) -> SecResult<SecHandle> {
    if h.is_null() {
        return Err(Error::InvalidHandle);
    }
    // SAFETY: non-NULL, readable per the contract.
    Ok(unsafe { h.read_unaligned() })
}

/// # Safety
/// `p` is NULL or writable for one `T`.
unsafe fn put<T>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: non-NULL and writable per the contract.
        unsafe { p.write_unaligned(v) };
    }
}

/// FILETIME meaning "never expires", as Windows reports for NTLM.
const NEVER: i64 = i64::MAX;

/// Writes an attribute value into the caller's struct; `size` is the Ex functions' cbBuffer.
///
/// # Safety
/// `buf` is NULL or the caller's writable struct for this attribute (of `size` bytes if given).
unsafe fn deliver_attribute(
    value: crate::package::Attribute,
    buf: *mut c_void,
    size: Option<ULONG>,
    cs: Charset,
) -> SecResult<Outcome> {
    if let Some(n) = size {
        if (n as usize) < struct_size(&value) {
            return Err(Error::BufferTooSmall);
        }
    }
    // SAFETY: forwarded contract.
    unsafe { write_attribute(value, buf, cs)? };
    Ok(Outcome::Ok)
}

/// The caller's attribute struct for the Set*Attributes functions.
///
/// # Safety
/// `buf` is NULL or readable for `size` bytes for the lifetime `'a`.
unsafe fn caller_bytes<'a>(buf: *const c_void, size: ULONG) -> SecResult<&'a [u8]> {
    match (buf.is_null(), size) {
        (_, 0) => Ok(&[]),
        (true, _) => Err(Error::InvalidParameter),
        // SAFETY: forwarded contract.
        (false, n) => Ok(unsafe { core::slice::from_raw_parts(buf as *const u8, n as usize) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_becomes_internal_error() {
        let s = guard("test", || panic!("package bug"));
        assert_eq!(s, SEC_E_INTERNAL_ERROR);
        assert_eq!(
            guard("test", || Ok(Outcome::ContinueNeeded)),
            SEC_I_CONTINUE_NEEDED
        );
        assert_eq!(
            guard("test", || Err(Error::InvalidToken)),
            SEC_E_INVALID_TOKEN
        );
    }

    /// A package whose every entry point panics, to prove that a panic inside a package
    /// surfaces as SEC_E_INTERNAL_ERROR from the export and the process (and the handle table,
    /// and other contexts) live on. Test-only: the library has no way to load it.
    mod panicking {
        use crate::buffers::SecBuffers;
        use crate::package::{Attribute, Context, Credentials, PackageInfo, Step, Unsealed};
        use crate::status::{Outcome, SecResult};
        use std::sync::Arc;

        pub static INFO: PackageInfo = PackageInfo {
            name: "Panicking",
            aliases: &[],
            comment: "test package",
            capabilities: 0,
            version: 1,
            rpc_id: 0xFFFF,
            max_token: 16,
        };
        pub struct Creds;
        impl Credentials for Creds {
            fn package(&self) -> &'static PackageInfo {
                &INFO
            }
            fn usage(&self) -> u32 {
                panic!("package bug: usage")
            }
            fn new_client_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
                panic!("package bug: new_client_context")
            }
            fn new_server_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
                panic!("package bug: new_server_context")
            }
            fn query_attribute(&self, _: u32) -> SecResult<Attribute> {
                panic!("package bug: query credentials")
            }
        }
        pub struct Ctx;
        impl Context for Ctx {
            fn package(&self) -> &'static PackageInfo {
                &INFO
            }
            fn initialize(&self, _: &mut Step<'_, '_>) -> SecResult<Outcome> {
                panic!("package bug: initialize")
            }
            fn accept(&self, _: &mut Step<'_, '_>) -> SecResult<Outcome> {
                panic!("package bug: accept")
            }
            fn seal(&self, _: u32, _: &mut SecBuffers<'_>, _: u32) -> SecResult<()> {
                panic!("package bug: seal")
            }
            fn unseal(&self, _: &mut SecBuffers<'_>, _: u32) -> SecResult<Unsealed> {
                let v: Vec<u8> = Vec::new();
                #[allow(clippy::useless_vec)]
                let i = v.len() + 3;
                Ok(Unsealed {
                    qop: u32::from(v[i]), // index out of bounds, as a real bug would
                    outcome: Outcome::Ok,
                })
            }
            fn make_signature(&self, _: u32, _: &mut SecBuffers<'_>, _: u32) -> SecResult<()> {
                panic!("package bug: make_signature")
            }
            fn verify_signature(&self, _: &mut SecBuffers<'_>, _: u32) -> SecResult<u32> {
                let x: Option<u32> = std::hint::black_box(None);
                Ok(x.expect("package bug: verify_signature"))
            }
            fn query_attribute(&self, _: u32) -> SecResult<Attribute> {
                panic!("package bug: query_attribute")
            }
        }
    }

    #[test]
    fn package_panic_is_internal_error_and_process_lives_on() {
        use crate::package::Credentials;
        use std::sync::Arc;
        let cred: Arc<dyn Credentials> = Arc::new(panicking::Creds);
        let mut ch = handles::insert_credentials(cred.clone()).unwrap();
        let mut h = handles::insert_context(ContextEntry {
            context: Box::new(panicking::Ctx),
            credential: cred,
        })
        .unwrap();
        let mut sig = [0u8; 16];
        let mut data = *b"data";
        let mut bufs = [
            SecBuffer {
                cbBuffer: 16,
                BufferType: SECBUFFER_TOKEN,
                pvBuffer: sig.as_mut_ptr() as *mut c_void,
            },
            SecBuffer {
                cbBuffer: 4,
                BufferType: SECBUFFER_DATA,
                pvBuffer: data.as_mut_ptr() as *mut c_void,
            },
        ];
        let mut desc = SecBufferDesc {
            ulVersion: SECBUFFER_VERSION,
            cBuffers: 2,
            pBuffers: bufs.as_mut_ptr(),
        };
        let mut qop = 0u32;
        let mut sizes = [0u8; 64];
        let mut out = SecHandle::default();
        let (mut attrs, mut ts) = (0u32, TimeStamp { QuadPart: 0 });
        let mut tok = [0u8; 64];
        let mut ob = SecBuffer {
            cbBuffer: 64,
            BufferType: SECBUFFER_TOKEN,
            pvBuffer: tok.as_mut_ptr() as *mut c_void,
        };
        let mut od = SecBufferDesc {
            ulVersion: SECBUFFER_VERSION,
            cBuffers: 1,
            pBuffers: &mut ob,
        };
        // Every export that reaches the package: SEC_E_INTERNAL_ERROR, twice in a row (the
        // first panic poisoned nothing), and out-parameters untouched.
        for _ in 0..2 {
            // SAFETY: valid pointers to live locals throughout.
            unsafe {
                assert_eq!(
                    EncryptMessage(&mut h, 0, &mut desc, 0),
                    SEC_E_INTERNAL_ERROR
                );
                assert_eq!(
                    DecryptMessage(&mut h, &mut desc, 0, &mut qop),
                    SEC_E_INTERNAL_ERROR
                );
                assert_eq!(MakeSignature(&mut h, 0, &mut desc, 0), SEC_E_INTERNAL_ERROR);
                assert_eq!(
                    VerifySignature(&mut h, &mut desc, 0, &mut qop),
                    SEC_E_INTERNAL_ERROR
                );
                assert_eq!(
                    QueryContextAttributesA(&mut h, SECPKG_ATTR_SIZES, sizes.as_mut_ptr() as _),
                    SEC_E_INTERNAL_ERROR
                );
                assert_eq!(
                    QueryCredentialsAttributesA(
                        &mut ch,
                        SECPKG_CRED_ATTR_NAMES,
                        sizes.as_mut_ptr() as _
                    ),
                    SEC_E_INTERNAL_ERROR
                );
                let mut prev = h;
                assert_eq!(
                    InitializeSecurityContextA(
                        &mut ch,
                        &mut prev,
                        c"host/x".as_ptr() as *mut _,
                        0,
                        0,
                        0,
                        core::ptr::null_mut(),
                        0,
                        &mut out,
                        &mut od,
                        &mut attrs,
                        &mut ts,
                    ),
                    SEC_E_INTERNAL_ERROR
                );
                // A new context from the panicking credentials (usage() panics first).
                assert_eq!(
                    AcceptSecurityContext(
                        &mut ch,
                        core::ptr::null_mut(),
                        core::ptr::null_mut(),
                        0,
                        0,
                        &mut out,
                        &mut od,
                        &mut attrs,
                        &mut ts,
                    ),
                    SEC_E_INTERNAL_ERROR
                );
            }
        }
        assert_eq!(out, SecHandle::default(), "no handle written after a panic");
        assert_eq!(data, *b"data");
        // The process, the handle table and the NTLM package still work.
        // SAFETY: valid pointers to live locals.
        unsafe {
            let mut n = 0u32;
            let mut infos: *mut SecPkgInfoA = core::ptr::null_mut();
            assert_eq!(EnumerateSecurityPackagesA(&mut n, &mut infos), SEC_E_OK);
            assert_eq!(FreeContextBuffer(infos as *mut c_void), SEC_E_OK);
            let mut id = SEC_WINNT_AUTH_IDENTITY_A {
                User: b"u".as_ptr() as *mut u8,
                UserLength: 1,
                Domain: core::ptr::null_mut(),
                DomainLength: 0,
                Password: b"p".as_ptr() as *mut u8,
                PasswordLength: 1,
                Flags: SEC_WINNT_AUTH_IDENTITY_ANSI,
            };
            let mut nc = SecHandle::default();
            assert_eq!(
                AcquireCredentialsHandleA(
                    core::ptr::null_mut(),
                    c"NTLM".as_ptr() as *mut _,
                    SECPKG_CRED_OUTBOUND,
                    core::ptr::null_mut(),
                    &mut id as *mut _ as *mut c_void,
                    None,
                    core::ptr::null_mut(),
                    &mut nc,
                    &mut ts,
                ),
                SEC_E_OK
            );
            let mut c = SecHandle::default();
            assert_eq!(
                InitializeSecurityContextA(
                    &mut nc,
                    core::ptr::null_mut(),
                    c"host/x".as_ptr() as *mut _,
                    0,
                    0,
                    0,
                    core::ptr::null_mut(),
                    0,
                    &mut c,
                    &mut od,
                    &mut attrs,
                    &mut ts,
                ),
                SEC_I_CONTINUE_NEEDED
            );
            assert_eq!(DeleteSecurityContext(&mut c), SEC_E_OK);
            assert_eq!(FreeCredentialsHandle(&mut nc), SEC_E_OK);
            // The panicking context is still a valid handle and deletes normally.
            assert_eq!(DeleteSecurityContext(&mut h), SEC_E_OK);
            assert_eq!(DeleteSecurityContext(&mut h), SEC_E_INVALID_HANDLE);
            assert_eq!(FreeCredentialsHandle(&mut ch), SEC_E_OK);
        }
    }

    #[test]
    fn release_profile_unwinds() {
        let toml = include_str!("../../../Cargo.toml");
        let release = toml
            .split("[profile.release]")
            .nth(1)
            .expect("release profile");
        let release = release.split("\n[").next().unwrap();
        assert!(
            !release.contains("abort"),
            "panic = \"abort\" would let a package bug kill the caller's process"
        );
    }

    #[test]
    fn every_export_is_documented() {
        fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                if e.path().is_dir() {
                    files(&e.path(), out);
                } else {
                    out.push(e.path());
                }
            }
        }
        let mut all = Vec::new();
        files(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src/ffi")),
            &mut all,
        );
        let mut missing = Vec::new();
        let mut count = 0;
        for path in all {
            let src = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<&str> = src.lines().collect();
            for (i, l) in lines.iter().enumerate() {
                if l.trim() == "#[no_mangle]" {
                    count += 1;
                    if i == 0 || !lines[i - 1].trim_start().starts_with("///") {
                        missing.push(format!("{}:{}", path.display(), i + 2));
                    }
                }
            }
        }
        assert!(count >= 50, "found {count} exports");
        assert!(
            missing.is_empty(),
            "exports without a doc comment: {missing:?}"
        );
    }
}
