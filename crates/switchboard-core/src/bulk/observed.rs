//! A carrier whose every call reports to the bulk's [`Limiter`] as it ends,
//! the calls the service makes inside `provision` included: a refusal then
//! lowers the limit the moment it arrives, not after the service has finished
//! settling the purchase it refused.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;

use super::limiter::{CallOutcome, Limiter};
use crate::{
    AvailableNumber, CarrierNumber, CarrierUpdate, Error, Page, PageRequest, PhoneNumber,
    ProviderFeatures, PurchaseRequest, Result, SearchQuery, TelephonyProvider,
};

/// `inner`, observed by `limiter`.
#[derive(Debug)]
pub(crate) struct Observed {
    inner: Arc<dyn TelephonyProvider>,
    limiter: Arc<Limiter>,
}

impl Observed {
    pub(crate) fn new(inner: Arc<dyn TelephonyProvider>, limiter: Arc<Limiter>) -> Self {
        Self { inner, limiter }
    }

    async fn observe<T>(&self, call: impl Future<Output = Result<T>>) -> Result<T> {
        let mark = self.limiter.call_started().await;
        let result = call.await;
        let outcome = match &result {
            Err(Error::RateLimited { .. }) => CallOutcome::RateLimited,
            Err(Error::Transport { .. }) => CallOutcome::Unknown,
            _ => CallOutcome::Accepted,
        };
        self.limiter.call_ended(mark, outcome);
        result
    }
}

#[async_trait]
impl TelephonyProvider for Observed {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn features(&self) -> ProviderFeatures {
        self.inner.features()
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<AvailableNumber>> {
        self.observe(self.inner.search(query)).await
    }

    async fn purchase(&self, request: &PurchaseRequest) -> Result<CarrierNumber> {
        self.observe(self.inner.purchase(request)).await
    }

    async fn find_owned(&self, phone_number: &PhoneNumber) -> Result<Option<CarrierNumber>> {
        self.observe(self.inner.find_owned(phone_number)).await
    }

    async fn list_owned(&self, page: &PageRequest) -> Result<Page<CarrierNumber>> {
        self.observe(self.inner.list_owned(page)).await
    }

    async fn update(&self, carrier_id: &str, update: &CarrierUpdate) -> Result<CarrierNumber> {
        self.observe(self.inner.update(carrier_id, update)).await
    }

    async fn release(&self, carrier_id: &str) -> Result<()> {
        self.observe(self.inner.release(carrier_id)).await
    }
}
