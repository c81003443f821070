//! The ownership tables: one owner per number, accounts kept apart, and
//! orders held all or none.

use switchboard_core::{Capabilities, CountryCode, NumberType};

use super::*;

fn available(number: &str) -> AvailableNumber {
    AvailableNumber {
        phone_number: PhoneNumber::parse_trusted(number).unwrap(),
        country: CountryCode::US,
        number_type: NumberType::Local,
        region: None,
        locality: None,
        postal_code: None,
        rate_center: None,
        capabilities: Capabilities::VOICE_SMS_MMS,
        provider: "fake".into(),
    }
}

fn record(seq: u64, catalogue: AvailableNumber) -> NumberRecord {
    NumberRecord {
        seq,
        id: format!("id{seq}"),
        catalogue,
        name: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        updated: false,
        fields: BTreeMap::new(),
    }
}

#[test]
fn one_owner_per_number_and_accounts_are_separate() {
    let store = Store::default();
    let a = AccountKey::Twilio("A".into());
    let b = AccountKey::SignalWire("B".into());
    let n = available("+15125550001");
    assert!(matches!(
        store.buy(&a, n.clone(), None, record),
        Bought::New(_)
    ));
    assert!(matches!(
        store.buy(&a, n.clone(), None, record),
        Bought::AlreadyYours(r) if r.id == "id1"
    ));
    assert!(matches!(
        store.buy(&b, n.clone(), None, record),
        Bought::Unavailable
    ));
    assert!(store.get(&b, "id1").is_none());
    assert!(store.release(&b, "id1", |_| Ok::<_, ()>(())).is_none());
    assert!(store.get(&a, "id1").is_some());
    assert!(store.owners().is_owned(&n.phone_number));
    assert!(matches!(
        store.owner_of(&n.phone_number),
        Some((owner, record)) if owner == a && record.id == "id1"
    ));
    assert!(matches!(
        store.release(&a, "id1", |_| Ok::<_, ()>(())),
        Some(Ok(_))
    ));
    assert!(!store.owners().is_owned(&n.phone_number));
    assert!(store.owner_of(&n.phone_number).is_none());
    assert!(matches!(store.buy(&b, n, None, record), Bought::New(_)));
}

#[test]
fn an_order_of_several_numbers_buys_all_or_none() {
    let store = Store::default();
    let a = AccountKey::Telnyx("A".into());
    let b = AccountKey::Telnyx("B".into());
    let first = available("+15125550001");
    let second = available("+15125550002");
    assert!(matches!(
        store.buy(&b, second.clone(), None, record),
        Bought::New(_)
    ));
    let refused = store.buy_all(&a, vec![first.clone(), second.clone()], record);
    assert_eq!(refused.unwrap_err(), (1, Refused::Unavailable));
    assert!(!store.owners().is_owned(&first.phone_number));
    let bought = store.buy_all(&a, vec![first.clone()], record).unwrap();
    assert_eq!(bought.len(), 1);
    assert_eq!(
        store.buy_all(&a, vec![first], record).unwrap_err(),
        (0, Refused::AlreadyYours)
    );
}

#[test]
fn settling_changes_or_frees_every_number_of_an_order_and_no_other() {
    let store = Store::default();
    let a = AccountKey::Telnyx("A".into());
    let b = AccountKey::Telnyx("B".into());
    let numbers = ["+15125550001", "+15125550002"].map(available);
    let held = store.buy_all(&a, numbers.to_vec(), record).unwrap();
    let ids: Vec<&str> = held.iter().map(|r| r.id.as_str()).collect();
    // Another account's settlement touches nothing.
    store.settle_all(&b, &ids, None::<fn(&mut NumberRecord)>);
    assert!(store.owners().is_owned(&numbers[0].phone_number));
    store.settle_all(&a, &ids, Some(|r: &mut NumberRecord| r.updated = true));
    assert!(store.get(&a, ids[0]).unwrap().updated && store.get(&a, ids[1]).unwrap().updated);
    store.settle_all(&a, &ids, None::<fn(&mut NumberRecord)>);
    assert!(
        numbers
            .iter()
            .all(|n| !store.owners().is_owned(&n.phone_number))
    );
    assert!(store.get(&a, ids[0]).is_none());
}

#[test]
fn lists_page_by_cursor_and_limits_hold() {
    let store = Store::default();
    let a = AccountKey::Twilio("A".into());
    for i in 0..5 {
        store.buy(&a, available(&format!("+1512555000{i}")), None, record);
    }
    let (page, more) = store.list(&a, 0, 2, |_| true);
    assert_eq!(page.len(), 2);
    assert!(more);
    let (rest, more) = store.list(&a, page[1].seq, 10, |_| true);
    assert_eq!(rest.len(), 3);
    assert!(!more);
    assert!(matches!(
        store.buy(&a, available("+15125550009"), Some(5), record),
        Bought::LimitReached
    ));
    assert_eq!(store.snapshot()[0].numbers.len(), 5);
}
