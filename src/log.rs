//! `SECUR32_LOG=error|warn|info|debug|trace` logging to stderr or `SECUR32_LOG_FILE`.
//! Never given secrets: callers log names, packages and statuses only.

use parking_lot::Mutex;
use std::io::Write;
use std::sync::OnceLock;

/// Log levels, most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Off = 0,
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

struct Logger {
    level: Level,
    file: Option<Mutex<std::fs::File>>,
}

fn logger() -> &'static Logger {
    static L: OnceLock<Logger> = OnceLock::new();
    L.get_or_init(|| {
        let level = match std::env::var("SECUR32_LOG")
            .unwrap_or_default()
            .to_ascii_lowercase()
            .as_str()
        {
            "error" => Level::Error,
            "warn" => Level::Warn,
            "info" => Level::Info,
            "debug" => Level::Debug,
            "trace" => Level::Trace,
            _ => Level::Off,
        };
        let file = std::env::var_os("SECUR32_LOG_FILE").and_then(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .ok()
                .map(Mutex::new)
        });
        Logger { level, file }
    })
}

/// True when messages at `level` are written.
pub fn enabled(level: Level) -> bool {
    level != Level::Off && level <= logger().level
}

/// Writes one line if `level` is enabled.
pub fn write(level: Level, args: core::fmt::Arguments<'_>) {
    if !enabled(level) {
        return;
    }
    let line = format!("secur32 [{level:?}] {args}\n");
    let l = logger();
    match &l.file {
        Some(f) => {
            let _ = f.lock().write_all(line.as_bytes());
        }
        None => {
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
    }
}

/// `log!(Level::Warn, "...", args)`.
#[macro_export]
macro_rules! log {
    ($lvl:expr, $($arg:tt)*) => {
        if $crate::log::enabled($lvl) {
            $crate::log::write($lvl, format_args!($($arg)*));
        }
    };
}
