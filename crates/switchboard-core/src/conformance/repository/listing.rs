//! Listing: filters by account, agent, provider and state, and pages by id
//! without gaps or repeats. One scenario, kept alone because it is as long
//! as the others together.

use uuid::Uuid;

use super::{now, random_account, random_number, released, sample_record, write};
use crate::{Error, NumberFilter, NumberRepository, NumberState, PageRequest};

/// Filters by account, agent, provider and state; pages by id without gaps
/// or repeats.
pub async fn list_filters_and_pages(repository: &dyn NumberRepository) {
    const SCENARIO: &str = "list_filters_and_pages";
    let account = random_account();
    let agent = Uuid::new_v4();
    let mut ids = Vec::new();
    for i in 0..5 {
        let mut record = sample_record(&account, &random_number());
        record.state = NumberState::Active;
        if i % 2 == 0 {
            record.agent_id = Some(agent);
        }
        if i == 4 {
            record.provider = "other".into();
        }
        repository
            .insert(&record)
            .await
            .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));
        ids.push(record.id);
    }
    // Another account's record must never appear.
    repository
        .insert(&sample_record(&random_account(), &random_number()))
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"));

    let list = |filter: NumberFilter, limit| async move {
        let mut seen = Vec::new();
        let mut page = PageRequest::first(limit);
        loop {
            let batch = repository
                .list(&filter, &page)
                .await
                .unwrap_or_else(|e| panic!("{SCENARIO}: list: {e}"));
            assert!(
                batch.items.len() <= limit as usize,
                "{SCENARIO}: page too large"
            );
            seen.extend(batch.items.iter().map(|n| n.id));
            match batch.next_cursor {
                Some(cursor) => page = PageRequest::after(cursor, limit),
                None => return seen,
            }
        }
    };
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(
        list(NumberFilter::account(account.clone()), 2).await,
        sorted,
        "{SCENARIO}: all by account"
    );
    let by_agent = NumberFilter {
        agent_id: Some(agent),
        ..NumberFilter::account(account.clone())
    };
    assert_eq!(
        list(by_agent, 10).await,
        vec![sorted[0], sorted[2], sorted[4]],
        "{SCENARIO}: by agent"
    );
    let by_provider = NumberFilter {
        provider: Some("other".into()),
        ..NumberFilter::account(account.clone())
    };
    assert_eq!(
        list(by_provider, 10).await,
        vec![ids[4]],
        "{SCENARIO}: by provider"
    );
    let second = repository
        .get(ids[1])
        .await
        .unwrap_or_else(|e| panic!("{SCENARIO}: {e}"))
        .unwrap_or_else(|| panic!("{SCENARIO}: record vanished"));
    write(repository, &released(&second, now()), SCENARIO).await;
    let active = NumberFilter::account(account.clone()).in_states(&[NumberState::Active]);
    let expected: Vec<Uuid> = sorted.iter().copied().filter(|id| *id != ids[1]).collect();
    assert_eq!(list(active, 3).await, expected, "{SCENARIO}: by state");
    match repository
        .list(
            &NumberFilter::account(account),
            &PageRequest::after("not-a-cursor", 2),
        )
        .await
    {
        Err(Error::InvalidInput { .. }) => {}
        other => panic!("{SCENARIO}: a junk cursor gave {other:?}, expected InvalidInput"),
    }
}
