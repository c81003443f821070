//! The carrier side: what every carrier adapter (and the fake) implements.

use std::fmt::Debug;

use async_trait::async_trait;

use crate::{
    AvailableNumber, Capabilities, Error, NumberType, OrderStatus, Page, PageRequest, PhoneNumber,
    PurchaseOutcome, Result, Routing, SearchQuery,
};

/// What to buy, as the carrier needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseRequest {
    /// The number, from a search result.
    pub phone_number: PhoneNumber,
    /// Display name to store at the carrier.
    pub friendly_name: Option<String>,
    /// Webhooks to set at once.
    pub routing: Routing,
}

/// A number as the carrier reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierNumber {
    /// The carrier's id (Twilio `PN...`, SignalWire UUID, the fake's own).
    pub carrier_id: String,
    /// The number.
    pub phone_number: PhoneNumber,
    /// The carrier's display name.
    pub friendly_name: Option<String>,
    /// What it can do.
    pub capabilities: Capabilities,
    /// Webhooks as the carrier holds them.
    pub routing: Routing,
}

/// A change to a number at the carrier; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CarrierUpdate {
    /// New display name.
    pub friendly_name: Option<String>,
    /// New webhooks; set fields replace, unset ones are left alone.
    pub routing: Option<Routing>,
}

/// What a carrier can do, so that callers (and the service) can refuse a
/// query up front instead of having a filter silently dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderFeatures {
    /// Number types it sells.
    pub number_types: Vec<NumberType>,
    /// Search by area code.
    pub area_code: bool,
    /// `DigitPattern::Contains`.
    pub contains: bool,
    /// `DigitPattern::StartsWith`.
    pub starts_with: bool,
    /// `DigitPattern::EndsWith`.
    pub ends_with: bool,
    /// Search by region.
    pub region: bool,
    /// Search by locality.
    pub locality: bool,
    /// Search by postal code.
    pub postal_code: bool,
    /// Filter by required capabilities.
    pub capability_filter: bool,
    /// `*` (any one digit) inside a pattern. Letters need no flag: a
    /// carrier that takes digits only is given the keypad digits.
    pub pattern_wildcards: bool,
    /// The most results one search returns.
    pub max_search_results: u32,
}

impl ProviderFeatures {
    /// Everything, up to `max_search_results` results.
    pub fn all(max_search_results: u32) -> Self {
        Self {
            number_types: vec![NumberType::Local, NumberType::TollFree, NumberType::Mobile],
            area_code: true,
            contains: true,
            starts_with: true,
            ends_with: true,
            region: true,
            locality: true,
            postal_code: true,
            capability_filter: true,
            pattern_wildcards: true,
            max_search_results,
        }
    }

    /// [`Error::NotSupported`] naming the first part of `query` that
    /// `provider` cannot apply.
    pub fn check(&self, provider: &str, query: &SearchQuery) -> Result<()> {
        let unsupported = |what: &str| {
            Err(Error::NotSupported {
                provider: provider.to_string(),
                what: what.to_string(),
            })
        };
        if !self.number_types.contains(&query.number_type) {
            return unsupported(&format!("{} numbers", query.number_type));
        }
        if query.area_code.is_some() && !self.area_code {
            return unsupported("search by area_code");
        }
        match &query.pattern {
            Some(crate::DigitPattern::Contains(_)) if !self.contains => {
                return unsupported("search by a 'contains' pattern");
            }
            Some(crate::DigitPattern::StartsWith(_)) if !self.starts_with => {
                return unsupported("search by a 'starts_with' pattern");
            }
            Some(crate::DigitPattern::EndsWith(_)) if !self.ends_with => {
                return unsupported("search by an 'ends_with' pattern");
            }
            _ => {}
        }
        if query.pattern.as_ref().is_some_and(|p| p.has_wildcards()) && !self.pattern_wildcards {
            return unsupported("a pattern with '*' wildcards");
        }
        if query.region.is_some() && !self.region {
            return unsupported("search by region");
        }
        if query.locality.is_some() && !self.locality {
            return unsupported("search by locality");
        }
        if query.postal_code.is_some() && !self.postal_code {
            return unsupported("search by postal_code");
        }
        if !query.capabilities.is_empty() && !self.capability_filter {
            return unsupported("search by capabilities");
        }
        Ok(())
    }
}

/// A carrier that sells phone numbers.
///
/// Object safe, used as `Arc<dyn TelephonyProvider>`. Every method reports
/// failures as [`Error`], so callers branch on meaning, not on the carrier.
/// Implementations retry idempotent calls themselves (search, find, list,
/// update, release), and say so by returning [`Error::GaveUp`] when the
/// retries ran out, so that nothing above retries them again; they never
/// retry `purchase`: the service settles a lost purchase answer by asking
/// [`TelephonyProvider::find_owned`], and retries only a rate-limited one,
/// which the carrier never processed.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TelephonyProvider: Send + Sync + Debug {
    /// The carrier's name as recorded on numbers (`twilio`, `signalwire`,
    /// `fake`). Numbers are managed by the provider of this name for life.
    fn name(&self) -> &str;

    /// What this carrier can do.
    fn features(&self) -> ProviderFeatures;

    /// Numbers for sale matching `query`, at most `query.limit` of them.
    async fn search(&self, query: &SearchQuery) -> Result<Vec<AvailableNumber>>;

    /// Buys a number: sold at once, or an order the carrier completes later
    /// ([`PurchaseOutcome::Pending`]). [`Error::NumberUnavailable`] when
    /// someone else has it.
    async fn purchase(&self, request: &PurchaseRequest) -> Result<PurchaseOutcome>;

    /// Where an order that [`TelephonyProvider::purchase`] left pending
    /// stands now. Carriers that never answer `Pending` keep the default,
    /// which says they have no orders.
    ///
    /// [`Error::NotFound`] means the carrier knows no such order. The
    /// service then asks [`TelephonyProvider::find_owned`]: a number the
    /// carrier holds is recorded bought; otherwise the number stays held,
    /// since a missing order proves nothing about whether it completes. So
    /// answer `NotFound` only for an order the carrier does not know, and a
    /// temporary error (which is asked again later) for one it cannot be
    /// asked about now.
    async fn order_status(&self, order_id: &str) -> Result<OrderStatus> {
        Err(Error::NotSupported {
            provider: self.name().to_string(),
            what: format!("purchase orders (asked about order {order_id:?})"),
        })
    }

    /// The owned number with this E.164 value, if the account owns it.
    async fn find_owned(&self, phone_number: &PhoneNumber) -> Result<Option<CarrierNumber>>;

    /// One page of the numbers the account owns.
    async fn list_owned(&self, page: &PageRequest) -> Result<Page<CarrierNumber>>;

    /// Changes the name or routing of an owned number.
    async fn update(&self, carrier_id: &str, update: &CarrierUpdate) -> Result<CarrierNumber>;

    /// Gives a number back. [`Error::NotFound`] if it is not owned (callers
    /// treat that as done, unless it was bought within
    /// [`TelephonyProvider::not_found_window`]); [`Error::RetryLater`] if
    /// the carrier refuses for now. A carrier id that cannot be one of this
    /// carrier's is [`Error::InvalidInput`], never `NotFound`.
    async fn release(&self, carrier_id: &str) -> Result<()>;

    /// How long after selling a number this carrier may still answer "not
    /// found" for it (Twilio has been seen doing so for a moment). Within
    /// this window a `NotFound` is not proof that the number is gone: the
    /// service keeps the release pending and tries again after it.
    fn not_found_window(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DigitPattern;

    #[test]
    fn unsupported_filters_are_named() {
        let mut features = ProviderFeatures::all(30);
        features.number_types = vec![NumberType::Local, NumberType::TollFree];
        features.capability_filter = false;
        let err = features
            .check(
                "signalwire",
                &SearchQuery::default().number_type(NumberType::Mobile),
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "signalwire does not support mobile numbers"
        );
        let voice = Capabilities {
            voice: true,
            ..Default::default()
        };
        let err = features
            .check("signalwire", &SearchQuery::default().capabilities(voice))
            .unwrap_err();
        assert!(err.to_string().contains("capabilities"));
        assert!(
            features
                .check(
                    "signalwire",
                    &SearchQuery::default().pattern(DigitPattern::EndsWith("12".into()))
                )
                .is_ok()
        );
    }
}
