//! Core's webhook routing on Telnyx, where a number holds no URL.
//!
//! A Telnyx number routes calls to a *connection* (`connection_id`: a SIP
//! connection, or a TeXML or Call Control application, which holds the
//! webhook URL) and messages to a *messaging profile*
//! (`messaging_profile_id`, which holds its own). Core's [`Routing`] names
//! webhook URLs. The two meet in configuration: each URL a deployment
//! routes to is written down with the connection or profile that delivers
//! to it, and the adapter maps both ways, a URL to its id when writing and
//! an id back to its URL when reading.
//!
//! What cannot be mapped is refused as [`Error::NotSupported`] naming the
//! field, never dropped and never approximated: a URL without a configured
//! connection (Telnyx cannot be told a URL per number), a status callback
//! (Telnyx numbers have none; status events are the connection's), and a
//! `GET` method (Telnyx delivers webhooks as `POST`s of JSON). A number
//! whose connection is not in the table reads back without a voice URL:
//! it is routed somewhere this configuration cannot name.

use std::fmt;

use switchboard_core::{Error, Result, Routing, WebhookMethod, WebhookUrl};

use crate::config::config_error;
use crate::errors::PROVIDER;

/// The configured URL-to-id pairs, both ways unique.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Routes {
    voice: Vec<(WebhookUrl, String)>,
    messaging: Vec<(WebhookUrl, String)>,
}

impl fmt::Debug for Routes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // URLs can carry tokens in their query: counted, not shown.
        f.debug_struct("Routes")
            .field("voice", &self.voice.len())
            .field("messaging", &self.messaging.len())
            .finish()
    }
}

/// Where a number's calls and messages go, in Telnyx's terms; `None`
/// leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TelnyxRouting {
    pub(crate) connection_id: Option<String>,
    pub(crate) messaging_profile_id: Option<String>,
}

impl Routes {
    pub(crate) fn add_voice(&mut self, url: &str, connection_id: String) -> Result<()> {
        add(&mut self.voice, "voice_connections", url, connection_id)
    }

    pub(crate) fn add_messaging(&mut self, url: &str, profile_id: String) -> Result<()> {
        add(&mut self.messaging, "messaging_profiles", url, profile_id)
    }

    /// `routing` as Telnyx ids, or the first part of it Telnyx cannot hold.
    pub(crate) fn to_telnyx(&self, routing: &Routing) -> Result<TelnyxRouting> {
        if routing.status_callback.is_some() {
            return Err(unsupported(
                "routing.status_callback (a Telnyx number has no status callback; \
                 call events go to its connection's webhook)",
            ));
        }
        for (field, method) in [
            ("routing.voice_method", routing.voice_method),
            ("routing.sms_method", routing.sms_method),
        ] {
            if method == Some(WebhookMethod::Get) {
                return Err(unsupported(&format!(
                    "{field} GET (Telnyx delivers webhooks as POST)"
                )));
            }
        }
        let find = |table: &[(WebhookUrl, String)], url: &Option<WebhookUrl>, field, key| {
            url.as_ref()
                .map(|url| {
                    table
                        .iter()
                        .find(|(known, _)| known == url)
                        .map(|(_, id)| id.clone())
                        .ok_or_else(|| {
                            unsupported(&format!(
                                "{field} to a URL without a configured route (a Telnyx number \
                                 routes to an id, not a URL: add the URL to \
                                 [providers.telnyx.{key}])"
                            ))
                        })
                })
                .transpose()
        };
        Ok(TelnyxRouting {
            connection_id: find(
                &self.voice,
                &routing.voice_url,
                "routing.voice_url",
                "voice_connections",
            )?,
            messaging_profile_id: find(
                &self.messaging,
                &routing.sms_url,
                "routing.sms_url",
                "messaging_profiles",
            )?,
        })
    }

    /// The routing a number on these ids has, as far as the table names
    /// them; the method is Telnyx's one, `POST`.
    pub(crate) fn to_core(
        &self,
        connection_id: Option<&str>,
        messaging_profile_id: Option<&str>,
    ) -> Routing {
        let find = |table: &[(WebhookUrl, String)], id: Option<&str>| {
            let id = id?;
            table
                .iter()
                .find(|(_, known)| known == id)
                .map(|(url, _)| url.clone())
        };
        let voice_url = find(&self.voice, connection_id);
        let sms_url = find(&self.messaging, messaging_profile_id);
        Routing {
            voice_method: voice_url.as_ref().map(|_| WebhookMethod::Post),
            voice_url,
            sms_method: sms_url.as_ref().map(|_| WebhookMethod::Post),
            sms_url,
            status_callback: None,
        }
    }
}

fn add(table: &mut Vec<(WebhookUrl, String)>, key: &str, url: &str, id: String) -> Result<()> {
    let url = WebhookUrl::parse(url.trim())
        .map_err(|why| config_error(format!("[providers.telnyx.{key}] a URL {why}")))?;
    // Both ways unique, so that reading an id back names one URL.
    if table.iter().any(|(known, _)| *known == url) {
        return Err(config_error(format!(
            "[providers.telnyx.{key}] names one URL twice"
        )));
    }
    if table.iter().any(|(_, known)| *known == id) {
        return Err(config_error(format!(
            "[providers.telnyx.{key}] gives one id to two URLs; a number on it could not \
             be read back as either"
        )));
    }
    table.push((url, id));
    Ok(())
}

fn unsupported(what: &str) -> Error {
    Error::NotSupported {
        provider: PROVIDER.into(),
        what: what.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(u: &str) -> Option<WebhookUrl> {
        Some(WebhookUrl::parse(u).unwrap())
    }

    fn routes() -> Routes {
        let mut routes = Routes::default();
        routes
            .add_voice(
                "https://agent.example.com/voice",
                "1293384261075731499".into(),
            )
            .unwrap();
        routes
            .add_messaging(
                "https://agent.example.com/sms",
                "abc85f64-5717-4562-b3fc-2c9600000000".into(),
            )
            .unwrap();
        routes
    }

    #[test]
    fn configured_urls_map_both_ways() {
        let routing = Routing {
            voice_url: url("https://agent.example.com/voice"),
            voice_method: Some(WebhookMethod::Post),
            sms_url: url("https://agent.example.com/sms"),
            ..Routing::default()
        };
        let ids = routes().to_telnyx(&routing).unwrap();
        assert_eq!(ids.connection_id.as_deref(), Some("1293384261075731499"));
        assert_eq!(
            ids.messaging_profile_id.as_deref(),
            Some("abc85f64-5717-4562-b3fc-2c9600000000")
        );
        let back = routes().to_core(
            ids.connection_id.as_deref(),
            ids.messaging_profile_id.as_deref(),
        );
        assert_eq!(back.voice_url, routing.voice_url);
        assert_eq!(back.sms_url, routing.sms_url);
        assert_eq!(back.sms_method, Some(WebhookMethod::Post));
        let unknown = routes().to_core(Some("999"), None);
        assert_eq!(unknown, Routing::default());
        assert_eq!(
            routes().to_telnyx(&Routing::default()).unwrap(),
            TelnyxRouting::default()
        );
    }

    #[test]
    fn what_telnyx_cannot_hold_is_refused_by_field() {
        let refused = |routing: Routing| match routes().to_telnyx(&routing) {
            Err(Error::NotSupported { what, .. }) => what,
            other => panic!("{other:?}"),
        };
        let what = refused(Routing {
            voice_url: url("https://elsewhere.example/voice"),
            ..Routing::default()
        });
        assert!(
            what.contains("routing.voice_url") && what.contains("voice_connections"),
            "{what}"
        );
        assert!(!what.contains("elsewhere"), "{what}");
        let what = refused(Routing {
            sms_url: url("https://agent.example.com/voice"),
            ..Routing::default()
        });
        assert!(what.contains("routing.sms_url"), "{what}");
        assert!(
            refused(Routing {
                status_callback: url("https://agent.example.com/status"),
                ..Routing::default()
            })
            .contains("status_callback")
        );
        assert!(
            refused(Routing {
                voice_method: Some(WebhookMethod::Get),
                ..Routing::default()
            })
            .contains("voice_method GET")
        );
    }

    #[test]
    fn the_table_is_unique_both_ways() {
        let mut r = routes();
        assert!(
            r.add_voice("https://agent.example.com/voice", "2".into())
                .is_err()
        );
        assert!(
            r.add_voice(
                "https://agent.example.com/other",
                "1293384261075731499".into()
            )
            .is_err()
        );
        assert!(r.add_voice("not a url", "3".into()).is_err());
        assert!(format!("{r:?}").find("agent").is_none());
    }
}
