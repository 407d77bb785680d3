//! Windows key and certificate formats Schannel credentials meet on Windows, as pure
//! functions (tested on every platform): CryptoAPI's RSA `PRIVATEKEYBLOB` → PKCS#8, and the
//! issuer chain of a leaf among a store's certificates.

use zeroize::Zeroizing;

/// `PRIVATEKEYBLOB` (`BLOBHEADER.bType`).
const PRIVATEKEYBLOB: u8 = 0x07;
/// `RSAPUBKEY.magic` of a private key: "RSA2".
const RSA2: u32 = 0x3241_5352;
/// DER of `AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }`.
const RSA_ALGORITHM_ID: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

fn der_len(out: &mut Vec<u8>, n: usize) {
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

fn der_tlv(out: &mut Vec<u8>, tag: u8, body: &[u8]) {
    out.push(tag);
    der_len(out, body.len());
    out.extend_from_slice(body);
}

/// A DER INTEGER from a little-endian unsigned magnitude (CryptoAPI's byte order).
fn der_uint_le(out: &mut Vec<u8>, le: &[u8]) {
    let mut be: Zeroizing<Vec<u8>> = Zeroizing::new(le.iter().rev().copied().collect());
    let lead = be.iter().take_while(|&&b| b == 0).count();
    let keep_one = lead.min(be.len().saturating_sub(1));
    be.drain(..keep_one);
    if be.is_empty() {
        be.push(0);
    }
    if be[0] & 0x80 != 0 {
        be.insert(0, 0);
    }
    der_tlv(out, 0x02, &be);
}

/// Converts an RSA `PRIVATEKEYBLOB` (CryptExportKey; `BLOBHEADER`, `RSAPUBKEY` "RSA2", then
/// modulus, prime1, prime2, exponent1, exponent2, coefficient, privateExponent, little-endian,
/// as [MS-CryptoAPI "Private Key BLOBs"] lays them out) into a PKCS#8 `PrivateKeyInfo` holding
/// a PKCS#1 `RSAPrivateKey` (RFC 5208, RFC 8017 A.1.2). None when the blob is not one.
pub fn rsa_privatekeyblob_to_pkcs8(blob: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let u32_at = |o: usize| -> Option<u32> {
        Some(u32::from_le_bytes(blob.get(o..o + 4)?.try_into().ok()?))
    };
    if *blob.first()? != PRIVATEKEYBLOB || u32_at(8)? != RSA2 {
        return None;
    }
    let bits = u32_at(12)? as usize;
    let public_exponent = u32_at(16)?;
    if bits == 0 || bits % 16 != 0 || bits > 16384 {
        return None;
    }
    let (full, half) = (bits / 8, bits / 16);
    let sizes = [full, half, half, half, half, half, full];
    let mut parts = Vec::with_capacity(sizes.len());
    let mut at = 20usize;
    for n in sizes {
        parts.push(blob.get(at..at.checked_add(n)?)?);
        at += n;
    }
    let [n, p, q, dp, dq, qinv, d] = parts[..] else {
        return None;
    };
    let mut body = Zeroizing::new(Vec::with_capacity(blob.len() + 64));
    der_tlv(&mut body, 0x02, &[0]);
    der_uint_le(&mut body, n);
    der_uint_le(&mut body, &public_exponent.to_le_bytes());
    for part in [d, p, q, dp, dq, qinv] {
        der_uint_le(&mut body, part);
    }
    let mut rsa = Zeroizing::new(Vec::with_capacity(body.len() + 8));
    der_tlv(&mut rsa, 0x30, &body);
    let mut info = Zeroizing::new(Vec::with_capacity(rsa.len() + 32));
    der_tlv(&mut info, 0x02, &[0]);
    info.extend_from_slice(RSA_ALGORITHM_ID);
    der_tlv(&mut info, 0x04, &rsa);
    let mut out = Zeroizing::new(Vec::with_capacity(info.len() + 8));
    der_tlv(&mut out, 0x30, &info);
    Some(out)
}

/// The certificates to send after `leaf`: its issuer among `candidates`, that one's issuer,
/// and so on, stopping before a self-signed root (Schannel does not send it) and after 8.
pub fn issuer_chain(leaf: &[u8], candidates: &[Vec<u8>]) -> Vec<Vec<u8>> {
    use x509_parser::prelude::*;
    let names = |der: &[u8]| -> Option<(Vec<u8>, Vec<u8>)> {
        let (_, c) = X509Certificate::from_der(der).ok()?;
        Some((c.subject().as_raw().to_vec(), c.issuer().as_raw().to_vec()))
    };
    let mut out: Vec<Vec<u8>> = Vec::new();
    let Some((_, mut issuer)) = names(leaf) else {
        return out;
    };
    while out.len() < 8 {
        let next = candidates.iter().find(|c| {
            c.as_slice() != leaf
                && !out.contains(c)
                && names(c).is_some_and(|(s, i)| s == issuer && s != i)
        });
        let Some(c) = next else { break };
        let Some((_, i)) = names(c) else { break };
        out.push(c.clone());
        issuer = i;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// openssl's `rsa -outform MSBLOB` and `pkcs8 -topk8 -outform DER` of one test key.
    const MSBLOB: &[u8] = include_bytes!("../../../tests/data/rsa2048-test.msblob");
    const PKCS8: &[u8] = include_bytes!("../../../tests/data/rsa2048-test.pk8");

    #[test]
    fn privatekeyblob_matches_openssl_pkcs8() {
        let got = rsa_privatekeyblob_to_pkcs8(MSBLOB).expect("converts");
        assert_eq!(got.as_slice(), PKCS8);
        assert!(ring::rsa::KeyPair::from_pkcs8(&got).is_ok());
    }

    #[test]
    fn issuer_chain_walks_to_the_root_without_it() {
        let root = include_bytes!("../../../tests/data/chain-root.der").to_vec();
        let inter = include_bytes!("../../../tests/data/chain-inter.der").to_vec();
        let leaf = include_bytes!("../../../tests/data/chain-leaf.der").to_vec();
        let other = include_bytes!("../../../tests/data/chain-other.der").to_vec();
        let store = vec![root.clone(), other.clone(), leaf.clone(), inter.clone()];
        assert_eq!(issuer_chain(&leaf, &store), vec![inter.clone()]);
        assert_eq!(issuer_chain(&inter, &store), Vec::<Vec<u8>>::new());
        assert!(issuer_chain(&leaf, &[root, other]).is_empty());
        assert!(issuer_chain(b"not a certificate", &store).is_empty());
    }

    #[test]
    fn privatekeyblob_rejects_other_blobs() {
        assert!(rsa_privatekeyblob_to_pkcs8(&MSBLOB[..100]).is_none());
        let mut public = MSBLOB.to_vec();
        public[0] = 0x06; // PUBLICKEYBLOB
        assert!(rsa_privatekeyblob_to_pkcs8(&public).is_none());
        assert!(rsa_privatekeyblob_to_pkcs8(&[]).is_none());
        for n in 0..MSBLOB.len() {
            let _ = rsa_privatekeyblob_to_pkcs8(&MSBLOB[..n]);
        }
    }
}
