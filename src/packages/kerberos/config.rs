//! krb5.conf (MIT "profile" syntax, as documented in MIT's krb5.conf(5)), read from `KRB5_CONFIG`.
//!
//! Syntax accepted (MIT krb5 1.20 `prof_parse.c` behaviour):
//! - `[section]` headers (`[section]*` marks the section final), `tag = value` relations, and
//!   `tag = {` … `}` subsections over several lines (`}*` marks the subsection final; the `{` may
//!   also stand alone on the next line). A one-line `tag = { a = b }` is a string value, as in MIT,
//!   so it configures nothing.
//! - `tag* = value`: the relation is final.
//! - Values are the rest of the line with trailing blanks removed, or a `"quoted string"` with the
//!   escapes `\n \t \b \\ \"`.
//! - Lines whose first non-blank character is `#` or `;` are comments; lines before the first
//!   section header are ignored, except `include FILE` and `includedir DIR` (files in DIR whose
//!   names are only alphanumerics, `-` and `_`, or end in `.conf`), which are read in place (each
//!   included file starts with no current section, as in MIT). `module` lines are ignored.
//! - Deviation: a line MIT rejects as a syntax error (which makes MIT refuse the whole profile) is
//!   skipped here; a missing or unreadable file is an empty profile, never an error.
//!
//! Several files (`KRB5_CONFIG=a:b`) are looked up in order: single values come from the first
//! file that has them, lists (`kdc`) gather every file's values, and a final node stops the
//! lookup after the file that marks it.
//!
//! No DNS is used for anything here: realms come from `[domain_realm]` or the fallback rule
//! ([`Config::fallback_realm_for_host`]), KDCs from `[realms]` only (MIT's `dns_lookup_kdc` and
//! `dns_lookup_realm` are not implemented), and `dns_canonicalize_hostname` / `rdns` are only
//! reported, for the caller to decide.

use super::crypto::Etype;
use std::path::Path;
use std::time::Duration;

/// Include nesting allowed before an `include` line is ignored (include loops).
const MAX_INCLUDE_DEPTH: usize = 8;
/// Bytes read from one file at most (a krb5.conf is a few kilobytes).
const MAX_FILE_LEN: u64 = 1 << 20;

/// One relation: the path of section/subsection names, the tag and its value.
#[derive(Clone, Debug)]
struct Relation {
    path: Vec<String>,
    value: String,
}

/// One top-level file (with its includes merged in).
#[derive(Clone, Debug, Default)]
struct Profile {
    relations: Vec<Relation>,
    /// Paths of the nodes (sections, subsections, relations) marked final with `*`.
    finals: Vec<Vec<String>>,
}

/// A KDC's transport as its `kdc =` entry asks (MIT: `udp/` or `tcp/` prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// No prefix: UDP first, TCP on KRB_ERR_RESPONSE_TOO_BIG or large requests (RFC 4120 §7.2.1).
    Any,
    Udp,
    Tcp,
}

/// A `kdc = [tcp/|udp/]host[:port]` entry of a realm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KdcAddr {
    /// Host name or IP address literal (IPv6 without its brackets).
    pub host: String,
    /// Port; 88 when the entry has none (RFC 4120 §7.2.3.1).
    pub port: u16,
    pub transport: Transport,
}

impl KdcAddr {
    /// The socket address when `host` is an IP literal (no name resolution here).
    pub fn socket_addr(&self) -> Option<std::net::SocketAddr> {
        let ip: std::net::IpAddr = self.host.parse().ok()?;
        Some(std::net::SocketAddr::new(ip, self.port))
    }
}

/// `dns_canonicalize_hostname` (MIT 1.18+: `true`, `false` or `fallback`; default `true`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Canonicalize {
    Yes,
    No,
    Fallback,
}

/// The krb5.conf profile: the files of `KRB5_CONFIG` in order.
#[derive(Clone, Debug, Default)]
pub struct Config {
    files: Vec<Profile>,
}

/// MIT's default enctype list ("DEFAULT", krb5 1.20 `DEFAULT_ETYPE_LIST`) restricted to the five
/// enctypes this package implements, in MIT's order.
pub const DEFAULT_ETYPES: [Etype; 5] = [
    Etype::Aes256CtsHmacSha196,
    Etype::Aes128CtsHmacSha196,
    Etype::Aes256CtsHmacSha384192,
    Etype::Aes128CtsHmacSha256128,
    Etype::Rc4Hmac,
];

impl Config {
    /// Reads the files named by `KRB5_CONFIG` (colon-separated, in order; default
    /// `/etc/krb5.conf`). Missing or unreadable files contribute nothing: never an error.
    pub fn load() -> Config {
        let list = std::env::var("KRB5_CONFIG").unwrap_or_else(|_| "/etc/krb5.conf".to_owned());
        let mut files = Vec::new();
        for name in list.split(':').filter(|s| !s.is_empty()) {
            let mut p = Profile::default();
            if read_file(Path::new(name), &mut p, 0) {
                files.push(p);
            }
        }
        Config { files }
    }

    /// A profile from text (one file). `include`/`includedir` lines are followed only when
    /// `includes` is set (the fuzz target parses without touching the file system).
    pub fn parse(text: &str, includes: bool) -> Config {
        let mut p = Profile::default();
        parse_text(text, &mut p, if includes { 0 } else { MAX_INCLUDE_DEPTH });
        Config { files: vec![p] }
    }

    /// Every value of the relation at `path` (section, subsections…, tag), in file order, up to
    /// the file where a node on the path is final.
    pub fn values(&self, path: &[&str]) -> Vec<&str> {
        let mut out = Vec::new();
        for f in &self.files {
            let mut present = false;
            for r in &f.relations {
                if r.path.len() == path.len() && r.path.iter().zip(path).all(|(a, b)| a == b) {
                    out.push(r.value.as_str());
                    present = true;
                }
            }
            let final_here = f
                .finals
                .iter()
                .any(|fp| fp.len() <= path.len() && fp.iter().zip(path).all(|(a, b)| a == b));
            if present && final_here {
                break;
            }
        }
        out
    }

    /// The first value of the relation at `path`.
    pub fn value(&self, path: &[&str]) -> Option<&str> {
        self.values(path).into_iter().next()
    }

    /// `[libdefaults] NAME` (first value).
    pub fn libdefault(&self, name: &str) -> Option<&str> {
        self.value(&["libdefaults", name])
    }

    /// A boolean `[libdefaults]` relation: MIT accepts y, yes, true, t, 1, on and n, no, false,
    /// nil, 0, off (any case); anything else or no value is `default`.
    pub fn libdefault_bool(&self, name: &str, default: bool) -> bool {
        self.libdefault(name)
            .and_then(parse_bool)
            .unwrap_or(default)
    }

    /// `[libdefaults] default_realm`.
    pub fn default_realm(&self) -> Option<&str> {
        self.libdefault("default_realm").filter(|s| !s.is_empty())
    }

    /// The `kdc` entries of `[realms] REALM` in order. Entries MIT would reject (bad port) and
    /// MS-KKDCP URLs (`https://…`, not implemented) are skipped.
    pub fn kdcs(&self, realm: &str) -> Vec<KdcAddr> {
        self.values(&["realms", realm, "kdc"])
            .into_iter()
            .filter_map(parse_kdc)
            .collect()
    }

    /// The realm `[domain_realm]` maps `host` to (MIT `krb5_get_host_realm` without DNS): the
    /// host name is lowercased and a trailing dot removed, then the relations named after the
    /// host itself, `.parent.domain`, `parent.domain`, `.domain`, `domain` … are tried in that
    /// order, so the most specific entry wins (as in MIT, `example.com = R` also covers
    /// `a.example.com` when no more specific entry exists). IP addresses are not looked up.
    pub fn realm_for_host(&self, host: &str) -> Option<String> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if is_ip_literal(&host) {
            return None; // MIT does not look IP addresses up in [domain_realm]
        }
        let mut cur: &str = &host;
        loop {
            if let Some(r) = self.value(&["domain_realm", cur]) {
                return Some(r.to_owned());
            }
            cur = match cur.strip_prefix('.') {
                Some(rest) => rest,
                None => match cur.find('.') {
                    Some(i) => &cur[i..],
                    None => return None,
                },
            };
            if cur.is_empty() {
                return None;
            }
        }
    }

    /// The realm MIT falls back to when `[domain_realm]` has no entry and DNS is not used
    /// (`krb5_get_fallback_host_realm` with `realm_try_domains` unset): the host's domain
    /// (everything after its first dot) in uppercase, or the default realm for a name without a
    /// dot and for an IP address.
    pub fn fallback_realm_for_host(&self, host: &str) -> Option<String> {
        let host = host.trim_end_matches('.');
        if is_ip_literal(host) {
            return self.default_realm().map(str::to_owned);
        }
        match host.find('.') {
            Some(i) if i + 1 < host.len() => Some(host[i + 1..].to_ascii_uppercase()),
            _ => self.default_realm().map(str::to_owned),
        }
    }

    /// `[libdefaults] clockskew`: the maximum clock difference accepted (default 300 s).
    pub fn clockskew(&self) -> Duration {
        self.libdefault_duration("clockskew")
            .unwrap_or(Duration::from_secs(300))
    }

    /// Per-attempt wait for a KDC reply: `[libdefaults] kdc_timeout` (Heimdal's name; MIT uses a
    /// fixed 1 s first wait, doubling), default 1 s.
    pub fn kdc_timeout(&self) -> Duration {
        self.libdefault_duration("kdc_timeout")
            .filter(|d| !d.is_zero())
            .unwrap_or(Duration::from_secs(1))
    }

    /// `[libdefaults] request_timeout` (MIT 1.19+): the whole KDC exchange's limit, if set.
    pub fn request_timeout(&self) -> Option<Duration> {
        self.libdefault_duration("request_timeout")
            .filter(|d| !d.is_zero())
    }

    /// `[libdefaults] udp_preference_limit`: requests longer than this go over TCP first
    /// (default 1465 bytes; MIT treats 1 as "always TCP").
    pub fn udp_preference_limit(&self) -> usize {
        self.libdefault("udp_preference_limit")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(1465)
    }

    /// `[libdefaults] default_tkt_enctypes` (AS-REQ etypes), default [`DEFAULT_ETYPES`].
    pub fn default_tkt_enctypes(&self) -> Vec<Etype> {
        self.enctypes("default_tkt_enctypes")
    }

    /// `[libdefaults] default_tgs_enctypes` (TGS-REQ etypes), default [`DEFAULT_ETYPES`].
    pub fn default_tgs_enctypes(&self) -> Vec<Etype> {
        self.enctypes("default_tgs_enctypes")
    }

    /// `[libdefaults] permitted_enctypes` (session keys / acceptor), default [`DEFAULT_ETYPES`].
    pub fn permitted_enctypes(&self) -> Vec<Etype> {
        self.enctypes("permitted_enctypes")
    }

    /// An enctype list relation of `[libdefaults]`, parsed as MIT does; the default list when
    /// the relation is absent.
    fn enctypes(&self, name: &str) -> Vec<Etype> {
        match self.libdefault(name) {
            Some(v) => parse_enctype_list(v),
            None => DEFAULT_ETYPES.to_vec(),
        }
    }

    /// `[libdefaults] allow_rc4` (default false). MIT 1.21 (and Debian's 1.20 with the
    /// CVE-2025-3576 fix) neither issues (KDC) nor accepts (client, AS reply) an rc4-hmac
    /// *session key* unless it is true; RC4 long-term keys and tickets are not affected.
    pub fn allow_rc4(&self) -> bool {
        self.libdefault_bool("allow_rc4", false)
    }

    /// `[libdefaults] dns_canonicalize_hostname` (default true). Reported only: this package
    /// does no DNS lookups.
    pub fn dns_canonicalize_hostname(&self) -> Canonicalize {
        match self.libdefault("dns_canonicalize_hostname") {
            Some(v) if v.trim().eq_ignore_ascii_case("fallback") => Canonicalize::Fallback,
            Some(v) => match parse_bool(v) {
                Some(false) => Canonicalize::No,
                _ => Canonicalize::Yes,
            },
            None => Canonicalize::Yes,
        }
    }

    /// `[libdefaults] rdns` (default true). Reported only: no reverse lookups are done here.
    pub fn rdns(&self) -> bool {
        self.libdefault_bool("rdns", true)
    }

    /// `[libdefaults] forwardable` (default false).
    pub fn forwardable(&self) -> bool {
        self.libdefault_bool("forwardable", false)
    }

    /// `[libdefaults] default_ccache_name`, unexpanded.
    pub fn default_ccache_name(&self) -> Option<&str> {
        self.libdefault("default_ccache_name")
    }

    /// `[libdefaults] default_keytab_name`, unexpanded.
    pub fn default_keytab_name(&self) -> Option<&str> {
        self.libdefault("default_keytab_name")
    }

    fn libdefault_duration(&self, name: &str) -> Option<Duration> {
        self.libdefault(name).and_then(parse_duration)
    }
}

/// A file name with MIT's path tokens expanded (`k5_expand_path_tokens`): `%{uid}`,
/// `%{euid}`, `%{USERID}`, `%{TEMP}` (`TMPDIR` or `/tmp`), `%{null}`, `%%`. Unknown tokens are
/// left as they are. The uids come from `/proc/self/status` (Linux); where that cannot be read
/// they expand to nothing.
pub fn expand_path_tokens(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(a) = after.strip_prefix('%') {
            out.push('%');
            rest = a;
            continue;
        }
        let token = after
            .strip_prefix('{')
            .and_then(|t| t.find('}').map(|e| (&t[..e], &t[e + 1..])));
        let Some((tok, tail)) = token else {
            out.push('%');
            rest = after;
            continue;
        };
        match tok {
            "uid" | "USERID" => out.push_str(&proc_uid(0).unwrap_or_default()),
            "euid" => out.push_str(&proc_uid(1).unwrap_or_default()),
            "TEMP" => out.push_str(
                &std::env::var("TMPDIR")
                    .ok()
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| "/tmp".to_owned()),
            ),
            "null" => {}
            _ => {
                out.push_str("%{");
                out.push_str(tok);
                out.push('}');
            }
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// The real (0) or effective (1) uid from `/proc/self/status`.
pub(crate) fn proc_uid(which: usize) -> Option<String> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    line.split_whitespace().nth(which).map(str::to_owned)
}

fn is_ip_literal(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok()
        || host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .is_some_and(|h| h.parse::<std::net::Ipv6Addr>().is_ok())
}

/// MIT's boolean words.
fn parse_bool(v: &str) -> Option<bool> {
    let v = v.trim().to_ascii_lowercase();
    match v.as_str() {
        "y" | "yes" | "true" | "t" | "1" | "on" => Some(true),
        "n" | "no" | "false" | "nil" | "0" | "off" => Some(false),
        _ => None,
    }
}

/// A duration as MIT's `krb5_string_to_deltat` reads it: `N` (seconds), `NdNhNmNs` (any
/// subset, in that order), or `[D-]H:M[:S]`.
pub(crate) fn parse_duration(v: &str) -> Option<Duration> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    if let Ok(n) = v.parse::<u64>() {
        return Some(Duration::from_secs(n));
    }
    if v.contains(':') {
        let (days, hms) = match v.split_once('-') {
            Some((d, rest)) => (d.trim().parse::<u64>().ok()?, rest),
            None => (0, v),
        };
        let parts: Vec<u64> = hms
            .split(':')
            .map(|p| p.trim().parse::<u64>().ok())
            .collect::<Option<_>>()?;
        let (h, m, s) = match parts[..] {
            [h, m] => (h, m, 0),
            [h, m, s] => (h, m, s),
            _ => return None,
        };
        if m > 59 || s > 59 {
            return None;
        }
        let secs = days
            .checked_mul(86400)?
            .checked_add(h.checked_mul(3600)?)?
            .checked_add(m * 60 + s)?;
        return Some(Duration::from_secs(secs));
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    let mut last_unit = 0; // d=1 h=2 m=3 s=4: units must come in order, once each
    for c in v.chars().filter(|c| !c.is_whitespace()) {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let (rank, mult) = match c {
            'd' => (1, 86400),
            'h' => (2, 3600),
            'm' => (3, 60),
            's' => (4, 1),
            _ => return None,
        };
        if rank <= last_unit || num.is_empty() {
            return None;
        }
        last_unit = rank;
        let n: u64 = num.parse().ok()?;
        total = total.checked_add(n.checked_mul(mult)?)?;
        num.clear();
    }
    if !num.is_empty() {
        return None;
    }
    Some(Duration::from_secs(total))
}

/// An enctype name as MIT's `krb5_string_to_enctype` accepts it (any case), for the five
/// enctypes implemented here.
pub fn etype_from_name(name: &str) -> Option<Etype> {
    Etype::from_name(name)
}

/// An enctype list as MIT's `krb5int_parse_enctype_list` reads it: names separated by blanks or
/// commas; `DEFAULT` inserts the default list; the families `aes` (the four AES enctypes) and
/// `rc4`; a `-` prefix removes, a `+` prefix (or none) appends if not present. Names of enctypes
/// not implemented here (des3, camellia, …) and unknown names are ignored.
pub fn parse_enctype_list(v: &str) -> Vec<Etype> {
    let mut list: Vec<Etype> = Vec::new();
    for tok in v.split(|c: char| c.is_whitespace() || c == ',') {
        if tok.is_empty() {
            continue;
        }
        let (remove, name) = match tok.as_bytes()[0] {
            b'-' => (true, &tok[1..]),
            b'+' => (false, &tok[1..]),
            _ => (false, tok),
        };
        let set: Vec<Etype> = if name.eq_ignore_ascii_case("DEFAULT") {
            DEFAULT_ETYPES.to_vec()
        } else if name.eq_ignore_ascii_case("aes") {
            DEFAULT_ETYPES[..4].to_vec()
        } else if name.eq_ignore_ascii_case("rc4") {
            vec![Etype::Rc4Hmac]
        } else {
            etype_from_name(name).into_iter().collect()
        };
        for e in set {
            if remove {
                list.retain(|x| *x != e);
            } else if !list.contains(&e) {
                list.push(e);
            }
        }
    }
    list
}

/// A `kdc` value: `[udp/|tcp/]host[:port]`, `[v6]:port`, or a bare IPv6 address (more than one
/// colon, no brackets: no port), as MIT's `k5_parse_host_string`.
fn parse_kdc(v: &str) -> Option<KdcAddr> {
    let v = v.trim();
    let lower = v.to_ascii_lowercase();
    let (transport, rest) = if lower.starts_with("tcp/") {
        (Transport::Tcp, &v[4..])
    } else if lower.starts_with("udp/") {
        (Transport::Udp, &v[4..])
    } else if lower.starts_with("http://") || lower.starts_with("https://") {
        return None; // MS-KKDCP proxy: not implemented
    } else {
        (Transport::Any, v)
    };
    let (host, port) = if let Some(r) = rest.strip_prefix('[') {
        let end = r.find(']')?;
        let host = &r[..end];
        let after = &r[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return None,
        };
        (host, port)
    } else if rest.matches(':').count() == 1 {
        let (h, p) = rest.split_once(':')?;
        (h, Some(p))
    } else {
        (rest, None)
    };
    let port = match port {
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => n,
            _ => return None,
        },
        None => 88,
    };
    if host.is_empty() {
        return None;
    }
    Some(KdcAddr {
        host: host.to_owned(),
        port,
        transport,
    })
}

/// Reads one file into `p` (with its includes). False when it cannot be read.
fn read_file(path: &Path, p: &mut Profile, depth: usize) -> bool {
    use std::io::Read;
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut bytes = Vec::new();
    if f.take(MAX_FILE_LEN).read_to_end(&mut bytes).is_err() {
        return false;
    }
    parse_text(&String::from_utf8_lossy(&bytes), p, depth);
    true
}

/// Parser state for one file.
struct Parser {
    /// Current node path: the section, then open subsections.
    path: Vec<String>,
    /// A `tag =` line with no value waits for `{` on the next line.
    awaiting_brace: bool,
}

fn parse_text(text: &str, p: &mut Profile, depth: usize) {
    let mut st = Parser {
        path: Vec::new(),
        awaiting_brace: false,
    };
    for raw in text.lines() {
        let line = raw.trim_end_matches(['\r', '\n']);
        let cp = line.trim_start();
        if st.awaiting_brace {
            st.awaiting_brace = false;
            if cp.starts_with('{') {
                continue;
            }
            // MIT: "missing open brace" error; here the subsection is dropped.
            st.path.pop();
        }
        if cp.is_empty() || cp.starts_with('#') || cp.starts_with(';') {
            continue;
        }
        // Directives: at the very start of the line, followed by a blank.
        if let Some(arg) = directive(line, "include") {
            if depth < MAX_INCLUDE_DEPTH {
                read_file(Path::new(arg), p, depth + 1);
            }
            continue;
        }
        if let Some(arg) = directive(line, "includedir") {
            if depth < MAX_INCLUDE_DEPTH {
                read_dir(Path::new(arg), p, depth + 1);
            }
            continue;
        }
        if directive(line, "module").is_some() {
            continue;
        }
        if let Some(rest) = cp.strip_prefix('[') {
            // MIT: a section header inside an open subsection is an error; it closes them here.
            let Some(end) = rest.find(']') else { continue };
            let name = &rest[..end];
            let tail = rest[end + 1..].trim();
            st.path = vec![name.to_owned()];
            if tail.starts_with('*') {
                p.finals.push(st.path.clone());
            }
            continue;
        }
        if st.path.is_empty() {
            continue; // before the first section
        }
        if let Some(rest) = cp.strip_prefix('}') {
            if st.path.len() > 1 {
                if rest.trim_start().starts_with('*') {
                    p.finals.push(st.path.clone());
                }
                st.path.pop();
            }
            continue;
        }
        let Some(eq) = cp.find('=') else { continue };
        let lhs = cp[..eq].trim_end();
        let (tag, is_final) = match lhs.strip_suffix('*') {
            Some(t) => (t.trim_end(), true),
            None => (lhs, false),
        };
        if tag.is_empty() || tag.contains(char::is_whitespace) {
            continue; // MIT: relation syntax error
        }
        let value = cp[eq + 1..].trim();
        if value.is_empty() || value == "{" {
            st.path.push(tag.to_owned());
            if is_final {
                p.finals.push(st.path.clone());
            }
            st.awaiting_brace = value.is_empty();
            continue;
        }
        let value = match value.strip_prefix('"') {
            Some(q) => unquote(q),
            None => value.to_owned(),
        };
        let mut path = st.path.clone();
        path.push(tag.to_owned());
        if is_final {
            p.finals.push(path.clone());
        }
        p.relations.push(Relation { path, value });
    }
}

/// `include X` / `includedir X` at the start of a line: the argument.
fn directive<'a>(line: &'a str, word: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(word)?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let arg = rest.trim();
    (!arg.is_empty()).then_some(arg)
}

/// The files of an `includedir`, in name order, as MIT selects them.
fn read_dir(dir: &Path, p: &mut Profile, depth: usize) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            !n.starts_with('.')
                && (n.ends_with(".conf")
                    || n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        })
        .collect();
    names.sort();
    for n in names {
        read_file(&dir.join(n), p, depth);
    }
}

/// The body of a quoted value (after the opening quote), escapes resolved; an unterminated
/// string runs to the end of the line (as MIT).
fn unquote(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        match c {
            '"' => break,
            '\\' => match it.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('b') => out.push('\u{8}'),
                Some(o) => out.push(o),
                None => break,
            },
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
# a comment
ignored = before any section
[libdefaults]
	default_realm = EXAMPLE.COM
	dns_canonicalize_hostname = fallback
	rdns = false
	clockskew = 2m30s
	udp_preference_limit = 1
	default_tkt_enctypes = aes128-sha2 rc4-hmac, aes256-cts
	default_tgs_enctypes = DEFAULT -rc4 -aes128-cts-hmac-sha1-96
	permitted_enctypes = aes camellia des3-cbc-sha1 bogus
	allow_rc4 = yes
	kdc_timeout = 0:00:03
	note = "quoted \"value\"\twith tab"
; another comment
[realms]
	EXAMPLE.COM = {
		kdc = kdc1.example.com
		kdc = tcp/kdc2.example.com:750
		kdc = udp/[2001:db8::1]:8888
		kdc = ::1
		kdc = https://proxy.example.com/KdcProxy
		kdc = bad:x
		kdc = [::1]
		admin_server = kdc1.example.com
	}
	ONE.LINE = { kdc = ignored:88 }
	SPLIT.BRACE =
	{
		kdc = 127.0.0.1:1088
	}*
[domain_realm]
	.example.com = EXAMPLE.COM
	example.com = EXAMPLE.COM
	host.sub.example.com = OTHER.COM
	.sub.example.com = SUB.EXAMPLE.COM
	localhost = LOCAL.TEST
"#;

    #[test]
    fn parses_mit_syntax() {
        let c = Config::parse(SAMPLE, false);
        assert_eq!(c.default_realm(), Some("EXAMPLE.COM"));
        assert_eq!(c.libdefault("ignored"), None);
        assert_eq!(c.libdefault("note"), Some("quoted \"value\"\twith tab"));
        assert_eq!(c.dns_canonicalize_hostname(), Canonicalize::Fallback);
        assert!(!c.rdns());
        assert!(c.allow_rc4());
        assert_eq!(c.clockskew(), Duration::from_secs(150));
        assert_eq!(c.kdc_timeout(), Duration::from_secs(3));
        assert_eq!(c.udp_preference_limit(), 1);
        let kdcs = c.kdcs("EXAMPLE.COM");
        let want = [
            ("kdc1.example.com", 88, Transport::Any),
            ("kdc2.example.com", 750, Transport::Tcp),
            ("2001:db8::1", 8888, Transport::Udp),
            ("::1", 88, Transport::Any),
            ("::1", 88, Transport::Any),
        ];
        assert_eq!(kdcs.len(), want.len(), "{kdcs:?}");
        for (k, (h, p, t)) in kdcs.iter().zip(want) {
            assert_eq!((k.host.as_str(), k.port, k.transport), (h, p, t));
        }
        assert_eq!(
            kdcs[2].socket_addr(),
            Some("[2001:db8::1]:8888".parse().unwrap())
        );
        assert!(c.kdcs("ONE.LINE").is_empty());
        assert_eq!(c.kdcs("SPLIT.BRACE")[0].port, 1088);
        assert!(c.kdcs("NOPE").is_empty());
    }

    #[test]
    fn enctype_lists() {
        let c = Config::parse(SAMPLE, false);
        use Etype::*;
        assert_eq!(
            c.default_tkt_enctypes(),
            [Aes128CtsHmacSha256128, Rc4Hmac, Aes256CtsHmacSha196]
        );
        assert_eq!(
            c.default_tgs_enctypes(),
            [
                Aes256CtsHmacSha196,
                Aes256CtsHmacSha384192,
                Aes128CtsHmacSha256128
            ]
        );
        assert_eq!(c.permitted_enctypes(), DEFAULT_ETYPES[..4]);
        let empty = Config::default();
        assert_eq!(empty.permitted_enctypes(), DEFAULT_ETYPES);
        assert!(!empty.allow_rc4());
        assert_eq!(
            parse_enctype_list("ARCFOUR-HMAC-MD5 +aes256-sha2"),
            [Rc4Hmac, Aes256CtsHmacSha384192]
        );
    }

    #[test]
    fn domain_realm_most_specific_first() {
        let c = Config::parse(SAMPLE, false);
        assert_eq!(
            c.realm_for_host("Host.Sub.Example.COM.").as_deref(),
            Some("OTHER.COM")
        );
        assert_eq!(
            c.realm_for_host("a.sub.example.com").as_deref(),
            Some("SUB.EXAMPLE.COM")
        );
        assert_eq!(
            c.realm_for_host("sub.example.com").as_deref(),
            Some("EXAMPLE.COM")
        );
        assert_eq!(
            c.realm_for_host("example.com").as_deref(),
            Some("EXAMPLE.COM")
        );
        assert_eq!(c.realm_for_host("localhost").as_deref(), Some("LOCAL.TEST"));
        assert_eq!(c.realm_for_host("www.other.org"), None);
        assert_eq!(c.realm_for_host("127.0.0.1"), None);
        assert_eq!(
            c.fallback_realm_for_host("127.0.0.1").as_deref(),
            Some("EXAMPLE.COM")
        );
        assert_eq!(
            c.fallback_realm_for_host("www.other.org").as_deref(),
            Some("OTHER.ORG")
        );
        assert_eq!(
            c.fallback_realm_for_host("nodots").as_deref(),
            Some("EXAMPLE.COM")
        );
    }

    #[test]
    fn defaults_of_an_empty_profile() {
        let c = Config::parse("", false);
        assert_eq!(c.default_realm(), None);
        assert_eq!(c.clockskew(), Duration::from_secs(300));
        assert_eq!(c.udp_preference_limit(), 1465);
        assert_eq!(c.kdc_timeout(), Duration::from_secs(1));
        assert_eq!(c.request_timeout(), None);
        assert_eq!(c.dns_canonicalize_hostname(), Canonicalize::Yes);
        assert!(c.rdns());
    }

    #[test]
    fn durations() {
        let d = |s| parse_duration(s).map(|d| d.as_secs());
        assert_eq!(d("300"), Some(300));
        assert_eq!(d("1d2h3m4s"), Some(93784));
        assert_eq!(d("10h"), Some(36000));
        assert_eq!(d("1:30"), Some(5400));
        assert_eq!(d("1-01:00:05"), Some(90005));
        assert_eq!(d("5m1d"), None);
        assert_eq!(d("x"), None);
        assert_eq!(d("1:70"), None);
    }

    #[test]
    fn several_files_and_final_nodes() {
        let dir = std::env::temp_dir().join(format!("krb5conf-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("conf.d")).unwrap();
        let a = dir.join("a.conf");
        let b = dir.join("b.conf");
        std::fs::write(
            &a,
            format!(
                "includedir {}\n[libdefaults]\n default_realm = A.TEST\n[realms]\n A.TEST = {{\n  kdc = a1\n }}*\n B.TEST = {{\n  kdc = b1\n }}\n",
                dir.join("conf.d").display()
            ),
        )
        .unwrap();
        std::fs::write(dir.join("conf.d/x.conf"), "[libdefaults]\n clockskew = 7\n").unwrap();
        std::fs::write(
            dir.join("conf.d/.hidden"),
            "[libdefaults]\n clockskew = 9\n",
        )
        .unwrap();
        std::fs::write(dir.join("conf.d/y.bak~"), "[libdefaults]\n rdns = false\n").unwrap();
        std::fs::write(
            &b,
            "[libdefaults]\n default_realm = B.TEST\n udp_preference_limit = 2\n[realms]\n A.TEST = {\n  kdc = a2\n }\n B.TEST = {\n  kdc = b2\n }\n",
        )
        .unwrap();
        let list = format!(
            "{}:{}:{}",
            a.display(),
            dir.join("missing").display(),
            b.display()
        );
        let mut files = Vec::new();
        for n in list.split(':') {
            let mut p = Profile::default();
            if read_file(Path::new(n), &mut p, 0) {
                files.push(p);
            }
        }
        let c = Config { files };
        assert_eq!(c.default_realm(), Some("A.TEST"));
        assert_eq!(c.udp_preference_limit(), 2);
        assert_eq!(c.clockskew(), Duration::from_secs(7));
        assert!(c.rdns());
        let hosts = |r| c.kdcs(r).into_iter().map(|k| k.host).collect::<Vec<_>>();
        assert_eq!(hosts("A.TEST"), ["a1"]);
        assert_eq!(hosts("B.TEST"), ["b1", "b2"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn include_loop_terminates() {
        let dir = std::env::temp_dir().join(format!("krb5conf-loop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("loop.conf");
        std::fs::write(
            &f,
            format!(
                "include {}\n[libdefaults]\n default_realm = L.TEST\n",
                f.display()
            ),
        )
        .unwrap();
        let mut p = Profile::default();
        assert!(read_file(&f, &mut p, 0));
        let c = Config { files: vec![p] };
        assert_eq!(
            c.values(&["libdefaults", "default_realm"]).len(),
            MAX_INCLUDE_DEPTH + 1
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
