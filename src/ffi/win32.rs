//! Windows only: what the library takes from the system instead of providing itself.
//!
//! - Memory handed to callers comes from the process heap (`HeapAlloc(GetProcessHeap())`), as
//!   Windows' own secur32 hands it out, so callers may free it with FreeContextBuffer or the
//!   Windows way (HeapFree on the process heap / LocalFree).
//! - The thread's error code is kernel32's (SetLastError).
//! - Certificates are crypt32.dll's CERT_CONTEXTs: Schannel credentials read the context's
//!   encoded certificate, build the chain to send from the context's store, and obtain the
//!   private key through the context's key-provider properties
//!   (CryptAcquireCertificatePrivateKey → the CryptoAPI key, exported as a PRIVATEKEYBLOB and
//!   used by rustls/ring in-process). Keys that cannot leave their provider (non-exportable,
//!   CNG-only such as ECDSA, smart cards) are not supported yet: ACH fails with
//!   SEC_E_UNKNOWN_CREDENTIALS. Supporting them means signing through the provider
//!   (NCryptSignHash as a rustls `SigningKey`).
//! - Trusted roots are the system ROOT store (rustls-native-certs reads it through crypt32).

use super::crypt32::{CERT_STORE_ADD_ALWAYS, X509_ASN_ENCODING};
use super::crypt32::{CRYPTOAPI_BLOB, HCERTSTORE, PCCERT_CONTEXT, PKCS_7_ASN_ENCODING};
use super::types::{BOOL, BYTE, DWORD};
use crate::log::Level;
use crate::package::CertMaterial;
use core::ffi::{c_char, c_void};
use zeroize::Zeroizing;

// Windows' names for Windows' types.
#[allow(clippy::upper_case_acronyms)]
type HANDLE = *mut c_void;
#[allow(clippy::upper_case_acronyms)]
type HCRYPTPROV = usize;
#[allow(clippy::upper_case_acronyms)]
type HCRYPTKEY = usize;

#[link(name = "kernel32")]
extern "system" {
    fn GetProcessHeap() -> HANDLE;
    fn HeapAlloc(hHeap: HANDLE, dwFlags: DWORD, dwBytes: usize) -> *mut c_void;
    fn HeapFree(hHeap: HANDLE, dwFlags: DWORD, lpMem: *mut c_void) -> BOOL;
    fn SetLastError(dwErrCode: DWORD);
}

#[link(name = "crypt32")]
extern "system" {
    fn CertOpenStore(
        lpszStoreProvider: *const c_char,
        dwEncodingType: DWORD,
        hCryptProv: usize,
        dwFlags: DWORD,
        pvPara: *const c_void,
    ) -> HCERTSTORE;
    fn CertCloseStore(hCertStore: HCERTSTORE, dwFlags: DWORD) -> BOOL;
    fn CertAddEncodedCertificateToStore(
        hCertStore: HCERTSTORE,
        dwCertEncodingType: DWORD,
        pbCertEncoded: *const BYTE,
        cbCertEncoded: DWORD,
        dwAddDisposition: DWORD,
        ppCertContext: *mut PCCERT_CONTEXT,
    ) -> BOOL;
    fn CertEnumCertificatesInStore(
        hCertStore: HCERTSTORE,
        pPrevCertContext: PCCERT_CONTEXT,
    ) -> PCCERT_CONTEXT;
    fn CryptAcquireCertificatePrivateKey(
        pCert: PCCERT_CONTEXT,
        dwFlags: DWORD,
        pvParameters: *mut c_void,
        phCryptProvOrNCryptKey: *mut usize,
        pdwKeySpec: *mut DWORD,
        pfCallerFreeProvOrNCryptKey: *mut BOOL,
    ) -> BOOL;
}

#[link(name = "advapi32")]
extern "system" {
    fn CryptGetUserKey(hProv: HCRYPTPROV, dwKeySpec: DWORD, phUserKey: *mut HCRYPTKEY) -> BOOL;
    fn CryptExportKey(
        hKey: HCRYPTKEY,
        hExpKey: HCRYPTKEY,
        dwBlobType: DWORD,
        dwFlags: DWORD,
        pbData: *mut BYTE,
        pdwDataLen: *mut DWORD,
    ) -> BOOL;
    fn CryptDestroyKey(hKey: HCRYPTKEY) -> BOOL;
    fn CryptReleaseContext(hProv: HCRYPTPROV, dwFlags: DWORD) -> BOOL;
}

const CERT_STORE_PROV_MEMORY: usize = 2;
const CRYPT_ACQUIRE_SILENT_FLAG: DWORD = 0x40;
/// CryptAcquireCertificatePrivateKey's key spec for a CNG (NCrypt) key handle.
const CERT_NCRYPT_KEY_SPEC: DWORD = 0xFFFF_FFFF;
const PRIVATEKEYBLOB: DWORD = 7;
const AT_KEYEXCHANGE: DWORD = 1;
const AT_SIGNATURE: DWORD = 2;

/// `len` bytes (at least one) from the process heap, or None.
pub fn heap_alloc(len: usize) -> Option<*mut u8> {
    // SAFETY: GetProcessHeap has no preconditions; HeapAlloc with a non-zero size returns a
    // fresh block or NULL (no HEAP_GENERATE_EXCEPTIONS).
    let p = unsafe { HeapAlloc(GetProcessHeap(), 0, len.max(1)) } as *mut u8;
    (!p.is_null()).then_some(p)
}

/// Returns a block from [`heap_alloc`] to the process heap.
///
/// # Safety
/// `p` came from [`heap_alloc`] and is not used afterwards.
pub unsafe fn heap_free(p: *mut c_void) {
    // SAFETY: per the contract, a live block of the process heap.
    unsafe { HeapFree(GetProcessHeap(), 0, p) };
}

/// kernel32's SetLastError.
pub fn set_last_error(code: DWORD) {
    // SAFETY: no preconditions.
    unsafe { SetLastError(code) }
}

/// The encoded certificate of a crypt32 context.
///
/// # Safety
/// `p` is a valid PCCERT_CONTEXT (the caller's, as Windows' Schannel assumes).
unsafe fn encoded(p: PCCERT_CONTEXT) -> Option<Vec<u8>> {
    // SAFETY: per the contract.
    let c = unsafe { p.read_unaligned() };
    if c.pbCertEncoded.is_null() || c.cbCertEncoded == 0 {
        return None;
    }
    // SAFETY: crypt32 keeps cbCertEncoded bytes at pbCertEncoded while the context lives.
    Some(unsafe { core::slice::from_raw_parts(c.pbCertEncoded, c.cbCertEncoded as usize) }.to_vec())
}

/// DER of every certificate in a crypt32 store (SCHANNEL_CRED.hRootStore, a context's store).
/// `h` is the caller's store handle, which crypt32 validates as Windows' Schannel relies on.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn store_certs(h: HCERTSTORE) -> Option<Vec<Vec<u8>>> {
    if h.is_null() {
        return None;
    }
    let mut out = Vec::new();
    let mut c: PCCERT_CONTEXT = core::ptr::null();
    loop {
        // SAFETY: h is the caller's store handle; c is NULL or the previous context, which
        // this call releases.
        c = unsafe { CertEnumCertificatesInStore(h, c) };
        if c.is_null() {
            break;
        }
        // SAFETY: a live context from the enumeration.
        if let Some(der) = unsafe { encoded(c) } {
            out.push(der);
        }
    }
    Some(out)
}

/// The context's private key as PKCS#8: CryptAcquireCertificatePrivateKey (the context's
/// CERT_KEY_PROV_INFO), then CryptExportKey(PRIVATEKEYBLOB). `Ok(None)`: the certificate has
/// no key; `Err(())`: it has one that cannot be used here (see the module comment).
fn private_key(p: PCCERT_CONTEXT) -> Result<Option<Zeroizing<Vec<u8>>>, ()> {
    let mut prov: usize = 0;
    let mut spec: DWORD = 0;
    let mut free: BOOL = 0;
    // SAFETY: p is the caller's context; the out-pointers are locals.
    let ok = unsafe {
        CryptAcquireCertificatePrivateKey(
            p,
            CRYPT_ACQUIRE_SILENT_FLAG,
            core::ptr::null_mut(),
            &mut prov,
            &mut spec,
            &mut free,
        )
    };
    if ok == 0 {
        crate::log!(Level::Debug, "schannel: the certificate has no private key");
        return Ok(None);
    }
    if spec == CERT_NCRYPT_KEY_SPEC {
        // Not reached: without CRYPT_ACQUIRE_*_NCRYPT_KEY_FLAG crypt32 returns CryptoAPI keys.
        crate::log!(
            Level::Warn,
            "schannel: CNG key handles are not supported yet"
        );
        return Err(());
    }
    let mut key: HCRYPTKEY = 0;
    // The key pair named by the key spec. Wine 8.0's PFXImportCertStore records a key spec of
    // 3 (not AT_KEYEXCHANGE or AT_SIGNATURE) for the pair it imports as AT_KEYEXCHANGE, so
    // the two documented specs are tried after the recorded one.
    let mut found = false;
    for s in [spec, AT_KEYEXCHANGE, AT_SIGNATURE] {
        // SAFETY: prov is the provider just acquired; key is a local.
        if unsafe { CryptGetUserKey(prov, s, &mut key) } != 0 {
            found = true;
            break;
        }
    }
    let mut blob = Zeroizing::new(Vec::new());
    // SAFETY: key is the pair just obtained; len is a local, the buffer holds len bytes.
    let exported = found
        && unsafe {
            let mut len: DWORD = 0;
            CryptExportKey(key, 0, PRIVATEKEYBLOB, 0, core::ptr::null_mut(), &mut len) != 0
                && {
                    blob.resize(len as usize, 0);
                    CryptExportKey(key, 0, PRIVATEKEYBLOB, 0, blob.as_mut_ptr(), &mut len) != 0
                }
                && {
                    blob.truncate(len as usize);
                    true
                }
        };
    // SAFETY: release what was acquired (the provider only when crypt32 says the caller owns it).
    unsafe {
        if key != 0 {
            CryptDestroyKey(key);
        }
        if free != 0 {
            CryptReleaseContext(prov, 0);
        }
    }
    if !exported {
        crate::log!(
            Level::Warn,
            "schannel: the certificate's private key is not exportable (not supported yet)"
        );
        return Err(());
    }
    match crate::packages::schannel::capi::rsa_privatekeyblob_to_pkcs8(&blob) {
        Some(k) => Ok(Some(k)),
        None => {
            crate::log!(
                Level::Warn,
                "schannel: the exported key is not an RSA PRIVATEKEYBLOB ({} bytes)",
                blob.len()
            );
            Err(())
        }
    }
}

/// What Schannel credentials need from a crypt32 PCCERT_CONTEXT: the certificate, its issuer
/// chain from the context's store, and its private key. None for NULL or an unusable key.
/// `p` is the caller's PCCERT_CONTEXT from SCHANNEL_CRED.paCred: as Windows' Schannel does,
/// it is read as a valid context (the API conventions in the README).
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn cert_material(p: PCCERT_CONTEXT) -> Option<CertMaterial> {
    if p.is_null() {
        return None;
    }
    // SAFETY: a non-NULL PCCERT_CONTEXT from the caller (SCHANNEL_CRED.paCred).
    let leaf = unsafe { encoded(p) }?;
    // SAFETY: as above; hCertStore is the context's store (or NULL).
    let store = unsafe { p.read_unaligned() }.hCertStore;
    let others = if store.is_null() {
        Vec::new()
    } else {
        store_certs(store).unwrap_or_default()
    };
    let mut chain = vec![leaf.clone()];
    chain.extend(crate::packages::schannel::capi::issuer_chain(
        &leaf, &others,
    ));
    let key = private_key(p).ok()?;
    Some(CertMaterial { chain, key })
}

/// A new crypt32 context for a certificate chain (leaf first), for
/// SECPKG_ATTR_REMOTE_CERT_CONTEXT: its hCertStore is a memory store holding the chain. The
/// caller frees it with crypt32's CertFreeCertificateContext.
pub fn context_for_chain(chain: &[Vec<u8>]) -> Option<PCCERT_CONTEXT> {
    chain.first()?;
    // SAFETY: a new, empty memory store.
    let store = unsafe {
        CertOpenStore(
            CERT_STORE_PROV_MEMORY as *const c_char,
            0,
            0,
            0,
            core::ptr::null(),
        )
    };
    if store.is_null() {
        return None;
    }
    let mut leaf: PCCERT_CONTEXT = core::ptr::null();
    for (i, der) in chain.iter().enumerate() {
        let out = if i == 0 {
            &mut leaf as *mut PCCERT_CONTEXT
        } else {
            core::ptr::null_mut()
        };
        let blob = CRYPTOAPI_BLOB {
            cbData: der.len() as DWORD,
            pbData: der.as_ptr() as *mut BYTE,
        };
        // SAFETY: the store just opened, the certificate's bytes, an optional local out-pointer.
        unsafe {
            CertAddEncodedCertificateToStore(
                store,
                X509_ASN_ENCODING | PKCS_7_ASN_ENCODING,
                blob.pbData,
                blob.cbData,
                CERT_STORE_ADD_ALWAYS,
                out,
            )
        };
    }
    // SAFETY: our handle; the store lives on while the leaf context references it.
    unsafe { CertCloseStore(store, 0) };
    (!leaf.is_null()).then_some(leaf)
}
