//! The static numbering table the inventory is generated from.
//!
//! Every block is a national prefix followed by four subscriber digits, so a
//! block holds at most 10,000 numbers. Prefixes are real area codes and
//! ranges the numbering plans (as libphonenumber knows them) accept, so that
//! generated numbers pass the strict `PhoneNumber::parse`; a test checks it.

use switchboard_core::{Capabilities, CountryCode, NumberType};

/// Numbers in one block: four subscriber digits.
pub(crate) const BLOCK_SIZE: u32 = 10_000;

/// A place and kind of number, with the exchanges (blocks) sold there.
pub(crate) struct Area {
    pub country: CountryCode,
    pub number_type: NumberType,
    /// The country calling code, without `+`.
    pub calling_code: &'static str,
    /// What a search's `area_code` matches; `None` where carriers have no
    /// such notion (British mobiles).
    pub area_code: Option<&'static str>,
    pub region: Option<&'static str>,
    pub locality: Option<&'static str>,
    pub postal_code: Option<&'static str>,
    pub rate_center: Option<&'static str>,
    pub capabilities: Capabilities,
    /// Digits after the area code and before the four subscriber digits;
    /// one block each.
    pub exchanges: &'static [&'static str],
}

const VSM: Capabilities = Capabilities::VOICE_SMS_MMS;
const VS: Capabilities = Capabilities {
    voice: true,
    sms: true,
    mms: false,
    fax: false,
};
const V: Capabilities = Capabilities {
    voice: true,
    sms: false,
    mms: false,
    fax: false,
};
const VF: Capabilities = Capabilities {
    voice: true,
    sms: false,
    mms: false,
    fax: true,
};
const VSMF: Capabilities = Capabilities {
    voice: true,
    sms: true,
    mms: true,
    fax: true,
};

const NANP_EXCHANGES: &[&str] = &["200", "321", "466", "528", "779"];

#[allow(clippy::too_many_arguments)]
const fn local(
    country: CountryCode,
    calling_code: &'static str,
    area_code: &'static str,
    region: &'static str,
    locality: &'static str,
    postal_code: &'static str,
    rate_center: Option<&'static str>,
    capabilities: Capabilities,
    exchanges: &'static [&'static str],
) -> Area {
    Area {
        country,
        number_type: NumberType::Local,
        calling_code,
        area_code: Some(area_code),
        region: Some(region),
        locality: Some(locality),
        postal_code: Some(postal_code),
        rate_center,
        capabilities,
        exchanges,
    }
}

const fn us(
    area_code: &'static str,
    region: &'static str,
    locality: &'static str,
    postal_code: &'static str,
    rate_center: &'static str,
    capabilities: Capabilities,
) -> Area {
    local(
        CountryCode::US,
        "1",
        area_code,
        region,
        locality,
        postal_code,
        Some(rate_center),
        capabilities,
        NANP_EXCHANGES,
    )
}

const fn ca(
    area_code: &'static str,
    region: &'static str,
    locality: &'static str,
    postal_code: &'static str,
    rate_center: &'static str,
    capabilities: Capabilities,
) -> Area {
    local(
        CountryCode::CA,
        "1",
        area_code,
        region,
        locality,
        postal_code,
        Some(rate_center),
        capabilities,
        NANP_EXCHANGES,
    )
}

const fn gb(
    area_code: &'static str,
    region: &'static str,
    locality: &'static str,
    postal_code: &'static str,
    capabilities: Capabilities,
    exchanges: &'static [&'static str],
) -> Area {
    local(
        CountryCode::GB,
        "44",
        area_code,
        region,
        locality,
        postal_code,
        None,
        capabilities,
        exchanges,
    )
}

const fn toll_free(
    country: CountryCode,
    calling_code: &'static str,
    area_code: &'static str,
    capabilities: Capabilities,
    exchanges: &'static [&'static str],
) -> Area {
    Area {
        country,
        number_type: NumberType::TollFree,
        calling_code,
        area_code: Some(area_code),
        region: None,
        locality: None,
        postal_code: None,
        rate_center: None,
        capabilities,
        exchanges,
    }
}

/// British mobiles have no area code: the whole prefix is the exchange.
const fn gb_mobile(exchanges: &'static [&'static str]) -> Area {
    Area {
        country: CountryCode::GB,
        number_type: NumberType::Mobile,
        calling_code: "44",
        area_code: None,
        region: None,
        locality: None,
        postal_code: None,
        rate_center: None,
        capabilities: VS,
        exchanges,
    }
}

/// The seed API's example number (`+16045551234`), as its block's calling
/// code and national prefix plus subscriber digits. It is the first number of
/// its block under every seed, so it is for sale in every inventory that gives
/// its block a number (any size of at least one per block), and the
/// documented `provision-phone-number` request works against the fake.
pub(crate) const SEED_EXAMPLE: (&str, u32) = ("1604555", 1234);

/// The table, in the order search results come out.
pub(crate) const AREAS: &[Area] = &[
    // United States, local.
    us("415", "CA", "San Francisco", "94103", "SNFC CNTRL", VSM),
    us("628", "CA", "San Francisco", "94105", "SNFC CNTRL", VS),
    us("213", "CA", "Los Angeles", "90012", "LSAN DA 01", VSM),
    us("212", "NY", "New York", "10001", "NWYRCYZN01", VSM),
    us("646", "NY", "New York", "10013", "NWYRCYZN03", VS),
    us("512", "TX", "Austin", "78701", "AUSTIN", VSM),
    us("312", "IL", "Chicago", "60601", "CHICAGO", VSM),
    us("206", "WA", "Seattle", "98101", "SEATTLE", VSM),
    us("305", "FL", "Miami", "33130", "MIAMI", VF),
    us("617", "MA", "Boston", "02108", "BOSTON", VSM),
    us("303", "CO", "Denver", "80202", "DENVER", VS),
    us("404", "GA", "Atlanta", "30303", "ATLANTA", VSMF),
    // Canada, local.
    ca("604", "BC", "Vancouver", "V6B 1A1", "VANCOUVER", VSM),
    // The exchange of the seed API's example number (+1 604 555 1234); see
    // `SEED_EXAMPLE`.
    local(
        CountryCode::CA,
        "1",
        "604",
        "BC",
        "Vancouver",
        "V6B 1A1",
        Some("VANCOUVER"),
        VSM,
        &["555"],
    ),
    ca("778", "BC", "Vancouver", "V6C 1B4", "VANCOUVER", VS),
    ca("250", "BC", "Victoria", "V8W 1P6", "VICTORIA", VSM),
    ca("416", "ON", "Toronto", "M5H 2N2", "TORONTO", VSM),
    ca("647", "ON", "Toronto", "M5V 3L9", "TORONTO", VS),
    ca("613", "ON", "Ottawa", "K1P 1J1", "OTTAWA", VF),
    ca("514", "QC", "Montreal", "H2Y 1C6", "MONTREAL", VSM),
    ca("403", "AB", "Calgary", "T2P 1J9", "CALGARY", VSM),
    // North American toll-free; Canada's blocks use other exchanges so that
    // no number is generated twice.
    toll_free(CountryCode::US, "1", "800", VS, &["234", "555", "627"]),
    toll_free(CountryCode::US, "1", "833", VS, &["234", "555", "627"]),
    toll_free(CountryCode::US, "1", "844", VS, &["234", "555", "627"]),
    toll_free(CountryCode::US, "1", "855", VS, &["234", "555", "627"]),
    toll_free(CountryCode::US, "1", "866", V, &["234", "555", "627"]),
    toll_free(CountryCode::US, "1", "877", V, &["234", "555", "627"]),
    toll_free(CountryCode::US, "1", "888", VS, &["234", "555", "627"]),
    toll_free(CountryCode::CA, "1", "800", VS, &["463", "668"]),
    toll_free(CountryCode::CA, "1", "888", VS, &["463", "668"]),
    // United Kingdom, geographic.
    gb(
        "20",
        "England",
        "London",
        "EC1A 1BB",
        VF,
        &["3123", "7183", "8123"],
    ),
    gb(
        "161",
        "England",
        "Manchester",
        "M1 1AE",
        V,
        &["234", "345", "456"],
    ),
    gb(
        "121",
        "England",
        "Birmingham",
        "B1 1BB",
        V,
        &["234", "345", "456"],
    ),
    gb(
        "113",
        "England",
        "Leeds",
        "LS1 1UR",
        V,
        &["234", "345", "456"],
    ),
    gb(
        "117",
        "England",
        "Bristol",
        "BS1 4DJ",
        V,
        &["234", "345", "456"],
    ),
    gb(
        "131",
        "Scotland",
        "Edinburgh",
        "EH1 1YZ",
        V,
        &["234", "345", "456"],
    ),
    gb(
        "141",
        "Scotland",
        "Glasgow",
        "G1 1XQ",
        V,
        &["234", "345", "456"],
    ),
    gb(
        "29",
        "Wales",
        "Cardiff",
        "CF10 1EP",
        V,
        &["2034", "2087", "2122"],
    ),
    // United Kingdom, mobile.
    gb_mobile(&[
        "740012", "740078", "750023", "750089", "770134", "771245", "780045", "781256", "790056",
        "791267",
    ]),
    // United Kingdom, freephone.
    toll_free(CountryCode::GB, "44", "800", V, &["123", "456"]),
    toll_free(CountryCode::GB, "44", "808", V, &["157", "234"]),
];
