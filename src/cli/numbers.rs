//! `switchboard numbers search|provision|list|show|update|release`.

use clap::{Args as ClapArgs, Subcommand};
use switchboard::config::Config;
use switchboard::{
    Capabilities, CountryCode, DigitPattern, Error, NumberFilter, NumberState, NumberType,
    NumberUpdate, PageRequest, PhoneNumber, ProvisionRequest, Result, SearchQuery,
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
    /// Buy a number for an account.
    Provision {
        /// The number, E.164 (from `numbers search`).
        phone_number: String,
        #[command(flatten)]
        account: AccountArg,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Agent UUID that answers the number.
        #[arg(long)]
        agent: Option<String>,
        /// Carrier to buy from (default: the configured default).
        #[arg(long)]
        provider: Option<String>,
        /// Repeat-safe key: the same key never buys twice.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
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
    account: String,
}

#[derive(Debug, ClapArgs)]
pub struct SearchArgs {
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
    /// At most this many results.
    #[arg(long, default_value_t = 20)]
    limit: u32,
    /// Carrier to search (default: the configured default).
    #[arg(long)]
    provider: Option<String>,
}

impl SearchArgs {
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
            limit: self.limit,
        })
    }
}

fn uuid_arg(field: &'static str, text: &str) -> Result<Uuid> {
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
            account: who,
            name,
            agent,
            provider,
            idempotency_key,
        } => {
            let phone = PhoneNumber::parse(&phone_number)
                .map_err(|e| Error::invalid("phone_number", e.to_string()))?;
            let request = ProvisionRequest {
                phone_number: phone,
                friendly_name: name,
                agent_id: agent.as_deref().map(|a| uuid_arg("agent", a)).transpose()?,
                routing: Default::default(),
                provider,
                idempotency_key,
            };
            out.number(&service.provision(&account(&who.account)?, &request).await?)
        }
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
                    vec![
                        NumberState::Active,
                        NumberState::Releasing,
                        NumberState::Released,
                    ]
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
