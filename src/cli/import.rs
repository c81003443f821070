//! `switchboard numbers import`: adopting numbers the carrier account owns
//! already, one by its number or every orphan at once.

use clap::Args as ClapArgs;
use switchboard::{AdoptRequest, Error, PhoneNumber, ProvisioningService, Result, api};

use super::numbers::{AccountArg, uuid_arg};
use super::{Output, account};

/// Arguments of `numbers import`.
#[derive(Debug, ClapArgs)]
pub struct ImportArgs {
    /// The number, E.164, as the carrier account holds it; leave out with
    /// --orphans.
    phone_number: Option<String>,
    /// Adopt every number the carrier holds that no record does (what
    /// `reconcile` reports as orphans at the carrier).
    #[arg(long, conflicts_with_all = ["name", "agent", "use_inbound_routing"])]
    orphans: bool,
    #[command(flatten)]
    account: AccountArg,
    /// The carrier that holds it (default: the configured default).
    #[arg(long)]
    provider: Option<String>,
    /// Display name, set at the carrier too (default: the carrier's).
    #[arg(long)]
    name: Option<String>,
    /// Agent UUID that answers the number.
    #[arg(long)]
    agent: Option<String>,
    /// Point the number at this service's inbound webhooks (`public_url`).
    #[arg(long)]
    use_inbound_routing: bool,
}

/// Runs `numbers import`. With --orphans every adoption is printed, and
/// the command fails after them when any failed, so scripts see it.
pub async fn run(service: &ProvisioningService, args: ImportArgs, out: Output) -> Result<()> {
    let who = account(&args.account.account)?;
    if args.orphans {
        if args.phone_number.is_some() {
            return Err(Error::invalid(
                "orphans",
                "give either a PHONE number or --orphans, not both",
            ));
        }
        let adoptions = service
            .adopt_orphans(&who, args.provider.as_deref())
            .await?;
        let failed = adoptions.iter().filter(|a| a.outcome.is_err()).count();
        if out.json {
            let rows: Vec<api::ImportOutcome> = adoptions.iter().map(Into::into).collect();
            out.print_json(&rows)?;
        } else {
            if adoptions.is_empty() {
                say!("no orphans: every number the carrier holds is recorded");
            }
            for adoption in &adoptions {
                match &adoption.outcome {
                    Ok(record) => say!("adopted {} as {}", adoption.phone_number, record.id),
                    Err(error) => say!("not adopted {}: {error}", adoption.phone_number),
                }
            }
        }
        return match adoptions.into_iter().find_map(|a| a.outcome.err()) {
            Some(first) if failed > 0 => Err(first),
            _ => Ok(()),
        };
    }
    let Some(phone_number) = args.phone_number else {
        return Err(Error::invalid(
            "phone_number",
            "give the PHONE number to adopt, or --orphans to adopt every orphan",
        ));
    };
    let phone = PhoneNumber::parse(&phone_number)
        .map_err(|e| Error::invalid("phone_number", e.to_string()))?;
    let request = AdoptRequest {
        phone_number: phone,
        provider: args.provider,
        friendly_name: args.name,
        agent_id: args
            .agent
            .as_deref()
            .map(|a| uuid_arg("agent", a))
            .transpose()?,
        routing: None,
        use_inbound_routing: args.use_inbound_routing,
    };
    out.number(&service.adopt(&who, &request).await?)
}
