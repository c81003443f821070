//! The numbers for sale: generated on demand from the block table, a seed and
//! a size, so that a million numbers cost a few kilobytes.

use std::collections::HashMap;
use std::fmt;

use switchboard_core::{
    AvailableNumber, CountryCode, DigitPattern, NumberType, PhoneNumber, Result, SearchQuery,
};

use crate::blocks::{AREAS, Area, BLOCK_SIZE, SEED_EXAMPLE};
use crate::permutation::Permutation;

/// The seed [`Inventory::new`] and `FakeProvider::new` use when none is given.
pub const DEFAULT_SEED: u64 = 0x5EED_F00D_2024_0001;
/// How many numbers are for sale when no size is given.
pub const DEFAULT_INVENTORY_SIZE: usize = 100_000;

/// A deterministic, read-only catalogue of numbers for sale.
///
/// The same seed and size always give the same numbers in the same order;
/// another seed gives other numbers. Numbers are computed from a static table
/// of blocks (a country, a kind of number, an area code, a place, and a
/// national prefix followed by four subscriber digits), never stored, so the
/// catalogue is cheap at any size up to [`Inventory::max_size`].
///
/// The inventory knows nothing about who bought what: callers pass an
/// `is_taken` predicate to [`Inventory::search`]. That lets the fake provider,
/// and a carrier emulator serving the same numbers over HTTP, keep their own
/// ownership records on top of one catalogue.
#[derive(Clone)]
pub struct Inventory {
    seed: u64,
    len: usize,
    provider: String,
    blocks: Vec<Block>,
    by_kind: HashMap<(CountryCode, NumberType), Vec<usize>>,
    by_area: HashMap<(CountryCode, NumberType), HashMap<&'static str, Vec<usize>>>,
    /// Calling code and national prefix (`1604200`) to block.
    by_prefix: HashMap<String, usize>,
}

#[derive(Clone)]
struct Block {
    area: &'static Area,
    /// National digits before the subscriber digits (`604200`).
    national_prefix: String,
    count: u32,
    permutation: Permutation,
}

/// Whether a digit pattern can match numbers of a block.
enum Scope {
    None,
    All,
    EachNumber,
}

impl Inventory {
    /// `size` numbers (capped at [`Inventory::max_size`]) shuffled by `seed`,
    /// offered under the provider name `fake`.
    pub fn new(seed: u64, size: usize) -> Self {
        let block_count = AREAS.iter().map(|a| a.exchanges.len()).sum::<usize>();
        let len = size.min(Self::max_size());
        let mut inventory = Inventory {
            seed,
            len,
            provider: "fake".to_string(),
            blocks: Vec::with_capacity(block_count),
            by_kind: HashMap::new(),
            by_area: HashMap::new(),
            by_prefix: HashMap::new(),
        };
        // Spread the size evenly so that every country, kind and area code
        // has numbers at any size.
        let per_block = len / block_count;
        let extra = len % block_count;
        for area in AREAS {
            for exchange in area.exchanges {
                let index = inventory.blocks.len();
                let national_prefix = format!("{}{exchange}", area.area_code.unwrap_or(""));
                let count = (per_block + usize::from(index < extra)) as u32;
                let kind = (area.country, area.number_type);
                inventory.by_kind.entry(kind).or_default().push(index);
                if let Some(area_code) = area.area_code {
                    inventory
                        .by_area
                        .entry(kind)
                        .or_default()
                        .entry(area_code)
                        .or_default()
                        .push(index);
                }
                let full_prefix = format!("{}{national_prefix}", area.calling_code);
                let permutation = if full_prefix == SEED_EXAMPLE.0 {
                    Permutation::starting_at(seed, index, SEED_EXAMPLE.1)
                } else {
                    Permutation::new(seed, index)
                };
                inventory.by_prefix.insert(full_prefix, index);
                inventory.blocks.push(Block {
                    area,
                    national_prefix,
                    count,
                    permutation,
                });
            }
        }
        inventory
    }

    /// The most numbers an inventory can hold: 10,000 per block of the table.
    pub fn max_size() -> usize {
        AREAS.iter().map(|a| a.exchanges.len()).sum::<usize>() * BLOCK_SIZE as usize
    }

    /// Sets the provider name written into results' `provider` field.
    pub fn with_provider_name(mut self, name: impl Into<String>) -> Self {
        self.provider = name.into();
        self
    }

    /// The seed the numbers were shuffled with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// How many numbers the catalogue holds (taken or not).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the catalogue holds no number.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Numbers matching `query` for which `is_taken` is false, at most
    /// `query.limit`, in catalogue order.
    ///
    /// Fails with [`switchboard_core::Error::InvalidInput`] when the query
    /// does not validate. A search by area code only visits that area
    /// code's blocks; `is_taken` is asked only about numbers that match every
    /// other filter.
    pub fn search(
        &self,
        query: &SearchQuery,
        is_taken: impl FnMut(&PhoneNumber) -> bool,
    ) -> Result<Vec<AvailableNumber>> {
        query.validate()?;
        Ok(self.scan(query, query.limit as usize, is_taken))
    }

    /// [`Inventory::search`] for a query already validated, returning up to
    /// `limit` numbers, which may be more than a query may ask for: a
    /// ledger that checks candidates in batches asks for more than it will
    /// return (see `crate::ledger`).
    pub(crate) fn scan(
        &self,
        query: &SearchQuery,
        limit: usize,
        mut is_taken: impl FnMut(&PhoneNumber) -> bool,
    ) -> Vec<AvailableNumber> {
        if limit == 0 {
            return Vec::new();
        }
        let kind = (query.country, query.number_type);
        let candidates = match &query.area_code {
            Some(area_code) => self
                .by_area
                .get(&kind)
                .and_then(|areas| areas.get(area_code.as_str())),
            None => self.by_kind.get(&kind),
        };
        let mut found = Vec::with_capacity(limit.min(32));
        let mut national = String::with_capacity(16);
        for &index in candidates.map(Vec::as_slice).unwrap_or(&[]) {
            let block = &self.blocks[index];
            if !block.matches_place(query) {
                continue;
            }
            let scope = block.scope(query.pattern.as_ref());
            if matches!(scope, Scope::None) {
                continue;
            }
            for i in 0..block.count {
                let subscriber = block.permutation.apply(i);
                if let (Scope::EachNumber, Some(pattern)) = (&scope, &query.pattern) {
                    national.clear();
                    national.push_str(&block.national_prefix);
                    push_subscriber(&mut national, subscriber);
                    if !pattern.matches(&national) {
                        continue;
                    }
                }
                let Some(number) = block.phone_number(subscriber) else {
                    continue;
                };
                if is_taken(&number) {
                    continue;
                }
                found.push(self.describe(block, number));
                if found.len() >= limit {
                    return found;
                }
            }
        }
        found
    }

    /// The catalogue entry for `number`, whether or not someone holds it;
    /// `None` if this inventory never offers it.
    pub fn contains(&self, number: &PhoneNumber) -> Option<AvailableNumber> {
        let digits = number.digits();
        let split = digits.len().checked_sub(4)?;
        let index = *self.by_prefix.get(&digits[..split])?;
        let block = &self.blocks[index];
        let subscriber: u32 = digits[split..].parse().ok()?;
        if block.permutation.invert(subscriber) >= block.count {
            return None;
        }
        Some(self.describe(block, number.clone()))
    }

    /// Every number of the catalogue, in catalogue order, computed as the
    /// iterator advances.
    pub fn iter(&self) -> impl Iterator<Item = AvailableNumber> + '_ {
        self.blocks.iter().flat_map(move |block| {
            (0..block.count).filter_map(move |i| {
                let number = block.phone_number(block.permutation.apply(i))?;
                Some(self.describe(block, number))
            })
        })
    }

    fn describe(&self, block: &Block, phone_number: PhoneNumber) -> AvailableNumber {
        let area = block.area;
        AvailableNumber {
            phone_number,
            country: area.country,
            number_type: area.number_type,
            region: area.region.map(str::to_string),
            locality: area.locality.map(str::to_string),
            postal_code: area.postal_code.map(str::to_string),
            rate_center: area.rate_center.map(str::to_string),
            capabilities: area.capabilities,
            provider: self.provider.clone(),
        }
    }
}

impl fmt::Debug for Inventory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inventory")
            .field("seed", &self.seed)
            .field("len", &self.len)
            .field("blocks", &self.blocks.len())
            .field("provider", &self.provider)
            .finish()
    }
}

impl Block {
    fn phone_number(&self, subscriber: u32) -> Option<PhoneNumber> {
        let mut text = String::with_capacity(16);
        text.push('+');
        text.push_str(self.area.calling_code);
        text.push_str(&self.national_prefix);
        push_subscriber(&mut text, subscriber);
        PhoneNumber::parse_trusted(&text).ok()
    }

    fn matches_place(&self, query: &SearchQuery) -> bool {
        let area = self.area;
        same_text(query.region.as_deref(), area.region)
            && same_text(query.locality.as_deref(), area.locality)
            && same_postal_code(query.postal_code.as_deref(), area.postal_code)
            && area.capabilities.satisfies(&query.capabilities)
    }

    /// Decides a pattern for the whole block when the prefix alone settles
    /// it, so that most blocks are skipped or taken without a per-number test.
    fn scope(&self, pattern: Option<&DigitPattern>) -> Scope {
        let prefix = self.national_prefix.as_str();
        // Letters are compared as their keypad digits.
        let keyed = pattern.map(DigitPattern::on_keypad);
        match keyed.as_ref() {
            None => Scope::All,
            Some(pattern) if pattern.digits().len() > prefix.len() + 4 => Scope::None,
            // A wildcard defeats the text comparisons below.
            Some(pattern) if pattern.has_wildcards() => Scope::EachNumber,
            Some(DigitPattern::StartsWith(digits)) if digits.len() <= prefix.len() => {
                if prefix.starts_with(digits.as_str()) {
                    Scope::All
                } else {
                    Scope::None
                }
            }
            Some(DigitPattern::StartsWith(digits)) => {
                if digits.starts_with(prefix) && digits.len() <= prefix.len() + 4 {
                    Scope::EachNumber
                } else {
                    Scope::None
                }
            }
            Some(DigitPattern::Contains(digits)) if prefix.contains(digits.as_str()) => Scope::All,
            Some(pattern) if pattern.digits().len() > prefix.len() + 4 => Scope::None,
            Some(_) => Scope::EachNumber,
        }
    }
}

fn push_subscriber(text: &mut String, subscriber: u32) {
    let digits = [
        subscriber / 1000 % 10,
        subscriber / 100 % 10,
        subscriber / 10 % 10,
        subscriber % 10,
    ];
    for d in digits {
        text.push(char::from(b'0' + d as u8));
    }
}

/// A filter absent from the query matches; a present one must equal the
/// block's value, ignoring case and surrounding spaces.
fn same_text(wanted: Option<&str>, actual: Option<&str>) -> bool {
    match wanted {
        None => true,
        Some(wanted) => actual.is_some_and(|a| a.eq_ignore_ascii_case(wanted.trim())),
    }
}

/// Postal codes compare without spaces and case (`v6b1a1` is `V6B 1A1`).
fn same_postal_code(wanted: Option<&str>, actual: Option<&str>) -> bool {
    let squash = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect::<String>()
    };
    match wanted {
        None => true,
        Some(wanted) => actual.is_some_and(|a| squash(a) == squash(wanted)),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use switchboard_core::{Capabilities, Error};

    use super::*;

    #[test]
    fn the_seed_examples_number_is_for_sale_under_every_seed() {
        let seed_number = PhoneNumber::parse("+16045551234").expect("valid");
        for seed in [0, 1, 42, u64::MAX] {
            for size in [Inventory::max_size(), DEFAULT_INVENTORY_SIZE, 1000] {
                let inventory = Inventory::new(seed, size);
                assert!(
                    inventory.contains(&seed_number).is_some(),
                    "seed {seed}, size {size}"
                );
            }
        }
    }

    fn numbers(inventory: &Inventory, n: usize) -> Vec<PhoneNumber> {
        inventory.iter().take(n).map(|a| a.phone_number).collect()
    }

    /// The reference a search must agree with: a scan of everything.
    fn brute_force(inventory: &Inventory, query: &SearchQuery) -> Vec<AvailableNumber> {
        inventory
            .iter()
            .filter(|a| {
                let national = &a.phone_number.digits()[calling_code_len(a.country)..];
                let block = inventory
                    .contains(&a.phone_number)
                    .expect("iterated numbers are contained");
                assert_eq!(&block, a);
                a.country == query.country
                    && a.number_type == query.number_type
                    && query
                        .area_code
                        .as_deref()
                        .is_none_or(|code| area_code_of(inventory, &a.phone_number) == Some(code))
                    && query.pattern.as_ref().is_none_or(|p| p.matches(national))
                    && same_text(query.region.as_deref(), a.region.as_deref())
                    && same_text(query.locality.as_deref(), a.locality.as_deref())
                    && same_postal_code(query.postal_code.as_deref(), a.postal_code.as_deref())
                    && a.capabilities.satisfies(&query.capabilities)
            })
            .take(query.limit as usize)
            .collect()
    }

    fn calling_code_len(country: CountryCode) -> usize {
        if country == CountryCode::GB { 2 } else { 1 }
    }

    fn area_code_of(inventory: &Inventory, number: &PhoneNumber) -> Option<&'static str> {
        let digits = number.digits();
        let index = inventory.by_prefix[&digits[..digits.len() - 4]];
        inventory.blocks[index].area.area_code
    }

    #[test]
    fn a_sample_of_every_block_passes_the_strict_numbering_plan_check() {
        let inventory = Inventory::new(7, Inventory::max_size());
        for block in &inventory.blocks {
            assert_eq!(block.count, BLOCK_SIZE);
            for i in [0, 1, 2, 1234, 4999, 5000, 7777, 9998, 9999] {
                let number = block
                    .phone_number(block.permutation.apply(i))
                    .expect("E.164 syntax");
                assert!(
                    PhoneNumber::parse(number.as_str()).is_ok(),
                    "{number} (block {}) is not in the numbering plan",
                    block.national_prefix
                );
            }
        }
    }

    #[test]
    fn the_table_is_consistent() {
        let inventory = Inventory::new(DEFAULT_SEED, 0);
        let mut prefixes = HashSet::new();
        for block in &inventory.blocks {
            let full = format!("{}{}", block.area.calling_code, block.national_prefix);
            assert!(prefixes.insert(full.clone()), "{full} appears twice");
            // Ten national digits everywhere in this table.
            assert_eq!(block.national_prefix.len() + 4, 10, "{full}");
            if let Some(code) = block.area.area_code {
                assert!(block.national_prefix.starts_with(code), "{full}");
            }
        }
        assert!(Inventory::max_size() >= 1_000_000);
    }

    #[test]
    fn the_default_size_covers_every_country_kind_and_area() {
        let inventory = Inventory::new(DEFAULT_SEED, DEFAULT_INVENTORY_SIZE);
        assert_eq!(inventory.len(), 100_000);
        let mut kinds = HashSet::new();
        let mut capabilities = HashSet::new();
        let mut count = 0;
        for number in inventory.iter() {
            kinds.insert((number.country, number.number_type));
            capabilities.insert(number.capabilities);
            count += 1;
        }
        assert_eq!(count, 100_000);
        for kind in [
            (CountryCode::US, NumberType::Local),
            (CountryCode::US, NumberType::TollFree),
            (CountryCode::CA, NumberType::Local),
            (CountryCode::CA, NumberType::TollFree),
            (CountryCode::GB, NumberType::Local),
            (CountryCode::GB, NumberType::Mobile),
            (CountryCode::GB, NumberType::TollFree),
        ] {
            assert!(kinds.contains(&kind), "no {kind:?}");
        }
        assert!(capabilities.len() >= 4, "{capabilities:?}");
    }

    #[test]
    fn sizes_are_exact_and_capped() {
        for size in [0, 1, 162, 163, 1000, 12_345] {
            let inventory = Inventory::new(1, size);
            assert_eq!(inventory.len(), size);
            assert_eq!(inventory.iter().count(), size);
            assert_eq!(inventory.is_empty(), size == 0);
        }
        let huge = Inventory::new(1, usize::MAX);
        assert_eq!(huge.len(), Inventory::max_size());
    }

    #[test]
    fn the_same_seed_gives_the_same_numbers_and_another_seed_others() {
        let a = numbers(&Inventory::new(11, 50_000), 5_000);
        let b = numbers(&Inventory::new(11, 50_000), 5_000);
        let c = numbers(&Inventory::new(12, 50_000), 5_000);
        assert_eq!(a, b);
        assert_ne!(a, c);
        // Not just reordered: with partly filled blocks the sets differ too.
        let a: HashSet<_> = a.into_iter().collect();
        let c: HashSet<_> = c.into_iter().collect();
        assert!(a.difference(&c).count() > 1000);
    }

    #[test]
    fn numbers_are_unique() {
        let inventory = Inventory::new(3, 200_000);
        let mut seen = HashSet::new();
        for number in inventory.iter() {
            assert!(seen.insert(number.phone_number.clone()), "{number:?}");
        }
    }

    #[test]
    fn contains_knows_exactly_the_catalogue() {
        let inventory = Inventory::new(5, 1_000);
        let listed: HashSet<PhoneNumber> = inventory.iter().map(|a| a.phone_number).collect();
        for number in &listed {
            let found = inventory.contains(number).expect("listed number");
            assert_eq!(&found.phone_number, number);
            assert_eq!(found.provider, "fake");
        }
        // Every other number of the first block is outside the catalogue.
        let block = &inventory.blocks[0];
        let outside = (0..BLOCK_SIZE)
            .filter_map(|s| block.phone_number(s))
            .filter(|n| !listed.contains(n))
            .collect::<Vec<_>>();
        assert_eq!(outside.len(), (BLOCK_SIZE - block.count) as usize);
        assert!(outside.iter().all(|n| inventory.contains(n).is_none()));
        for foreign in ["+16045550000", "+442012345", "+33123456789", "+16042001"] {
            let number = PhoneNumber::parse_trusted(foreign).unwrap();
            assert!(inventory.contains(&number).is_none(), "{foreign}");
        }
    }

    #[test]
    fn every_filter_agrees_with_a_full_scan() {
        let inventory = Inventory::new(9, 20_000);
        let fax = Capabilities {
            fax: true,
            ..Capabilities::default()
        };
        let mms = Capabilities {
            mms: true,
            ..Capabilities::default()
        };
        let queries = [
            SearchQuery::new(CountryCode::US),
            SearchQuery::new(CountryCode::US).area_code("212"),
            SearchQuery::new(CountryCode::US)
                .area_code("646")
                .limit(100),
            SearchQuery::new(CountryCode::CA).area_code("604"),
            SearchQuery::new(CountryCode::GB).area_code("20"),
            SearchQuery::new(CountryCode::US).area_code("999"),
            SearchQuery::new(CountryCode::US)
                .number_type(NumberType::TollFree)
                .area_code("888"),
            SearchQuery::new(CountryCode::GB).number_type(NumberType::Mobile),
            SearchQuery::new(CountryCode::US).number_type(NumberType::Mobile),
            SearchQuery::new(CountryCode::CA).number_type(NumberType::TollFree),
            SearchQuery::new(CountryCode::US).pattern(DigitPattern::StartsWith("5125".into())),
            SearchQuery::new(CountryCode::US).pattern(DigitPattern::StartsWith("51232".into())),
            SearchQuery::new(CountryCode::US).pattern(DigitPattern::StartsWith("4152001".into())),
            SearchQuery::new(CountryCode::US).pattern(DigitPattern::EndsWith("42".into())),
            SearchQuery::new(CountryCode::US).pattern(DigitPattern::EndsWith("77942".into())),
            SearchQuery::new(CountryCode::US).pattern(DigitPattern::Contains("0077".into())),
            SearchQuery::new(CountryCode::US).pattern(DigitPattern::Contains("628".into())),
            SearchQuery::new(CountryCode::US)
                .area_code("415")
                .pattern(DigitPattern::EndsWith("0".into()))
                .limit(100),
            SearchQuery::new(CountryCode::US).pattern(DigitPattern::Contains("12345678901".into())),
            SearchQuery::new(CountryCode::US).region("ny"),
            SearchQuery::new(CountryCode::CA)
                .region("BC")
                .locality("Victoria"),
            SearchQuery::new(CountryCode::CA).postal_code("v6c1b4"),
            SearchQuery::new(CountryCode::GB).postal_code("EH1 1YZ"),
            SearchQuery::new(CountryCode::US).capabilities(fax),
            SearchQuery::new(CountryCode::CA).capabilities(mms),
            SearchQuery::new(CountryCode::US).capabilities(Capabilities { mms: true, ..fax }),
            SearchQuery::new(CountryCode::US).locality("Nowhere"),
            SearchQuery::new(CountryCode::US).limit(1),
        ];
        for query in &queries {
            let expected = brute_force(&inventory, query);
            let found = inventory.search(query, |_| false).unwrap();
            assert_eq!(found, expected, "{query:?}");
        }
        // The filters narrow to something in the common cases.
        for query in &queries[..5] {
            assert!(!inventory.search(query, |_| false).unwrap().is_empty());
        }
    }

    #[test]
    fn each_filter_narrows() {
        let inventory = Inventory::new(9, 20_000);
        let search = |q: SearchQuery| inventory.search(&q.limit(100), |_| false).unwrap();
        let found = search(SearchQuery::new(CountryCode::US).area_code("212"));
        assert_eq!(found.len(), 100);
        assert!(
            found
                .iter()
                .all(|a| a.phone_number.as_str().starts_with("+1212"))
        );
        let found = search(SearchQuery::new(CountryCode::CA).region("bc"));
        assert!(found.iter().all(|a| a.region.as_deref() == Some("BC")));
        let found = search(SearchQuery::new(CountryCode::US).locality("Austin"));
        assert!(!found.is_empty());
        assert!(
            found
                .iter()
                .all(|a| a.phone_number.as_str().starts_with("+1512"))
        );
        let found = search(SearchQuery::new(CountryCode::GB).postal_code("M1 1AE"));
        assert!(!found.is_empty());
        assert!(
            found
                .iter()
                .all(|a| a.locality.as_deref() == Some("Manchester"))
        );
        let found =
            search(SearchQuery::new(CountryCode::US).pattern(DigitPattern::EndsWith("7".into())));
        assert_eq!(found.len(), 100);
        assert!(found.iter().all(|a| a.phone_number.as_str().ends_with('7')));
        let fax = Capabilities {
            fax: true,
            ..Capabilities::default()
        };
        let found = search(SearchQuery::new(CountryCode::US).capabilities(fax));
        assert_eq!(found.len(), 100);
        assert!(found.iter().all(|a| a.capabilities.fax));
        let found = inventory
            .search(&SearchQuery::new(CountryCode::US).limit(3), |_| false)
            .unwrap();
        assert_eq!(found.len(), 3);
    }

    #[test]
    fn taken_numbers_are_skipped() {
        let inventory = Inventory::new(2, 10_000);
        let query = SearchQuery::new(CountryCode::US).area_code("512").limit(10);
        let first = inventory.search(&query, |_| false).unwrap();
        let taken: HashSet<PhoneNumber> = first
            .iter()
            .take(5)
            .map(|a| a.phone_number.clone())
            .collect();
        let second = inventory.search(&query, |n| taken.contains(n)).unwrap();
        assert_eq!(second.len(), 10);
        assert!(second.iter().all(|a| !taken.contains(&a.phone_number)));
        assert_eq!(second[..5], first[5..]);
    }

    #[test]
    fn an_invalid_query_is_refused_naming_the_field() {
        let inventory = Inventory::new(2, 1_000);
        let err = inventory
            .search(&SearchQuery::default().limit(0), |_| false)
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }));
        assert_eq!(err.field(), Some("limit"));
    }

    #[test]
    fn results_carry_the_provider_name() {
        let inventory = Inventory::new(2, 1_000).with_provider_name("fake-b");
        let found = inventory
            .search(&SearchQuery::default(), |_| false)
            .unwrap();
        assert!(found.iter().all(|a| a.provider == "fake-b"));
        assert_eq!(inventory.seed(), 2);
    }
}
