//! Writes package `Attribute` values and SecPkgInfo into the caller's C structs (A or W).

use super::schannel::{
    SecPkgContext_CipherInfo, SecPkgContext_ConnectionInfo, SecPkgContext_SessionInfo,
    SecPkgCred_CipherStrengths, SecPkgCred_SupportedProtocols, SECPKGCONTEXT_CIPHERINFO_V1,
    SZ_ALG_MAX_SIZE,
};
use super::strings::{alloc_string, encode_into, encoded_len, Charset};
use super::types::*;
use crate::buffers::{alloc_context_buffer, alloc_copy, free_context_buffer};
use crate::package::{Attribute, PackageInfo};
use crate::status::{Error, SecResult};
use core::ffi::c_void;
use core::mem::size_of;

/// Allocates `infos` as one SecPkgInfoA/W array followed by its strings; one FreeContextBuffer
/// releases all of it.
pub fn alloc_pkg_infos(infos: &[&'static PackageInfo], cs: Charset) -> SecResult<*mut c_void> {
    // SecPkgInfoA and SecPkgInfoW have the same layout (two string pointers).
    let head = size_of::<SecPkgInfoW>() * infos.len();
    let strings: usize = infos
        .iter()
        .map(|i| encoded_len(i.name, cs) + encoded_len(i.comment, cs))
        .sum();
    let base = alloc_context_buffer(head + strings).ok_or(Error::InsufficientMemory)?;
    let mut off = head;
    for (k, info) in infos.iter().enumerate() {
        // SAFETY: base holds head + strings bytes; each string fits in its reserved place.
        unsafe {
            let name = base.add(off);
            off += encode_into(name, info.name, cs);
            let comment = base.add(off);
            off += encode_into(comment, info.comment, cs);
            let entry = SecPkgInfoW {
                fCapabilities: info.capabilities,
                wVersion: info.version,
                wRPCID: info.rpc_id,
                cbMaxToken: info.max_token,
                Name: name as *mut SEC_WCHAR,
                Comment: comment as *mut SEC_WCHAR,
            };
            (base as *mut SecPkgInfoW).add(k).write(entry);
        }
    }
    Ok(base as *mut c_void)
}

/// Size of the C struct an attribute value fills (for the Ex functions' cbBuffer check).
pub fn struct_size(value: &Attribute) -> usize {
    match value {
        Attribute::Sizes { .. } => size_of::<SecPkgContext_Sizes>(),
        Attribute::StreamSizes { .. } => size_of::<SecPkgContext_StreamSizes>(),
        Attribute::Names(_) | Attribute::Authority(_) | Attribute::ClientSpecifiedTarget(_) => {
            size_of::<*mut c_void>()
        }
        Attribute::PackageInfo(_) => size_of::<*mut c_void>(),
        Attribute::Lifespan { .. } => size_of::<SecPkgContext_Lifespan>(),
        Attribute::DceInfo { .. } => size_of::<SecPkgContext_DceInfo>(),
        Attribute::KeyInfo { .. } => size_of::<SecPkgContext_KeyInfoW>(),
        Attribute::SessionKey(_) => size_of::<SecPkgContext_SessionKey>(),
        Attribute::NegotiationInfo { .. } => size_of::<SecPkgContext_NegotiationInfoW>(),
        Attribute::NativeNames { .. } => size_of::<SecPkgContext_NativeNamesW>(),
        Attribute::Flags(_) => size_of::<SecPkgContext_Flags>(),
        Attribute::PasswordExpiry(_) => size_of::<SecPkgContext_PasswordExpiry>(),
        Attribute::Bindings(_) => size_of::<SecPkgContext_Bindings>(),
        Attribute::ApplicationProtocol { .. } => 4 + 4 + 1 + 255,
        Attribute::ConnectionInfo { .. } => size_of::<SecPkgContext_ConnectionInfo>(),
        Attribute::CipherInfo { .. } => size_of::<SecPkgContext_CipherInfo>(),
        Attribute::SessionInfo { .. } => size_of::<SecPkgContext_SessionInfo>(),
        Attribute::SupportedProtocols(_) => size_of::<SecPkgCred_SupportedProtocols>(),
        Attribute::CipherStrengths { .. } => size_of::<SecPkgCred_CipherStrengths>(),
        Attribute::AlgList(_) => 2 * size_of::<*mut c_void>(),
        Attribute::CertContext(_) => size_of::<*mut c_void>(),
    }
}

fn ts(v: i64) -> TimeStamp {
    TimeStamp { QuadPart: v }
}

/// A WCHAR[SZ_ALG_MAX_SIZE] field of SecPkgContext_CipherInfo: `s` as UTF-16, cut to 63
/// units so the array stays NUL-terminated, the rest zero.
fn alg_name(s: &str) -> [SEC_WCHAR; SZ_ALG_MAX_SIZE] {
    let mut w = [0; SZ_ALG_MAX_SIZE];
    for (d, c) in w.iter_mut().take(SZ_ALG_MAX_SIZE - 1).zip(s.encode_utf16()) {
        *d = c;
    }
    w
}

/// Frees what was allocated so far when a later allocation fails.
struct Allocs(Vec<*mut c_void>);
impl Allocs {
    fn keep(&mut self, p: *mut c_void) -> *mut c_void {
        self.0.push(p);
        p
    }
    fn string(&mut self, s: &str, cs: Charset) -> SecResult<*mut c_void> {
        Ok(self.keep(alloc_string(s, cs)?))
    }
    fn done(mut self) {
        self.0.clear();
    }
}
impl Drop for Allocs {
    fn drop(&mut self) {
        for p in self.0.drain(..) {
            free_context_buffer(p);
        }
    }
}

/// Writes `value` into `out`.
///
/// # Safety
/// `out` points to a writable struct of the type the attribute id documents (at least
/// `struct_size(&value)` bytes).
pub unsafe fn write_attribute(value: Attribute, out: *mut c_void, cs: Charset) -> SecResult<()> {
    let mut a = Allocs(Vec::new());
    // SAFETY: `out` is the caller's struct of the documented type; the A and W
    // structs share one layout, so writing the W form serves both.
    unsafe {
        match value {
            Attribute::Sizes {
                max_token,
                max_signature,
                block_size,
                security_trailer,
            } => (out as *mut SecPkgContext_Sizes).write_unaligned(SecPkgContext_Sizes {
                cbMaxToken: max_token,
                cbMaxSignature: max_signature,
                cbBlockSize: block_size,
                cbSecurityTrailer: security_trailer,
            }),
            Attribute::StreamSizes {
                header,
                trailer,
                maximum_message,
                buffers,
                block_size,
            } => {
                (out as *mut SecPkgContext_StreamSizes).write_unaligned(SecPkgContext_StreamSizes {
                    cbHeader: header,
                    cbTrailer: trailer,
                    cbMaximumMessage: maximum_message,
                    cBuffers: buffers,
                    cbBlockSize: block_size,
                })
            }
            Attribute::Names(s) | Attribute::Authority(s) | Attribute::ClientSpecifiedTarget(s) => {
                (out as *mut *mut c_void).write_unaligned(a.string(&s, cs)?)
            }
            Attribute::Lifespan { start, expiry } => (out as *mut SecPkgContext_Lifespan)
                .write_unaligned(SecPkgContext_Lifespan {
                    tsStart: ts(start),
                    tsExpiry: ts(expiry),
                }),
            Attribute::DceInfo { authz_svc } => (out as *mut SecPkgContext_DceInfo)
                .write_unaligned(SecPkgContext_DceInfo {
                    AuthzSvc: authz_svc,
                    pPac: core::ptr::null_mut(),
                }),
            Attribute::KeyInfo {
                signature_algorithm_name,
                encrypt_algorithm_name,
                key_size,
                signature_algorithm,
                encrypt_algorithm,
            } => {
                let s = a.string(signature_algorithm_name, cs)?;
                let e = a.string(encrypt_algorithm_name, cs)?;
                (out as *mut SecPkgContext_KeyInfoW).write_unaligned(SecPkgContext_KeyInfoW {
                    sSignatureAlgorithmName: s as *mut SEC_WCHAR,
                    sEncryptAlgorithmName: e as *mut SEC_WCHAR,
                    KeySize: key_size,
                    SignatureAlgorithm: signature_algorithm,
                    EncryptAlgorithm: encrypt_algorithm,
                })
            }
            Attribute::SessionKey(key) => {
                let p = a.keep(alloc_copy(&key).ok_or(Error::InsufficientMemory)? as *mut c_void);
                (out as *mut SecPkgContext_SessionKey).write_unaligned(SecPkgContext_SessionKey {
                    SessionKeyLength: key.len() as ULONG,
                    SessionKey: p as *mut UCHAR,
                })
            }
            Attribute::PackageInfo(info) => {
                let p = a.keep(alloc_pkg_infos(&[info], cs)?);
                (out as *mut *mut c_void).write_unaligned(p)
            }
            Attribute::NegotiationInfo { package, state } => {
                let p = a.keep(alloc_pkg_infos(&[package], cs)?);
                (out as *mut SecPkgContext_NegotiationInfoW).write_unaligned(
                    SecPkgContext_NegotiationInfoW {
                        PackageInfo: p as PSecPkgInfoW,
                        NegotiationState: state,
                    },
                )
            }
            Attribute::NativeNames { client, server } => {
                let c = a.string(&client, cs)?;
                let s = a.string(&server, cs)?;
                (out as *mut SecPkgContext_NativeNamesW).write_unaligned(
                    SecPkgContext_NativeNamesW {
                        sClientName: c as *mut SEC_WCHAR,
                        sServerName: s as *mut SEC_WCHAR,
                    },
                )
            }
            Attribute::Flags(f) => {
                (out as *mut SecPkgContext_Flags).write_unaligned(SecPkgContext_Flags { Flags: f })
            }
            Attribute::PasswordExpiry(t) => (out as *mut SecPkgContext_PasswordExpiry)
                .write_unaligned(SecPkgContext_PasswordExpiry {
                    tsPasswordExpires: ts(t),
                }),
            Attribute::Bindings(data) => {
                let head = size_of::<SEC_CHANNEL_BINDINGS>();
                let total = head + data.len();
                let p = a.keep(
                    alloc_context_buffer(total).ok_or(Error::InsufficientMemory)? as *mut c_void,
                );
                (p as *mut SEC_CHANNEL_BINDINGS).write_unaligned(SEC_CHANNEL_BINDINGS {
                    cbApplicationDataLength: data.len() as ULONG,
                    dwApplicationDataOffset: head as ULONG,
                    ..Default::default()
                });
                core::ptr::copy_nonoverlapping(data.as_ptr(), (p as *mut u8).add(head), data.len());
                (out as *mut SecPkgContext_Bindings).write_unaligned(SecPkgContext_Bindings {
                    BindingsLength: total as ULONG,
                    Bindings: p as *mut SEC_CHANNEL_BINDINGS,
                })
            }
            Attribute::ApplicationProtocol {
                status,
                ext,
                protocol,
            } => {
                let o = out as *mut u8;
                (o as *mut u32).write_unaligned(status);
                (o.add(4) as *mut u32).write_unaligned(ext);
                let n = protocol.len().min(255);
                *o.add(8) = n as u8;
                core::ptr::write_bytes(o.add(9), 0, 255);
                core::ptr::copy_nonoverlapping(protocol.as_ptr(), o.add(9), n);
            }
            Attribute::ConnectionInfo {
                protocol,
                cipher,
                cipher_strength,
                hash,
                hash_strength,
                exch,
                exch_strength,
            } => (out as *mut SecPkgContext_ConnectionInfo).write_unaligned(
                SecPkgContext_ConnectionInfo {
                    dwProtocol: protocol,
                    aiCipher: cipher,
                    dwCipherStrength: cipher_strength,
                    aiHash: hash,
                    dwHashStrength: hash_strength,
                    aiExch: exch,
                    dwExchStrength: exch_strength,
                },
            ),
            Attribute::CipherInfo {
                protocol,
                cipher_suite,
                base_cipher_suite,
                cipher_suite_name,
                cipher,
                cipher_len,
                cipher_block_len,
                hash,
                hash_len,
                exchange,
                min_exchange_len,
                max_exchange_len,
                certificate,
                key_type,
            } => (out as *mut SecPkgContext_CipherInfo).write_unaligned(SecPkgContext_CipherInfo {
                dwVersion: SECPKGCONTEXT_CIPHERINFO_V1,
                dwProtocol: protocol,
                dwCipherSuite: cipher_suite,
                dwBaseCipherSuite: base_cipher_suite,
                szCipherSuite: alg_name(cipher_suite_name),
                szCipher: alg_name(cipher),
                dwCipherLen: cipher_len,
                dwCipherBlockLen: cipher_block_len,
                szHash: alg_name(hash),
                dwHashLen: hash_len,
                szExchange: alg_name(exchange),
                dwMinExchangeLen: min_exchange_len,
                dwMaxExchangeLen: max_exchange_len,
                szCertificate: alg_name(certificate),
                dwKeyType: key_type,
            }),
            Attribute::SessionInfo { flags } => (out as *mut SecPkgContext_SessionInfo)
                .write_unaligned(SecPkgContext_SessionInfo {
                    dwFlags: flags,
                    cbSessionId: 0,
                    rgbSessionId: [0; 32],
                }),
            Attribute::SupportedProtocols(grbit) => (out as *mut SecPkgCred_SupportedProtocols)
                .write_unaligned(SecPkgCred_SupportedProtocols {
                    grbitProtocol: grbit,
                }),
            Attribute::CipherStrengths { minimum, maximum } => (out
                as *mut SecPkgCred_CipherStrengths)
                .write_unaligned(SecPkgCred_CipherStrengths {
                    dwMinimumCipherStrength: minimum,
                    dwMaximumCipherStrength: maximum,
                }),
            Attribute::AlgList(algs) => {
                // SecPkgCred_SupportedAlgs { DWORD cSupportedAlgs; ALG_ID *palgSupportedAlgs; }
                let bytes: Vec<u8> = algs.iter().flat_map(|a| a.to_ne_bytes()).collect();
                let p = a.keep(
                    crate::buffers::alloc_copy(&bytes).ok_or(Error::InsufficientMemory)?
                        as *mut c_void,
                );
                let o = out as *mut u8;
                (o as *mut u32).write_unaligned(algs.len() as u32);
                (o.add(size_of::<*mut c_void>()) as *mut *mut c_void).write_unaligned(p);
            }
            Attribute::CertContext(chain) => {
                // A new context the caller frees with CertFreeCertificateContext.
                let c = super::certs::context_for_chain(&chain).ok_or(Error::InternalError)?;
                (out as *mut *const c_void).write_unaligned(c as *const c_void)
            }
        }
    }
    a.done();
    Ok(())
}
