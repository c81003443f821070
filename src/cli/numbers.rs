//! `switchboard numbers search|provision|import|list|show|update|release`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU32, Ordering};

use clap::{Args as ClapArgs, Subcommand};
use switchboard::api;
use switchboard::config::Config;
use switchboard::{
    AccountId, BulkOutcome, BulkProvisionRequest, BulkReport, Capabilities, CountryCode,
    DigitPattern, Error, NumberFilter, NumberState, NumberType, NumberUpdate, PageRequest,
    PhoneNumber, ProvisionRequest, ProvisioningService, Result, SearchQuery,
};
use uuid::Uuid;

use super::{Output, account};

/// The account CLI commands act for when none is named; the development
/// token `serve` prints belongs to it too.
pub const DEFAULT_ACCOUNT: &str = "dev";

#[derive(Debug, Subcommand)]
pub enum NumbersCommand {
    /// Search a carrier's numbers for sale.
    Search(SearchArgs),
    /// Buy a number for an account, or with --count, several numbers
    /// matching the search filters.
    Provision {
        /// The number, E.164 (from `numbers search`); leave out with --count.
        phone_number: Option<String>,
        /// Buy this many numbers matching the filters below (1 to 1000).
        #[arg(long)]
        count: Option<u32>,
        #[command(flatten)]
        account: AccountArg,
        /// Display name; with --count, a prefix: `Sales` names them
        /// `Sales 1`, `Sales 2`, ...
        #[arg(long)]
        name: Option<String>,
        /// Agent UUID that answers the number(s).
        #[arg(long)]
        agent: Option<String>,
        /// Carrier to buy from (default: the configured default).
        #[arg(long)]
        provider: Option<String>,
        /// Repeat-safe key: the same key never buys twice. With --count, a
        /// prefix: number n is bought under `KEY-n`, so repeating the
        /// command buys only what is missing.
        #[arg(long)]
        idempotency_key: Option<String>,
        /// With --count: carrier calls in flight at most (1 to 64, default
        /// 8); fewer while the carrier rate-limits.
        #[arg(long)]
        max_concurrency: Option<u32>,
        #[command(flatten)]
        filters: SearchFilters,
    },
    /// Adopt a number the carrier account already owns (nothing is
    /// bought), or with --orphans every number no record holds.
    Import(super::import::ImportArgs),
    /// List an account's numbers.
    List {
        #[command(flatten)]
        account: AccountArg,
        /// Only numbers answered by this agent.
        #[arg(long)]
        agent: Option<String>,
        /// Include released numbers.
        #[arg(long)]
        all: bool,
        /// Page size.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Cursor from a previous page.
        #[arg(long)]
        cursor: Option<String>,
    },
    /// Show one number.
    Show {
        /// The number's id.
        id: String,
        #[command(flatten)]
        account: AccountArg,
    },
    /// Rename, reassign or unassign a number.
    Update {
        /// The number's id.
        id: String,
        #[command(flatten)]
        account: AccountArg,
        /// New display name.
        #[arg(long)]
        name: Option<String>,
        /// New agent UUID.
        #[arg(long, conflicts_with = "unassign")]
        agent: Option<String>,
        /// Remove the agent.
        #[arg(long)]
        unassign: bool,
    },
    /// Give a number back to its carrier.
    Release {
        /// The number's id.
        id: String,
        #[command(flatten)]
        account: AccountArg,
    },
}

#[derive(Debug, ClapArgs)]
pub struct AccountArg {
    /// The account to act for.
    #[arg(long, default_value = DEFAULT_ACCOUNT)]
    pub(super) account: String,
}

#[derive(Debug, ClapArgs)]
pub struct SearchArgs {
    #[command(flatten)]
    filters: SearchFilters,
    /// At most this many results.
    #[arg(long, default_value_t = 20)]
    limit: u32,
    /// Carrier to search (default: the configured default).
    #[arg(long)]
    provider: Option<String>,
}

/// The filters of a search, shared by `numbers search` and
/// `numbers provision --count`.
#[derive(Debug, ClapArgs)]
pub struct SearchFilters {
    /// ISO country code.
    #[arg(long, default_value = "US")]
    country: String,
    /// local, toll_free or mobile.
    #[arg(long = "type", default_value = "local")]
    number_type: String,
    /// Area code.
    #[arg(long)]
    area_code: Option<String>,
    /// Digits the number contains.
    #[arg(long, group = "pattern")]
    contains: Option<String>,
    /// Digits the national number starts with.
    #[arg(long, group = "pattern")]
    starts_with: Option<String>,
    /// Digits the number ends with.
    #[arg(long, group = "pattern")]
    ends_with: Option<String>,
    /// State or province.
    #[arg(long)]
    region: Option<String>,
    /// City.
    #[arg(long)]
    locality: Option<String>,
    /// Postal code.
    #[arg(long)]
    postal_code: Option<String>,
    /// Require voice.
    #[arg(long)]
    voice: bool,
    /// Require SMS.
    #[arg(long)]
    sms: bool,
    /// Require MMS.
    #[arg(long)]
    mms: bool,
    /// Require fax.
    #[arg(long)]
    fax: bool,
}

impl SearchArgs {
    fn query(&self) -> Result<SearchQuery> {
        Ok(self.filters.query()?.limit(self.limit))
    }
}

impl SearchFilters {
    /// Whether any filter differs from its default, so that filters given
    /// without --count are refused rather than ignored.
    fn any_set(&self) -> bool {
        !self.country.eq_ignore_ascii_case("US")
            || self.number_type != "local"
            || self.area_code.is_some()
            || self.contains.is_some()
            || self.starts_with.is_some()
            || self.ends_with.is_some()
            || self.region.is_some()
            || self.locality.is_some()
            || self.postal_code.is_some()
            || self.voice
            || self.sms
            || self.mms
            || self.fax
    }

    fn query(&self) -> Result<SearchQuery> {
        let country =
            CountryCode::parse(&self.country).map_err(|r| Error::invalid("country", r))?;
        let number_type = match self.number_type.as_str() {
            "local" => NumberType::Local,
            "toll_free" | "toll-free" | "tollfree" => NumberType::TollFree,
            "mobile" => NumberType::Mobile,
            other => {
                return Err(Error::invalid(
                    "type",
                    format!("{other:?} is not local, toll_free or mobile"),
                ));
            }
        };
        let pattern = match (&self.contains, &self.starts_with, &self.ends_with) {
            (Some(d), _, _) => Some(DigitPattern::Contains(d.clone())),
            (_, Some(d), _) => Some(DigitPattern::StartsWith(d.clone())),
            (_, _, Some(d)) => Some(DigitPattern::EndsWith(d.clone())),
            _ => None,
        };
        Ok(SearchQuery {
            country,
            number_type,
            area_code: self.area_code.clone(),
            pattern,
            region: self.region.clone(),
            locality: self.locality.clone(),
            postal_code: self.postal_code.clone(),
            capabilities: Capabilities {
                voice: self.voice,
                sms: self.sms,
                mms: self.mms,
                fax: self.fax,
            },
            limit: switchboard::DEFAULT_SEARCH_LIMIT,
        })
    }
}

pub(super) fn uuid_arg(field: &'static str, text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|_| Error::invalid(field, format!("{text:?} is not a UUID")))
}

pub async fn run(config: &Config, command: NumbersCommand, out: Output) -> Result<()> {
    let app = switchboard::open(config).await?;
    let service = &app.service;
    match command {
        NumbersCommand::Search(args) => {
            let found = service
                .search(&args.query()?, args.provider.as_deref())
                .await?;
            out.available(&found)
        }
        NumbersCommand::Provision {
            phone_number,
            count,
            account: who,
            name,
            agent,
            provider,
            idempotency_key,
            max_concurrency,
            filters,
        } => {
            let agent_id = agent.as_deref().map(|a| uuid_arg("agent", a)).transpose()?;
            let phone_number = match (phone_number, count) {
                (Some(_), Some(_)) => {
                    return Err(Error::invalid(
                        "count",
                        "give either a PHONE number or --count N, not both",
                    ));
                }
                (None, None) => {
                    return Err(Error::invalid(
                        "phone_number",
                        "give a PHONE number to buy, or --count N to buy N numbers \
                         matching the search filters",
                    ));
                }
                (None, Some(count)) => {
                    let request = BulkProvisionRequest {
                        count,
                        search: filters.query()?,
                        provider,
                        friendly_name_prefix: name,
                        agent_id,
                        routing: Default::default(),
                        idempotency_key_prefix: idempotency_key,
                        max_concurrency,
                    };
                    return provision_bulk(service, &account(&who.account)?, &request, out).await;
                }
                (Some(phone_number), None) => phone_number,
            };
            if filters.any_set() || max_concurrency.is_some() {
                return Err(Error::invalid(
                    "count",
                    "search filters and --max-concurrency apply only with --count",
                ));
            }
            let phone = PhoneNumber::parse(&phone_number)
                .map_err(|e| Error::invalid("phone_number", e.to_string()))?;
            let request = ProvisionRequest {
                phone_number: phone,
                friendly_name: name,
                agent_id,
                routing: Default::default(),
                provider,
                idempotency_key,
            };
            out.number(&service.provision(&account(&who.account)?, &request).await?)
        }
        NumbersCommand::Import(args) => super::import::run(service, args, out).await,
        NumbersCommand::List {
            account: who,
            agent,
            all,
            limit,
            cursor,
        } => {
            let filter = NumberFilter {
                agent_id: agent.as_deref().map(|a| uuid_arg("agent", a)).transpose()?,
                states: if all {
                    NumberState::LISTED_WITH_RELEASED.to_vec()
                } else {
                    Vec::new()
                },
                ..NumberFilter::default()
            };
            let page = match cursor {
                Some(cursor) => PageRequest::after(cursor, limit),
                None => PageRequest::first(limit),
            };
            let listed = service.list(&account(&who.account)?, filter, &page).await?;
            out.numbers(&listed.items, listed.next_cursor.as_deref())
        }
        NumbersCommand::Show { id, account: who } => out.number(
            &service
                .get(&account(&who.account)?, uuid_arg("id", &id)?)
                .await?,
        ),
        NumbersCommand::Update {
            id,
            account: who,
            name,
            agent,
            unassign,
        } => {
            let agent_id = match (agent, unassign) {
                (Some(a), _) => Some(Some(uuid_arg("agent", &a)?)),
                (None, true) => Some(None),
                (None, false) => None,
            };
            let update = NumberUpdate {
                friendly_name: name,
                agent_id,
                routing: None,
            };
            let id = uuid_arg("id", &id)?;
            out.number(&service.update(&account(&who.account)?, id, &update).await?)
        }
        NumbersCommand::Release { id, account: who } => {
            let id = uuid_arg("id", &id)?;
            out.number(&service.release(&account(&who.account)?, id).await?)
        }
    }
}

/// Buys `request.count` numbers, showing progress: a bar on a terminal,
/// a line per number otherwise (none with --json, whose output is the
/// report alone). Fails with the first position's error when any failed,
/// after the summary, so scripts see a non-zero exit.
async fn provision_bulk(
    service: &ProvisioningService,
    account: &AccountId,
    request: &BulkProvisionRequest,
    out: Output,
) -> Result<()> {
    request.validate()?;
    let total = request.count;
    let bar = (!out.json && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(u64::from(total));
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} numbers, {elapsed}")
        {
            bar.set_style(style);
        }
        bar
    });
    let done = AtomicU32::new(0);
    let progress = |outcome: &BulkOutcome| {
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        match &bar {
            Some(bar) => {
                bar.inc(1);
                if let BulkOutcome::Failed { index, error, .. } = outcome {
                    bar.println(format!("#{index} failed: {error}"));
                }
            }
            None if out.json => {}
            None => say!("{}", outcome_line(outcome, n, total)),
        }
    };
    let report = service
        .provision_bulk_with_progress(account, request, &progress)
        .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = report?;
    let first_error = report.outcomes.iter().find_map(BulkOutcome::error).cloned();
    if out.json {
        // The API's report, so a script reads the JSON the service answers.
        out.print_json(&api::BulkReport::from(report))?;
    } else {
        print_summary(&report);
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

fn outcome_line(outcome: &BulkOutcome, n: u32, total: u32) -> String {
    match outcome {
        BulkOutcome::Bought {
            index,
            number,
            replayed,
        } => format!(
            "[{n}/{total}] #{index} {}{} {} {}",
            if *replayed {
                "already bought "
            } else {
                "bought "
            },
            number.phone_number,
            number.id,
            number.friendly_name,
        ),
        BulkOutcome::Failed {
            index,
            phone_number,
            error,
        } => format!(
            "[{n}/{total}] #{index} failed{}: {error}",
            phone_number
                .as_ref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default()
        ),
    }
}

fn print_summary(report: &BulkReport) {
    let stats = &report.stats;
    say!(
        "bought {} of {} ({} already bought by an earlier run), {} failed",
        report.bought,
        report.requested,
        report.replayed,
        report.failed
    );
    say!(
        "carrier: {} searches, {} numbers replaced (taken by someone else), {} rate limits, \
         {} retries, concurrency peak {} / final {}",
        stats.searches,
        stats.replaced,
        stats.rate_limited,
        stats.retries,
        stats.peak_concurrency,
        stats.final_concurrency
    );
}
