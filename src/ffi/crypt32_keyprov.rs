//! Private keys reachable through a certificate's key-provider properties (wincrypt.h):
//! CertSetCertificateContextProperty with CERT_KEY_PROV_INFO_PROP_ID or
//! CERT_KEY_CONTEXT_PROP_ID, and the same properties read back with
//! CertGetCertificateContextProperty. Part of include/wincrypt.h.
//!
//! There is no CSP here; the "key containers" are the private keys this process has seen:
//! every key PFXImportCertStore imports (or a .pfx/.p12 in `$SECUR32_CERT_STORE_DIR/MY`
//! carries) is registered under a container name derived from its certificate,
//! "secur32-" and the certificate's SHA-1 thumbprint in lowercase hex. An imported
//! certificate reports that name in CERT_KEY_PROV_INFO_PROP_ID (provider
//! MS_ENHANCED_PROV_W, PROV_RSA_FULL, AT_KEYEXCHANGE) and a CERT_KEY_CONTEXT_PROP_ID whose
//! hCryptProv is an opaque handle for the container. Setting either property on another
//! context — e.g. one from CertCreateCertificateContext — makes Schannel's
//! AcquireCredentialsHandle find the key, as Windows finds a key through these properties
//! (Wine dlls/secur32/tests/schannel.c testAcquireSecurityContext, run on Windows: the
//! certificate without a reachable key → SEC_E_NO_CREDENTIALS, with it → SEC_E_OK). A
//! container name no key is registered under (nor found in the store directory) leaves the
//! certificate without a key: SEC_E_NO_CREDENTIALS.

use super::crypt32::LPWSTR;
use super::types::{BYTE, DWORD};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::OnceLock;
use zeroize::Zeroizing;

pub const CERT_KEY_CONTEXT_PROP_ID: DWORD = 5;
pub const AT_KEYEXCHANGE: DWORD = 1;
pub const AT_SIGNATURE: DWORD = 2;
pub const PROV_RSA_FULL: DWORD = 1;
pub const PROV_RSA_AES: DWORD = 24;
pub const ERROR_NOT_SUPPORTED: DWORD = 50;

/// HCRYPTPROV: a CSP handle (ULONG_PTR; sspi.h declares it).
#[allow(clippy::upper_case_acronyms)]
type HCRYPTPROV = usize;

/// CRYPT_KEY_PROV_PARAM: a provider parameter (not used here; the layout is Windows').
#[repr(C)]
#[derive(Clone, Copy)]
pub struct CRYPT_KEY_PROV_PARAM {
    pub dwParam: DWORD,
    pub pbData: *mut BYTE,
    pub cbData: DWORD,
    pub dwFlags: DWORD,
}
pub type PCRYPT_KEY_PROV_PARAM = *mut CRYPT_KEY_PROV_PARAM;

/// CRYPT_KEY_PROV_INFO: where a certificate's private key lives. Only pwszContainerName is
/// read by CertSetCertificateContextProperty here.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct CRYPT_KEY_PROV_INFO {
    pub pwszContainerName: LPWSTR,
    pub pwszProvName: LPWSTR,
    pub dwProvType: DWORD,
    pub dwFlags: DWORD,
    pub cProvParam: DWORD,
    pub rgProvParam: PCRYPT_KEY_PROV_PARAM,
    pub dwKeySpec: DWORD,
}
pub type PCRYPT_KEY_PROV_INFO = *mut CRYPT_KEY_PROV_INFO;

/// CERT_KEY_CONTEXT: a certificate's key as an open provider handle. hCryptProv is a handle
/// from CertGetCertificateContextProperty(CERT_KEY_CONTEXT_PROP_ID) of this library.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct CERT_KEY_CONTEXT {
    pub cbSize: DWORD,
    pub hCryptProv: HCRYPTPROV,
    pub dwKeySpec: DWORD,
}
pub type PCERT_KEY_CONTEXT = *mut CERT_KEY_CONTEXT;

/// The provider name reported for registered containers (wincrypt.h's MS_ENHANCED_PROV_W).
const PROVIDER: &str = "Microsoft Enhanced Cryptographic Provider v1.0";
/// Handles given out for containers: this base plus the container's index.
const HANDLE_BASE: usize = 0x5ec3_0000;

#[derive(Default)]
struct Registry {
    /// Container name (lowercase) → PKCS#8 private key.
    keys: HashMap<String, Zeroizing<Vec<u8>>>,
    /// Handle index → container name.
    names: Vec<String>,
}

fn registry() -> &'static Mutex<Registry> {
    static R: OnceLock<Mutex<Registry>> = OnceLock::new();
    R.get_or_init(Default::default)
}

/// The container name of the key that came with the certificate of SHA-1 thumbprint `sha1`.
pub fn container_name(sha1: &[u8]) -> String {
    let mut s = String::from("secur32-");
    for b in sha1 {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Registers a private key (PKCS#8) under the container name of its certificate.
pub fn register(name: &str, key: Zeroizing<Vec<u8>>) {
    registry()
        .lock()
        .keys
        .insert(name.to_ascii_lowercase(), key);
}

/// The key registered under `name`; if none, the keys of `$SECUR32_CERT_STORE_DIR/MY`'s
/// PKCS#12 files (empty password) are registered first.
pub fn find(name: &str) -> Option<Zeroizing<Vec<u8>>> {
    let lower = name.to_ascii_lowercase();
    if let Some(k) = registry().lock().keys.get(&lower) {
        return Some(k.clone());
    }
    let dir = crate::packages::schannel::cert_store_dir()?.join("MY");
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "pfx" || x == "p12") {
            if let Ok(bytes) = std::fs::read(&p) {
                super::crypt32::register_pfx_keys(&bytes, "");
            }
        }
    }
    registry().lock().keys.get(&lower).cloned()
}

/// The opaque hCryptProv for container `name` (stable for the process).
pub fn handle_for(name: &str) -> HCRYPTPROV {
    let lower = name.to_ascii_lowercase();
    let mut r = registry().lock();
    let i = match r.names.iter().position(|n| *n == lower) {
        Some(i) => i,
        None => {
            r.names.push(lower);
            r.names.len() - 1
        }
    };
    HANDLE_BASE + i
}

/// The container a handle from [`handle_for`] stands for.
pub fn name_for_handle(h: HCRYPTPROV) -> Option<String> {
    let i = h.checked_sub(HANDLE_BASE)?;
    registry().lock().names.get(i).cloned()
}

/// CERT_KEY_PROV_INFO_PROP_ID's value for container `name`, laid out for a caller buffer at
/// address `base`: the structure, then the container and provider names (UTF-16, NUL).
pub fn prov_info_bytes(name: &str, base: usize) -> Vec<u8> {
    let head = core::mem::size_of::<CRYPT_KEY_PROV_INFO>();
    let wide = |s: &str| -> Vec<u8> {
        s.encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect()
    };
    let (c, p) = (wide(name), wide(PROVIDER));
    let info = CRYPT_KEY_PROV_INFO {
        pwszContainerName: base.wrapping_add(head) as LPWSTR,
        pwszProvName: base.wrapping_add(head + c.len()) as LPWSTR,
        dwProvType: PROV_RSA_FULL,
        dwFlags: 0,
        cProvParam: 0,
        rgProvParam: core::ptr::null_mut(),
        dwKeySpec: AT_KEYEXCHANGE,
    };
    let mut v = vec![0u8; head];
    // SAFETY: v holds `head` bytes, the size of the plain-data structure written.
    unsafe { (v.as_mut_ptr() as *mut CRYPT_KEY_PROV_INFO).write_unaligned(info) };
    v.extend_from_slice(&c);
    v.extend_from_slice(&p);
    v
}

/// CERT_KEY_CONTEXT_PROP_ID's value for container `name`.
pub fn key_context_bytes(name: &str) -> Vec<u8> {
    let kc = CERT_KEY_CONTEXT {
        cbSize: core::mem::size_of::<CERT_KEY_CONTEXT>() as DWORD,
        hCryptProv: handle_for(name),
        dwKeySpec: AT_KEYEXCHANGE,
    };
    let mut v = vec![0u8; core::mem::size_of::<CERT_KEY_CONTEXT>()];
    // SAFETY: v holds exactly one plain-data CERT_KEY_CONTEXT.
    unsafe { (v.as_mut_ptr() as *mut CERT_KEY_CONTEXT).write_unaligned(kc) };
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_and_handles() {
        let name = container_name(&[0xab; 20]);
        assert_eq!(name.len(), 8 + 40);
        assert!(find(&name).is_none());
        register(&name, Zeroizing::new(vec![1, 2, 3]));
        assert_eq!(
            find(&name.to_uppercase()).as_deref().map(|k| k.as_slice()),
            Some(&[1u8, 2, 3][..])
        );
        let h = handle_for(&name);
        assert_eq!(handle_for(&name), h);
        assert_eq!(name_for_handle(h), Some(name.clone()));
        assert_eq!(name_for_handle(1), None);
        let b = prov_info_bytes(&name, 0x1000);
        let head = core::mem::size_of::<CRYPT_KEY_PROV_INFO>();
        assert_eq!(
            b.len(),
            head + (name.len() + 1) * 2 + (PROVIDER.len() + 1) * 2
        );
        // SAFETY: b starts with a CRYPT_KEY_PROV_INFO.
        let info = unsafe { (b.as_ptr() as *const CRYPT_KEY_PROV_INFO).read_unaligned() };
        assert_eq!(info.pwszContainerName as usize, 0x1000 + head);
        assert_eq!(info.dwKeySpec, AT_KEYEXCHANGE);
    }
}
