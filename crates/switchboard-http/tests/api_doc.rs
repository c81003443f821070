//! `docs/api.md` against the generated OpenAPI document: the prose is only
//! worth reading while it describes the routes that exist. Every operation
//! of the document must have a `## METHOD /path` section there that names
//! each of its parameters and body fields (in backticks) and each status it
//! answers; and neither that page nor the README may name a route, or a
//! method on a route, that the service does not serve.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const ROUTE_PREFIX: &str = "/functions/v1/";

/// What one operation of the OpenAPI document obliges its section to name.
struct Operation {
    names: BTreeSet<String>,
    statuses: BTreeSet<String>,
}

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let target = doc
                .pointer(reference.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling $ref {reference}"));
            resolve(doc, target)
        }
        None => value,
    }
}

/// `"POST /functions/v1/..."` -> what its section must name.
fn operations(doc: &Value) -> BTreeMap<String, Operation> {
    let mut out = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let mut names = BTreeSet::new();
            for parameter in op["parameters"].as_array().into_iter().flatten() {
                let parameter = resolve(doc, parameter);
                names.insert(parameter["name"].as_str().expect("name").to_string());
            }
            let body = &op["requestBody"]["content"]["application/json"]["schema"];
            if !body.is_null() {
                let schema = resolve(doc, body);
                for name in schema["properties"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|p| p.0)
                {
                    names.insert(name.clone());
                }
            }
            let statuses = op["responses"]
                .as_object()
                .expect("responses")
                .keys()
                .cloned()
                .collect();
            out.insert(
                format!("{} {path}", method.to_uppercase()),
                Operation { names, statuses },
            );
        }
    }
    out
}

/// The text under each `## METHOD /path` heading (subsections included), by
/// heading; a route heading given twice is reported.
fn route_sections(text: &str, problems: &mut Vec<String>) -> BTreeMap<String, String> {
    let mut sections = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            if let Some((key, body)) = current.take()
                && sections.insert(key.clone(), body).is_some()
            {
                problems.push(format!("two sections for {key}"));
            }
            let heading = heading.trim();
            let first = heading.split(' ').next().unwrap_or("");
            if METHODS.contains(&first) {
                current = Some((heading.to_string(), String::new()));
            }
        } else if let Some((_, body)) = &mut current {
            body.push_str(line);
            body.push('\n');
        }
    }
    if let Some((key, body)) = current
        && sections.insert(key.clone(), body).is_some()
    {
        problems.push(format!("two sections for {key}"));
    }
    sections
}

/// Whether `word` occurs in `text` with no digit right before or after it.
fn has_number(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

/// The path that starts at `at`: up to whitespace, a backtick, a bracket, a
/// comma or a query string, without a sentence's final full stop.
fn path_at(text: &str, at: usize) -> &str {
    let rest = &text[at..];
    let end = rest
        .find(|c: char| c.is_whitespace() || "`()[]<>,?\"'|".contains(c))
        .unwrap_or(rest.len());
    rest[..end].trim_end_matches(['.', ':', ';'])
}

/// Every `/functions/v1/...` path `text` names must exist (the prefix alone,
/// as in `/functions/v1/<verb>-<noun>`, names the family, not a route).
fn unknown_paths(name: &str, text: &str, paths: &BTreeSet<&str>, problems: &mut Vec<String>) {
    for (at, _) in text.match_indices(ROUTE_PREFIX) {
        let path = path_at(text, at);
        if path != ROUTE_PREFIX && !paths.contains(path) {
            problems.push(format!("{name} names {path}, which is not served"));
        }
    }
}

/// Everything wrong with `api` (the text of docs/api.md) and `readme` as a
/// description of `doc`; empty when they agree.
fn problems(doc: &Value, api: &str, readme: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let operations = operations(doc);
    let sections = route_sections(api, &mut problems);

    for (key, operation) in &operations {
        let Some(section) = sections.get(key) else {
            problems.push(format!("docs/api.md has no section `## {key}`"));
            continue;
        };
        for name in &operation.names {
            if !section.contains(&format!("`{name}`")) {
                problems.push(format!("`## {key}` does not name `{name}`"));
            }
        }
        for status in &operation.statuses {
            if !has_number(section, status) {
                problems.push(format!("`## {key}` does not give status {status}"));
            }
        }
    }
    for key in sections.keys() {
        if !operations.contains_key(key) {
            problems.push(format!("docs/api.md has `## {key}`, which is not served"));
        }
    }

    // "METHOD /path" anywhere on the page must be a served operation.
    for method in METHODS {
        let pattern = format!("{method} /");
        for (at, _) in api.match_indices(&pattern) {
            let starts_word = !api[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric());
            if !starts_word {
                continue;
            }
            let key = format!("{method} {}", path_at(api, at + method.len() + 1));
            if !operations.contains_key(&key) {
                problems.push(format!("docs/api.md names `{key}`, which is not served"));
            }
        }
    }
    let paths: BTreeSet<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    unknown_paths("docs/api.md", api, &paths, &mut problems);
    unknown_paths("README.md", readme, &paths, &mut problems);
    problems
}

fn generated() -> Value {
    serde_json::from_str(switchboard_http::openapi_json()).expect("the document is JSON")
}

#[test]
fn docs_api_md_describes_every_served_route_and_no_other() {
    let doc = generated();
    let found = problems(&doc, &read("../../docs/api.md"), &read("../../README.md"));
    assert!(
        found.is_empty(),
        "docs/api.md or README.md disagree with the generated OpenAPI document:\n{}",
        found.join("\n")
    );
}

/// The checker above, shown to catch each kind of drift on altered copies
/// of the real page, so that its silence means agreement.
#[test]
fn the_check_catches_a_missing_section_a_missing_name_and_an_invented_route() {
    let doc = generated();
    let api = read("../../docs/api.md");
    let readme = read("../../README.md");
    assert!(problems(&doc, &api, &readme).is_empty());

    // A route's section removed (its heading renamed to prose).
    let heading = "## POST /functions/v1/release-phone-number";
    assert!(api.contains(heading));
    let without = api.replace(heading, "## Releasing");
    let found = problems(&doc, &without, &readme);
    assert!(
        found
            .iter()
            .any(|p| p.contains("no section `## POST /functions/v1/release-phone-number`")),
        "{found:?}"
    );

    // A query parameter no longer named in its section.
    let found = problems(
        &doc,
        &api.replace("`include_released`", "include_released"),
        &readme,
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("does not name `include_released`")),
        "{found:?}"
    );

    // A status dropped from a section.
    let found = problems(
        &doc,
        &api.replace("202 with", "A pending answer with"),
        &readme,
    );
    assert!(
        found.iter().any(|p| p.contains("does not give status 202")),
        "{found:?}"
    );

    // A route that does not exist: as a section, as a method on a real
    // path, and as a path in the README.
    let invented = format!("{api}\n## DELETE /functions/v1/delete-phone-number\n\nGone.\n");
    let found = problems(&doc, &invented, &readme);
    assert!(
        found
            .iter()
            .any(|p| p
                .contains("`## DELETE /functions/v1/delete-phone-number`, which is not served")),
        "{found:?}"
    );
    let wrong_method = format!("{api}\nAlso `GET /functions/v1/update-phone-number`.\n");
    let found = problems(&doc, &wrong_method, &readme);
    assert!(
        found
            .iter()
            .any(|p| p.contains("`GET /functions/v1/update-phone-number`, which is not served")),
        "{found:?}"
    );
    let readme_invented = format!("{readme}\nSee `/functions/v1/port-phone-number`.\n");
    let found = problems(&doc, &api, &readme_invented);
    assert!(
        found
            .iter()
            .any(|p| p.contains("README.md names /functions/v1/port-phone-number")),
        "{found:?}"
    );
}
