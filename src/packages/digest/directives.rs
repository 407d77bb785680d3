//! RFC 2831 §7.1 / RFC 7616 §3.3 directive lists: `name=value` pairs separated by commas
//! (empty list elements allowed), values a token or a quoted-string with `\` escapes, linear
//! white space anywhere between elements. Both the SASL digest-challenge / digest-response and
//! the HTTP `WWW-Authenticate` / `Authorization` parameters use this grammar.
//!
//! The parser never panics: malformed input gives [`Error::InvalidToken`].

use crate::status::{Error, SecResult};

/// Longest list accepted (RFC 2831 §2.1.1: a digest-challenge is at most 2048 bytes, a
/// digest-response at most 4096; WDigest's cbMaxToken is 4096).
pub const MAX_LIST: usize = 4096;

/// A parsed directive list, names lower-cased, in the order they came.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Directives(pub Vec<(String, String)>);

fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// RFC 2616 token characters (CHAR except CTLs and separators).
fn is_token(b: u8) -> bool {
    b > 0x20
        && b < 0x7f
        && !matches!(
            b,
            b'(' | b')'
                | b'<'
                | b'>'
                | b'@'
                | b','
                | b';'
                | b':'
                | b'\\'
                | b'"'
                | b'/'
                | b'['
                | b']'
                | b'?'
                | b'='
                | b'{'
                | b'}'
        )
}

/// Characters allowed in an unquoted value: token characters plus those SASL peers put in
/// unquoted values in practice (`/` in digest-uri, `:`).
fn is_bare_value(b: u8) -> bool {
    is_token(b) || matches!(b, b'/' | b':' | b'@' | b'?' | b'[' | b']')
}

impl Directives {
    /// Parses a directive list. Duplicate names are kept (callers decide; RFC 2831 makes most
    /// duplicates an error, [`Directives::unique`] checks it).
    pub fn parse(input: &[u8]) -> SecResult<Self> {
        if input.len() > MAX_LIST {
            return Err(Error::InvalidToken);
        }
        let mut out = Vec::new();
        let mut i = 0;
        let n = input.len();
        loop {
            while i < n && (is_lws(input[i]) || input[i] == b',') {
                i += 1;
            }
            if i >= n {
                break;
            }
            let start = i;
            while i < n && is_token(input[i]) {
                i += 1;
            }
            if i == start {
                return Err(Error::InvalidToken);
            }
            let name = core::str::from_utf8(&input[start..i])
                .map_err(|_| Error::InvalidToken)?
                .to_ascii_lowercase();
            while i < n && is_lws(input[i]) {
                i += 1;
            }
            if i >= n || input[i] != b'=' {
                return Err(Error::InvalidToken);
            }
            i += 1;
            while i < n && is_lws(input[i]) {
                i += 1;
            }
            let mut value = Vec::new();
            if i < n && input[i] == b'"' {
                i += 1;
                loop {
                    match input.get(i) {
                        None => return Err(Error::InvalidToken),
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(b'\\') => {
                            let c = *input.get(i + 1).ok_or(Error::InvalidToken)?;
                            value.push(c);
                            i += 2;
                        }
                        Some(&c) => {
                            value.push(c);
                            i += 1;
                        }
                    }
                }
            } else {
                let vs = i;
                while i < n && is_bare_value(input[i]) {
                    i += 1;
                }
                value.extend_from_slice(&input[vs..i]);
            }
            let value = String::from_utf8(value).map_err(|_| Error::InvalidToken)?;
            out.push((name, value));
            while i < n && is_lws(input[i]) {
                i += 1;
            }
            if i < n && input[i] != b',' {
                return Err(Error::InvalidToken);
            }
        }
        Ok(Directives(out))
    }

    /// The first value of `name` (lower case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// All values of `name`.
    pub fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Fails when any of `names` occurs more than once (RFC 2831 §2.1.1 / §2.1.2).
    pub fn unique(&self, names: &[&str]) -> SecResult<()> {
        for n in names {
            if self.all(n).count() > 1 {
                return Err(Error::InvalidToken);
            }
        }
        Ok(())
    }

    /// Appends `name="value"` (quoted, `"` and `\` escaped).
    pub fn push_quoted(out: &mut String, name: &str, value: &str) {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(name);
        out.push_str("=\"");
        for c in value.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }

    /// Appends `name=value` (a token, unquoted).
    pub fn push_token(out: &mut String, name: &str, value: &str) {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
}

/// Splits a comma-separated option list (the quoted `qop="auth,auth-int"` and
/// `cipher="rc4,3des"` values), trimming white space and dropping empty elements.
pub fn options(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(',')
        .map(|s| s.trim_matches(|c: char| c.is_ascii_whitespace()))
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc2831_example() {
        let c = br#"realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",
            algorithm=md5-sess,charset=utf-8"#;
        let d = Directives::parse(c).unwrap();
        assert_eq!(d.get("realm"), Some("elwood.innosoft.com"));
        assert_eq!(d.get("algorithm"), Some("md5-sess"));
        assert_eq!(d.get("charset"), Some("utf-8"));
        assert_eq!(d.0.len(), 5);
    }

    #[test]
    fn escapes_empty_elements_and_errors() {
        let d = Directives::parse(br#" , a = "x\"y\\z" ,, B=tok/en ,"#).unwrap();
        assert_eq!(d.get("a"), Some("x\"y\\z"));
        assert_eq!(d.get("b"), Some("tok/en"));
        for bad in [&b"a"[..], b"a=\"open", b"=x", b"a=b c=d", b"a=\"x\\"] {
            assert_eq!(Directives::parse(bad), Err(Error::InvalidToken), "{bad:?}");
        }
        let mut s = String::new();
        Directives::push_quoted(&mut s, "u", "q\"b\\");
        Directives::push_token(&mut s, "nc", "00000001");
        let d = Directives::parse(s.as_bytes()).unwrap();
        assert_eq!(d.get("u"), Some("q\"b\\"));
        assert!(Directives::parse(&[b'a'; MAX_LIST + 1]).is_err());
        assert!(Directives::parse(b"a=1,a=2")
            .unwrap()
            .unique(&["a"])
            .is_err());
    }
}
