//! How to open a store: the database URL and pool settings, kept so that the
//! URL's password can never leak through `Debug` or an error message.

use std::fmt;
use std::time::Duration;

use switchboard_core::Error;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `sqlite://path`, `sqlite:path` or `sqlite::memory:`.
    Sqlite,
    /// `postgres://...` or `postgresql://...`.
    Postgres,
}

/// Settings for [`crate::SqlRepository::connect_with`].
///
/// `Debug` shows the URL with its password replaced by `***`.
#[derive(Clone)]
pub struct SqlOptions {
    pub(crate) url: String,
    pub(crate) max_connections: Option<u32>,
    pub(crate) acquire_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) busy_timeout: Duration,
    pub(crate) schema: Option<String>,
    pub(crate) test_before_acquire: bool,
    pub(crate) read_cache: Option<Duration>,
    pub(crate) read_cache_capacity: usize,
}

/// How stale a cached read may be by default: short enough that a change
/// made by another process (a re-routed number, a revoked token) is in
/// force before anyone could act on it, long enough that checking costs
/// nothing (the watcher checks five times within it).
pub const DEFAULT_READ_CACHE_STALENESS: Duration = Duration::from_millis(250);

/// How many numbers (and, separately, tokens) the read cache keeps.
pub const DEFAULT_READ_CACHE_CAPACITY: usize = 65_536;

impl SqlOptions {
    /// Options for `url`, with defaults suited to a service: a pool of 8
    /// (SQLite) or 10 (PostgreSQL) connections, 5 s to get a connection
    /// from the pool, 10 s to open one, SQLite waiting up to 5 s for a lock.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: None,
            acquire_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(10),
            busy_timeout: Duration::from_secs(5),
            schema: None,
            test_before_acquire: false,
            read_cache: Some(DEFAULT_READ_CACHE_STALENESS),
            read_cache_capacity: DEFAULT_READ_CACHE_CAPACITY,
        }
    }

    /// The most connections the pool opens. An in-memory SQLite database
    /// always uses one (each connection would otherwise see its own).
    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = Some(max.max(1));
        self
    }

    /// How long an operation waits for a free pooled connection before
    /// failing with a temporary error.
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// How long opening the first connection may take before `connect`
    /// gives up (an unreachable server fails fast instead of hanging).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// SQLite: how long a writer waits for another process's write lock
    /// before the operation fails with a temporary error.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// PostgreSQL: keep the tables in this schema (created if missing)
    /// instead of the server's default search path, so several deployments
    /// (or test runs) can share one database. 1 to 63 characters of
    /// `a-z 0-9 _`, not starting with a digit.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// PostgreSQL: whether a pooled connection is checked with a round trip
    /// before each use. Off by default: the pool already checks each
    /// connection when it is given back, and the extra round trip costs
    /// about a third of the lookup rate (see BENCHMARKS.md). With it off, a
    /// connection killed while idle fails one operation with a temporary
    /// error and the pool replaces it; turn it on where the server or a
    /// proxy drops idle connections often.
    pub fn test_before_acquire(mut self, test: bool) -> Self {
        self.test_before_acquire = test;
        self
    }

    /// Keeps the numbers found by phone number and the tokens found by hash
    /// in memory, so the two reads every API request makes (on by default,
    /// with [`DEFAULT_READ_CACHE_STALENESS`]).
    ///
    /// A change made through this repository is seen by its next read. A
    /// change another process commits is seen within `max_staleness`: a
    /// watcher (PostgreSQL `LISTEN`, or SQLite's `data_version`) drops what
    /// changed, and the cache stops answering whenever the watcher has not
    /// confirmed within `max_staleness` that it is keeping up. An in-memory
    /// SQLite database has no other process and is never cached.
    pub fn read_cache(mut self, max_staleness: Duration) -> Self {
        self.read_cache = Some(max_staleness.max(Duration::from_millis(5)));
        self
    }

    /// Every read goes to the database: for a deployment whose other
    /// writers must be seen at once, or behind a PostgreSQL proxy that does
    /// not pass `LISTEN` through (the cache would only ever miss there).
    pub fn without_read_cache(mut self) -> Self {
        self.read_cache = None;
        self
    }

    /// How many numbers (and, separately, tokens) the read cache keeps
    /// ([`DEFAULT_READ_CACHE_CAPACITY`] by default). When full it starts
    /// over empty rather than tracking what was used least.
    pub fn read_cache_capacity(mut self, entries: usize) -> Self {
        self.read_cache_capacity = entries.max(1);
        self
    }

    /// The read cache's settings, `None` when reads are not cached.
    pub(crate) fn cache_settings(&self) -> Option<crate::cache::CacheSettings> {
        if self.is_sqlite_memory() {
            return None;
        }
        self.read_cache
            .map(|max_staleness| crate::cache::CacheSettings {
                max_staleness,
                capacity: self.read_cache_capacity,
            })
    }

    /// The URL with its password replaced by `***`, for messages and logs.
    pub fn redacted_url(&self) -> String {
        redact_url(&self.url)
    }

    pub(crate) fn flavor(&self) -> Result<Flavor, Error> {
        let scheme = self.url.split_once(':').map(|(s, _)| s).unwrap_or("");
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Flavor::Sqlite),
            "postgres" | "postgresql" => Ok(Flavor::Postgres),
            _ => Err(Error::Configuration {
                message: format!(
                    "database URL {} is not a sqlite:// or postgres:// URL",
                    self.redacted_url()
                ),
            }),
        }
    }

    /// Whether the URL names a private in-memory SQLite database.
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    pub(crate) fn is_sqlite_memory(&self) -> bool {
        let rest = self
            .url
            .strip_prefix("sqlite://")
            .or_else(|| self.url.strip_prefix("sqlite:"))
            .unwrap_or("");
        let (database, params) = rest.split_once('?').unwrap_or((rest, ""));
        database == ":memory:" || params.split('&').any(|p| p == "mode=memory")
    }

    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn checked_schema(&self) -> Result<Option<&str>, Error> {
        let Some(schema) = self.schema.as_deref() else {
            return Ok(None);
        };
        let valid = !schema.is_empty()
            && schema.len() <= 63
            && !schema.starts_with(|c: char| c.is_ascii_digit())
            && schema
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if valid {
            Ok(Some(schema))
        } else {
            Err(Error::Configuration {
                message: format!(
                    "schema {schema:?} must be 1 to 63 characters of a-z, 0-9 and '_', not starting with a digit"
                ),
            })
        }
    }

    /// The secrets in the URL, to scrub from any text that quotes a driver.
    pub(crate) fn secrets(&self) -> Vec<String> {
        let mut secrets = Vec::new();
        if let Some(password) = userinfo_password(&self.url) {
            secrets.push(password.to_string());
            if let Ok(decoded) = percent_decode(password) {
                secrets.push(decoded);
            }
        }
        for (key, value) in query_params(&self.url) {
            if is_secret_param(key) && !value.is_empty() {
                secrets.push(value.to_string());
                if let Ok(decoded) = percent_decode(value) {
                    secrets.push(decoded);
                }
            }
        }
        secrets.retain(|s| !s.is_empty());
        secrets.sort();
        secrets.dedup();
        secrets
    }
}

impl fmt::Debug for SqlOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlOptions")
            .field("url", &self.redacted_url())
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("busy_timeout", &self.busy_timeout)
            .field("schema", &self.schema)
            .field("test_before_acquire", &self.test_before_acquire)
            .field("read_cache", &self.read_cache)
            .field("read_cache_capacity", &self.read_cache_capacity)
            .finish()
    }
}

/// Replaces secret text in driver messages, which may quote the URL.
#[derive(Clone, Default)]
pub(crate) struct Scrubber {
    secrets: Vec<String>,
}

impl Scrubber {
    pub(crate) fn new(options: &SqlOptions) -> Self {
        // Longest first, so a secret containing another is replaced whole.
        let mut secrets = options.secrets();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Self { secrets }
    }

    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), "***");
            }
        }
        text
    }
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Scrubber { .. }")
    }
}

fn is_secret_param(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("password") || key.contains("secret") || key == "sslkey"
}

/// `user:password@host` part of `scheme://user:password@host/...`.
fn authority(url: &str) -> Option<(usize, &str)> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some((start, &rest[..end]))
}

fn userinfo_password(url: &str) -> Option<&str> {
    let (_, authority) = authority(url)?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    userinfo.split_once(':').map(|(_, password)| password)
}

fn query_params(url: &str) -> impl Iterator<Item = (&str, &str)> {
    let query = url
        .split_once('?')
        .map(|(_, q)| q.split('#').next().unwrap_or(""))
        .unwrap_or("");
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

fn percent_decode(text: &str) -> Result<String, ()> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or(())?;
            let hex = std::str::from_utf8(hex).map_err(|_| ())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

/// `url` with the password of its user info and any password-like query
/// parameter replaced by `***`. Text that is not a URL comes back with
/// everything after the scheme hidden, since it cannot be told apart.
pub fn redact_url(url: &str) -> String {
    let Some((start, authority)) = authority(url) else {
        return match url.split_once(':') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("sqlite") => {
                format!("{scheme}:{rest}")
            }
            Some((scheme, _)) => format!("{scheme}:***"),
            None => "***".to_string(),
        };
    };
    let mut out = String::with_capacity(url.len());
    out.push_str(&url[..start]);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            match userinfo.split_once(':') {
                Some((user, _)) => {
                    out.push_str(user);
                    out.push_str(":***");
                }
                None => out.push_str(userinfo),
            }
            out.push('@');
            out.push_str(host);
        }
        None => out.push_str(authority),
    }
    let rest = &url[start + authority.len()..];
    match rest.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let (query, fragment) = match query.split_once('#') {
                Some((q, f)) => (q, Some(f)),
                None => (query, None),
            };
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((key, _)) if is_secret_param(key) => format!("{key}=***"),
                    _ => p.to_string(),
                })
                .collect();
            out.push_str(&params.join("&"));
            if let Some(fragment) = fragment {
                out.push('#');
                out.push_str(fragment);
            }
        }
        None => out.push_str(rest),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_wherever_the_url_puts_them() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db.internal:5432/numbers"),
            "postgres://app:***@db.internal:5432/numbers"
        );
        assert_eq!(
            redact_url("postgres://app@db/numbers?password=s3cret&sslmode=disable"),
            "postgres://app@db/numbers?password=***&sslmode=disable"
        );
        assert_eq!(
            redact_url("postgres://a:p%40ss@h/d"),
            "postgres://a:***@h/d"
        );
        assert_eq!(
            redact_url("sqlite://data/numbers.db"),
            "sqlite://data/numbers.db"
        );
        assert_eq!(redact_url("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(redact_url("mysql:whatever"), "mysql:***");
        assert_eq!(redact_url("no scheme at all"), "***");
    }

    #[test]
    fn secrets_include_decoded_forms() {
        let options = SqlOptions::new("postgres://a:p%40ss@h/d?sslpassword=k3y");
        let scrubber = Scrubber::new(&options);
        assert_eq!(
            scrubber.scrub("failed for p@ss and p%40ss and k3y"),
            "failed for *** and *** and ***"
        );
    }

    #[test]
    fn debug_hides_the_password() {
        let options = SqlOptions::new("postgres://app:hunter2@db/n").max_connections(3);
        let shown = format!("{options:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://app:***@db/n"), "{shown}");
    }

    #[test]
    fn schemes_and_schemas_are_checked() {
        assert_eq!(
            SqlOptions::new("sqlite::memory:").flavor().ok(),
            Some(Flavor::Sqlite)
        );
        assert_eq!(
            SqlOptions::new("postgresql://h/d").flavor().ok(),
            Some(Flavor::Postgres)
        );
        let err = SqlOptions::new("mysql://root:pw@h/d").flavor().unwrap_err();
        assert!(err.to_string().contains("mysql://root:***@h/d"), "{err}");
        assert!(SqlOptions::new("sqlite::memory:").is_sqlite_memory());
        assert!(!SqlOptions::new("sqlite://x.db").is_sqlite_memory());
        let bad = SqlOptions::new("postgres://h/d").schema("Robert'); DROP");
        assert!(bad.checked_schema().is_err());
        let good = SqlOptions::new("postgres://h/d").schema("tenant_1");
        assert_eq!(good.checked_schema().ok().flatten(), Some("tenant_1"));
    }
}
