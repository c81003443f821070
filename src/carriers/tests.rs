//! The carrier table, through the configuration it reads and the
//! carriers it builds.

use super::*;
#[cfg(all(feature = "twilio", feature = "signalwire"))]
use crate::config::test_env as env;

#[test]
fn carriers_are_chosen_by_configuration() {
    let config = Config::from_toml(
        "default_provider = \"signalwire\"\n[providers.signalwire]\nspace_url = \"example.signalwire.com\"\n",
    )
    .unwrap();
    assert_eq!(config.default_provider_name().unwrap(), "signalwire");
    let config = Config::from_toml("[providers.fake]\n[providers.twilio]\n").unwrap();
    assert_eq!(config.configured_providers(), vec!["fake", "twilio"]);
    let err = config.default_provider_name().unwrap_err();
    assert!(err.to_string().contains("set default_provider"), "{err}");
    let config = Config::from_toml("default_provider = \"twilio\"").unwrap();
    assert_eq!(config.configured_providers(), vec!["twilio"]);
    let config = Config::from_toml("default_provider = \"nope\"").unwrap();
    assert_eq!(config.configured_providers(), vec!["fake"]);
    let err = config.default_provider_name().unwrap_err();
    assert_eq!(
        err.to_string(),
        "configuration error: unknown provider \"nope\"; known: fake, signalwire, telnyx, twilio"
    );
}

#[cfg(all(feature = "twilio", feature = "signalwire"))]
#[test]
fn carriers_are_chosen_by_the_environment() {
    let mut config = Config::default();
    config
        .apply_env(&env(&[
            ("TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000"),
            ("TWILIO_AUTH_TOKEN", "tok"),
        ]))
        .unwrap();
    assert_eq!(config.configured_providers(), vec!["twilio"]);
    assert_eq!(config.default_provider_name().unwrap(), "twilio");
    let mut config = Config::default();
    config
        .apply_env(&env(&[
            ("SIGNALWIRE_TOKEN", "t"),
            ("SWITCHBOARD_PROVIDER", "nope"),
        ]))
        .unwrap();
    let signalwire = config.providers.signalwire.as_ref().unwrap();
    let token = signalwire.api_token.as_ref().map(|t| {
        use secrecy::ExposeSecret;
        t.expose_secret().to_string()
    });
    assert_eq!(token.as_deref(), Some("t"));
    let err = config.default_provider_name().unwrap_err();
    assert!(
        err.to_string().contains("unknown provider \"nope\""),
        "{err}"
    );
    // The environment wins over the file, key by key.
    let mut config = Config::from_toml(
        "[providers.twilio]\naccount_sid = \"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\nbase_url = \"http://file\"\n",
    )
    .unwrap();
    config
        .apply_env(&env(&[("TWILIO_BASE_URL", "http://env")]))
        .unwrap();
    let twilio = config.providers.twilio.as_ref().unwrap();
    assert_eq!(twilio.base_url.as_deref(), Some("http://env"));
    assert!(twilio.account_sid.is_some());
}

#[test]
fn the_table_knows_every_carrier_whether_compiled_or_not() {
    assert_eq!(KNOWN_CARRIERS, ["fake", "signalwire", "telnyx", "twilio"]);
    let compiled = compiled_providers();
    assert!(compiled.iter().all(|name| KNOWN_CARRIERS.contains(name)));
    assert_eq!(compiled.contains(&"twilio"), cfg!(feature = "twilio"));
    assert_eq!(compiled.contains(&"fake"), cfg!(feature = "fake"));
    let err = not_compiled("twilio").to_string();
    assert!(err.contains("Cargo feature \"twilio\""), "{err}");
    assert!(err.contains(&compiled.join(", ")), "{err}");
}

/// A carrier not compiled in is accepted in the file and named when it
/// is to be used.
#[cfg(not(feature = "twilio"))]
#[test]
fn a_carrier_not_compiled_in_is_named_with_the_feature_to_enable() {
    let config = Config::from_toml("[providers.twilio]\nauth_token = \"t\"\n").unwrap();
    let err = Carriers::configure(&config).err().unwrap();
    assert!(err.to_string().contains("not compiled"), "{err}");
    assert!(!format!("{config:?}").contains("\"t\""));
}

/// The window reaches the adapters' sections from the file, and a
/// window past a week is refused, naming the section.
#[cfg(all(feature = "twilio", feature = "signalwire"))]
#[test]
fn the_not_found_window_is_configurable_per_carrier_and_checked() {
    let credentials = "account_sid = \"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\nauth_token = \"t\"\n";
    let config = Config::from_toml(&format!(
        "[providers.twilio]\n{credentials}not_found_window_seconds = 0\n\
         [providers.signalwire]\nspace_url = \"example.signalwire.com\"\n\
         project_id = \"p\"\napi_token = \"t\"\nnot_found_window_seconds = 90\n",
    ))
    .unwrap();
    let twilio = config.providers.twilio.as_ref().unwrap().config().unwrap();
    assert_eq!(twilio.not_found_window_value(), std::time::Duration::ZERO);
    let signalwire = config.providers.signalwire.as_ref().unwrap();
    assert_eq!(
        signalwire.config().unwrap().not_found_window(),
        std::time::Duration::from_secs(90)
    );
    let config = Config::from_toml(&format!(
        "[providers.twilio]\n{credentials}not_found_window_seconds = 604801\n"
    ))
    .unwrap();
    let err = Carriers::configure(&config).err().unwrap().to_string();
    assert!(err.contains("not_found_window_seconds"), "{err}");
    assert!(err.contains("providers.twilio"), "{err}");
}

/// The window reaches the adapters: 0 where the TOML says so, the
/// adapters' own defaults where it says nothing.
#[cfg(all(feature = "twilio", feature = "signalwire"))]
#[test]
fn the_not_found_window_reaches_the_adapters() {
    let section = "[providers.twilio]\naccount_sid = \"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n\
                   auth_token = \"t\"\n";
    let signalwire = "[providers.signalwire]\nspace_url = \"example.signalwire.com\"\n\
                      project_id = \"p\"\napi_token = \"t\"\n";
    let window = |toml: &str, carrier: &str| {
        let config = Config::from_toml(&format!("default_provider = \"twilio\"\n{toml}")).unwrap();
        let registry = crate::build_registry(&config).unwrap();
        registry.require(carrier).unwrap().not_found_window()
    };
    let defaults = format!("{section}{signalwire}");
    assert_eq!(
        window(&defaults, "twilio"),
        switchboard_twilio::DEFAULT_NOT_FOUND_WINDOW
    );
    assert_eq!(
        window(&defaults, "signalwire"),
        switchboard_signalwire::SignalWireConfig::DEFAULT_NOT_FOUND_WINDOW
    );
    let set = format!(
        "{section}not_found_window_seconds = 0\n{signalwire}not_found_window_seconds = 30\n"
    );
    assert_eq!(window(&set, "twilio"), std::time::Duration::ZERO);
    assert_eq!(
        window(&set, "signalwire"),
        std::time::Duration::from_secs(30)
    );
    let too_long = format!("{section}not_found_window_seconds = 9999999\n{signalwire}");
    let config = Config::from_toml(&format!("default_provider = \"twilio\"\n{too_long}")).unwrap();
    let err = crate::build_registry(&config).unwrap_err();
    assert!(
        err.to_string().contains("not_found_window_seconds"),
        "{err}"
    );
}

/// The README's configuration example, with every commented-out option
/// switched on, is a configuration these sections read: a key the
/// README documents and no adapter has fails here.
#[cfg(all(feature = "fake", feature = "twilio", feature = "signalwire"))]
#[test]
fn the_readmes_configuration_example_reads_with_every_option_on() {
    let readme = include_str!("../../README.md");
    let section = &readme[readme
        .find("## Choosing a carrier by configuration")
        .unwrap()..];
    let start = section.find("```toml\n").unwrap() + "```toml\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let every_option: String = example
        .lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(option) if option.contains(" = ") => option,
            _ => line,
        })
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(
        every_option.contains("\nemergency_address_sid = "),
        "{every_option}"
    );
    let config = Config::from_toml(&every_option).unwrap();
    let twilio = config.providers.twilio.as_ref().unwrap();
    assert_eq!(twilio.request_timeout_ms, Some(30_000));
    assert_eq!(
        twilio.retry,
        Some(switchboard_core::RetryPolicy::default()),
        "the README's retry table shows the defaults"
    );
    assert!(
        config
            .providers
            .fake
            .as_ref()
            .unwrap()
            .release_cooldown_seconds
            .is_some()
    );
    let signalwire = config.providers.signalwire.as_ref().unwrap();
    assert_eq!(signalwire.connect_timeout_ms, Some(5_000));
}

#[cfg(all(feature = "twilio", feature = "signalwire"))]
#[test]
fn carrier_secrets_never_show_in_debug() {
    let mut config = Config::from_toml(
        "[providers.twilio]\nwebhook_auth_token = \"tw-secret-1\"\n\
         [providers.twilio.webhook_signature_keys]\nk = \"tw-secret-2\"\n\
         [providers.signalwire]\nsigning_key = \"sw-secret-3\"\n",
    )
    .unwrap();
    config
        .apply_env(&env(&[("SIGNALWIRE_API_TOKEN", "sw-secret-4")]))
        .unwrap();
    let shown = format!("{config:?}");
    for secret in ["tw-secret-1", "tw-secret-2", "sw-secret-3", "sw-secret-4"] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
}
