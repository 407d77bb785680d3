//! MIT keytab files (`FILE:` keytabs; format described in MIT's `keytab.txt`), the acceptor's
//! long-term keys, found through `KRB5_KTNAME`.
//!
//! File: `05 02` (version 2: big-endian) or `05 01` (version 1: host byte order, read here as
//! little-endian, and the component count includes the realm), then records `i32 size` + `size`
//! bytes; a negative size is a deleted record (a hole of -size bytes, skipped), 0 ends the file.
//! Record: `u16 count`, realm, `count` components (each `u16 len` + bytes), `u32 name_type`
//! (not in v1), `u32 timestamp`, `u8 kvno`, key (`u16 enctype`, `u16 len` + bytes), and an
//! optional `u32 kvno` that replaces the 8-bit one when present and non-zero.
//! Entries of enctypes not implemented here are skipped, as are records whose fields overrun
//! their length; a truncated record ends the file (MIT reads it as the end).

use super::ccache::{FileError, Reader};
use super::config::{expand_path_tokens, Config};
use super::crypto::{Etype, Key};
use super::Principal;
use std::path::{Path, PathBuf};

/// Largest keytab read (bytes).
const MAX_KEYTAB_LEN: u64 = 16 << 20;

/// One key of a keytab.
#[derive(Clone, Debug)]
pub struct KeytabEntry {
    pub principal: Principal,
    /// When the key was written (seconds since the epoch).
    pub timestamp: u32,
    /// Key version number (the 32-bit field when present and non-zero, else the 8-bit one).
    pub kvno: u32,
    pub key: Key,
}

/// A keytab's entries, in file order.
#[derive(Clone, Debug, Default)]
pub struct Keytab {
    pub entries: Vec<KeytabEntry>,
}

impl Keytab {
    /// The keytab `KRB5_KTNAME` names (`FILE:path`, `WRFILE:path` or a path), else
    /// `[libdefaults] default_keytab_name`, else MIT's default `/etc/krb5.keytab`.
    /// Errors: the file is missing or unreadable ([`FileError::Io`]), of another keytab type
    /// ([`FileError::Unsupported`]) or malformed ([`FileError::Malformed`]).
    pub fn open_default(cfg: &Config) -> Result<Keytab, FileError> {
        Keytab::open_name(&default_keytab_name(cfg))
    }

    /// The keytab a name such as `FILE:/etc/krb5.keytab` designates.
    pub fn open_name(name: &str) -> Result<Keytab, FileError> {
        Keytab::open(&keytab_path(name)?)
    }

    /// A keytab file.
    pub fn open(path: &Path) -> Result<Keytab, FileError> {
        use std::io::Read;
        let f = std::fs::File::open(path).map_err(|e| FileError::Io(e.kind()))?;
        let mut bytes = Vec::new();
        f.take(MAX_KEYTAB_LEN)
            .read_to_end(&mut bytes)
            .map_err(|e| FileError::Io(e.kind()))?;
        let bytes = zeroize::Zeroizing::new(bytes);
        Keytab::parse(&bytes)
    }

    /// Parses a keytab's bytes.
    pub fn parse(b: &[u8]) -> Result<Keytab, FileError> {
        let le = match b {
            [5, 2, ..] => false,
            [5, 1, ..] => true,
            [5, _, ..] => return Err(FileError::Unsupported("keytab version")),
            _ => return Err(FileError::Malformed("not a keytab")),
        };
        let v1 = le;
        let mut r = Reader::new(&b[2..], le);
        let mut entries = Vec::new();
        while !r.is_empty() {
            let Ok(size) = r.u32().map(|s| s as i32) else {
                break;
            };
            if size == 0 {
                break;
            }
            if size < 0 {
                // A deleted entry: a hole of |size| bytes (a truncated hole ends the file).
                if r.bytes(size.unsigned_abs() as usize).is_err() {
                    break;
                }
                continue;
            }
            // A truncated record ends the file (MIT: KRB5_KT_END); a record whose fields do
            // not fit its length is skipped.
            let Ok(rec) = r.bytes(size as usize) else {
                break;
            };
            if let Ok(Some(e)) = parse_entry(rec, le, v1) {
                entries.push(e);
            }
        }
        Ok(Keytab { entries })
    }

    /// The key for `principal` (components and realm compared; name type ignored, as MIT)
    /// of enctype `etype`: of version `kvno`, or the highest version present when `None`.
    pub fn find(
        &self,
        principal: &Principal,
        kvno: Option<u32>,
        etype: Etype,
    ) -> Option<&KeytabEntry> {
        self.entries
            .iter()
            .filter(|e| same_principal(&e.principal, principal) && e.key.etype() == etype)
            .filter(|e| kvno.is_none_or(|k| e.kvno == k))
            .max_by_key(|e| e.kvno)
    }
}

/// Principals equal as MIT compares them (`krb5_principal_compare`: realm and components).
pub fn same_principal(a: &Principal, b: &Principal) -> bool {
    a.realm == b.realm && a.components == b.components
}

/// One record; `None` when its enctype is not one of ours (or its key length is wrong).
fn parse_entry(rec: &[u8], le: bool, v1: bool) -> Result<Option<KeytabEntry>, FileError> {
    let mut r = Reader::new(rec, le);
    let mut count = r.u16()? as usize;
    if v1 {
        count = count
            .checked_sub(1)
            .ok_or(FileError::Malformed("keytab v1 component count"))?;
    }
    let realm = r.string16()?;
    let mut components = Vec::with_capacity(count.min(16));
    for _ in 0..count {
        components.push(r.string16()?);
    }
    let name_type = if v1 {
        super::name_type::NT_PRINCIPAL
    } else {
        r.u32()? as i32
    };
    let timestamp = r.u32()?;
    let kvno8 = r.u8()?;
    let enctype = r.u16()?;
    let key_len = r.u16()? as usize;
    let key_bytes = r.bytes(key_len)?;
    let kvno = match r.remaining() {
        n if n >= 4 => match r.u32()? {
            0 => kvno8 as u32,
            k => k,
        },
        _ => kvno8 as u32,
    };
    let Some(etype) = Etype::from_i32(enctype as i32) else {
        return Ok(None);
    };
    let Some(key) = Key::new(etype, key_bytes) else {
        return Ok(None);
    };
    Ok(Some(KeytabEntry {
        principal: Principal {
            name_type,
            components,
            realm,
        },
        timestamp,
        kvno,
        key,
    }))
}

/// The keytab name in effect: `KRB5_KTNAME`, `default_keytab_name`, `/etc/krb5.keytab`.
pub fn default_keytab_name(cfg: &Config) -> String {
    std::env::var("KRB5_KTNAME")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| cfg.default_keytab_name().map(expand_path_tokens))
        .unwrap_or_else(|| "FILE:/etc/krb5.keytab".to_owned())
}

/// The file of a `FILE:`/`WRFILE:`/bare keytab name.
fn keytab_path(name: &str) -> Result<PathBuf, FileError> {
    if let Some(p) = name
        .strip_prefix("FILE:")
        .or_else(|| name.strip_prefix("WRFILE:"))
    {
        return Ok(PathBuf::from(p));
    }
    match name.split_once(':') {
        // A one-letter prefix is a Windows drive letter, as MIT reads it.
        Some((t, _)) if t.len() > 1 && !t.contains('/') => {
            Err(FileError::Unsupported("keytab type"))
        }
        _ => Ok(PathBuf::from(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record body in version `v`'s layout.
    fn record(
        v: u8,
        comps: &[&str],
        etype: u16,
        key: &[u8],
        kvno8: u8,
        kvno32: Option<u32>,
    ) -> Vec<u8> {
        let le = v == 1;
        let u16b = |x: u16| if le { x.to_le_bytes() } else { x.to_be_bytes() };
        let u32b = |x: u32| if le { x.to_le_bytes() } else { x.to_be_bytes() };
        let mut r = Vec::new();
        r.extend(u16b(comps.len() as u16 + u16::from(le)));
        r.extend(u16b(6));
        r.extend(b"R.TEST");
        for c in comps {
            r.extend(u16b(c.len() as u16));
            r.extend(c.as_bytes());
        }
        if !le {
            r.extend(u32b(1));
        }
        r.extend(u32b(1_700_000_000));
        r.push(kvno8);
        r.extend(u16b(etype));
        r.extend(u16b(key.len() as u16));
        r.extend(key);
        if let Some(k) = kvno32 {
            r.extend(u32b(k));
        }
        let mut out = u32b(r.len() as u32).to_vec();
        out.extend(r);
        out
    }

    #[test]
    fn versions_holes_kvno_and_unknown_enctypes() {
        for v in [1u8, 2] {
            let le = v == 1;
            let mut b = vec![5, v];
            b.extend(record(v, &["HTTP", "h"], 18, &[1; 32], 2, None));
            // A hole of 12 bytes.
            b.extend(if le {
                (-12i32).to_le_bytes()
            } else {
                (-12i32).to_be_bytes()
            });
            b.extend([0; 12]);
            b.extend(record(v, &["HTTP", "h"], 18, &[2; 32], 44, Some(300)));
            b.extend(record(v, &["HTTP", "h"], 16, &[3; 24], 1, None)); // des3: skipped
            b.extend(record(v, &["HTTP", "h"], 23, &[4; 15], 1, None)); // bad length: skipped
            b.extend(record(v, &["HTTP", "h"], 23, &[5; 16], 9, Some(0))); // 0: the 8-bit kvno
            let kt = Keytab::parse(&b).unwrap();
            let kvnos: Vec<u32> = kt.entries.iter().map(|e| e.kvno).collect();
            assert_eq!(kvnos, [2, 300, 9], "v{v}");
            let p = &kt.entries[0].principal;
            assert_eq!(
                (p.components.join("/"), p.realm.as_str()),
                ("HTTP/h".into(), "R.TEST")
            );
            let want = Principal {
                name_type: 2,
                components: vec!["HTTP".into(), "h".into()],
                realm: "R.TEST".into(),
            };
            assert_eq!(
                kt.find(&want, None, Etype::Aes256CtsHmacSha196)
                    .unwrap()
                    .key
                    .bytes(),
                [2; 32]
            );
            assert_eq!(
                kt.find(&want, Some(2), Etype::Aes256CtsHmacSha196)
                    .unwrap()
                    .key
                    .bytes(),
                [1; 32]
            );
            assert!(kt
                .find(&want, Some(3), Etype::Aes256CtsHmacSha196)
                .is_none());
            for n in 0..b.len() {
                let _ = Keytab::parse(&b[..n]);
            }
            // A truncated last record ends the file: the records before it remain.
            assert_eq!(Keytab::parse(&b[..b.len() - 1]).unwrap().entries.len(), 2);
        }
        assert!(Keytab::parse(&[5, 3]).is_err());
        assert!(Keytab::parse(b"\x06\x02").is_err());
        assert_eq!(Keytab::parse(&[5, 2]).unwrap().entries.len(), 0);
    }

    #[test]
    fn names() {
        assert_eq!(keytab_path("FILE:/k").unwrap(), Path::new("/k"));
        assert_eq!(keytab_path("WRFILE:/k").unwrap(), Path::new("/k"));
        assert_eq!(
            keytab_path("/etc/krb5.keytab").unwrap(),
            Path::new("/etc/krb5.keytab")
        );
        assert!(keytab_path("MEMORY:x").is_err());
        let cfg = Config::parse(
            "[libdefaults]\n default_keytab_name = FILE:%{TEMP}/k\n",
            false,
        );
        assert!(cfg.default_keytab_name().is_some());
        assert!(matches!(
            Keytab::open_name("FILE:/nonexistent/k"),
            Err(FileError::Io(_))
        ));
    }
}
