//! QueryContextAttributes for Schannel contexts: the SecPkgContext_* values as Windows fills
//! them, as typed [`Attribute`]s (src/ffi/attrs.rs writes the C structs), and the cipher-suite
//! table behind CONNECTION_INFO / CIPHER_INFO.

use super::*;

fn suite_info(suite: u16) -> (&'static str, &'static str, u32, u32, u32, u32, u32) {
    // (name, cipher, cipher bits, cipher ALG_ID, hash bits, hash ALG_ID, base suite)
    match suite {
        0x1301 => (
            "TLS_AES_128_GCM_SHA256",
            "AES",
            128,
            CALG_AES_128,
            256,
            CALG_SHA_256,
            0x1301,
        ),
        0x1302 => (
            "TLS_AES_256_GCM_SHA384",
            "AES",
            256,
            CALG_AES_256,
            384,
            CALG_SHA_384,
            0x1302,
        ),
        0x1303 => (
            "TLS_CHACHA20_POLY1305_SHA256",
            "CHACHA20_POLY1305",
            256,
            0,
            256,
            CALG_SHA_256,
            0x1303,
        ),
        0xC02B => (
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "AES",
            128,
            CALG_AES_128,
            256,
            CALG_SHA_256,
            0x9C,
        ),
        0xC02C => (
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "AES",
            256,
            CALG_AES_256,
            384,
            CALG_SHA_384,
            0x9D,
        ),
        0xC02F => (
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "AES",
            128,
            CALG_AES_128,
            256,
            CALG_SHA_256,
            0x9C,
        ),
        0xC030 => (
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "AES",
            256,
            CALG_AES_256,
            384,
            CALG_SHA_384,
            0x9D,
        ),
        0xCCA8 => (
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "CHACHA20_POLY1305",
            256,
            0,
            256,
            CALG_SHA_256,
            0xCCA8,
        ),
        0xCCA9 => (
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "CHACHA20_POLY1305",
            256,
            0,
            256,
            CALG_SHA_256,
            0xCCA9,
        ),
        _ => ("", "", 0, 0, 0, 0, 0),
    }
}

impl SchannelContext {
    /// QueryContextAttributes(attr) once the handshake has settled; SEC_E_UNSUPPORTED_FUNCTION for
    /// attributes Schannel does not answer.
    pub(super) fn attribute(&self, attr: u32) -> SecResult<Attribute> {
        let proto = |v: Version| match (v, self.server) {
            (Version::Tls12, false) => SP_PROT_TLS1_2_CLIENT,
            (Version::Tls12, true) => SP_PROT_TLS1_2_SERVER,
            (Version::Tls13, false) => SP_PROT_TLS1_3_CLIENT,
            (Version::Tls13, true) => SP_PROT_TLS1_3_SERVER,
        };
        match attr {
            SECPKG_ATTR_STREAM_SIZES => {
                let i = self.established()?;
                Ok(Attribute::StreamSizes {
                    header: i.header as u32,
                    trailer: i.trailer as u32,
                    maximum_message: record::MAX_PLAINTEXT as u32,
                    buffers: 4,
                    block_size: 1,
                })
            }
            SECPKG_ATTR_SIZES => {
                let i = self.established()?;
                Ok(Attribute::Sizes {
                    max_token: INFO.max_token,
                    max_signature: 0,
                    block_size: 1,
                    security_trailer: i.trailer as u32,
                })
            }
            SECPKG_ATTR_PACKAGE_INFO => Ok(Attribute::PackageInfo(self.cred.info)),
            SECPKG_ATTR_NEGOTIATION_INFO => Err(Error::UnsupportedFunction),
            SECPKG_ATTR_CONNECTION_INFO => {
                let i = self.established()?;
                let (_, _, bits, alg, _, halg, _) = suite_info(i.suite);
                // Every suite here is AEAD: no separate MAC, so dwHashStrength is 0 as Windows
                // reports it (aiHash still names the suite's PRF hash).
                Ok(Attribute::ConnectionInfo {
                    protocol: proto(i.version),
                    cipher: alg,
                    cipher_strength: bits,
                    hash: halg,
                    hash_strength: 0,
                    exch: CALG_ECDH_EPHEM,
                    exch_strength: 256,
                })
            }
            SECPKG_ATTR_CIPHER_INFO => {
                let i = self.established()?;
                let (name, cipher, bits, _, _, _, _) = suite_info(i.suite);
                let cert_kind = i
                    .peer_certs
                    .first()
                    .or(i.local_cert.as_ref())
                    .map(|c| cert_key_kind(c))
                    .unwrap_or("");
                // As Windows fills it: dwProtocol is the wire version (0x0303, 0x0304),
                // dwCipherSuite and dwBaseCipherSuite the IANA number, no hash for AEAD
                // suites, exchange "ECDH" (255 to 521 bits), dwKeyType the named group.
                Ok(Attribute::CipherInfo {
                    protocol: i.version.wire() as u32,
                    cipher_suite: i.suite as u32,
                    base_cipher_suite: i.suite as u32,
                    cipher_suite_name: name,
                    cipher,
                    cipher_len: bits,
                    cipher_block_len: 16,
                    hash: "",
                    hash_len: 0,
                    exchange: "ECDH",
                    min_exchange_len: 255,
                    max_exchange_len: 521,
                    certificate: cert_kind,
                    key_type: i.group as u32,
                })
            }
            SECPKG_ATTR_KEY_INFO => {
                let i = self.established()?;
                let (_, cipher, bits, alg, _, _, _) = suite_info(i.suite);
                let server_cert = if self.server {
                    i.local_cert.as_ref()
                } else {
                    i.peer_certs.first()
                };
                let ecdsa = server_cert.is_some_and(|c| cert_key_kind(c) == "ECDSA");
                Ok(Attribute::KeyInfo {
                    signature_algorithm_name: if ecdsa { "ECDSA" } else { "RSA" },
                    encrypt_algorithm_name: cipher,
                    key_size: bits,
                    signature_algorithm: if ecdsa { CALG_ECDSA } else { CALG_RSA_SIGN },
                    encrypt_algorithm: alg,
                })
            }
            SECPKG_ATTR_SESSION_INFO => {
                let i = self.established()?;
                let flags = if i.resumed { SSL_SESSION_RECONNECT } else { 0 };
                Ok(Attribute::SessionInfo { flags })
            }
            SECPKG_ATTR_APPLICATION_PROTOCOL => {
                let i = self.established()?;
                Ok(match &i.alpn {
                    Some(p) => Attribute::ApplicationProtocol {
                        status: SecApplicationProtocolNegotiationStatus_Success,
                        ext: SecApplicationProtocolNegotiationExt_ALPN,
                        protocol: p.clone(),
                    },
                    None => Attribute::ApplicationProtocol {
                        status: SecApplicationProtocolNegotiationStatus_None,
                        ext: SecApplicationProtocolNegotiationExt_None,
                        protocol: Vec::new(),
                    },
                })
            }
            SECPKG_ATTR_REMOTE_CERT_CONTEXT => {
                let i = self.established()?;
                if i.peer_certs.is_empty() {
                    return Err(Error::NoCredentials);
                }
                Ok(Attribute::CertContext(i.peer_certs.clone()))
            }
            SECPKG_ATTR_LOCAL_CERT_CONTEXT => {
                let i = self.established()?;
                let c = i.local_cert.clone().ok_or(Error::NoCredentials)?;
                Ok(Attribute::CertContext(vec![c]))
            }
            SECPKG_ATTR_ENDPOINT_BINDINGS => {
                let i = self.established()?;
                let cert = if self.server {
                    i.local_cert.as_ref()
                } else {
                    i.peer_certs.first()
                };
                let cert = cert.ok_or(Error::NoCredentials)?;
                let mut v = b"tls-server-end-point:".to_vec();
                v.extend_from_slice(&endpoint_hash(cert));
                Ok(Attribute::Bindings(v))
            }
            SECPKG_ATTR_UNIQUE_BINDINGS => {
                let i = self.established()?;
                let u = i.unique.as_ref().ok_or(Error::UnsupportedFunction)?;
                let mut v = b"tls-unique:".to_vec();
                v.extend_from_slice(u);
                Ok(Attribute::Bindings(v))
            }
            _ => Err(Error::UnsupportedFunction),
        }
    }
}

/// "RSA" or "ECDSA" from the certificate's public key algorithm.
fn cert_key_kind(der: &[u8]) -> &'static str {
    // id-ecPublicKey 1.2.840.10045.2.1
    const EC: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    if der.windows(EC.len()).any(|w| w == EC) {
        "ECDSA"
    } else {
        "RSA"
    }
}

/// RFC 5929 tls-server-end-point hash: the certificate's signature hash, SHA-256 for MD5,
/// SHA-1 and unknown.
fn endpoint_hash(der: &[u8]) -> Vec<u8> {
    use x509_parser::prelude::*;
    let alg = match X509Certificate::from_der(der) {
        Ok((_, c)) => match c.signature_algorithm.algorithm.to_id_string().as_str() {
            "1.2.840.113549.1.1.12" | "1.2.840.10045.4.3.3" => &ring::digest::SHA384,
            "1.2.840.113549.1.1.13" | "1.2.840.10045.4.3.4" => &ring::digest::SHA512,
            _ => &ring::digest::SHA256,
        },
        Err(_) => &ring::digest::SHA256,
    };
    ring::digest::digest(alg, der).as_ref().to_vec()
}
