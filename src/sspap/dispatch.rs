//! A loaded SSP/AP behind the package traits: SSPI calls → the package's Sp* entry points.
//!
//! Credentials and contexts live in the same handle table as the built-in packages'; their
//! `LSA_SEC_HANDLE`s stay inside. Every message call passes the caller's own SecBufferDesc,
//! fQOP and MessageSeqNo to SpSealMessage / SpUnsealMessage / SpMakeSignature /
//! SpVerifySignature unchanged.

use super::nt::{check, to_result};
use crate::buffers::{free_context_buffer, SecBuffers};
use crate::ffi::consts::{
    SECPKG_ATTR_AUTHORITY, SECPKG_ATTR_CLIENT_SPECIFIED_TARGET, SECPKG_ATTR_KEY_INFO,
    SECPKG_ATTR_NAMES, SECPKG_ATTR_NATIVE_NAMES, SECPKG_ATTR_PACKAGE_INFO, SECPKG_CRED_ATTR_NAMES,
    SECURITY_NATIVE_DREP,
};
use crate::ffi::ntsecpkg::*;
use crate::ffi::schannel::UNICODE_STRING;
use crate::ffi::strings::{alloc_string, w_str, Charset};
use crate::ffi::types::*;
use crate::package::{
    Attribute, Context, CredentialRequest, Credentials, PackageInfo, RawCredentialArgs,
    SecurityPackage, Step, Unsealed,
};
use crate::status::{Error, Outcome, SecResult};
use core::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// One package from a loaded library: its SecPkgInfo and copies of its tables (entries the
/// table's interface version does not cover are None).
pub struct Plugin {
    pub(super) info: &'static PackageInfo,
    pub(super) lsa: SECPKG_FUNCTION_TABLE,
    pub(super) user: SECPKG_USER_FUNCTION_TABLE,
}

/// A UTF-16 string and the UNICODE_STRING describing it (lengths in bytes).
struct Wide {
    buf: Vec<u16>,
}

impl Wide {
    fn new(s: &str) -> Self {
        let mut buf: Vec<u16> = s.encode_utf16().collect();
        buf.push(0);
        Wide { buf }
    }
    fn us(&mut self) -> UNICODE_STRING {
        let n = (self.buf.len() - 1) * 2;
        UNICODE_STRING {
            Length: n.min(0xFFFC) as u16,
            MaximumLength: (n + 2).min(0xFFFE) as u16,
            Buffer: self.buf.as_mut_ptr(),
        }
    }
}

fn desc_of(b: Option<&mut &mut SecBuffers<'_>>) -> PSecBufferDesc {
    b.map_or(core::ptr::null_mut(), |b| b.raw_desc())
}

impl Plugin {
    fn acquire(
        &'static self,
        principal: Option<&str>,
        usage: u32,
        raw: &RawCredentialArgs,
    ) -> SecResult<Arc<dyn Credentials>> {
        let f = self
            .lsa
            .AcquireCredentialsHandle
            .ok_or(Error::UnsupportedFunction)?;
        let mut name = principal.map(Wide::new);
        let mut us = name.as_mut().map(Wide::us);
        let mut handle: LSA_SEC_HANDLE = 0;
        let mut expiry = TimeStamp { QuadPart: 0 };
        // SAFETY: the package's entry point with the caller's pointers (valid per
        // AcquireCredentialsHandle's contract) and our locals.
        let s = unsafe {
            f(
                us.as_mut().map_or(core::ptr::null_mut(), |u| u as *mut _),
                usage,
                raw.logon_id.cast(),
                raw.auth_data,
                raw.get_key_fn,
                raw.get_key_arg,
                &mut handle,
                &mut expiry,
            )
        };
        check(s)?;
        Ok(Arc::new(PluginCredentials {
            pkg: self,
            handle,
            usage,
            owned: true,
        }))
    }
}

impl SecurityPackage for Plugin {
    fn info(&self) -> &'static PackageInfo {
        self.info
    }

    /// Only reached from Rust (the exports take the raw path): default credentials only.
    fn acquire_credentials(&self, req: CredentialRequest) -> SecResult<Arc<dyn Credentials>> {
        if !matches!(req.auth, crate::package::AuthData::None) {
            return Err(Error::UnknownCredentials);
        }
        let raw = RawCredentialArgs {
            logon_id: core::ptr::null_mut(),
            auth_data: core::ptr::null_mut(),
            get_key_fn: core::ptr::null_mut(),
            get_key_arg: core::ptr::null_mut(),
        };
        super::plugin_static(self)?.acquire(req.principal.as_deref(), req.usage, &raw)
    }

    fn import_context(&self, packed: &[u8]) -> SecResult<(Box<dyn Context>, Arc<dyn Credentials>)> {
        let pkg = super::plugin_static(self)?;
        let f = pkg.user.ImportContext.ok_or(Error::UnsupportedFunction)?;
        let mut copy = packed.to_vec();
        let mut b = SecBuffer {
            cbBuffer: copy.len() as ULONG,
            BufferType: crate::ffi::consts::SECBUFFER_EMPTY,
            pvBuffer: copy.as_mut_ptr() as PVOID,
        };
        let mut handle: LSA_SEC_HANDLE = 0;
        // SAFETY: the package's entry point with a copy of the caller's packed context.
        check(unsafe { f(&mut b, core::ptr::null_mut(), &mut handle) })?;
        // An imported context has no credentials handle of the package's own.
        let cred = Arc::new(PluginCredentials {
            pkg,
            handle: 0,
            usage: 0,
            owned: false,
        });
        let ctx = Box::new(PluginContext {
            cred: cred.clone(),
            handle: AtomicUsize::new(handle),
        });
        Ok((ctx, cred))
    }

    unsafe fn acquire_credentials_raw(
        &self,
        principal: Option<&str>,
        usage: u32,
        raw: &RawCredentialArgs,
    ) -> Option<SecResult<Arc<dyn Credentials>>> {
        Some(super::plugin_static(self).and_then(|p| p.acquire(principal, usage, raw)))
    }
}

/// Credentials a plug-in returned. Dropped (FreeCredentialsHandle, and every context made
/// from them deleted) → SpFreeCredentialsHandle.
struct PluginCredentials {
    pkg: &'static Plugin,
    handle: LSA_SEC_HANDLE,
    usage: u32,
    /// The handle came from SpAcquireCredentialsHandle (not a stand-in for an imported context).
    owned: bool,
}

impl Drop for PluginCredentials {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        if let Some(f) = self.pkg.lsa.FreeCredentialsHandle {
            // SAFETY: the package's entry point with the handle it returned, once.
            let s = unsafe { f(self.handle) };
            if s < 0 {
                crate::log!(
                    crate::log::Level::Warn,
                    "{}: SpFreeCredentialsHandle returned 0x{:08X}",
                    self.pkg.info.name,
                    s as u32
                );
            }
        }
    }
}

impl Credentials for PluginCredentials {
    fn package(&self) -> &'static PackageInfo {
        self.pkg.info
    }
    fn usage(&self) -> u32 {
        self.usage
    }
    fn new_client_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
        Ok(Box::new(PluginContext {
            cred: self,
            handle: AtomicUsize::new(0),
        }))
    }
    fn new_server_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
        self.new_client_context()
    }
    fn query_attribute(&self, _attr: u32) -> SecResult<Attribute> {
        Err(Error::UnsupportedFunction)
    }
    unsafe fn query_attribute_raw(
        &self,
        attr: u32,
        buffer: *mut c_void,
        wide: bool,
    ) -> Option<SecResult<()>> {
        let Some(f) = self.pkg.lsa.QueryCredentialsAttributes else {
            return Some(Err(Error::UnsupportedFunction));
        };
        // SAFETY: the package's entry point with its handle and the caller's struct.
        let r = check(unsafe { f(self.handle, attr, buffer) });
        if r.is_err() || wide || attr != SECPKG_CRED_ATTR_NAMES {
            return Some(r);
        }
        // SAFETY: a SecPkgCredentials_NamesW the package just filled.
        Some(unsafe { narrow_strings(buffer, 1) })
    }
    fn set_attribute(&self, attr: u32, value: &[u8]) -> SecResult<()> {
        let f = self
            .pkg
            .lsa
            .SetCredentialsAttributes
            .ok_or(Error::UnsupportedFunction)?;
        // SAFETY: the package reads at most `value.len()` bytes of the caller's struct (a
        // package that writes through Buffer writes the caller's own struct).
        check(unsafe {
            f(
                self.handle,
                attr,
                value.as_ptr() as PVOID,
                value.len() as ULONG,
            )
        })
    }
}

/// A context of a plug-in. Its LSA_SEC_HANDLE is 0 until the first SpInitLsaModeContext /
/// SpAcceptLsaModeContext returns one. Dropped → SpDeleteUserModeContext + SpDeleteContext.
struct PluginContext {
    cred: Arc<PluginCredentials>,
    handle: AtomicUsize,
}

impl Drop for PluginContext {
    fn drop(&mut self) {
        let h = self.handle.load(Ordering::Acquire);
        if h == 0 {
            return;
        }
        let p = self.cred.pkg;
        // SAFETY: the package's entry points with the context handle it returned, once each.
        unsafe {
            if let Some(f) = p.user.DeleteUserModeContext {
                f(h);
            }
            if let Some(f) = p.lsa.DeleteContext {
                f(h);
            }
        }
    }
}

impl PluginContext {
    fn pkg(&self) -> &'static Plugin {
        self.cred.pkg
    }

    fn h(&self) -> LSA_SEC_HANDLE {
        self.handle.load(Ordering::Acquire)
    }

    /// After a handshake step: record the new handle; with MappedContext, hand the packed
    /// context to SpInitUserModeContext and free it.
    fn finish_step(&self, status: i32, o: StepOut, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        let outcome = to_result(status);
        if outcome.is_ok() && o.new != 0 {
            self.handle.store(o.new, Ordering::Release);
        }
        let mut data = o.data;
        let mapped_result = if outcome.is_ok() && o.mapped != 0 {
            match self.pkg().user.InitUserModeContext {
                // SAFETY: the package's entry point with its handle and the packed context it
                // produced.
                Some(f) => check(unsafe { f(self.h(), &mut data) }),
                None => Err(Error::UnsupportedFunction),
            }
        } else {
            Ok(())
        };
        if !data.pvBuffer.is_null() {
            free_context_buffer(data.pvBuffer);
        }
        let outcome = outcome?;
        mapped_result?;
        step.ret_flags = o.attrs;
        // SAFETY: every bit pattern is a valid i64.
        step.expiry = unsafe { o.expiry.QuadPart };
        Ok(outcome)
    }
}

/// The out-parameters of SpInitLsaModeContext / SpAcceptLsaModeContext.
struct StepOut {
    new: LSA_SEC_HANDLE,
    attrs: ULONG,
    expiry: TimeStamp,
    mapped: BOOLEAN,
    data: SecBuffer,
}

impl StepOut {
    fn new() -> Self {
        StepOut {
            new: 0,
            attrs: 0,
            expiry: TimeStamp { QuadPart: 0 },
            mapped: 0,
            data: empty_buffer(),
        }
    }
}

/// Replaces the first `n` string pointers of `buffer` (UTF-16, from the package) by UTF-8
/// copies; the package's strings are freed. Every pointer is replaced (or NULL) even on error,
/// so the caller never frees a string twice.
///
/// # Safety
/// `buffer` starts with `n` pointer slots, each NULL or a NUL-terminated UTF-16 string.
unsafe fn narrow_strings(buffer: *mut c_void, n: usize) -> SecResult<()> {
    let mut result = Ok(());
    for i in 0..n {
        let slot = (buffer as *mut *mut c_void).wrapping_add(i);
        // SAFETY: per the contract.
        let w = unsafe { slot.read_unaligned() };
        if w.is_null() {
            continue;
        }
        // SAFETY: a NUL-terminated UTF-16 string per the contract.
        let s = unsafe { w_str(w as *const u16) };
        let narrow = match s {
            Ok(Some(s)) => alloc_string(&s, Charset::Ansi),
            Ok(None) => Ok(core::ptr::null_mut()),
            Err(e) => Err(e),
        };
        free_context_buffer(w);
        let p = narrow.unwrap_or_else(|e| {
            result = Err(e);
            core::ptr::null_mut()
        });
        // SAFETY: per the contract.
        unsafe { slot.write_unaligned(p) };
    }
    result
}

fn empty_buffer() -> SecBuffer {
    SecBuffer {
        cbBuffer: 0,
        BufferType: 0,
        pvBuffer: core::ptr::null_mut(),
    }
}

impl Context for PluginContext {
    fn package(&self) -> &'static PackageInfo {
        self.pkg().info
    }

    fn initialize(&self, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        let f = self
            .pkg()
            .lsa
            .InitLsaModeContext
            .ok_or(Error::UnsupportedFunction)?;
        let mut target = step.target.map(Wide::new);
        let mut us = target.as_mut().map(Wide::us);
        let input = desc_of(step.input.as_mut());
        let output = desc_of(step.output.as_mut());
        let mut o = StepOut::new();
        // SAFETY: the package's entry point with the caller's descriptors and our locals.
        let s = unsafe {
            f(
                self.cred.handle,
                self.h(),
                us.as_mut().map_or(core::ptr::null_mut(), |u| u as *mut _),
                step.req_flags,
                SECURITY_NATIVE_DREP,
                input,
                &mut o.new,
                output,
                &mut o.attrs,
                &mut o.expiry,
                &mut o.mapped,
                &mut o.data,
            )
        };
        self.finish_step(s, o, step)
    }

    fn accept(&self, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        let f = self
            .pkg()
            .lsa
            .AcceptLsaModeContext
            .ok_or(Error::UnsupportedFunction)?;
        let input = desc_of(step.input.as_mut());
        let output = desc_of(step.output.as_mut());
        let mut o = StepOut::new();
        // SAFETY: as in `initialize`.
        let s = unsafe {
            f(
                self.cred.handle,
                self.h(),
                input,
                step.req_flags,
                SECURITY_NATIVE_DREP,
                &mut o.new,
                output,
                &mut o.attrs,
                &mut o.expiry,
                &mut o.mapped,
                &mut o.data,
            )
        };
        self.finish_step(s, o, step)
    }

    fn complete_auth_token(&self, token: &mut SecBuffers<'_>) -> SecResult<()> {
        match self.pkg().user.CompleteAuthToken {
            // SAFETY: the package's entry point with the caller's descriptor.
            Some(f) => check(unsafe { f(self.h(), token.raw_desc()) }),
            None => Ok(()),
        }
    }

    fn apply_control_token(&self, input: &mut SecBuffers<'_>) -> SecResult<()> {
        let f = self
            .pkg()
            .lsa
            .ApplyControlToken
            .ok_or(Error::UnsupportedFunction)?;
        // SAFETY: the package's entry point with the caller's descriptor.
        check(unsafe { f(self.h(), input.raw_desc()) })
    }

    fn seal(&self, qop: u32, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<()> {
        let f = self
            .pkg()
            .user
            .SealMessage
            .ok_or(Error::UnsupportedFunction)?;
        // SAFETY: the package's entry point with the caller's own SecBufferDesc, fQOP and
        // MessageSeqNo (the message is encrypted in place).
        check(unsafe { f(self.h(), qop, message.raw_desc(), seq_no) })
    }

    fn unseal(&self, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<Unsealed> {
        let f = self
            .pkg()
            .user
            .UnsealMessage
            .ok_or(Error::UnsupportedFunction)?;
        let mut qop: ULONG = 0;
        // SAFETY: as in `seal`.
        let outcome = to_result(unsafe { f(self.h(), message.raw_desc(), seq_no, &mut qop) })?;
        Ok(Unsealed { qop, outcome })
    }

    fn make_signature(&self, qop: u32, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<()> {
        let f = self
            .pkg()
            .user
            .MakeSignature
            .ok_or(Error::UnsupportedFunction)?;
        // SAFETY: as in `seal`.
        check(unsafe { f(self.h(), qop, message.raw_desc(), seq_no) })
    }

    fn verify_signature(&self, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<u32> {
        let f = self
            .pkg()
            .user
            .VerifySignature
            .ok_or(Error::UnsupportedFunction)?;
        let mut qop: ULONG = 0;
        // SAFETY: as in `seal`.
        check(unsafe { f(self.h(), message.raw_desc(), seq_no, &mut qop) })?;
        Ok(qop)
    }

    /// SECPKG_ATTR_PACKAGE_INFO is answered from the package's SpGetInfo, as secur32 does for
    /// every package (the package itself is not asked).
    fn query_attribute(&self, attr: u32) -> SecResult<Attribute> {
        match attr {
            SECPKG_ATTR_PACKAGE_INFO => Ok(Attribute::PackageInfo(self.pkg().info)),
            _ => Err(Error::UnsupportedFunction),
        }
    }

    unsafe fn query_attribute_raw(
        &self,
        attr: u32,
        buffer: *mut c_void,
        wide: bool,
    ) -> Option<SecResult<()>> {
        if attr == SECPKG_ATTR_PACKAGE_INFO {
            return None;
        }
        let p = self.pkg();
        let Some(f) = p
            .user
            .QueryContextAttributes
            .or(p.lsa.QueryContextAttributes)
        else {
            return Some(Err(Error::UnsupportedFunction));
        };
        // SAFETY: the package's entry point with its handle and the caller's struct.
        let r = check(unsafe { f(self.h(), attr, buffer) });
        // The A functions: the string members of the structs a package fills (Unicode, as LSA
        // packages are) become UTF-8, as Windows' secur32 converts them.
        let strings = match attr {
            SECPKG_ATTR_NAMES | SECPKG_ATTR_AUTHORITY | SECPKG_ATTR_CLIENT_SPECIFIED_TARGET => 1,
            SECPKG_ATTR_NATIVE_NAMES | SECPKG_ATTR_KEY_INFO => 2,
            _ => 0,
        };
        if r.is_err() || wide || strings == 0 {
            return Some(r);
        }
        // SAFETY: the struct the package just filled starts with `strings` string pointers.
        Some(unsafe { narrow_strings(buffer, strings) })
    }

    fn set_attribute(&self, attr: u32, value: &[u8]) -> SecResult<()> {
        let f = self
            .pkg()
            .lsa
            .SetContextAttributes
            .ok_or(Error::UnsupportedFunction)?;
        // SAFETY: as for the credentials' set_attribute.
        check(unsafe {
            f(
                self.h(),
                attr,
                value.as_ptr() as PVOID,
                value.len() as ULONG,
            )
        })
    }

    fn export(&self, flags: u32) -> SecResult<Vec<u8>> {
        let f = self
            .pkg()
            .user
            .ExportContext
            .ok_or(Error::UnsupportedFunction)?;
        let mut packed = empty_buffer();
        let mut token: HANDLE = core::ptr::null_mut();
        // SAFETY: the package's entry point with its handle and our locals.
        check(unsafe { f(self.h(), flags, &mut packed, &mut token) })?;
        let bytes = if packed.pvBuffer.is_null() || packed.cbBuffer == 0 {
            Vec::new()
        } else {
            // SAFETY: the package returned cbBuffer bytes at pvBuffer.
            unsafe {
                core::slice::from_raw_parts(packed.pvBuffer as *const u8, packed.cbBuffer as usize)
            }
            .to_vec()
        };
        if !packed.pvBuffer.is_null() {
            free_context_buffer(packed.pvBuffer);
        }
        Ok(bytes)
    }
}
