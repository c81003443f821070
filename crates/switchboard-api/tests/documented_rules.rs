//! The rules the document states (patterns, lengths, ranges) against the
//! rules core enforces: a schema may only promise what the service checks,
//! and a client that follows it is never refused. Each documented rule is
//! read from the schema and tried on core's validation at and beyond its
//! bounds.

use serde_json::Value;
use switchboard_api as api;
use switchboard_core as core;
use utoipa::PartialSchema;

/// A component's schema as the document publishes it.
fn component(name: &str) -> Value {
    let schema = match name {
        "ProvisionRequest" => api::ProvisionRequest::schema(),
        "UpdateRequest" => api::UpdateRequest::schema(),
        "SearchRequest" => api::SearchRequest::schema(),
        "BulkSearch" => api::BulkSearch::schema(),
        "BulkProvisionRequest" => api::BulkProvisionRequest::schema(),
        "ListRequest" => api::ListRequest::schema(),
        "Routing" => api::Routing::schema(),
        "Digits" => api::Digits::schema(),
        other => panic!("no component {other} in these tests"),
    };
    serde_json::to_value(schema).unwrap()
}

/// The characters a `^[^...]*$` pattern's class excludes, as ranges.
fn excluded_ranges(pattern: &str) -> Vec<(u32, u32)> {
    let class = pattern
        .strip_prefix("^[^")
        .and_then(|p| p.strip_suffix("]*$"))
        .unwrap_or_else(|| panic!("not a negated class: {pattern}"));
    let points: Vec<u32> = class
        .split("\\u")
        .skip(1)
        .flat_map(|part| {
            let (hex, rest) = part.split_at(4);
            assert!(rest.is_empty() || rest == "-", "{pattern}");
            let point = u32::from_str_radix(hex, 16).unwrap();
            [Some(point), (rest == "-").then_some(u32::MAX)]
        })
        .flatten()
        .collect();
    let mut ranges = Vec::new();
    let mut i = 0;
    while i < points.len() {
        if points.get(i + 1) == Some(&u32::MAX) {
            ranges.push((points[i], points[i + 2]));
            i += 3;
        } else {
            ranges.push((points[i], points[i]));
            i += 1;
        }
    }
    ranges
}

fn property(schema: &str, field: &str) -> Value {
    component(schema)["properties"][field].clone()
}

fn max_length(schema: &str, field: &str) -> usize {
    let p = property(schema, field);
    assert_eq!(p["minLength"], 1, "{schema}.{field}: {p}");
    p["maxLength"].as_u64().unwrap() as usize
}

#[test]
fn the_name_pattern_excludes_exactly_the_characters_core_refuses() {
    for schema in ["ProvisionRequest", "UpdateRequest"] {
        let pattern = property(schema, "friendly_name")["pattern"]
            .as_str()
            .unwrap()
            .to_string();
        let excluded = excluded_ranges(&pattern);
        // Every character of the basic plane, and the first astral ones.
        for c in (0..=0x1_0FFFu32).filter_map(char::from_u32) {
            let documented = excluded
                .iter()
                .any(|(lo, hi)| (*lo..=*hi).contains(&u32::from(c)));
            let refused = core::validate_friendly_name(&format!("a{c}b")).is_err();
            assert_eq!(documented, refused, "{schema}: U+{:04X}", u32::from(c));
        }
    }
    let prefix = property("BulkProvisionRequest", "friendly_name_prefix");
    assert_eq!(
        prefix["pattern"],
        property("ProvisionRequest", "friendly_name")["pattern"]
    );
    // Search texts refuse control characters only.
    let text = property("SearchRequest", "region")["pattern"]
        .as_str()
        .unwrap()
        .to_string();
    for c in (0..=0x3000u32).filter_map(char::from_u32) {
        let documented = excluded_ranges(&text)
            .iter()
            .any(|(lo, hi)| (*lo..=*hi).contains(&u32::from(c)));
        let query = core::SearchQuery::new(core::CountryCode::US).region(format!("a{c}b"));
        assert_eq!(
            documented,
            query.validate().is_err(),
            "U+{:04X}",
            u32::from(c)
        );
    }
}

#[test]
fn documented_lengths_and_ranges_are_the_ones_core_enforces() {
    let number = || core::PhoneNumber::parse("+16045551234").unwrap();
    let name_ok = |n: usize| {
        core::ProvisionRequest::new(number())
            .friendly_name("x".repeat(n))
            .validate()
            .is_ok()
    };
    for schema in ["ProvisionRequest", "UpdateRequest"] {
        let max = max_length(schema, "friendly_name");
        assert!(name_ok(max) && !name_ok(max + 1) && !name_ok(0), "{schema}");
    }
    let key_ok = |key: String| {
        core::ProvisionRequest::new(number())
            .idempotency_key(key)
            .validate()
            .is_ok()
    };
    let max = max_length("ProvisionRequest", "idempotency_key");
    assert!(key_ok("k".repeat(max)) && !key_ok("k".repeat(max + 1)) && !key_ok(String::new()));
    let key_pattern = property("ProvisionRequest", "idempotency_key")["pattern"].clone();
    assert_eq!(key_pattern, "^[!-~]+$");
    for c in (0..0x100u32).filter_map(char::from_u32) {
        assert_eq!(key_ok(c.to_string()), ('!'..='~').contains(&c), "{c:?}");
    }

    let bulk = |f: &dyn Fn(core::BulkProvisionRequest) -> core::BulkProvisionRequest| {
        f(core::BulkProvisionRequest::new(
            1,
            core::SearchQuery::default(),
        ))
        .validate()
        .is_ok()
    };
    let max = max_length("BulkProvisionRequest", "friendly_name_prefix");
    assert!(bulk(&|r| r.friendly_name_prefix("p".repeat(max))));
    assert!(!bulk(&|r| r.friendly_name_prefix("p".repeat(max + 1))));
    let max = max_length("BulkProvisionRequest", "idempotency_key_prefix");
    assert!(bulk(&|r| r.idempotency_key_prefix("p".repeat(max))));
    assert!(!bulk(&|r| r.idempotency_key_prefix("p".repeat(max + 1))));
    assert_eq!(
        property("BulkProvisionRequest", "idempotency_key_prefix")["pattern"],
        key_pattern
    );

    let search_ok = |q: core::SearchQuery| q.validate().is_ok();
    let query = || core::SearchQuery::new(core::CountryCode::US);
    for schema in ["SearchRequest", "BulkSearch"] {
        for field in ["region", "locality", "postal_code"] {
            let max = max_length(schema, field);
            let with = |text: String| match field {
                "region" => query().region(text),
                "locality" => query().locality(text),
                _ => query().postal_code(text),
            };
            assert!(search_ok(with("r".repeat(max))), "{schema}.{field}");
            assert!(!search_ok(with("r".repeat(max + 1))), "{schema}.{field}");
            assert!(!search_ok(with(" ".into())), "{schema}.{field}");
        }
    }
    assert_eq!(
        component("Digits")["pattern"],
        "^[0-9A-Za-z*]*[0-9A-Za-z][0-9A-Za-z*]*$"
    );
    assert_eq!(component("Digits")["maxLength"], 15);
    let digits = |n: usize| search_ok(query().pattern(core::DigitPattern::Contains("1".repeat(n))));
    assert!(digits(1) && digits(15) && !digits(16) && !digits(0));
    let accepted = |p: &str| search_ok(query().pattern(core::DigitPattern::Contains(p.into())));
    assert!(accepted("CALL") && accepted("*5*") && accepted("1800flowers"));
    assert!(!accepted("***") && !accepted("60-5") && !accepted("CALL ME"));
    assert_eq!(
        property("SearchRequest", "area_code")["pattern"],
        "^[0-9]{1,6}$"
    );

    let range = |schema: &str, field: &str| {
        let p = property(schema, field);
        (
            p["minimum"].as_u64().unwrap(),
            p["maximum"].as_u64().unwrap(),
        )
    };
    assert_eq!(
        range("SearchRequest", "limit"),
        (1, u64::from(core::MAX_SEARCH_LIMIT))
    );
    assert_eq!(
        range("BulkProvisionRequest", "count"),
        (1, u64::from(core::MAX_BULK_COUNT))
    );
    assert_eq!(
        range("BulkProvisionRequest", "max_concurrency"),
        (1, u64::from(core::MAX_BULK_CONCURRENCY))
    );
    assert_eq!(
        range("ListRequest", "limit"),
        (1, u64::from(core::MAX_PAGE_SIZE))
    );
    for field in ["voice_url", "sms_url", "status_callback"] {
        assert_eq!(
            property("Routing", field)["maxLength"],
            core::MAX_WEBHOOK_URL_LEN,
            "{field}"
        );
    }
}
