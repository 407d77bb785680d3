//! NTLMv2 computations (MS-NLMP §3.3.2, §3.4.5.1) and the MIC.

use super::hmac_md5::HmacKey;
use super::seal::Keystream;
use super::wire::utf16le;
use md4::Md4;
use md5::{Digest, Md5};
use zeroize::Zeroizing;

/// A 16-byte secret, zeroized on drop.
pub type Key16 = Zeroizing<[u8; 16]>;

/// HMAC_MD5(key, concatenation of parts).
pub fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    HmacKey::new(key).mac(parts)
}

/// MD5 of the concatenation of parts.
pub fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// NTOWFv1: MD4(UNICODE(password)), the NT hash.
pub fn nt_hash(password: &str) -> Key16 {
    let pw = Zeroizing::new(utf16le(password));
    Zeroizing::new(Md4::digest(&*pw).into())
}

/// NTOWFv2: HMAC_MD5(NT hash, UNICODE(Uppercase(user) ‖ domain)).
pub fn ntowfv2(nt_hash: &[u8; 16], user: &str, domain: &str) -> Key16 {
    let mut s = user.to_uppercase();
    s.push_str(domain);
    Zeroizing::new(hmac_md5(nt_hash, &[&utf16le(&s)]))
}

/// NTProofStr and SessionBaseKey under one keyed NTOWFv2 state (see [`nt_proof_str`],
/// [`session_base_key`]).
pub fn proof_and_base(
    ntowf: &HmacKey,
    server_challenge: &[u8; 8],
    temp: &[u8],
) -> ([u8; 16], Key16) {
    let proof = ntowf.mac(&[server_challenge, temp]);
    let base = Zeroizing::new(ntowf.mac(&[&proof]));
    (proof, base)
}

/// The NTLMv2_CLIENT_CHALLENGE ("temp"): header, timestamp, client challenge, AV pairs.
pub fn client_blob(timestamp: u64, client_challenge: &[u8; 8], av_pairs: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(32 + av_pairs.len());
    t.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 0]);
    t.extend_from_slice(&timestamp.to_le_bytes());
    t.extend_from_slice(client_challenge);
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(av_pairs);
    t.extend_from_slice(&[0, 0, 0, 0]);
    t
}

/// Offset of the AV pairs inside the client blob.
pub const BLOB_AV_OFFSET: usize = 28;

/// NTProofStr = HMAC_MD5(NTOWFv2, ServerChallenge ‖ temp) (the spec's form; the package uses
/// [`proof_and_base`]).
#[cfg(test)]
pub fn nt_proof_str(ntowf: &[u8; 16], server_challenge: &[u8; 8], temp: &[u8]) -> [u8; 16] {
    hmac_md5(ntowf, &[server_challenge, temp])
}

/// SessionBaseKey = HMAC_MD5(NTOWFv2, NTProofStr); for NTLMv2 it is also the KeyExchangeKey.
#[cfg(test)]
pub fn session_base_key(ntowf: &[u8; 16], nt_proof: &[u8; 16]) -> Key16 {
    Zeroizing::new(hmac_md5(ntowf, &[nt_proof]))
}

/// LMv2 response: HMAC_MD5(NTOWFv2, ServerChallenge ‖ ClientChallenge) ‖ ClientChallenge.
pub fn lmv2_response(ntowf: &HmacKey, server: &[u8; 8], client: &[u8; 8]) -> [u8; 24] {
    let mut r = [0u8; 24];
    r[..16].copy_from_slice(&ntowf.mac(&[server, client]));
    r[16..].copy_from_slice(client);
    r
}

/// RC4K(key, data) for the EncryptedRandomSessionKey (same operation both ways).
pub fn rc4k(key: &[u8; 16], data: &[u8; 16]) -> Key16 {
    let mut out = Zeroizing::new(*data);
    Keystream::new(key).apply(&mut out[..]);
    out
}

/// MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE with MIC zeroed).
pub fn mic(
    exported: &[u8; 16],
    negotiate: &[u8],
    challenge: &[u8],
    authenticate: &[u8],
) -> [u8; 16] {
    hmac_md5(exported, &[negotiate, challenge, authenticate])
}

/// The current time as a FILETIME (100 ns since 1601).
pub fn filetime_now() -> u64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    116_444_736_000_000_000u64 + (d.as_nanos() / 100) as u64
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::package::channel_bindings_hash;
    use crate::packages::ntlm::av_pair::*;
    use crate::packages::ntlm::wire::utf16le;
    use crate::status::Error;

    pub const SERVER_CHALLENGE: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
    pub const CLIENT_CHALLENGE: [u8; 8] = [0xaa; 8];

    /// The CHALLENGE's target info of MS-NLMP §4.2.4.1.3.
    pub fn spec_av_pairs() -> Vec<u8> {
        let mut a = AvPairs::default();
        a.set(MSV_AV_NB_DOMAIN_NAME, utf16le("Domain"));
        a.set(MSV_AV_NB_COMPUTER_NAME, utf16le("Server"));
        a.encode()
    }

    #[test]
    fn ms_nlmp_4_2_4_ntlmv2_values() {
        let nt = nt_hash("Password");
        let ntowf = ntowfv2(&nt, "User", "Domain");
        assert_eq!(
            *ntowf,
            [
                0x0c, 0x86, 0x8a, 0x40, 0x3b, 0xfd, 0x7a, 0x93, 0xa3, 0x00, 0x1e, 0xf2, 0x2e, 0xf0,
                0x2e, 0x3f
            ]
        );
        let lm = lmv2_response(
            &HmacKey::new(&ntowf[..]),
            &SERVER_CHALLENGE,
            &CLIENT_CHALLENGE,
        );
        assert_eq!(
            lm[..16],
            [
                0x86, 0xc3, 0x50, 0x97, 0xac, 0x9c, 0xec, 0x10, 0x25, 0x54, 0x76, 0x4a, 0x57, 0xcc,
                0xcc, 0x19
            ]
        );
        let temp = client_blob(0, &CLIENT_CHALLENGE, &spec_av_pairs());
        let proof = nt_proof_str(&ntowf, &SERVER_CHALLENGE, &temp);
        assert_eq!(
            proof,
            [
                0x68, 0xcd, 0x0a, 0xb8, 0x51, 0xe5, 0x1c, 0x96, 0xaa, 0xbc, 0x92, 0x7b, 0xeb, 0xef,
                0x6a, 0x1c
            ]
        );
        let base = session_base_key(&ntowf, &proof);
        let (proof2, base2) = proof_and_base(&HmacKey::new(&ntowf[..]), &SERVER_CHALLENGE, &temp);
        assert_eq!((proof2, *base2), (proof, *base));
        assert_eq!(
            *base,
            [
                0x8d, 0xe4, 0x0c, 0xca, 0xdb, 0xc1, 0x4a, 0x82, 0xf1, 0x5c, 0xb0, 0xad, 0x0d, 0xe9,
                0x5c, 0xa3
            ]
        );
        let enc = rc4k(&base, &[0x55; 16]);
        assert_eq!(
            *enc,
            [
                0xc5, 0xda, 0xd2, 0x54, 0x4f, 0xc9, 0x79, 0x90, 0x94, 0xce, 0x1c, 0xe9, 0x0b, 0xc9,
                0xd0, 0x3e
            ]
        );
        assert_eq!(*rc4k(&base, &enc), [0x55; 16]);
    }

    #[test]
    fn channel_bindings_serialization() {
        // SEC_CHANNEL_BINDINGS with only application data "tls-server-end-point:AB".
        let app = b"tls-server-end-point:AB";
        let mut cb = vec![0u8; 32];
        cb[24..28].copy_from_slice(&(app.len() as u32).to_le_bytes());
        cb[28..32].copy_from_slice(&32u32.to_le_bytes());
        cb.extend_from_slice(app);
        let mut ser = vec![0u8; 16];
        ser.extend_from_slice(&(app.len() as u32).to_le_bytes());
        ser.extend_from_slice(app);
        assert_eq!(channel_bindings_hash(&cb).unwrap(), md5(&[&ser]));
        cb[28] = 40;
        assert_eq!(channel_bindings_hash(&cb), Err(Error::InvalidToken));
        assert_eq!(channel_bindings_hash(&cb[..10]), Err(Error::InvalidToken));
    }
}
