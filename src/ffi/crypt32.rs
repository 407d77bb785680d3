//! The crypt32 subset Schannel callers need (wincrypt.h): certificate contexts with
//! Windows' CERT_CONTEXT / CERT_INFO layouts, memory and emulated system stores, PKCS#12
//! import. build.rs generates include/wincrypt.h from this file.
//!
//! A PCCERT_CONTEXT points at the first field of a reference-counted block that also holds
//! the DER, the CERT_INFO and (from PFXImportCertStore) the PKCS#8 private key. Pointers the
//! library did not hand out are rejected (FALSE / NULL), never dereferenced.
//!
//! On Windows these functions are compiled but not exported (`cfg_attr(not(windows),
//! no_mangle)`): crypt32.dll is the system's there, and Schannel credentials take its
//! CERT_CONTEXTs through `super::win32` (see `super::certs`).
//!
//! System stores (CertOpenStore with CERT_STORE_PROV_SYSTEM, CertOpenSystemStore): the
//! certificates in `$SECUR32_CERT_STORE_DIR/<NAME>/` (PEM, DER, or .pfx/.p12 with an empty
//! password); "ROOT" without that directory holds the system roots (SSL_CERT_FILE honoured).

use super::crypt32_store::{add_to_store, close_store, new_store, with_store};
use super::types::{BOOL, BYTE, DWORD, SEC_WCHAR};
use crate::package::CertMaterial;
use core::ffi::{c_char, c_void};
use parking_lot::Mutex;
use std::collections::HashSet;
use std::ffi::CString;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use zeroize::Zeroizing;

pub type HCERTSTORE = *mut c_void;
/// ALG_ID: an algorithm identifier (CALG_*).
pub type ALG_ID = u32;
pub type HCRYPTPROV_LEGACY = usize;
pub type LPCSTR = *const c_char;
pub type LPSTR = *mut c_char;
pub type LPCWSTR = *const SEC_WCHAR;
pub type LPWSTR = *mut SEC_WCHAR;

/// CRYPT_INTEGER_BLOB, CERT_NAME_BLOB, CRYPT_DATA_BLOB, CRYPT_HASH_BLOB, …
#[repr(C)]
#[derive(Clone, Copy)]
pub struct CRYPTOAPI_BLOB {
    pub cbData: DWORD,
    pub pbData: *mut BYTE,
}
pub type CRYPT_INTEGER_BLOB = CRYPTOAPI_BLOB;
pub type CRYPT_OBJID_BLOB = CRYPTOAPI_BLOB;
pub type CERT_NAME_BLOB = CRYPTOAPI_BLOB;
pub type CRYPT_DATA_BLOB = CRYPTOAPI_BLOB;
pub type CRYPT_HASH_BLOB = CRYPTOAPI_BLOB;
pub type PCRYPT_DATA_BLOB = *mut CRYPTOAPI_BLOB;

/// FILETIME: 100 ns intervals since 1601-01-01 UTC.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct FILETIME {
    pub dwLowDateTime: DWORD,
    pub dwHighDateTime: DWORD,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CRYPT_ALGORITHM_IDENTIFIER {
    pub pszObjId: LPSTR,
    pub Parameters: CRYPT_OBJID_BLOB,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CRYPT_BIT_BLOB {
    pub cbData: DWORD,
    pub pbData: *mut BYTE,
    pub cUnusedBits: DWORD,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CERT_PUBLIC_KEY_INFO {
    pub Algorithm: CRYPT_ALGORITHM_IDENTIFIER,
    pub PublicKey: CRYPT_BIT_BLOB,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CERT_EXTENSION {
    pub pszObjId: LPSTR,
    pub fCritical: BOOL,
    pub Value: CRYPT_OBJID_BLOB,
}
pub type PCERT_EXTENSION = *mut CERT_EXTENSION;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CERT_INFO {
    pub dwVersion: DWORD,
    /// Little-endian, as Windows stores it.
    pub SerialNumber: CRYPT_INTEGER_BLOB,
    pub SignatureAlgorithm: CRYPT_ALGORITHM_IDENTIFIER,
    pub Issuer: CERT_NAME_BLOB,
    pub NotBefore: FILETIME,
    pub NotAfter: FILETIME,
    pub Subject: CERT_NAME_BLOB,
    pub SubjectPublicKeyInfo: CERT_PUBLIC_KEY_INFO,
    pub IssuerUniqueId: CRYPT_BIT_BLOB,
    pub SubjectUniqueId: CRYPT_BIT_BLOB,
    pub cExtension: DWORD,
    pub rgExtension: PCERT_EXTENSION,
}
pub type PCERT_INFO = *mut CERT_INFO;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CERT_CONTEXT {
    pub dwCertEncodingType: DWORD,
    pub pbCertEncoded: *mut BYTE,
    pub cbCertEncoded: DWORD,
    pub pCertInfo: PCERT_INFO,
    pub hCertStore: HCERTSTORE,
}
pub type PCERT_CONTEXT = *mut CERT_CONTEXT;
pub type PCCERT_CONTEXT = *const CERT_CONTEXT;

pub const X509_ASN_ENCODING: DWORD = 0x1;
pub const PKCS_7_ASN_ENCODING: DWORD = 0x10000;

// Store providers: (LPCSTR) integers, defined in the header by build.rs.
pub(crate) const CERT_STORE_PROV_MEMORY: usize = 2;
pub(crate) const CERT_STORE_PROV_SYSTEM_A: usize = 9;
pub(crate) const CERT_STORE_PROV_SYSTEM_W: usize = 10;
pub const CERT_SYSTEM_STORE_CURRENT_USER: DWORD = 0x10000;
pub const CERT_SYSTEM_STORE_LOCAL_MACHINE: DWORD = 0x20000;
pub const CERT_STORE_READONLY_FLAG: DWORD = 0x8000;
pub const CERT_STORE_CREATE_NEW_FLAG: DWORD = 0x2000;
pub const CERT_STORE_OPEN_EXISTING_FLAG: DWORD = 0x4000;
pub const CERT_CLOSE_STORE_FORCE_FLAG: DWORD = 0x1;
pub const CERT_CLOSE_STORE_CHECK_FLAG: DWORD = 0x2;

pub const CERT_STORE_ADD_NEW: DWORD = 1;
pub const CERT_STORE_ADD_USE_EXISTING: DWORD = 2;
pub const CERT_STORE_ADD_REPLACE_EXISTING: DWORD = 3;
pub const CERT_STORE_ADD_ALWAYS: DWORD = 4;

pub const CERT_FIND_ANY: DWORD = 0;
pub const CERT_FIND_SHA1_HASH: DWORD = 0x10000;
pub const CERT_FIND_HASH: DWORD = 0x10000;
pub const CERT_FIND_SUBJECT_STR_A: DWORD = 0x70007;
pub const CERT_FIND_SUBJECT_STR_W: DWORD = 0x80007;
pub const CERT_FIND_ISSUER_STR_A: DWORD = 0x70004;
pub const CERT_FIND_ISSUER_STR_W: DWORD = 0x80004;

pub const CERT_NAME_EMAIL_TYPE: DWORD = 1;
pub const CERT_NAME_RDN_TYPE: DWORD = 2;
pub const CERT_NAME_ATTR_TYPE: DWORD = 3;
pub const CERT_NAME_SIMPLE_DISPLAY_TYPE: DWORD = 4;
pub const CERT_NAME_FRIENDLY_DISPLAY_TYPE: DWORD = 5;
pub const CERT_NAME_DNS_TYPE: DWORD = 6;
pub const CERT_NAME_URL_TYPE: DWORD = 7;
pub const CERT_NAME_UPN_TYPE: DWORD = 8;
pub const CERT_NAME_ISSUER_FLAG: DWORD = 0x1;

pub const CERT_KEY_PROV_INFO_PROP_ID: DWORD = 2;
pub const CERT_SHA1_HASH_PROP_ID: DWORD = 3;
pub const CERT_HASH_PROP_ID: DWORD = 3;
pub const CERT_MD5_HASH_PROP_ID: DWORD = 4;
pub const CERT_SHA256_HASH_PROP_ID: DWORD = 107;

pub const CRYPT_EXPORTABLE: DWORD = 0x1;
pub const CRYPT_USER_KEYSET: DWORD = 0x1000;
pub const PKCS12_NO_PERSIST_KEY: DWORD = 0x8000;

pub const ERROR_MORE_DATA: DWORD = 234;
pub const CRYPT_E_NOT_FOUND: DWORD = 0x80092004;
pub const CRYPT_E_EXISTS: DWORD = 0x80092005;
pub const E_INVALIDARG: DWORD = 0x80070057;
pub const ERROR_INVALID_PASSWORD: DWORD = 86;

const TRUE: BOOL = 1;
const FALSE: BOOL = 0;

// ---------------------------------------------------------------------------------------------
// Blocks

/// A certificate context and everything its pointers point into.
#[repr(C)]
pub(super) struct CertBlock {
    ctx: CERT_CONTEXT,
    info: CERT_INFO,
    refs: AtomicUsize,
    pub(super) der: Box<[u8]>,
    serial_le: Box<[u8]>,
    oids: Vec<CString>,
    exts: Vec<CERT_EXTENSION>,
    /// Certificates that came with it (PKCS#12), leaf excluded.
    chain: Vec<Vec<u8>>,
    key: Option<Zeroizing<Vec<u8>>>,
    /// The key container named by CERT_KEY_PROV_INFO_PROP_ID / CERT_KEY_CONTEXT_PROP_ID
    /// (super::crypt32_keyprov): the imported key's own, or one set by the caller.
    key_prov: Mutex<Option<String>>,
}

fn live_certs() -> &'static Mutex<HashSet<usize>> {
    static S: OnceLock<Mutex<HashSet<usize>>> = OnceLock::new();
    S.get_or_init(|| Mutex::new(HashSet::new()))
}

#[cfg(not(windows))]
pub(crate) fn set_last_error(code: DWORD) {
    LAST_ERROR.with(|c| c.set(code));
}

/// On Windows the thread's error code is kernel32's.
#[cfg(windows)]
pub(crate) fn set_last_error(code: DWORD) {
    super::win32::set_last_error(code);
}

#[cfg(not(windows))]
thread_local! {
    static LAST_ERROR: std::cell::Cell<DWORD> = const { std::cell::Cell::new(0) };
}

/// The error code of the last failed crypt32 call on this thread (kernel32's
/// GetLastError, for the crypt32 functions here only). Not built for Windows, where
/// kernel32.dll's GetLastError is the one.
#[no_mangle]
#[cfg(not(windows))]
pub extern "system" fn GetLastError() -> DWORD {
    LAST_ERROR.with(|c| c.get())
}

fn filetime(unix: i64) -> FILETIME {
    let t = (unix.saturating_add(11_644_473_600)).saturating_mul(10_000_000) as u64;
    FILETIME {
        dwLowDateTime: t as u32,
        dwHighDateTime: (t >> 32) as u32,
    }
}

fn blob(base: *mut u8, der: &[u8], part: &[u8]) -> CRYPTOAPI_BLOB {
    let off = (part.as_ptr() as usize).wrapping_sub(der.as_ptr() as usize);
    if part.is_empty() || off > der.len() || off + part.len() > der.len() {
        return CRYPTOAPI_BLOB {
            cbData: 0,
            pbData: core::ptr::null_mut(),
        };
    }
    CRYPTOAPI_BLOB {
        cbData: part.len() as DWORD,
        // Offset inside `der`, whose heap copy starts at `base`.
        pbData: base.wrapping_add(off),
    }
}

/// Creates a context (one reference) for `der`, or None when it does not parse.
pub(super) fn new_cert(
    der: &[u8],
    chain: Vec<Vec<u8>>,
    key: Option<Zeroizing<Vec<u8>>>,
) -> Option<usize> {
    use x509_parser::prelude::*;
    let mut owned: Box<[u8]> = der.into();
    let base = owned.as_mut_ptr();
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let tbs = &cert.tbs_certificate;
    let serial_le: Box<[u8]> = tbs.raw_serial().iter().rev().copied().collect();
    let mut oids = Vec::new();
    let mut oid = |s: String| -> LPSTR {
        let c = CString::new(s).unwrap_or_default();
        let p = c.as_ptr() as LPSTR;
        oids.push(c);
        p
    };
    let sig_oid = oid(cert.signature_algorithm.algorithm.to_id_string());
    let spki_oid = oid(tbs.subject_pki.algorithm.algorithm.to_id_string());
    let mut exts = Vec::new();
    for e in tbs.extensions() {
        let p = oid(e.oid.to_id_string());
        exts.push(CERT_EXTENSION {
            pszObjId: p,
            fCritical: e.critical as BOOL,
            Value: blob(base, der, e.value),
        });
    }
    let spki_params = tbs
        .subject_pki
        .algorithm
        .parameters
        .as_ref()
        .map(|p| p.data)
        .unwrap_or(&[]);
    let info = CERT_INFO {
        dwVersion: tbs.version.0,
        SerialNumber: CRYPTOAPI_BLOB {
            cbData: 0,
            pbData: core::ptr::null_mut(),
        },
        SignatureAlgorithm: CRYPT_ALGORITHM_IDENTIFIER {
            pszObjId: sig_oid,
            Parameters: CRYPTOAPI_BLOB {
                cbData: 0,
                pbData: core::ptr::null_mut(),
            },
        },
        Issuer: blob(base, der, tbs.issuer.as_raw()),
        NotBefore: filetime(tbs.validity.not_before.timestamp()),
        NotAfter: filetime(tbs.validity.not_after.timestamp()),
        Subject: blob(base, der, tbs.subject.as_raw()),
        SubjectPublicKeyInfo: CERT_PUBLIC_KEY_INFO {
            Algorithm: CRYPT_ALGORITHM_IDENTIFIER {
                pszObjId: spki_oid,
                Parameters: blob(base, der, spki_params),
            },
            PublicKey: {
                let b = blob(base, der, &tbs.subject_pki.subject_public_key.data);
                CRYPT_BIT_BLOB {
                    cbData: b.cbData,
                    pbData: b.pbData,
                    cUnusedBits: tbs.subject_pki.subject_public_key.unused_bits as DWORD,
                }
            },
        },
        IssuerUniqueId: CRYPT_BIT_BLOB {
            cbData: 0,
            pbData: core::ptr::null_mut(),
            cUnusedBits: 0,
        },
        SubjectUniqueId: CRYPT_BIT_BLOB {
            cbData: 0,
            pbData: core::ptr::null_mut(),
            cUnusedBits: 0,
        },
        cExtension: 0,
        rgExtension: core::ptr::null_mut(),
    };
    let mut block = Box::new(CertBlock {
        ctx: CERT_CONTEXT {
            dwCertEncodingType: X509_ASN_ENCODING | PKCS_7_ASN_ENCODING,
            pbCertEncoded: base,
            cbCertEncoded: owned.len() as DWORD,
            pCertInfo: core::ptr::null_mut(),
            hCertStore: core::ptr::null_mut(),
        },
        info,
        refs: AtomicUsize::new(1),
        der: owned,
        serial_le,
        oids,
        exts,
        chain,
        key_prov: Mutex::new(key.as_ref().map(|k| {
            let name = super::crypt32_keyprov::container_name(&sha1(der));
            super::crypt32_keyprov::register(&name, k.clone());
            name
        })),
        key,
    });
    block.info.SerialNumber = CRYPTOAPI_BLOB {
        cbData: block.serial_le.len() as DWORD,
        pbData: block.serial_le.as_mut_ptr(),
    };
    block.info.cExtension = block.exts.len() as DWORD;
    block.info.rgExtension = if block.exts.is_empty() {
        core::ptr::null_mut()
    } else {
        block.exts.as_mut_ptr()
    };
    let p = Box::into_raw(block);
    // SAFETY: p is the fresh, uniquely owned block; ctx.pCertInfo points into it.
    unsafe { (*p).ctx.pCertInfo = core::ptr::addr_of_mut!((*p).info) };
    live_certs().lock().insert(p as usize);
    Some(p as usize)
}

/// Runs `f` on a live block (lock held, so it cannot be freed meanwhile).
pub(super) fn with_cert<R>(p: PCCERT_CONTEXT, f: impl FnOnce(&CertBlock) -> R) -> Option<R> {
    let live = live_certs().lock();
    if !live.contains(&(p as usize)) {
        return None;
    }
    // SAFETY: p is a live block (in the set, freed only after removal under this lock).
    Some(f(unsafe { &*(p as *const CertBlock) }))
}

pub(super) fn dup(p: usize) -> usize {
    with_cert(p as PCCERT_CONTEXT, |b| {
        b.refs.fetch_add(1, Ordering::AcqRel)
    });
    p
}

pub(super) fn release(p: usize) -> bool {
    let last = {
        let mut live = live_certs().lock();
        if !live.contains(&p) {
            return false;
        }
        // SAFETY: p is live (checked under the lock).
        let b = unsafe { &*(p as *const CertBlock) };
        let last = b.refs.fetch_sub(1, Ordering::AcqRel) == 1;
        if last {
            live.remove(&p);
        }
        last
    };
    if last {
        // SAFETY: last reference, removed from the live set: nothing else can reach it.
        let b = unsafe { Box::from_raw(p as *mut CertBlock) };
        // A context made by context_for_chain owns its store.
        let store = b.ctx.hCertStore;
        drop(b);
        if !store.is_null() {
            close_store(store);
        }
    }
    true
}

/// What Schannel credentials need from a PCCERT_CONTEXT: None when it is not ours. The key
/// is the context's own (PKCS#12 import) or the one its key-provider property names
/// (super::crypt32_keyprov).
pub fn cert_material(p: PCCERT_CONTEXT) -> Option<CertMaterial> {
    let (mut m, prov) = with_cert(p, |b| {
        let mut chain = vec![b.der.to_vec()];
        chain.extend(b.chain.iter().cloned());
        (
            CertMaterial {
                chain,
                key: b.key.clone(),
            },
            b.key_prov.lock().clone(),
        )
    })?;
    // Outside the live-set lock: the lookup may import the store directory's PKCS#12 files.
    if m.key.is_none() {
        m.key = prov.and_then(|n| super::crypt32_keyprov::find(&n));
    }
    Some(m)
}

/// Registers the private keys of a PKCS#12 blob as key containers (no contexts made).
pub(crate) fn register_pfx_keys(data: &[u8], password: &str) {
    let Ok(ks) = p12_keystore::KeyStore::from_pkcs12(data, password) else {
        return;
    };
    for (_, e) in ks.entries() {
        if let p12_keystore::KeyStoreEntry::PrivateKeyChain(kc) = e {
            if let Some(leaf) = kc.chain().first() {
                let name = super::crypt32_keyprov::container_name(&sha1(leaf.as_der()));
                super::crypt32_keyprov::register(&name, Zeroizing::new(kc.key().to_vec()));
            }
        }
    }
}

/// A context's DER and the certificates that came with it (its PKCS#12 chain, or the
/// peer's chain for a context from SECPKG_ATTR_REMOTE_CERT_CONTEXT).
pub fn cert_der_and_chain(p: PCCERT_CONTEXT) -> Option<(Vec<u8>, Vec<Vec<u8>>)> {
    with_cert(p, |b| (b.der.to_vec(), b.chain.clone()))
}

/// A new context (one reference) for `der`.
pub fn new_context(der: &[u8]) -> Option<PCCERT_CONTEXT> {
    new_cert(der, Vec::new(), None).map(|p| p as PCCERT_CONTEXT)
}

/// Drops one reference to a context of this library.
pub fn release_cert(p: PCCERT_CONTEXT) {
    release(p as usize);
}

/// DER of every certificate in a store (SCHANNEL_CRED.hRootStore).
pub fn store_certs(h: HCERTSTORE) -> Option<Vec<Vec<u8>>> {
    with_store(h, |s| {
        s.certs
            .lock()
            .iter()
            .filter_map(|&c| with_cert(c as PCCERT_CONTEXT, |b| b.der.to_vec()))
            .collect()
    })
}

/// A new context for a certificate chain (leaf first), for
/// SECPKG_ATTR_REMOTE_CERT_CONTEXT: its hCertStore is a memory store holding the chain.
pub fn context_for_chain(chain: &[Vec<u8>]) -> Option<PCCERT_CONTEXT> {
    let leaf = chain.first()?;
    let p = new_cert(leaf, chain[1..].to_vec(), None)?;
    let store = new_store();
    // The store enumerates the context itself, then the rest of the chain, as Windows' does
    // (Wine dlls/secur32/tests/schannel.c test_remote_cert: the remote certificate is in its
    // own hCertStore). The store lists the context without holding a reference to it: the
    // context owns the store, not the other way round.
    with_store(store as HCERTSTORE, |s| {
        s.owner.store(p, Ordering::Release);
        s.certs.lock().push(p);
    });
    for c in &chain[1..] {
        if let Some(q) = new_cert(c, Vec::new(), None) {
            add_to_store(store, q);
            release(q);
        }
    }
    // SAFETY: p is a fresh block only this function knows about yet.
    unsafe { (*(p as *mut CertBlock)).ctx.hCertStore = store as HCERTSTORE };
    // The context owns this store: release() closes it with the context.
    Some(p as PCCERT_CONTEXT)
}

pub(super) fn sha1(der: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der)
        .as_ref()
        .to_vec()
}

pub(super) fn name_string(der: &[u8], issuer: bool) -> String {
    use x509_parser::prelude::*;
    match X509Certificate::from_der(der) {
        Ok((_, c)) => {
            let n = if issuer { c.issuer() } else { c.subject() };
            n.to_string()
        }
        Err(_) => String::new(),
    }
}

/// CertGetNameString's value for `kind`.
fn cert_name(der: &[u8], kind: DWORD, flags: DWORD, attr_oid: Option<&str>) -> String {
    use x509_parser::prelude::*;
    let Ok((_, c)) = X509Certificate::from_der(der) else {
        return String::new();
    };
    let issuer = flags & CERT_NAME_ISSUER_FLAG != 0;
    let name = if issuer { c.issuer() } else { c.subject() };
    let first = |it: &mut dyn Iterator<Item = &x509_parser::x509::AttributeTypeAndValue>| {
        it.next().and_then(|a| a.as_str().ok()).map(str::to_string)
    };
    let sans = || -> Vec<GeneralName> {
        if issuer {
            return Vec::new();
        }
        c.subject_alternative_name()
            .ok()
            .flatten()
            .map(|s| s.value.general_names.clone())
            .unwrap_or_default()
    };
    match kind {
        CERT_NAME_DNS_TYPE => sans()
            .iter()
            .find_map(|g| match g {
                GeneralName::DNSName(d) => Some(d.to_string()),
                _ => None,
            })
            .or_else(|| first(&mut name.iter_common_name()))
            .unwrap_or_default(),
        CERT_NAME_EMAIL_TYPE => sans()
            .iter()
            .find_map(|g| match g {
                GeneralName::RFC822Name(d) => Some(d.to_string()),
                _ => None,
            })
            .or_else(|| first(&mut name.iter_email()))
            .unwrap_or_default(),
        CERT_NAME_RDN_TYPE => name_string(der, issuer),
        CERT_NAME_ATTR_TYPE => name
            .iter_attributes()
            .find(|a| Some(a.attr_type().to_id_string().as_str()) == attr_oid)
            .and_then(|a| a.as_str().ok())
            .map(str::to_string)
            .unwrap_or_default(),
        _ => first(&mut name.iter_common_name())
            .or_else(|| first(&mut name.iter_organizational_unit()))
            .or_else(|| first(&mut name.iter_organization()))
            .or_else(|| first(&mut name.iter_email()))
            .unwrap_or_default(),
    }
}

pub(super) fn guard_ptr<T>(f: impl FnOnce() -> *const T) -> *const T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(core::ptr::null())
}

pub(super) fn guard_bool(f: impl FnOnce() -> bool) -> BOOL {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(true) => TRUE,
        _ => FALSE,
    }
}

/// Reads `n` bytes at `p` (NULL or n == 0 → empty).
///
/// # Safety
/// `p` is NULL or readable for `n` bytes.
pub(super) unsafe fn slice<'a>(p: *const u8, n: usize) -> &'a [u8] {
    if p.is_null() || n == 0 {
        return &[];
    }
    // SAFETY: per the contract.
    unsafe { core::slice::from_raw_parts(p, n) }
}

// ---------------------------------------------------------------------------------------------
// Exports

/// Creates a certificate context from DER (X509_ASN_ENCODING). NULL on a parse failure.
/// Free with CertFreeCertificateContext.
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn CertCreateCertificateContext(
    dwCertEncodingType: DWORD,
    pbCertEncoded: *const BYTE,
    cbCertEncoded: DWORD,
) -> PCCERT_CONTEXT {
    let _ = dwCertEncodingType;
    guard_ptr(|| {
        // SAFETY: the caller's buffer of cbCertEncoded bytes.
        let der = unsafe { slice(pbCertEncoded, cbCertEncoded as usize) };
        match new_cert(der, Vec::new(), None) {
            Some(p) => p as PCCERT_CONTEXT,
            None => {
                set_last_error(CRYPT_E_NOT_FOUND);
                core::ptr::null()
            }
        }
    })
}

/// Adds a reference to a context; returns it (NULL stays NULL).
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn CertDuplicateCertificateContext(
    pCertContext: PCCERT_CONTEXT,
) -> PCCERT_CONTEXT {
    guard_ptr(|| {
        if with_cert(pCertContext, |_| ()).is_none() {
            return core::ptr::null();
        }
        dup(pCertContext as usize) as PCCERT_CONTEXT
    })
}

/// Drops a reference to a context (NULL → TRUE). A pointer this library did not hand out
/// → FALSE.
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn CertFreeCertificateContext(pCertContext: PCCERT_CONTEXT) -> BOOL {
    guard_bool(|| pCertContext.is_null() || release(pCertContext as usize))
}

/// `pvTypePara` of CERT_NAME_ATTR_TYPE: the attribute's OID string (e.g. "2.5.4.3").
fn attr_oid(kind: DWORD, para: *mut c_void) -> Option<String> {
    if kind != CERT_NAME_ATTR_TYPE {
        return None;
    }
    // SAFETY: for CERT_NAME_ATTR_TYPE, pvTypePara is NULL or an OID string (LPCSTR).
    unsafe { super::strings::a_str(para as LPCSTR) }
        .ok()
        .flatten()
}

fn get_name(p: PCCERT_CONTEXT, kind: DWORD, flags: DWORD, para: *mut c_void) -> String {
    let oid = attr_oid(kind, para);
    with_cert(p, |b| cert_name(&b.der, kind, flags, oid.as_deref())).unwrap_or_default()
}

/// CertGetNameStringA: CERT_NAME_SIMPLE_DISPLAY_TYPE, CERT_NAME_FRIENDLY_DISPLAY_TYPE,
/// CERT_NAME_DNS_TYPE, CERT_NAME_EMAIL_TYPE, CERT_NAME_RDN_TYPE, CERT_NAME_ATTR_TYPE
/// (`pvTypePara`: the OID string); CERT_NAME_ISSUER_FLAG.
/// Returns the characters written or needed, NUL included (1 for an empty name).
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn CertGetNameStringA(
    pCertContext: PCCERT_CONTEXT,
    dwType: DWORD,
    dwFlags: DWORD,
    pvTypePara: *mut c_void,
    pszNameString: LPSTR,
    cchNameString: DWORD,
) -> DWORD {
    catch_unwind(AssertUnwindSafe(|| {
        let s = get_name(pCertContext, dwType, dwFlags, pvTypePara);
        let bytes = s.as_bytes();
        let need = bytes.len() + 1;
        if pszNameString.is_null() || cchNameString == 0 {
            return need as DWORD;
        }
        let n = bytes.len().min(cchNameString as usize - 1);
        // SAFETY: the caller's buffer of cchNameString chars; n + 1 <= cchNameString.
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), pszNameString as *mut u8, n);
            *pszNameString.add(n) = 0;
        }
        (n + 1) as DWORD
    }))
    .unwrap_or(0)
}

/// Wide form of CertGetNameStringA (UTF-16).
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn CertGetNameStringW(
    pCertContext: PCCERT_CONTEXT,
    dwType: DWORD,
    dwFlags: DWORD,
    pvTypePara: *mut c_void,
    pszNameString: LPWSTR,
    cchNameString: DWORD,
) -> DWORD {
    catch_unwind(AssertUnwindSafe(|| {
        let w: Vec<u16> = get_name(pCertContext, dwType, dwFlags, pvTypePara)
            .encode_utf16()
            .collect();
        let need = w.len() + 1;
        if pszNameString.is_null() || cchNameString == 0 {
            return need as DWORD;
        }
        let n = w.len().min(cchNameString as usize - 1);
        // SAFETY: the caller's buffer of cchNameString UTF-16 units; n + 1 fit.
        unsafe {
            core::ptr::copy_nonoverlapping(w.as_ptr(), pszNameString, n);
            *pszNameString.add(n) = 0;
        }
        (n + 1) as DWORD
    }))
    .unwrap_or(0)
}

/// Reads a property: CERT_SHA1_HASH_PROP_ID (= CERT_HASH_PROP_ID), CERT_MD5_HASH_PROP_ID
/// is not provided, CERT_SHA256_HASH_PROP_ID, CERT_KEY_PROV_INFO_PROP_ID (a
/// CRYPT_KEY_PROV_INFO followed by its strings) and CERT_KEY_CONTEXT_PROP_ID (a
/// CERT_KEY_CONTEXT) for a certificate with a key container (see CertSetCertificateContext-
/// Property). NULL pvData → size only; too small → FALSE with ERROR_MORE_DATA and the size;
/// absent → FALSE with CRYPT_E_NOT_FOUND.
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn CertGetCertificateContextProperty(
    pCertContext: PCCERT_CONTEXT,
    dwPropId: DWORD,
    pvData: *mut c_void,
    pcbData: *mut DWORD,
) -> BOOL {
    guard_bool(|| {
        if pcbData.is_null() {
            set_last_error(E_INVALIDARG);
            return false;
        }
        let Some((hash, prov)) = with_cert(pCertContext, |b| {
            let hash = match dwPropId {
                CERT_SHA1_HASH_PROP_ID => Some(sha1(&b.der)),
                CERT_SHA256_HASH_PROP_ID => Some(
                    ring::digest::digest(&ring::digest::SHA256, &b.der)
                        .as_ref()
                        .to_vec(),
                ),
                _ => None,
            };
            (hash, b.key_prov.lock().clone())
        }) else {
            set_last_error(CRYPT_E_NOT_FOUND);
            return false;
        };
        let value = match dwPropId {
            CERT_KEY_PROV_INFO_PROP_ID => {
                prov.map(|n| super::crypt32_keyprov::prov_info_bytes(&n, pvData as usize))
            }
            super::crypt32_keyprov::CERT_KEY_CONTEXT_PROP_ID => prov
                .filter(|n| super::crypt32_keyprov::find(n).is_some())
                .map(|n| super::crypt32_keyprov::key_context_bytes(&n)),
            _ => hash,
        };
        let Some(v) = value else {
            set_last_error(CRYPT_E_NOT_FOUND);
            return false;
        };
        // SAFETY: the caller's DWORD.
        let have = unsafe { pcbData.read_unaligned() } as usize;
        // SAFETY: as above.
        unsafe { pcbData.write_unaligned(v.len() as DWORD) };
        if pvData.is_null() {
            return true;
        }
        if have < v.len() {
            set_last_error(ERROR_MORE_DATA);
            return false;
        }
        // SAFETY: the caller's buffer holds `have` >= v.len() bytes.
        unsafe { core::ptr::copy_nonoverlapping(v.as_ptr(), pvData as *mut u8, v.len()) };
        true
    })
}

/// Sets a property. CERT_KEY_PROV_INFO_PROP_ID (pvData a CRYPT_KEY_PROV_INFO: its
/// pwszContainerName names the key container) and CERT_KEY_CONTEXT_PROP_ID (pvData a
/// CERT_KEY_CONTEXT whose hCryptProv came from CertGetCertificateContextProperty): the
/// certificate's private key is then the container's, which Schannel's
/// AcquireCredentialsHandle uses; a container without a key leaves the certificate without one
/// (SEC_E_NO_CREDENTIALS there). Containers are the keys PFXImportCertStore imported in this
/// process and those of `$SECUR32_CERT_STORE_DIR/MY`'s PKCS#12 files, named "secur32-" and the
/// certificate's SHA-1 thumbprint in hex. NULL pvData removes the property. Other properties →
/// FALSE with ERROR_NOT_SUPPORTED; a context not from this library → FALSE with E_INVALIDARG.
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn CertSetCertificateContextProperty(
    pCertContext: PCCERT_CONTEXT,
    dwPropId: DWORD,
    dwFlags: DWORD,
    pvData: *const c_void,
) -> BOOL {
    let _ = dwFlags;
    guard_bool(|| {
        let name = match dwPropId {
            _ if pvData.is_null() => None,
            CERT_KEY_PROV_INFO_PROP_ID => {
                // SAFETY: the caller's CRYPT_KEY_PROV_INFO.
                let info = unsafe {
                    (pvData as *const super::crypt32_keyprov::CRYPT_KEY_PROV_INFO).read_unaligned()
                };
                // SAFETY: its NUL-terminated container name (or NULL).
                unsafe { super::strings::w_str(info.pwszContainerName) }
                    .ok()
                    .flatten()
            }
            super::crypt32_keyprov::CERT_KEY_CONTEXT_PROP_ID => {
                // SAFETY: the caller's CERT_KEY_CONTEXT.
                let kc = unsafe {
                    (pvData as *const super::crypt32_keyprov::CERT_KEY_CONTEXT).read_unaligned()
                };
                super::crypt32_keyprov::name_for_handle(kc.hCryptProv)
            }
            _ => {
                set_last_error(super::crypt32_keyprov::ERROR_NOT_SUPPORTED);
                return false;
            }
        };
        if dwPropId != CERT_KEY_PROV_INFO_PROP_ID
            && dwPropId != super::crypt32_keyprov::CERT_KEY_CONTEXT_PROP_ID
        {
            set_last_error(super::crypt32_keyprov::ERROR_NOT_SUPPORTED);
            return false;
        }
        if with_cert(pCertContext, |b| *b.key_prov.lock() = name).is_none() {
            set_last_error(E_INVALIDARG);
            return false;
        }
        true
    })
}
