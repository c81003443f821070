//! Layers over any [`TelephonyProvider`]: a carrier wrapped with a
//! [`CallHook`] that is told when each call starts and how it ended.
//!
//! What several parts of the system want to know about carrier calls (the
//! bulk limiter's pacing, the service's metrics) is the same two events
//! around every operation, whatever the carrier. Written once here, as
//! OpenDAL's layers wrap any storage backend, neither the adapters nor the
//! service carry the bookkeeping, and a new carrier is observed without a
//! line of its own.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::{
    AvailableNumber, CarrierNumber, CarrierUpdate, Error, OrderStatus, Page, PageRequest,
    PhoneNumber, ProviderFeatures, PurchaseOutcome, PurchaseRequest, Result, SearchQuery,
    TelephonyProvider,
};

/// The operations of [`TelephonyProvider`], as a hook, a metric or the
/// fake's fault script and call log name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// [`TelephonyProvider::search`].
    Search,
    /// [`TelephonyProvider::purchase`].
    Purchase,
    /// [`TelephonyProvider::find_owned`].
    FindOwned,
    /// [`TelephonyProvider::list_owned`].
    ListOwned,
    /// [`TelephonyProvider::update`].
    Update,
    /// [`TelephonyProvider::release`].
    Release,
    /// [`TelephonyProvider::order_status`].
    OrderStatus,
}

impl Operation {
    /// Every operation, in trait order.
    pub const ALL: [Operation; 7] = [
        Operation::Search,
        Operation::Purchase,
        Operation::FindOwned,
        Operation::ListOwned,
        Operation::Update,
        Operation::Release,
        Operation::OrderStatus,
    ];

    /// A stable snake_case name, for metric labels and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Search => "search",
            Operation::Purchase => "purchase",
            Operation::FindOwned => "find_owned",
            Operation::ListOwned => "list_owned",
            Operation::Update => "update",
            Operation::Release => "release",
            Operation::OrderStatus => "order_status",
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a carrier call ended, as a hook is told it.
#[derive(Debug, Clone, Copy)]
pub struct CallEnd<'a> {
    /// The carrier's name ([`TelephonyProvider::name`]).
    pub carrier: &'a str,
    /// What was asked.
    pub operation: Operation,
    /// `None` when it succeeded; the error otherwise, after whatever
    /// retries the adapter made.
    pub error: Option<&'a Error>,
    /// From the start of the call to its end, the adapter's retries and
    /// their waits included.
    pub elapsed: Duration,
}

impl CallEnd<'_> {
    /// `ok`, or the error's [`Error::code`]: a label with few values.
    pub fn outcome(&self) -> &'static str {
        self.error.map_or("ok", Error::code)
    }
}

/// Told around every call of a [`Hooked`] carrier.
///
/// `started` may wait (the bulk limiter holds a call back until the carrier
/// has room for it); `ended` may not, since the call's answer is ready.
#[async_trait]
pub trait CallHook: Send + Sync + std::fmt::Debug + 'static {
    /// What `started` hands to `ended` for the same call.
    type Mark: Send;

    /// Before `operation` is sent to `carrier`.
    async fn started(&self, carrier: &str, operation: Operation) -> Self::Mark;

    /// After it ended, successfully or not.
    fn ended(&self, mark: Self::Mark, end: &CallEnd<'_>);
}

/// A shared hook is a hook: one instance can watch several carriers.
#[async_trait]
impl<H: CallHook> CallHook for Arc<H> {
    type Mark = H::Mark;

    async fn started(&self, carrier: &str, operation: Operation) -> Self::Mark {
        H::started(self, carrier, operation).await
    }

    fn ended(&self, mark: Self::Mark, end: &CallEnd<'_>) {
        H::ended(self, mark, end);
    }
}

/// `inner`, with `hook` told about each of its calls.
#[derive(Debug)]
pub struct Hooked<H> {
    inner: Arc<dyn TelephonyProvider>,
    hook: H,
}

impl<H: CallHook> Hooked<H> {
    /// Wraps `inner`; its name and features are unchanged.
    pub fn new(inner: Arc<dyn TelephonyProvider>, hook: H) -> Self {
        Self { inner, hook }
    }

    async fn observe<T>(
        &self,
        operation: Operation,
        call: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let carrier = self.inner.name();
        let mark = self.hook.started(carrier, operation).await;
        let started = Instant::now();
        let result = call.await;
        self.hook.ended(
            mark,
            &CallEnd {
                carrier,
                operation,
                error: result.as_ref().err(),
                elapsed: started.elapsed(),
            },
        );
        result
    }
}

#[async_trait]
impl<H: CallHook> TelephonyProvider for Hooked<H> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn features(&self) -> ProviderFeatures {
        self.inner.features()
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<AvailableNumber>> {
        self.observe(Operation::Search, self.inner.search(query))
            .await
    }

    async fn purchase(&self, request: &PurchaseRequest) -> Result<PurchaseOutcome> {
        self.observe(Operation::Purchase, self.inner.purchase(request))
            .await
    }

    async fn order_status(&self, order_id: &str) -> Result<OrderStatus> {
        self.observe(Operation::OrderStatus, self.inner.order_status(order_id))
            .await
    }

    async fn find_owned(&self, phone_number: &PhoneNumber) -> Result<Option<CarrierNumber>> {
        self.observe(Operation::FindOwned, self.inner.find_owned(phone_number))
            .await
    }

    async fn list_owned(&self, page: &PageRequest) -> Result<Page<CarrierNumber>> {
        self.observe(Operation::ListOwned, self.inner.list_owned(page))
            .await
    }

    async fn update(&self, carrier_id: &str, update: &CarrierUpdate) -> Result<CarrierNumber> {
        self.observe(Operation::Update, self.inner.update(carrier_id, update))
            .await
    }

    async fn release(&self, carrier_id: &str) -> Result<()> {
        self.observe(Operation::Release, self.inner.release(carrier_id))
            .await
    }

    fn not_found_window(&self) -> Duration {
        self.inner.not_found_window()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Records every event it is told, with the mark `started` gave.
    #[derive(Debug, Default)]
    struct Recorder {
        events: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl CallHook for Recorder {
        type Mark = usize;

        async fn started(&self, carrier: &str, operation: Operation) -> usize {
            let mut events = self.events.lock().unwrap();
            events.push(format!("start {carrier} {}", operation.as_str()));
            events.len()
        }

        fn ended(&self, mark: usize, end: &CallEnd<'_>) {
            self.events.lock().unwrap().push(format!(
                "end#{mark} {} {} {}",
                end.carrier,
                end.operation.as_str(),
                end.outcome()
            ));
        }
    }

    /// Owns nothing, and cannot be reached for anything else.
    #[derive(Debug)]
    struct Unreachable;

    impl Unreachable {
        fn error() -> Error {
            Error::Transport {
                provider: "acme".into(),
                message: "connection refused".into(),
                cause: None,
            }
        }
    }

    #[async_trait]
    impl TelephonyProvider for Unreachable {
        fn name(&self) -> &str {
            "acme"
        }
        fn features(&self) -> ProviderFeatures {
            ProviderFeatures::all(20)
        }
        async fn search(&self, _: &SearchQuery) -> Result<Vec<AvailableNumber>> {
            Err(Self::error())
        }
        async fn purchase(&self, _: &PurchaseRequest) -> Result<PurchaseOutcome> {
            Err(Self::error())
        }
        async fn find_owned(&self, _: &PhoneNumber) -> Result<Option<CarrierNumber>> {
            Ok(None)
        }
        async fn list_owned(&self, _: &PageRequest) -> Result<Page<CarrierNumber>> {
            Err(Self::error())
        }
        async fn update(&self, _: &str, _: &CarrierUpdate) -> Result<CarrierNumber> {
            Err(Self::error())
        }
        async fn release(&self, _: &str) -> Result<()> {
            Err(Self::error())
        }
    }

    #[tokio::test]
    async fn every_call_is_told_with_its_outcome_and_answers_unchanged() {
        let inner = Arc::new(Unreachable);
        let recorder = Arc::new(Recorder::default());
        let hooked = Hooked::new(inner, recorder.clone());
        assert_eq!(hooked.name(), "acme");
        let number = PhoneNumber::parse_trusted("+16045550100").unwrap();
        assert!(matches!(hooked.find_owned(&number).await, Ok(None)));
        let released = hooked.release("PN1").await;
        assert_eq!(released.unwrap_err().code(), "carrier_unreachable");
        assert_eq!(
            *recorder.events.lock().unwrap(),
            [
                "start acme find_owned",
                "end#1 acme find_owned ok",
                "start acme release",
                "end#3 acme release carrier_unreachable",
            ]
        );
    }
}
