//! Test support: a real KDC started by `tests/kerberos/{mit,samba}-kdc.sh` for one test, and
//! MIT's command-line tools run against it. No environment variable of the test process is
//! changed: the KDC's settings are passed to each command.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A running KDC in its own temporary directory; stopped (by PID) and removed on drop.
pub(crate) struct TestKdc {
    pub(crate) kind: &'static str,
    pub(crate) dir: PathBuf,
    env: HashMap<String, String>,
}

/// Runs on CI (`CI=true`), where a peer test must not skip.
fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

impl TestKdc {
    /// Starts the `kind` ("mit" or "samba") KDC; `kinit`: user1's TGT in `KRB5CCNAME`.
    /// `None` (with a loud message) when it cannot start here; under `CI=true` that panics.
    pub(crate) fn start(kind: &'static str, kinit: bool) -> Option<TestKdc> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let script = root.join(format!("tests/kerberos/{kind}-kdc.sh"));
        let dir = std::env::temp_dir().join(format!(
            "secur32-{kind}-kdc-{}-{:x}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        let mut cmd = Command::new("bash");
        cmd.arg(&script).arg("start").arg(&dir);
        if kinit {
            cmd.arg("--kinit");
        }
        let out = cmd.stderr(Stdio::piped()).output();
        let ok = matches!(&out, Ok(o) if o.status.success());
        if !ok {
            let why = match &out {
                Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
                Err(e) => e.to_string(),
            };
            let _ = std::fs::remove_dir_all(&dir);
            assert!(
                !on_ci(),
                "{kind} KDC did not start (CI=true: no skipping): {why}"
            );
            eprintln!(
                "\n*** SKIPPED: {kind} KDC could not start here ({}): {why}\n",
                script.display()
            );
            return None;
        }
        let stdout = String::from_utf8_lossy(&out.expect("checked").stdout).into_owned();
        let env = stdout
            .lines()
            .filter_map(|l| l.strip_prefix("export "))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
            .collect();
        Some(TestKdc { kind, dir, env })
    }

    /// A variable the start script exported (`REALM`, `KRB5CCNAME`, `USER1_PASSWORD`, …).
    pub(crate) fn var(&self, name: &str) -> &str {
        self.env.get(name).map_or("", String::as_str)
    }

    /// A command with the KDC's settings in its environment.
    pub(crate) fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env_remove("KRB5_TRACE")
            .env("LC_ALL", "C")
            .env("TZ", "UTC");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Runs `program args…` (with `stdin` fed) and returns its stdout; panics on failure.
    pub(crate) fn run(&self, program: &str, args: &[&str], stdin: &str) -> String {
        self.run_env(program, args, stdin, &[])
    }

    /// [`TestKdc::run`] with extra environment variables.
    pub(crate) fn run_env(
        &self,
        program: &str,
        args: &[&str],
        stdin: &str,
        env: &[(&str, &str)],
    ) -> String {
        use std::io::Write;
        let mut c = self.cmd(program);
        c.args(args).envs(env.iter().copied());
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap_or_else(|e| panic!("{program}: {e}"));
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(stdin.as_bytes())
            .expect("stdin");
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Stops the KDC now (the directory stays until drop).
    pub(crate) fn stop(&self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("tests/kerberos/{}-kdc.sh", self.kind));
        let _ = Command::new("bash")
            .arg(script)
            .arg("stop")
            .arg(&self.dir)
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for TestKdc {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `YY/MM/DD`-style rendering as `klist` prints times under `LC_ALL=C TZ=UTC`:
/// `MM/DD/YY HH:MM:SS`.
pub(crate) fn klist_time(t: i64) -> String {
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{:02}/{:02}/{:02} {:02}:{:02}:{:02}",
        m,
        d,
        y % 100,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}
