//! Round trips: every field written comes back as it was, and `update`
//! stores what may change while keeping what identifies the record. The
//! scenarios that catch a store mapping a column wrongly.

use uuid::Uuid;

use super::{now, random_account, random_number, sample_record, write};
use crate::conformance::unique;
use crate::{
    Capabilities, CarrierOrder, NumberRepository, NumberState, Routing, WebhookMethod, WebhookUrl,
};

/// Every field written comes back unchanged, by id and by phone number.
pub async fn insert_then_read_back_every_field(repository: &dyn NumberRepository) {
    const SCENARIO: &str = "insert_then_read_back_every_field";
    let account = random_account();
    let mut record = sample_record(&account, &random_number());
    record.agent_id = Some(Uuid::new_v4());
    record.capabilities = Capabilities {
        voice: true,
        sms: true,
        mms: false,
        fax: true,
    };
    record.provider = "twilio".into();
    record.carrier_id = Some("PN0123456789abcdef0123456789abcdef".into());
    record.routing = Routing {
        voice_url: Some(WebhookUrl::parse("https://agent.example.com/voice").expect("url")),
        voice_method: Some(WebhookMethod::Get),
        sms_url: Some(WebhookUrl::parse("https://agent.example.com/sms").expect("url")),
        sms_method: Some(WebhookMethod::Post),
        status_callback: Some(WebhookUrl::parse("https://agent.example.com/status").expect("url")),
    };
    record.state = NumberState::Active;
    record.idempotency_key = Some(format!("key-{}", unique()));
    record.release_not_before = Some(now());
    record.lease_until = None;
    record.purchased_at = Some(now());
    record.request_fingerprint = Some("phone_number=\"+1999\"\nfriendly_name=None\n".into());
    record.order = Some(CarrierOrder {
        id: format!("order-{}", unique()),
        missing: Vec::new(),
    });
    record.friendly_name = "Ligne principale – 東京 'quoted' \"twice\"; DROP TABLE x".into();
    repository
        .insert(&record)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: insert: {e}"));
    let by_id = repository
        .get(record.id)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: get: {e}"));
    assert_eq!(by_id.as_ref(), Some(&record), "{SCENARIO}: get");
    let by_number = repository
        .find_by_phone_number(&record.phone_number)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: find_by_phone_number: {e}"));
    assert_eq!(
        by_number.as_ref(),
        Some(&record),
        "{SCENARIO}: find_by_phone_number"
    );
    let by_key = repository
        .find_by_idempotency_key(&account, record.idempotency_key.as_deref().expect("set"))
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: find_by_idempotency_key: {e}"));
    assert_eq!(
        by_key.as_ref(),
        Some(&record),
        "{SCENARIO}: find_by_idempotency_key"
    );
    let missing = repository
        .get(Uuid::now_v7())
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: get missing: {e}"));
    assert!(missing.is_none(), "{SCENARIO}: an unknown id was found");
}

/// `update` stores the mutable fields and keeps the identity fields.
pub async fn update_persists_mutable_fields_only(repository: &dyn NumberRepository) {
    const SCENARIO: &str = "update_persists_mutable_fields_only";
    let account = random_account();
    let original = sample_record(&account, &random_number());
    repository
        .insert(&original)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    let mut changed = original.clone();
    changed.friendly_name = "Renamed".into();
    changed.agent_id = Some(Uuid::new_v4());
    changed.capabilities = Capabilities::VOICE_SMS_MMS;
    changed.carrier_id = Some("carrier-1".into());
    changed.routing.sms_url = Some(WebhookUrl::parse("https://x.example/sms").expect("url"));
    changed.state = NumberState::Releasing;
    changed.updated_at = now();
    changed.release_not_before = Some(now());
    changed.lease_until = None;
    changed.purchased_at = Some(now());
    changed.request_fingerprint = Some("friendly_name=\"Renamed\"\n".into());
    changed.order = Some(CarrierOrder {
        id: "3fa85f64-5717-4562-b3fc-2c963f66afa6".into(),
        missing: vec![
            "proof of address".into(),
            "name, \"quoted\"; and a comma".into(),
            "two\nlines".into(),
            String::new(),
        ],
    });
    let returned = write(repository, &changed, SCENARIO).await;
    let stored = repository
        .get(original.id)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    let mut expected = changed.clone();
    expected.version = original.version + 1;
    assert_eq!(
        stored.as_ref(),
        Some(&expected),
        "{SCENARIO}: mutable fields, at the next version"
    );
    assert_eq!(
        returned, expected,
        "{SCENARIO}: update returns what it stored"
    );

    let mut identity = expected.clone();
    identity.account = random_account();
    identity.phone_number = random_number();
    identity.provider = "elsewhere".into();
    repository
        .update(&identity)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
    let stored = repository
        .get(original.id)
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"))
        .unwrap_or_else(|| panic!("{SCENARIO}: record vanished"));
    assert_eq!(
        stored.account, original.account,
        "{SCENARIO}: account changed"
    );
    assert_eq!(
        stored.phone_number, original.phone_number,
        "{SCENARIO}: number changed"
    );
    assert_eq!(
        stored.provider, original.provider,
        "{SCENARIO}: provider changed"
    );
}
