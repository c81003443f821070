//! Printing results for people, or as JSON for scripts.

use serde::Serialize;
use switchboard::{
    ApiToken, AvailableNumber, Error, ProvisionedNumber, ReconcileReport, Repair, Result, api,
};

/// Where and how results are printed.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints `value` as pretty JSON. Whatever the service also answers is
    /// printed as its API type, so a script reads the same JSON from both.
    pub(super) fn print_json<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        let text = serde_json::to_string_pretty(value).map_err(|e| Error::Configuration {
            message: format!("cannot print JSON: {e}"),
        })?;
        say!("{text}");
        Ok(())
    }

    pub fn available(&self, numbers: &[AvailableNumber]) -> Result<()> {
        if self.json {
            let rows: Vec<api::AvailableNumber> = numbers.iter().cloned().map(Into::into).collect();
            return self.print_json(&rows);
        }
        if numbers.is_empty() {
            say!("no numbers found");
        }
        for n in numbers {
            let place = [n.locality.as_deref(), n.region.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            say!(
                "{:<16} {:<9} {:<28} {}",
                n.phone_number.as_str(),
                n.number_type.as_str(),
                place,
                capabilities(&n.capabilities)
            );
        }
        Ok(())
    }

    pub fn number(&self, n: &ProvisionedNumber) -> Result<()> {
        if self.json {
            return self.print_json(&api::NumberResource::from(n));
        }
        say!("id            {}", n.id);
        say!("phone_number  {}", n.phone_number);
        say!("friendly_name {}", n.friendly_name);
        say!(
            "agent_id      {}",
            n.agent_id
                .map(|a| a.to_string())
                .unwrap_or_else(|| "-".into())
        );
        say!("state         {}", n.state.as_str());
        say!("provider      {}", n.provider);
        say!("capabilities  {}", capabilities(&n.capabilities));
        say!(
            "created_at    {}",
            n.created_at.format("%Y-%m-%dT%H:%M:%SZ")
        );
        Ok(())
    }

    pub fn numbers(&self, numbers: &[ProvisionedNumber], next: Option<&str>) -> Result<()> {
        if self.json {
            return self.print_json(&api::NumberList {
                data: numbers.iter().map(Into::into).collect(),
                next_cursor: next.map(str::to_string),
            });
        }
        if numbers.is_empty() {
            say!("no numbers");
        }
        for n in numbers {
            say!(
                "{}  {:<16} {:<10} {:<24} agent {}",
                n.id,
                n.phone_number.as_str(),
                n.state.as_str(),
                n.friendly_name,
                n.agent_id
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| "-".into())
            );
        }
        if let Some(next) = next {
            say!("more: --cursor {next}");
        }
        Ok(())
    }

    pub fn tokens(&self, tokens: &[ApiToken]) -> Result<()> {
        if self.json {
            let rows: Vec<_> = tokens.iter().map(token_json).collect();
            return self.print_json(&rows);
        }
        if tokens.is_empty() {
            say!("no tokens");
        }
        for t in tokens {
            say!(
                "{}  {:<20} {:<12} created {}{}",
                t.id,
                t.account.as_str(),
                t.label.as_deref().unwrap_or("-"),
                t.created_at.format("%Y-%m-%dT%H:%M:%SZ"),
                t.revoked_at
                    .map(|r| format!(", revoked {}", r.format("%Y-%m-%dT%H:%M:%SZ")))
                    .unwrap_or_default()
            );
        }
        Ok(())
    }

    /// Prints a new token: the only time it is ever shown.
    pub fn new_token(&self, token: &ApiToken, secret: &str) -> Result<()> {
        if self.json {
            let mut row = token_json(token);
            row["token"] = serde_json::Value::String(secret.to_string());
            return self.print_json(&row);
        }
        say!(
            "token for account {} (shown once, keep it safe):",
            token.account
        );
        say!("{secret}");
        Ok(())
    }

    pub fn reconcile(&self, report: &ReconcileReport) -> Result<()> {
        if self.json {
            return self.print_json(report);
        }
        say!(
            "checked {} records against {} carrier numbers: {} drift, {} repaired",
            report.records_checked,
            report.carrier_numbers,
            report.drift.len(),
            report.repaired()
        );
        for d in &report.drift {
            let repair = match &d.repair {
                Repair::Left(why) => format!("left: {why}"),
                Repair::Failed(why) => format!("repair failed: {why}"),
                other => format!("{other:?}").to_lowercase(),
            };
            say!(
                "  {:<16} {:<11} {:?}: {repair}",
                d.phone_number.as_str(),
                d.provider,
                d.kind
            );
        }
        for error in &report.errors {
            say!("  not checked: {error}");
        }
        Ok(())
    }
}

fn token_json(t: &ApiToken) -> serde_json::Value {
    serde_json::json!({
        "id": t.id,
        "account": t.account.as_str(),
        "label": t.label,
        "created_at": t.created_at,
        "revoked_at": t.revoked_at,
    })
}

fn capabilities(c: &switchboard::Capabilities) -> String {
    let mut names = Vec::new();
    for (on, name) in [
        (c.voice, "voice"),
        (c.sms, "sms"),
        (c.mms, "mms"),
        (c.fax, "fax"),
    ] {
        if on {
            names.push(name);
        }
    }
    names.join("+")
}
