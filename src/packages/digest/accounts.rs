//! Accounts for Digest: user, realm and password (Digest hashes the password with the realm
//! and nonce, so it cannot work from the NT hash the NTLM package keeps).

use crate::status::{Error, SecResult};
use zeroize::Zeroizing;

/// One account.
#[derive(Clone)]
pub struct Account {
    pub user: String,
    /// The realm (SEC_WINNT_AUTH_IDENTITY's Domain); empty matches any.
    pub realm: String,
    pub password: Zeroizing<String>,
}

impl core::fmt::Debug for Account {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Account({}\\{})", self.realm, self.user)
    }
}

impl Account {
    /// From `DOMAIN\user`, `user@realm` or `user` + domain.
    pub fn new(user: &str, domain: Option<&str>, password: &str) -> Self {
        let (user, realm) = if let Some((d, u)) = user.split_once('\\') {
            (u.to_string(), d.to_string())
        } else {
            (user.to_string(), domain.unwrap_or("").to_string())
        };
        Account {
            user,
            realm,
            password: Zeroizing::new(password.to_string()),
        }
    }

    /// Case-insensitive user match; the realm must match unless the account's is empty.
    pub fn matches(&self, user: &str, realm: &str) -> bool {
        let (user, realm) = match user.split_once('\\') {
            Some((d, u)) if realm.is_empty() => (u, d),
            _ => (user, realm),
        };
        self.user.to_lowercase() == user.to_lowercase()
            && (self.realm.is_empty() || self.realm.to_lowercase() == realm.to_lowercase())
    }

    /// `REALM\user`.
    pub fn display(&self) -> String {
        format!("{}\\{}", self.realm, self.user)
    }
}

/// Parses `DOMAIN:USER:PASSWORD` lines (the password may contain ':'; blank and '#' lines
/// skipped).
pub fn parse(text: &str) -> Vec<Account> {
    text.lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut it = l.splitn(3, ':');
            let (d, u, p) = (it.next()?, it.next()?, it.next()?);
            Some(Account {
                user: u.to_string(),
                realm: d.to_string(),
                password: Zeroizing::new(p.to_string()),
            })
        })
        .collect()
}

/// Reads NTLM_USER_FILE now (unset or unreadable → SEC_E_NO_CREDENTIALS).
pub fn read_file() -> SecResult<Vec<Account>> {
    let path = std::env::var_os("NTLM_USER_FILE").ok_or(Error::NoCredentials)?;
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|_| Error::NoCredentials)?);
    Ok(parse(&text))
}
