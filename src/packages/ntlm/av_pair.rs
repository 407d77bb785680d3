//! AV_PAIR lists (MS-NLMP §2.2.2.1).

use super::wire::{slice, u16_at};
use crate::status::SecResult;

pub const MSV_AV_EOL: u16 = 0;
pub const MSV_AV_NB_COMPUTER_NAME: u16 = 1;
pub const MSV_AV_NB_DOMAIN_NAME: u16 = 2;
pub const MSV_AV_DNS_COMPUTER_NAME: u16 = 3;
pub const MSV_AV_DNS_DOMAIN_NAME: u16 = 4;
pub const MSV_AV_FLAGS: u16 = 6;
pub const MSV_AV_TIMESTAMP: u16 = 7;
pub const MSV_AV_TARGET_NAME: u16 = 9;
pub const MSV_AV_CHANNEL_BINDINGS: u16 = 10;

/// MsvAvFlags bit: the AUTHENTICATE message carries a MIC.
pub const MSV_AV_FLAG_MIC: u32 = 0x2;

/// An ordered AV_PAIR list without the terminating MsvAvEOL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AvPairs(pub Vec<(u16, Vec<u8>)>);

impl AvPairs {
    /// Parses up to MsvAvEOL (or the end of the data); truncated pairs → InvalidToken.
    pub fn parse(b: &[u8]) -> SecResult<Self> {
        let mut pairs = Vec::with_capacity(10);
        let mut at = 0usize;
        while at < b.len() {
            let id = u16_at(b, at)?;
            let len = u16_at(b, at + 2)? as usize;
            if id == MSV_AV_EOL {
                break;
            }
            let v = slice(b, at + 4, len)?;
            pairs.push((id, v.to_vec()));
            at += 4 + len;
        }
        Ok(AvPairs(pairs))
    }

    /// The value of the first pair with this id.
    pub fn get(&self, id: u16) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, v)| v.as_slice())
    }

    /// Replaces the pair with this id, or appends it.
    pub fn set(&mut self, id: u16, v: Vec<u8>) {
        match self.0.iter_mut().find(|(i, _)| *i == id) {
            Some(p) => p.1 = v,
            None => self.0.push((id, v)),
        }
    }

    /// MsvAvFlags, 0 when absent or malformed.
    pub fn flags(&self) -> u32 {
        match self.get(MSV_AV_FLAGS) {
            Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
            _ => 0,
        }
    }

    /// Serializes with the terminating MsvAvEOL.
    pub fn encode(&self) -> Vec<u8> {
        let len = self.0.iter().map(|(_, v)| 4 + v.len()).sum::<usize>() + 4;
        let mut out = Vec::with_capacity(len);
        for (id, v) in &self.0 {
            out.extend_from_slice(&id.to_le_bytes());
            out.extend_from_slice(&(v.len() as u16).to_le_bytes());
            out.extend_from_slice(v);
        }
        out.extend_from_slice(&[0, 0, 0, 0]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let mut a = AvPairs::default();
        a.set(MSV_AV_NB_DOMAIN_NAME, vec![1, 2]);
        a.set(MSV_AV_FLAGS, 2u32.to_le_bytes().to_vec());
        let e = a.encode();
        assert_eq!(AvPairs::parse(&e).unwrap(), a);
        assert_eq!(a.flags(), 2);
        assert!(AvPairs::parse(&e[..5]).is_err());
        assert!(AvPairs::parse(&[]).unwrap().0.is_empty());
    }
}
