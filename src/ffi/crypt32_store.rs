//! Certificate stores of the crypt32 subset (wincrypt.h): memory stores, the emulated system
//! stores (`$SECUR32_CERT_STORE_DIR/<NAME>/`, "ROOT" = the system roots), enumeration and
//! search, and PKCS#12 import (PFXImportCertStore). Store handles this library did not hand out
//! are rejected (FALSE / NULL), never dereferenced. Part of include/wincrypt.h (build.rs).

use super::crypt32::*;
use super::types::{BOOL, DWORD};
use core::ffi::c_void;
use parking_lot::Mutex;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::OnceLock;
use zeroize::Zeroizing;

pub(super) struct Store {
    pub(super) certs: Mutex<Vec<usize>>,
    /// The context that owns this store (context_for_chain) and is listed in it without a
    /// reference of its own (0 for none).
    pub(super) owner: std::sync::atomic::AtomicUsize,
}
fn live_stores() -> &'static Mutex<HashSet<usize>> {
    static S: OnceLock<Mutex<HashSet<usize>>> = OnceLock::new();
    S.get_or_init(|| Mutex::new(HashSet::new()))
}
pub(super) fn new_store() -> usize {
    let p = Box::into_raw(Box::new(Store {
        certs: Mutex::new(Vec::new()),
        owner: std::sync::atomic::AtomicUsize::new(0),
    })) as usize;
    live_stores().lock().insert(p);
    p
}
pub(super) fn with_store<R>(h: HCERTSTORE, f: impl FnOnce(&Store) -> R) -> Option<R> {
    let live = live_stores().lock();
    if !live.contains(&(h as usize)) {
        return None;
    }
    // SAFETY: a live store (freed only after removal under this lock).
    Some(f(unsafe { &*(h as *const Store) }))
}
pub(super) fn add_to_store(store: usize, cert: usize) {
    with_store(store as HCERTSTORE, |s| s.certs.lock().push(dup(cert)));
}
pub(super) fn close_store(h: HCERTSTORE) -> bool {
    let p = h as usize;
    if !live_stores().lock().remove(&p) {
        return false;
    }
    // SAFETY: removed from the live set: this call owns the store now.
    let store = unsafe { Box::from_raw(p as *mut Store) };
    let owner = store.owner.load(Ordering::Acquire);
    for c in store.certs.into_inner() {
        if c != owner {
            release(c);
        }
    }
    true
}
fn open_system_store(name: &str) -> usize {
    let store = new_store();
    let upper = name.to_ascii_uppercase();
    let dir = crate::packages::schannel::cert_store_dir().map(|d| d.join(&upper));
    match dir {
        Some(d) if d.is_dir() => {
            for der in crate::packages::schannel::load_cert_dir(&d) {
                if let Some(c) = new_cert(&der, Vec::new(), None) {
                    add_to_store(store, c);
                    release(c);
                }
            }
            // PKCS#12 files (empty password) carry their keys.
            if let Ok(rd) = std::fs::read_dir(&d) {
                for e in rd.flatten() {
                    let p = e.path();
                    if p.extension().is_some_and(|x| x == "pfx" || x == "p12") {
                        if let Ok(bytes) = std::fs::read(&p) {
                            let _ = import_pfx(&bytes, "", store);
                        }
                    }
                }
            }
        }
        _ if upper == "ROOT" => {
            for c in rustls_native_certs::load_native_certs().certs {
                if let Some(c) = new_cert(&c, Vec::new(), None) {
                    add_to_store(store, c);
                    release(c);
                }
            }
        }
        _ => {}
    }
    store
}

/// Opens a store: CERT_STORE_PROV_MEMORY (empty), CERT_STORE_PROV_SYSTEM_A/W ("MY",
/// "ROOT", …; see the module comment). Other providers → NULL. Close with CertCloseStore.
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn CertOpenStore(
    lpszStoreProvider: LPCSTR,
    dwEncodingType: DWORD,
    hCryptProv: HCRYPTPROV_LEGACY,
    dwFlags: DWORD,
    pvPara: *const c_void,
) -> HCERTSTORE {
    let _ = (dwEncodingType, hCryptProv, dwFlags);
    guard_ptr(|| {
        let r = match lpszStoreProvider as usize {
            CERT_STORE_PROV_MEMORY => new_store(),
            // SAFETY: the documented store name string (or NULL).
            CERT_STORE_PROV_SYSTEM_A => match unsafe { super::strings::a_str(pvPara as _) } {
                Ok(Some(n)) => open_system_store(&n),
                _ => 0,
            },
            // SAFETY: as above, UTF-16.
            CERT_STORE_PROV_SYSTEM_W => match unsafe { super::strings::w_str(pvPara as _) } {
                Ok(Some(n)) => open_system_store(&n),
                _ => 0,
            },
            _ => 0,
        };
        if r == 0 {
            set_last_error(E_INVALIDARG);
        }
        r as *const c_void
    }) as HCERTSTORE
}

/// Opens a system store by name ("MY", "ROOT").
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn CertOpenSystemStoreA(
    hProv: HCRYPTPROV_LEGACY,
    szSubsystemProtocol: LPCSTR,
) -> HCERTSTORE {
    let _ = hProv;
    guard_ptr(|| {
        // SAFETY: caller's string.
        match unsafe { super::strings::a_str(szSubsystemProtocol) } {
            Ok(Some(n)) => open_system_store(&n) as *const c_void,
            _ => core::ptr::null(),
        }
    }) as HCERTSTORE
}

/// Wide form of CertOpenSystemStoreA.
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn CertOpenSystemStoreW(
    hProv: HCRYPTPROV_LEGACY,
    szSubsystemProtocol: LPCWSTR,
) -> HCERTSTORE {
    let _ = hProv;
    guard_ptr(|| {
        // SAFETY: caller's string.
        match unsafe { super::strings::w_str(szSubsystemProtocol) } {
            Ok(Some(n)) => open_system_store(&n) as *const c_void,
            _ => core::ptr::null(),
        }
    }) as HCERTSTORE
}

/// Closes a store and drops its references to its certificates (contexts the caller
/// duplicated stay valid).
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn CertCloseStore(hCertStore: HCERTSTORE, dwFlags: DWORD) -> BOOL {
    let _ = dwFlags;
    guard_bool(|| hCertStore.is_null() || close_store(hCertStore))
}

/// Adds a certificate to a store; `ppStoreContext` (optional) receives a new reference.
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn CertAddCertificateContextToStore(
    hCertStore: HCERTSTORE,
    pCertContext: PCCERT_CONTEXT,
    dwAddDisposition: DWORD,
    ppStoreContext: *mut PCCERT_CONTEXT,
) -> BOOL {
    let _ = dwAddDisposition;
    guard_bool(|| {
        if with_cert(pCertContext, |_| ()).is_none() || with_store(hCertStore, |_| ()).is_none() {
            set_last_error(E_INVALIDARG);
            return false;
        }
        add_to_store(hCertStore as usize, pCertContext as usize);
        if !ppStoreContext.is_null() {
            // SAFETY: the caller's out-pointer.
            unsafe { ppStoreContext.write_unaligned(dup(pCertContext as usize) as PCCERT_CONTEXT) };
        }
        true
    })
}

/// Next certificate after `prev` (NULL: the first); frees `prev`. NULL at the end.
fn next_in_store(
    h: HCERTSTORE,
    prev: PCCERT_CONTEXT,
    mut pred: impl FnMut(&CertBlock) -> bool,
) -> PCCERT_CONTEXT {
    let list = with_store(h, |s| s.certs.lock().clone()).unwrap_or_default();
    let start = if prev.is_null() {
        0
    } else {
        list.iter()
            .position(|&c| c == prev as usize)
            .map_or(list.len(), |i| i + 1)
    };
    if !prev.is_null() {
        release(prev as usize);
    }
    for &c in &list[start.min(list.len())..] {
        if with_cert(c as PCCERT_CONTEXT, &mut pred) == Some(true) {
            return dup(c) as PCCERT_CONTEXT;
        }
    }
    set_last_error(CRYPT_E_NOT_FOUND);
    core::ptr::null()
}

/// Enumerates a store: pass NULL, then each returned context (which this call frees).
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn CertEnumCertificatesInStore(
    hCertStore: HCERTSTORE,
    pPrevCertContext: PCCERT_CONTEXT,
) -> PCCERT_CONTEXT {
    guard_ptr(|| next_in_store(hCertStore, pPrevCertContext, |_| true))
}

/// Finds a certificate: CERT_FIND_ANY, CERT_FIND_SHA1_HASH / CERT_FIND_HASH
/// (CRYPT_HASH_BLOB*), CERT_FIND_SUBJECT_STR_A/W and CERT_FIND_ISSUER_STR_A/W
/// (case-insensitive substring of the name). Frees `pPrevCertContext`.
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn CertFindCertificateInStore(
    hCertStore: HCERTSTORE,
    dwCertEncodingType: DWORD,
    dwFindFlags: DWORD,
    dwFindType: DWORD,
    pvFindPara: *const c_void,
    pPrevCertContext: PCCERT_CONTEXT,
) -> PCCERT_CONTEXT {
    let _ = (dwCertEncodingType, dwFindFlags);
    guard_ptr(|| {
        let text = |wide: bool| -> Option<String> {
            // SAFETY: the documented string parameter.
            let r = unsafe {
                if wide {
                    super::strings::w_str(pvFindPara as _)
                } else {
                    super::strings::a_str(pvFindPara as _)
                }
            };
            r.ok().flatten().map(|s| s.to_lowercase())
        };
        match dwFindType {
            CERT_FIND_ANY => next_in_store(hCertStore, pPrevCertContext, |_| true),
            CERT_FIND_SHA1_HASH => {
                if pvFindPara.is_null() {
                    return core::ptr::null();
                }
                // SAFETY: a CRYPT_HASH_BLOB per the documentation.
                let b = unsafe { (pvFindPara as *const CRYPTOAPI_BLOB).read_unaligned() };
                // SAFETY: the blob's bytes.
                let want = unsafe { slice(b.pbData, b.cbData as usize) }.to_vec();
                next_in_store(hCertStore, pPrevCertContext, |c| sha1(&c.der) == want)
            }
            CERT_FIND_SUBJECT_STR_A
            | CERT_FIND_SUBJECT_STR_W
            | CERT_FIND_ISSUER_STR_A
            | CERT_FIND_ISSUER_STR_W => {
                let wide = dwFindType >> 16 == 8;
                let issuer = dwFindType & 0xffff == 4;
                let Some(want) = text(wide) else {
                    return core::ptr::null();
                };
                next_in_store(hCertStore, pPrevCertContext, |c| {
                    name_string(&c.der, issuer).to_lowercase().contains(&want)
                })
            }
            _ => {
                set_last_error(E_INVALIDARG);
                core::ptr::null()
            }
        }
    })
}

fn import_pfx(data: &[u8], password: &str, store: usize) -> bool {
    let Ok(ks) = p12_keystore::KeyStore::from_pkcs12(data, password) else {
        return false;
    };
    for (_, e) in ks.entries() {
        match e {
            p12_keystore::KeyStoreEntry::PrivateKeyChain(kc) => {
                let chain = kc.chain();
                let Some(leaf) = chain.first() else { continue };
                let rest: Vec<Vec<u8>> = chain[1..]
                    .iter()
                    .map(|c| c.as_der().to_vec())
                    .filter(|c| {
                        // Self-signed roots are not sent.
                        use x509_parser::prelude::*;
                        X509Certificate::from_der(c)
                            .map(|(_, x)| x.subject() != x.issuer())
                            .unwrap_or(false)
                    })
                    .collect();
                let key = Some(Zeroizing::new(kc.key().to_vec()));
                if let Some(c) = new_cert(leaf.as_der(), rest, key) {
                    add_to_store(store, c);
                    release(c);
                }
                for c in &chain[1..] {
                    if let Some(c) = new_cert(c.as_der(), Vec::new(), None) {
                        add_to_store(store, c);
                        release(c);
                    }
                }
            }
            p12_keystore::KeyStoreEntry::Certificate(c) => {
                if let Some(c) = new_cert(c.as_der(), Vec::new(), None) {
                    add_to_store(store, c);
                    release(c);
                }
            }
            _ => {}
        }
    }
    true
}

/// Imports a PKCS#12 blob into a new memory store; the certificate with the private key
/// keeps the key (usable as Schannel server or client credentials). Wrong password or bad
/// data → NULL. Close with CertCloseStore.
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn PFXImportCertStore(
    pPFX: PCRYPT_DATA_BLOB,
    szPassword: LPCWSTR,
    dwFlags: DWORD,
) -> HCERTSTORE {
    let _ = dwFlags;
    guard_ptr(|| {
        if pPFX.is_null() {
            set_last_error(E_INVALIDARG);
            return core::ptr::null();
        }
        // SAFETY: the caller's CRYPT_DATA_BLOB.
        let b = unsafe { pPFX.read_unaligned() };
        // SAFETY: its bytes.
        let data = unsafe { slice(b.pbData, b.cbData as usize) };
        // SAFETY: the caller's password string (NULL = empty).
        let pw = unsafe { super::strings::w_str(szPassword) }
            .ok()
            .flatten()
            .unwrap_or_default();
        let store = new_store();
        if !import_pfx(data, &pw, store) {
            close_store(store as HCERTSTORE);
            set_last_error(ERROR_INVALID_PASSWORD);
            return core::ptr::null();
        }
        store as *const c_void
    }) as HCERTSTORE
}

/// TRUE when the blob parses as PKCS#12 (structure only).
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn PFXIsPFXBlob(pPFX: PCRYPT_DATA_BLOB) -> BOOL {
    guard_bool(|| {
        if pPFX.is_null() {
            return false;
        }
        // SAFETY: the caller's blob.
        let b = unsafe { pPFX.read_unaligned() };
        // SAFETY: its bytes.
        let data = unsafe { slice(b.pbData, b.cbData as usize) };
        // A PFX is a SEQUENCE starting with INTEGER 3.
        data.len() > 8 && data[0] == 0x30 && data.windows(3).take(8).any(|w| w == [2, 1, 3])
    })
}
