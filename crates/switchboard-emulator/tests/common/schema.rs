//! A small OpenAPI schema walker: `$ref`, `type` (3.0 `nullable` and 3.1
//! type arrays), `required`, `properties`, closed objects
//! (`additionalProperties: false`, `unevaluatedProperties: {not: {}}`),
//! `enum`, `items`, `allOf`/`anyOf`/`oneOf`, and the string formats and
//! constraints the carriers' documents use.

use serde_json::Value;

pub struct Document {
    pub root: Value,
}

impl Document {
    pub fn json(text: &str) -> Self {
        Self {
            root: serde_json::from_str(text).expect("OpenAPI JSON"),
        }
    }

    pub fn yaml(text: &str) -> Self {
        Self {
            root: serde_norway::from_str(text).expect("OpenAPI YAML"),
        }
    }

    /// Follows `$ref` chains inside this document.
    pub fn resolve<'a>(&'a self, mut schema: &'a Value) -> &'a Value {
        while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let pointer = reference
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("external $ref {reference}"));
            schema = self
                .root
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling $ref {reference}"));
        }
        schema
    }

    /// The operation object for `method` on `path`.
    pub fn operation(&self, path: &str, method: &str) -> Option<&Value> {
        self.root.get("paths")?.get(path)?.get(method)
    }

    /// The declared JSON schema of a response, if the document declares one.
    pub fn response_schema(&self, path: &str, method: &str, status: u16) -> Option<&Value> {
        let response = self
            .operation(path, method)?
            .get("responses")?
            .get(status.to_string())?;
        let response = self.resolve(response);
        response
            .get("content")?
            .get("application/json")?
            .get("schema")
    }

    /// The schema of a response, falling back to the `default` response
    /// (how Telnyx's description declares every error).
    pub fn response_schema_or_default(
        &self,
        path: &str,
        method: &str,
        status: u16,
    ) -> Option<&Value> {
        self.response_schema(path, method, status).or_else(|| {
            let response = self
                .operation(path, method)?
                .get("responses")?
                .get("default")?;
            self.resolve(response)
                .get("content")?
                .get("application/json")?
                .get("schema")
        })
    }

    /// Every problem with `value` against `schema`, each naming where.
    pub fn check(&self, schema: &Value, value: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.walk(schema, value, "$", &mut errors);
        errors
    }

    /// Property names a schema declares, through `allOf`/`anyOf`/`oneOf`.
    fn declared_properties(&self, schema: &Value, names: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            names.extend(props.keys().cloned());
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            for sub in schema
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                self.declared_properties(sub, names);
            }
        }
    }

    fn walk(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if value.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
            return;
        }
        for sub in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.walk(sub, value, at, errors);
        }
        if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
            let passing = branches
                .iter()
                .filter(|b| self.check(b, value).is_empty())
                .count();
            if passing == 0 {
                errors.push(format!("{at}: {value} matches no anyOf branch"));
            }
        }
        if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
            let passing = branches
                .iter()
                .filter(|b| self.check(b, value).is_empty())
                .count();
            if passing != 1 {
                errors.push(format!("{at}: {value} matches {passing} oneOf branches"));
            }
        }
        if let Some(not) = schema.get("not")
            && self.check(not, value).is_empty()
        {
            errors.push(format!("{at}: {value} matches a `not` schema"));
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            errors.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !types.is_empty() && !types.iter().any(|t| type_matches(t, value)) {
            errors.push(format!("{at}: {value} is not of type {types:?}"));
            return;
        }
        match value {
            Value::String(s) => self.string(schema, s, at, errors),
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.walk(item_schema, item, &format!("{at}[{i}]"), errors);
                    }
                }
            }
            Value::Object(map) => {
                for name in schema
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(name) = name.as_str()
                        && !map.contains_key(name)
                    {
                        errors.push(format!("{at}: required property {name} is missing"));
                    }
                }
                let props = schema.get("properties").and_then(Value::as_object);
                for (key, child) in map {
                    if let Some(child_schema) = props.and_then(|p| p.get(key)) {
                        self.walk(child_schema, child, &format!("{at}.{key}"), errors);
                    }
                }
                let closed = schema.get("additionalProperties") == Some(&Value::Bool(false))
                    || schema.get("unevaluatedProperties") == Some(&Value::Bool(false))
                    || schema
                        .get("unevaluatedProperties")
                        .and_then(|u| u.get("not"))
                        .is_some_and(|n| n.as_object().is_some_and(|o| o.is_empty()));
                if closed {
                    let mut names = Vec::new();
                    self.declared_properties(schema, &mut names);
                    for key in map.keys() {
                        if !names.contains(key) {
                            errors.push(format!("{at}: property {key} is not declared"));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn string(&self, schema: &Value, s: &str, at: &str, errors: &mut Vec<String>) {
        let len = s.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && len < min
        {
            errors.push(format!("{at}: {s:?} is shorter than {min}"));
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && len > max
        {
            errors.push(format!("{at}: {s:?} is longer than {max}"));
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            let re = regex::Regex::new(pattern).expect("schema pattern");
            if !re.is_match(s) {
                errors.push(format!("{at}: {s:?} does not match {pattern}"));
            }
        }
        let ok = match schema.get("format").and_then(Value::as_str) {
            Some("uuid") => uuid_like(s),
            Some("date-time") => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
            Some("date-time-rfc-2822") => chrono::DateTime::parse_from_rfc2822(s).is_ok(),
            Some("phone-number") => {
                s.starts_with('+') && s.len() > 8 && s[1..].bytes().all(|b| b.is_ascii_digit())
                    || s.starts_with('(')
            }
            Some("iso-country-code") => s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()),
            Some("http-method") => matches!(s, "GET" | "POST"),
            _ => true,
        };
        if !ok {
            errors.push(format!(
                "{at}: {s:?} is not a valid {:?}",
                schema.get("format")
            ));
        }
    }
}

fn uuid_like(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn type_matches(t: &str, value: &Value) -> bool {
    match t {
        "null" => value.is_null(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}
