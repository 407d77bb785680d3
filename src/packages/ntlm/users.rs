//! Accounts: the NTLM_USER_FILE (`DOMAIN:USER:PASSWORD` lines, as gss-ntlmssp and pyspnego
//! read it) and user names as SEC_WINNT_AUTH_IDENTITY gives them.

use super::hmac_md5::HmacKey;
use super::ntlmv2::{nt_hash, ntowfv2, Key16};
use crate::status::{Error, SecResult};
use parking_lot::Mutex;

/// One account: names and NT hash (the password itself is not kept).
pub struct Account {
    pub domain: String,
    pub user: String,
    pub nt_hash: Key16,
    /// The last NTOWFv2 derived from this account, keyed HMAC-MD5 state ready: a client
    /// derives it for its own names once, a server for the names clients send (the same
    /// ones, connection after connection).
    ntowf: Mutex<Option<Ntowf>>,
}

struct Ntowf {
    user: String,
    domain: String,
    key: HmacKey,
}

impl core::fmt::Debug for Account {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Account({}\\{})", self.domain, self.user)
    }
}

impl Account {
    /// From a user name in any of the forms `DOMAIN\user`, `user` (+ domain), `user@realm`.
    pub fn new(user: &str, domain: Option<&str>, password: &str) -> Self {
        let (user, domain) = split_user(user, domain);
        Account::with_hash(domain, user, nt_hash(password))
    }

    /// From names and an NT hash.
    pub fn with_hash(domain: String, user: String, nt_hash: Key16) -> Self {
        Account {
            domain,
            user,
            nt_hash,
            ntowf: Mutex::new(None),
        }
    }

    /// NTOWFv2(this account's NT hash, `user`, `domain`) as a keyed HMAC-MD5 state
    /// (MS-NLMP §3.3.2), derived once per (user, domain) pair in a row.
    pub fn ntowfv2(&self, user: &str, domain: &str) -> HmacKey {
        let mut cache = self.ntowf.lock();
        if let Some(c) = cache
            .as_ref()
            .filter(|c| c.user == user && c.domain == domain)
        {
            return c.key.clone();
        }
        let key = HmacKey::new(&ntowfv2(&self.nt_hash, user, domain)[..]);
        *cache = Some(Ntowf {
            user: user.to_string(),
            domain: domain.to_string(),
            key: key.clone(),
        });
        key
    }

    /// Whether this account is `user` in `domain` (case-insensitive; an empty account domain
    /// matches any; a UPN with no domain also matches `realm` + `user`).
    pub fn matches(&self, user: &str, domain: &str) -> bool {
        let eq = |a: &str, b: &str| a.to_lowercase() == b.to_lowercase();
        let dom_ok = |d: &str| self.domain.is_empty() || eq(&self.domain, d);
        let user_ok = |u: &str| eq(&self.user, u);
        if user_ok(user) && dom_ok(domain) {
            return true;
        }
        match user.split_once('@') {
            Some((u, realm)) if domain.is_empty() => user_ok(u) && dom_ok(realm),
            _ => false,
        }
    }

    /// `DOMAIN\user`.
    pub fn display(&self) -> String {
        format!("{}\\{}", self.domain, self.user)
    }
}

/// Splits `DOMAIN\user`; a UPN keeps the whole name as user with an empty domain.
pub fn split_user(user: &str, domain: Option<&str>) -> (String, String) {
    if let Some((d, u)) = user.split_once('\\') {
        return (u.to_string(), d.to_string());
    }
    if user.contains('@') {
        return (user.to_string(), String::new());
    }
    (user.to_string(), domain.unwrap_or("").to_string())
}

/// Parses the file's text: `DOMAIN:USER:PASSWORD` per line (the password may contain ':');
/// blank lines and lines starting with '#' are skipped.
pub fn parse(text: &str) -> Vec<Account> {
    text.lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut it = l.splitn(3, ':');
            let (d, u, p) = (it.next()?, it.next()?, it.next()?);
            Some(Account::with_hash(d.to_string(), u.to_string(), nt_hash(p)))
        })
        .collect()
}

/// Reads the file named by NTLM_USER_FILE now (unset or unreadable → NoCredentials).
pub fn read_file() -> SecResult<Vec<Account>> {
    let path = std::env::var_os("NTLM_USER_FILE").ok_or(Error::NoCredentials)?;
    let text =
        zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|_| Error::NoCredentials)?);
    Ok(parse(&text))
}

/// The NTLM_USER_FILE as last parsed, with what identifies that version of it.
struct Parsed {
    path: std::ffi::OsString,
    stamp: Stamp,
    accounts: std::sync::Arc<Vec<Account>>,
}

/// Modification time, size and (on Unix) inode: a rewritten or replaced file differs in one.
#[derive(PartialEq, Eq)]
struct Stamp(Option<std::time::SystemTime>, u64, u64);

fn stamp(m: &std::fs::Metadata) -> Stamp {
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(m);
    #[cfg(not(unix))]
    let ino = 0;
    Stamp(m.modified().ok(), m.len(), ino)
}

/// The accounts of the file named by NTLM_USER_FILE, as a server verifies against them on
/// every AcceptSecurityContext: parsed (an MD4 per line) only when the path, modification
/// time, size or inode changed since the last call — one stat per call otherwise.
pub fn file_accounts() -> SecResult<std::sync::Arc<Vec<Account>>> {
    static CACHE: Mutex<Option<Parsed>> = Mutex::new(None);
    let path = std::env::var_os("NTLM_USER_FILE").ok_or(Error::NoCredentials)?;
    let meta = std::fs::metadata(&path).map_err(|_| Error::NoCredentials)?;
    let st = stamp(&meta);
    let mut cache = CACHE.lock();
    if let Some(c) = cache.as_ref().filter(|c| c.path == path && c.stamp == st) {
        return Ok(c.accounts.clone());
    }
    let text =
        zeroize::Zeroizing::new(std::fs::read_to_string(&path).map_err(|_| Error::NoCredentials)?);
    let accounts = std::sync::Arc::new(parse(&text));
    *cache = Some(Parsed {
        path,
        stamp: st,
        accounts: accounts.clone(),
    });
    Ok(accounts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_user_file() {
        let a = parse("DOM:alice:pa:ss\n\n# comment\n:bob:pw\r\nbroken line\n");
        assert_eq!(a.len(), 2);
        assert_eq!((a[0].domain.as_str(), a[0].user.as_str()), ("DOM", "alice"));
        assert_eq!(*a[0].nt_hash, *nt_hash("pa:ss"));
        assert!(a[0].matches("ALICE", "dom"));
        assert!(!a[0].matches("alice", "OTHER"));
        assert!(a[1].matches("Bob", "ANY"));
        assert!(a[0].matches("alice@dom", ""));
    }

    #[test]
    fn user_forms() {
        assert_eq!(split_user("D\\u", None), ("u".into(), "D".into()));
        assert_eq!(split_user("u", Some("D")), ("u".into(), "D".into()));
        assert_eq!(
            split_user("u@R.COM", Some("X")),
            ("u@R.COM".into(), "".into())
        );
    }
}
