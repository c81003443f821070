//! Where environment values come from, and reading one that must parse:
//! a value that does not is an error at start naming the variable, never a
//! placeholder to be caught later.

use std::collections::BTreeMap;
use std::str::FromStr;

use switchboard_core::Error;

/// Where environment values come from; a map in tests, the process otherwise.
pub trait Environment {
    /// The value of `name`, if set and not empty.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Environment for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).cloned()
    }
}

/// The whole number in `name`, which stands for the setting `key`; `None`
/// when unset. The error names both and not the value, which could be
/// anything, a secret pasted in the wrong place included.
pub(crate) fn whole_number<T: FromStr>(
    env: &dyn Environment,
    name: &str,
    key: &str,
) -> Result<Option<T>, Error> {
    let Some(text) = env.var(name) else {
        return Ok(None);
    };
    text.parse().map(Some).map_err(|_| Error::Configuration {
        message: format!("{name} ({key}) must be a whole number without sign or unit"),
    })
}

/// An environment of exactly `pairs`, for tests.
#[cfg(test)]
pub(crate) fn test_env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_number_is_read_and_anything_else_names_the_variable() {
        let read = |value: &str| whole_number::<u64>(&test_env(&[("SB_X", value)]), "SB_X", "x");
        assert_eq!(read("42").unwrap(), Some(42));
        assert_eq!(read("").unwrap(), None);
        for bad in ["-1", "5s", "soon", " 5", "18446744073709551616"] {
            let err = read(bad).unwrap_err().to_string();
            assert!(err.contains("SB_X (x)"), "{bad}: {err}");
            assert!(
                !err.contains(bad.trim()),
                "{bad}: the value is echoed: {err}"
            );
        }
    }
}
