//! Numbers the carrier holds and no record does: reported, and released only
//! when asked to, under a record of reconcile's own account so no provision
//! can reserve the number while the release is under way.

use super::{Drift, DriftKind, ReconcileOptions, Repair};
use crate::{
    AccountId, CarrierNumber, Error, NumberState, ProvisionedNumber, ProvisioningService,
    TelephonyProvider,
};

/// The account that holds an orphan while `reconcile` releases it, so that
/// no provision can reserve the number in between. Not a valid name for a
/// user's account to collide with by accident: it starts with `_`.
const RECONCILE_ACCOUNT: &str = "_reconcile";

impl ProvisioningService {
    /// A number the carrier holds and no record does. Released only when
    /// asked to, after the carrier confirmed it still holds that number
    /// under that id, and while a record of ours holds the number, so that
    /// no provision can reserve it during the release.
    pub(super) async fn orphan(
        &self,
        provider: &dyn TelephonyProvider,
        carrier: &CarrierNumber,
        options: &ReconcileOptions,
    ) -> Option<Drift> {
        let drift = |repair| {
            Some(Drift {
                provider: provider.name().to_string(),
                phone_number: carrier.phone_number.clone(),
                kind: DriftKind::OrphanAtCarrier,
                repair,
            })
        };
        // A record may have appeared since the listing (a provision in flight).
        match self
            .repository
            .find_by_phone_number(&carrier.phone_number)
            .await
        {
            Ok(Some(_)) => return None,
            Ok(None) => {}
            Err(e) => return drift(Repair::Failed(e.to_string())),
        }
        if !options.release_orphans {
            return drift(Repair::Left(
                "no record holds it; release_orphans is off".into(),
            ));
        }
        match provider.find_owned(&carrier.phone_number).await {
            Ok(Some(owned)) if owned.carrier_id == carrier.carrier_id => {}
            Ok(_) => return drift(Repair::Left("the carrier no longer holds it".into())),
            Err(e) => return drift(Repair::Failed(e.to_string())),
        }
        let now = self.clock.now();
        let account = AccountId::parse(RECONCILE_ACCOUNT).expect("a valid account name");
        let request = crate::ProvisionRequest::new(carrier.phone_number.clone());
        let reservation = ProvisionedNumber::reserve(
            &request,
            crate::Reservation {
                id: self.ids.next_id(),
                account: &account,
                provider: provider.name(),
                now,
                lease_until: now,
            },
        );
        // Recorded as a release in progress, in one insert: taking the
        // number's slot is the check that no request holds it, and from then
        // on no other pass can mistake the record for a live purchase.
        let adopted = match reservation
            .settle_active(carrier, now)
            .and_then(|active| active.begin_release(now))
        {
            Ok(releasing) => releasing,
            Err(e) => return drift(Repair::Failed(e.to_string())),
        };
        if let Err(e) = self.repository.insert(&adopted).await {
            return match e {
                Error::AlreadyProvisioned { .. } => None,
                e => drift(Repair::Failed(e.to_string())),
            };
        }
        // From here on it is a pending release like any other: if the
        // carrier refuses now, the next pass tries again.
        drift(
            match self
                .release_at_carrier(provider, adopted, NumberState::Releasing)
                .await
            {
                Ok(done) if done.state == NumberState::Released => Repair::Released,
                Ok(_) => Repair::Left("the carrier refused for now; the release is pending".into()),
                Err(e) => Repair::Failed(e.to_string()),
            },
        )
    }
}
