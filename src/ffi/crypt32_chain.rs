//! Certificate chains (wincrypt.h): CertGetCertificateChain, CertFreeCertificateChain and
//! CertVerifyCertificateChainPolicy (base and SSL policies), the calls Windows code makes to
//! check a server certificate itself after SCH_CRED_MANUAL_CRED_VALIDATION. Part of
//! include/wincrypt.h. Chains are built with webpki against the trusted roots Schannel uses;
//! no revocation checks; hChainEngine must be NULL (the default engine).

use super::crypt32::{
    cert_der_and_chain, new_context, release_cert, store_certs, HCERTSTORE, LPCSTR, PCCERT_CONTEXT,
};
use super::types::{BOOL, DWORD, LONG, SEC_WCHAR};
use core::ffi::c_void;
use parking_lot::Mutex;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

pub type HCERTCHAINENGINE = *mut c_void;

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct CERT_TRUST_STATUS {
    pub dwErrorStatus: DWORD,
    pub dwInfoStatus: DWORD,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CERT_CHAIN_ELEMENT {
    pub cbSize: DWORD,
    pub pCertContext: PCCERT_CONTEXT,
    pub TrustStatus: CERT_TRUST_STATUS,
    pub pRevocationInfo: *mut c_void,
    pub pIssuanceUsage: *mut c_void,
    pub pApplicationUsage: *mut c_void,
    pub pwszExtendedErrorInfo: *const SEC_WCHAR,
}
pub type PCERT_CHAIN_ELEMENT = *mut CERT_CHAIN_ELEMENT;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CERT_SIMPLE_CHAIN {
    pub cbSize: DWORD,
    pub TrustStatus: CERT_TRUST_STATUS,
    pub cElement: DWORD,
    pub rgpElement: *mut PCERT_CHAIN_ELEMENT,
    pub pTrustListInfo: *mut c_void,
    pub fHasRevocationFreshnessTime: BOOL,
    pub dwRevocationFreshnessTime: DWORD,
}
pub type PCERT_SIMPLE_CHAIN = *mut CERT_SIMPLE_CHAIN;

/// GUID (guiddef.h).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct GUID {
    pub Data1: u32,
    pub Data2: u16,
    pub Data3: u16,
    pub Data4: [u8; 8],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CERT_CHAIN_CONTEXT {
    pub cbSize: DWORD,
    pub TrustStatus: CERT_TRUST_STATUS,
    pub cChain: DWORD,
    pub rgpChain: *mut PCERT_SIMPLE_CHAIN,
    pub cLowerQualityChainContext: DWORD,
    pub rgpLowerQualityChainContext: *mut *const CERT_CHAIN_CONTEXT,
    pub fHasRevocationFreshnessTime: BOOL,
    pub dwRevocationFreshnessTime: DWORD,
    pub dwCreateFlags: DWORD,
    pub ChainId: GUID,
}
pub type PCCERT_CHAIN_CONTEXT = *const CERT_CHAIN_CONTEXT;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CERT_ENHKEY_USAGE {
    pub cUsageIdentifier: DWORD,
    pub rgpszUsageIdentifier: *mut *mut core::ffi::c_char,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CERT_USAGE_MATCH {
    pub dwType: DWORD,
    pub Usage: CERT_ENHKEY_USAGE,
}

/// CERT_CHAIN_PARA: only cbSize and RequestedUsage are read (and ignored: server
/// authentication usage is checked when the certificate names usages).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct CERT_CHAIN_PARA {
    pub cbSize: DWORD,
    pub RequestedUsage: CERT_USAGE_MATCH,
}
pub type PCERT_CHAIN_PARA = *mut CERT_CHAIN_PARA;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CERT_CHAIN_POLICY_PARA {
    pub cbSize: DWORD,
    pub dwFlags: DWORD,
    pub pvExtraPolicyPara: *mut c_void,
}
pub type PCERT_CHAIN_POLICY_PARA = *mut CERT_CHAIN_POLICY_PARA;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CERT_CHAIN_POLICY_STATUS {
    pub cbSize: DWORD,
    pub dwError: DWORD,
    pub lChainIndex: LONG,
    pub lElementIndex: LONG,
    pub pvExtraPolicyStatus: *mut c_void,
}
pub type PCERT_CHAIN_POLICY_STATUS = *mut CERT_CHAIN_POLICY_STATUS;

/// SSL_EXTRA_CERT_CHAIN_POLICY_PARA (HTTPSPolicyCallbackData); cbSize is also named
/// cbStruct on Windows.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SSL_EXTRA_CERT_CHAIN_POLICY_PARA {
    pub cbSize: DWORD,
    pub dwAuthType: DWORD,
    pub fdwChecks: DWORD,
    pub pwszServerName: *mut SEC_WCHAR,
}

pub const USAGE_MATCH_TYPE_AND: DWORD = 0;
pub const USAGE_MATCH_TYPE_OR: DWORD = 1;

pub const CERT_TRUST_NO_ERROR: DWORD = 0x0;
pub const CERT_TRUST_IS_NOT_TIME_VALID: DWORD = 0x1;
pub const CERT_TRUST_IS_REVOKED: DWORD = 0x4;
pub const CERT_TRUST_IS_NOT_SIGNATURE_VALID: DWORD = 0x8;
pub const CERT_TRUST_IS_NOT_VALID_FOR_USAGE: DWORD = 0x10;
pub const CERT_TRUST_IS_UNTRUSTED_ROOT: DWORD = 0x20;
pub const CERT_TRUST_REVOCATION_STATUS_UNKNOWN: DWORD = 0x40;
pub const CERT_TRUST_IS_PARTIAL_CHAIN: DWORD = 0x10000;
pub const CERT_TRUST_HAS_EXACT_MATCH_ISSUER: DWORD = 0x1;
pub const CERT_TRUST_HAS_NAME_MATCH_ISSUER: DWORD = 0x4;
pub const CERT_TRUST_IS_SELF_SIGNED: DWORD = 0x8;

pub const AUTHTYPE_CLIENT: DWORD = 1;
pub const AUTHTYPE_SERVER: DWORD = 2;

pub const CERT_CHAIN_POLICY_IGNORE_NOT_TIME_VALID_FLAG: DWORD = 0x1;
/// wincrypt.h: 0x20 (0x8 is CERT_CHAIN_POLICY_IGNORE_INVALID_BASIC_CONSTRAINTS_FLAG).
pub const CERT_CHAIN_POLICY_IGNORE_WRONG_USAGE_FLAG: DWORD = 0x20;
pub const CERT_CHAIN_POLICY_ALLOW_UNKNOWN_CA_FLAG: DWORD = 0x10;

pub const SECURITY_FLAG_IGNORE_UNKNOWN_CA: DWORD = 0x100;
pub const SECURITY_FLAG_IGNORE_WRONG_USAGE: DWORD = 0x200;
pub const SECURITY_FLAG_IGNORE_CERT_CN_INVALID: DWORD = 0x1000;
pub const SECURITY_FLAG_IGNORE_CERT_DATE_INVALID: DWORD = 0x2000;

pub const CERT_E_EXPIRED: DWORD = 0x800B0101;
pub const CERT_E_UNTRUSTEDROOT: DWORD = 0x800B0109;
pub const CERT_E_CHAINING: DWORD = 0x800B010A;
pub const CERT_E_CN_NO_MATCH: DWORD = 0x800B010F;
pub const CERT_E_WRONG_USAGE: DWORD = 0x800B0110;
pub const TRUST_E_CERT_SIGNATURE: DWORD = 0x80096004;

// Policy OIDs: (LPCSTR) integers, defined in the header by build.rs.
const CERT_CHAIN_POLICY_BASE: usize = 1;
const CERT_CHAIN_POLICY_SSL: usize = 4;

const TRUE: BOOL = 1;
const FALSE: BOOL = 0;

/// A chain context and what its pointers point to.
#[repr(C)]
struct ChainBlock {
    ctx: CERT_CHAIN_CONTEXT,
    simple: CERT_SIMPLE_CHAIN,
    simple_ptr: [PCERT_SIMPLE_CHAIN; 1],
    elements: Vec<CERT_CHAIN_ELEMENT>,
    element_ptrs: Vec<PCERT_CHAIN_ELEMENT>,
    /// The leaf's DER, for the SSL policy's name check.
    leaf: Vec<u8>,
}

fn live_chains() -> &'static Mutex<HashSet<usize>> {
    static S: OnceLock<Mutex<HashSet<usize>>> = OnceLock::new();
    S.get_or_init(|| Mutex::new(HashSet::new()))
}

fn is_self_signed(der: &[u8]) -> bool {
    use x509_parser::prelude::*;
    X509Certificate::from_der(der)
        .map(|(_, c)| c.subject().as_raw() == c.issuer().as_raw())
        .unwrap_or(false)
}

/// The chain of `leaf` (DER chain leaf first, error bits) against the trusted roots.
fn build(leaf: &[u8], extra: &[Vec<u8>], now: UnixTime) -> (Vec<Vec<u8>>, DWORD) {
    let roots = crate::packages::schannel::trusted_root_ders();
    let anchors: Vec<_> = roots
        .iter()
        .filter_map(|r| {
            webpki::anchor_from_trusted_cert(&CertificateDer::from(r.as_slice()))
                .ok()
                .map(|a| (a.to_owned(), r))
        })
        .collect();
    let ta: Vec<_> = anchors.iter().map(|(a, _)| a.clone()).collect();
    let inter: Vec<CertificateDer<'_>> = extra
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let leaf_der = CertificateDer::from(leaf);
    let fallback = || {
        let mut chain = vec![leaf.to_vec()];
        chain.extend(extra.iter().cloned());
        chain
    };
    // A trusted root presented as the certificate itself (self-signed, installed as a root).
    if roots.iter().any(|r| r.as_slice() == leaf) {
        return (vec![leaf.to_vec()], 0);
    }
    let Ok(ee) = webpki::EndEntityCert::try_from(&leaf_der) else {
        return (fallback(), CERT_TRUST_IS_NOT_SIGNATURE_VALID);
    };
    match ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &ta,
        &inter,
        now,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    ) {
        Ok(path) => {
            let mut chain = vec![leaf.to_vec()];
            chain.extend(path.intermediate_certificates().map(|c| c.der().to_vec()));
            if let Some(i) = ta.iter().position(|a| core::ptr::eq(a, path.anchor())) {
                chain.push(anchors[i].1.clone());
            }
            (chain, 0)
        }
        Err(e) => {
            use webpki::Error as W;
            let bits = match e {
                W::CertExpired { .. } | W::CertNotValidYet { .. } => CERT_TRUST_IS_NOT_TIME_VALID,
                W::RequiredEkuNotFoundContext(_) => CERT_TRUST_IS_NOT_VALID_FOR_USAGE,
                W::InvalidSignatureForPublicKey => CERT_TRUST_IS_NOT_SIGNATURE_VALID,
                W::UnknownIssuer | W::CaUsedAsEndEntity => {
                    let last = extra.last().map(Vec::as_slice).unwrap_or(leaf);
                    if is_self_signed(last) {
                        CERT_TRUST_IS_UNTRUSTED_ROOT
                    } else {
                        CERT_TRUST_IS_PARTIAL_CHAIN
                    }
                }
                _ => CERT_TRUST_IS_PARTIAL_CHAIN,
            };
            (fallback(), bits)
        }
    }
}

/// Builds the chain of a certificate: `*ppChainContext` receives a chain context freed with
/// CertFreeCertificateChain. Intermediates come from the certificate's own store (the peer's
/// chain for SECPKG_ATTR_REMOTE_CERT_CONTEXT) and `hAdditionalStore`. The error bits are in
/// TrustStatus (FALSE only for bad arguments). `pTime` NULL: now.
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn CertGetCertificateChain(
    hChainEngine: HCERTCHAINENGINE,
    pCertContext: PCCERT_CONTEXT,
    pTime: *const super::crypt32::FILETIME,
    hAdditionalStore: HCERTSTORE,
    pChainPara: PCERT_CHAIN_PARA,
    dwFlags: DWORD,
    pvReserved: *mut c_void,
    ppChainContext: *mut PCCERT_CHAIN_CONTEXT,
) -> BOOL {
    let _ = (hChainEngine, pChainPara, dwFlags, pvReserved);
    let r = catch_unwind(AssertUnwindSafe(|| {
        if ppChainContext.is_null() {
            return FALSE;
        }
        let Some((leaf, mut extra)) = cert_der_and_chain(pCertContext) else {
            return FALSE;
        };
        if !hAdditionalStore.is_null() {
            extra.extend(store_certs(hAdditionalStore).unwrap_or_default());
        }
        let now = if pTime.is_null() {
            UnixTime::now()
        } else {
            // SAFETY: the caller's FILETIME.
            let ft = unsafe { pTime.read_unaligned() };
            let t = ((ft.dwHighDateTime as u64) << 32) | ft.dwLowDateTime as u64;
            UnixTime::since_unix_epoch(core::time::Duration::from_secs(
                (t / 10_000_000).saturating_sub(11_644_473_600),
            ))
        };
        let (chain, bits) = build(&leaf, &extra, now);
        let mut block = Box::new(ChainBlock {
            ctx: CERT_CHAIN_CONTEXT {
                cbSize: core::mem::size_of::<CERT_CHAIN_CONTEXT>() as DWORD,
                TrustStatus: CERT_TRUST_STATUS::default(),
                cChain: 1,
                rgpChain: core::ptr::null_mut(),
                cLowerQualityChainContext: 0,
                rgpLowerQualityChainContext: core::ptr::null_mut(),
                fHasRevocationFreshnessTime: FALSE,
                dwRevocationFreshnessTime: 0,
                dwCreateFlags: 0,
                ChainId: GUID::default(),
            },
            simple: CERT_SIMPLE_CHAIN {
                cbSize: core::mem::size_of::<CERT_SIMPLE_CHAIN>() as DWORD,
                TrustStatus: CERT_TRUST_STATUS::default(),
                cElement: 0,
                rgpElement: core::ptr::null_mut(),
                pTrustListInfo: core::ptr::null_mut(),
                fHasRevocationFreshnessTime: FALSE,
                dwRevocationFreshnessTime: 0,
            },
            simple_ptr: [core::ptr::null_mut()],
            elements: Vec::with_capacity(chain.len()),
            element_ptrs: Vec::with_capacity(chain.len()),
            leaf: leaf.clone(),
        });
        for (i, der) in chain.iter().enumerate() {
            let Some(c) = new_context(der) else {
                continue;
            };
            let mut status = CERT_TRUST_STATUS {
                dwErrorStatus: if i == 0 { bits } else { 0 },
                dwInfoStatus: CERT_TRUST_HAS_NAME_MATCH_ISSUER,
            };
            if is_self_signed(der) {
                status.dwInfoStatus |= CERT_TRUST_IS_SELF_SIGNED;
            }
            block.elements.push(CERT_CHAIN_ELEMENT {
                cbSize: core::mem::size_of::<CERT_CHAIN_ELEMENT>() as DWORD,
                pCertContext: c,
                TrustStatus: status,
                pRevocationInfo: core::ptr::null_mut(),
                pIssuanceUsage: core::ptr::null_mut(),
                pApplicationUsage: core::ptr::null_mut(),
                pwszExtendedErrorInfo: core::ptr::null(),
            });
        }
        let status = CERT_TRUST_STATUS {
            dwErrorStatus: bits,
            dwInfoStatus: 0,
        };
        let p = Box::into_raw(block);
        // SAFETY: p is the fresh, uniquely owned block; the pointers set here point into it
        // (the element Vec is not resized after this).
        unsafe {
            let b = &mut *p;
            let base = b.elements.as_mut_ptr();
            for i in 0..b.elements.len() {
                b.element_ptrs.push(base.add(i));
            }
            b.simple.TrustStatus = status;
            b.simple.cElement = b.elements.len() as DWORD;
            b.simple.rgpElement = b.element_ptrs.as_mut_ptr();
            b.simple_ptr[0] = core::ptr::addr_of_mut!(b.simple);
            b.ctx.TrustStatus = status;
            b.ctx.rgpChain = b.simple_ptr.as_mut_ptr();
        }
        live_chains().lock().insert(p as usize);
        // SAFETY: the caller's out-pointer, checked non-NULL.
        unsafe { ppChainContext.write_unaligned(p as PCCERT_CHAIN_CONTEXT) };
        TRUE
    }));
    r.unwrap_or(FALSE)
}

/// Frees a chain context from CertGetCertificateChain (NULL or unknown: nothing).
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn CertFreeCertificateChain(pChainContext: PCCERT_CHAIN_CONTEXT) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        if !live_chains().lock().remove(&(pChainContext as usize)) {
            return;
        }
        // SAFETY: removed from the live set: this call owns the block now.
        let b = unsafe { Box::from_raw(pChainContext as *mut ChainBlock) };
        for e in &b.elements {
            release_cert(e.pCertContext);
        }
    }));
}

/// Checks a chain against a policy: CERT_CHAIN_POLICY_BASE or CERT_CHAIN_POLICY_SSL (with
/// SSL_EXTRA_CERT_CHAIN_POLICY_PARA: the server name, AUTHTYPE_SERVER, SECURITY_FLAG_IGNORE_*).
/// The result is in `pPolicyStatus->dwError` (0, CERT_E_UNTRUSTEDROOT, CERT_E_CHAINING,
/// CERT_E_EXPIRED, CERT_E_CN_NO_MATCH, CERT_E_WRONG_USAGE, TRUST_E_CERT_SIGNATURE); FALSE
/// for an unknown policy or bad arguments.
#[cfg_attr(not(windows), no_mangle)]
pub unsafe extern "system" fn CertVerifyCertificateChainPolicy(
    pszPolicyOID: LPCSTR,
    pChainContext: PCCERT_CHAIN_CONTEXT,
    pPolicyPara: PCERT_CHAIN_POLICY_PARA,
    pPolicyStatus: PCERT_CHAIN_POLICY_STATUS,
) -> BOOL {
    let r = catch_unwind(AssertUnwindSafe(|| {
        let policy = pszPolicyOID as usize;
        if pPolicyStatus.is_null()
            || (policy != CERT_CHAIN_POLICY_BASE && policy != CERT_CHAIN_POLICY_SSL)
        {
            return FALSE;
        }
        let live = live_chains().lock();
        if !live.contains(&(pChainContext as usize)) {
            return FALSE;
        }
        // SAFETY: a live chain block (freed only after removal under this lock).
        let b = unsafe { &*(pChainContext as *const ChainBlock) };
        let (flags, extra) = if pPolicyPara.is_null() {
            (0, None)
        } else {
            // SAFETY: the caller's CERT_CHAIN_POLICY_PARA.
            let p = unsafe { pPolicyPara.read_unaligned() };
            let extra = if policy == CERT_CHAIN_POLICY_SSL && !p.pvExtraPolicyPara.is_null() {
                // SAFETY: for the SSL policy, pvExtraPolicyPara is SSL_EXTRA_CERT_CHAIN_POLICY_PARA.
                Some(unsafe {
                    (p.pvExtraPolicyPara as *const SSL_EXTRA_CERT_CHAIN_POLICY_PARA)
                        .read_unaligned()
                })
            } else {
                None
            };
            (p.dwFlags, extra)
        };
        let checks = extra.map_or(0, |e| e.fdwChecks);
        let mut bits = b.ctx.TrustStatus.dwErrorStatus;
        if flags & CERT_CHAIN_POLICY_ALLOW_UNKNOWN_CA_FLAG != 0
            || checks & SECURITY_FLAG_IGNORE_UNKNOWN_CA != 0
        {
            bits &= !(CERT_TRUST_IS_UNTRUSTED_ROOT | CERT_TRUST_IS_PARTIAL_CHAIN);
        }
        if flags & CERT_CHAIN_POLICY_IGNORE_NOT_TIME_VALID_FLAG != 0
            || checks & SECURITY_FLAG_IGNORE_CERT_DATE_INVALID != 0
        {
            bits &= !CERT_TRUST_IS_NOT_TIME_VALID;
        }
        if flags & CERT_CHAIN_POLICY_IGNORE_WRONG_USAGE_FLAG != 0
            || checks & SECURITY_FLAG_IGNORE_WRONG_USAGE != 0
        {
            bits &= !CERT_TRUST_IS_NOT_VALID_FOR_USAGE;
        }
        let mut error = if bits & CERT_TRUST_IS_NOT_SIGNATURE_VALID != 0 {
            TRUST_E_CERT_SIGNATURE
        } else if bits & CERT_TRUST_IS_UNTRUSTED_ROOT != 0 {
            CERT_E_UNTRUSTEDROOT
        } else if bits & CERT_TRUST_IS_PARTIAL_CHAIN != 0 {
            CERT_E_CHAINING
        } else if bits & CERT_TRUST_IS_NOT_TIME_VALID != 0 {
            CERT_E_EXPIRED
        } else if bits & CERT_TRUST_IS_NOT_VALID_FOR_USAGE != 0 {
            CERT_E_WRONG_USAGE
        } else {
            0
        };
        if let Some(e) = extra {
            let server = e.dwAuthType != AUTHTYPE_CLIENT;
            if error == 0
                && server
                && checks & SECURITY_FLAG_IGNORE_CERT_CN_INVALID == 0
                && !e.pwszServerName.is_null()
            {
                // SAFETY: the caller's NUL-terminated server name.
                let name = unsafe { super::strings::w_str(e.pwszServerName) }
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                let ok = ServerName::try_from(name.as_str()).ok().is_some_and(|n| {
                    let der = CertificateDer::from(b.leaf.as_slice());
                    webpki::EndEntityCert::try_from(&der)
                        .is_ok_and(|ee| ee.verify_is_valid_for_subject_name(&n).is_ok())
                });
                if !ok {
                    error = CERT_E_CN_NO_MATCH;
                }
            }
        }
        let status = CERT_CHAIN_POLICY_STATUS {
            // SAFETY: the caller's status struct.
            cbSize: unsafe { pPolicyStatus.read_unaligned() }.cbSize,
            dwError: error,
            lChainIndex: if error == 0 { -1 } else { 0 },
            lElementIndex: if error == 0 { -1 } else { 0 },
            pvExtraPolicyStatus: core::ptr::null_mut(),
        };
        // SAFETY: as above.
        unsafe { pPolicyStatus.write_unaligned(status) };
        TRUE
    }));
    r.unwrap_or(FALSE)
}
