//! The filters identity providers send to find a user before creating one (RFC 7644
//! §3.4.2.2): `eq` comparisons on a few attributes, joined by `and`. Anything else is
//! refused with `invalidFilter` rather than half-understood.

use crate::error::AppError;

use super::ENTERPRISE_SCHEMA;

/// Longest filter accepted, and most comparisons in one.
const MAX_FILTER: usize = 1_000;
const MAX_TERMS: usize = 10;

/// An attribute a filter may compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    Id,
    UserName,
    ExternalId,
    Email,
    DisplayName,
    Active,
    EmployeeNumber,
    Department,
}

/// A compared value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Text(String),
    Bool(bool),
}

fn refuse(detail: impl Into<String>) -> AppError {
    AppError::bad_request("invalid_filter", detail)
}

fn attribute(path: &str) -> Result<Attribute, AppError> {
    let lower = path.to_ascii_lowercase();
    let core = lower.strip_prefix("urn:ietf:params:scim:schemas:core:2.0:user:").unwrap_or(&lower);
    let enterprise = format!("{}:", ENTERPRISE_SCHEMA.to_ascii_lowercase());
    Ok(match core.strip_prefix(&enterprise).map(|a| (true, a)).unwrap_or((false, core)) {
        (false, "id") => Attribute::Id,
        (false, "username") => Attribute::UserName,
        (false, "externalid") => Attribute::ExternalId,
        (false, "emails" | "emails.value") => Attribute::Email,
        (false, "displayname") => Attribute::DisplayName,
        (false, "active") => Attribute::Active,
        (true, "employeenumber") => Attribute::EmployeeNumber,
        (true, "department") => Attribute::Department,
        _ => return Err(refuse(format!("Filtering on `{path}` is not supported."))),
    })
}

/// Splits on spaces outside double-quoted strings.
fn tokens(filter: &str) -> Result<Vec<String>, AppError> {
    let mut out = Vec::new();
    let mut current = String::new();
    let (mut quoted, mut escaped) = (false, false);
    for ch in filter.chars() {
        if quoted {
            current.push(ch);
            match (escaped, ch) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => quoted = false,
                _ => {}
            }
        } else if ch.is_whitespace() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            if ch == '"' {
                quoted = true;
            }
            current.push(ch);
        }
    }
    if quoted {
        return Err(refuse("The filter has an unterminated string."));
    }
    if !current.is_empty() {
        out.push(current);
    }
    Ok(out)
}

fn literal(token: &str) -> Result<Literal, AppError> {
    if token.starts_with('"') {
        return serde_json::from_str::<String>(token)
            .map(Literal::Text)
            .map_err(|_| refuse(format!("`{token}` is not a valid string.")));
    }
    match token.to_ascii_lowercase().as_str() {
        "true" => Ok(Literal::Bool(true)),
        "false" => Ok(Literal::Bool(false)),
        _ => Err(refuse(format!("`{token}` is not a value: quote strings, as in userName eq \"ada\"."))),
    }
}

/// Parses `attr eq value [and attr eq value]…`.
pub fn parse(filter: &str) -> Result<Vec<(Attribute, Literal)>, AppError> {
    if filter.len() > MAX_FILTER {
        return Err(refuse(format!("The filter is longer than {MAX_FILTER} characters.")));
    }
    let tokens = tokens(filter)?;
    let mut terms = Vec::new();
    let mut rest = tokens.as_slice();
    loop {
        let [path, op, value, tail @ ..] = rest else {
            return Err(refuse("Expected `attribute eq value`, joined by `and`."));
        };
        if !op.eq_ignore_ascii_case("eq") {
            return Err(refuse(format!("The operator `{op}` is not supported; only `eq` is.")));
        }
        let attribute = attribute(path)?;
        let value = literal(value)?;
        if matches!(attribute, Attribute::Active) != matches!(value, Literal::Bool(_)) {
            return Err(refuse(format!("`{path}` is compared with the wrong kind of value.")));
        }
        terms.push((attribute, value));
        if terms.len() > MAX_TERMS {
            return Err(refuse(format!("A filter compares at most {MAX_TERMS} attributes.")));
        }
        match tail {
            [] => return Ok(terms),
            [and, more @ ..] if and.eq_ignore_ascii_case("and") => rest = more,
            [other, ..] => {
                return Err(refuse(format!("`{other}` is not supported here; only `and` joins comparisons.")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filters_identity_providers_send_parse() {
        assert_eq!(
            parse(r#"userName eq "ada@example.com""#).unwrap(),
            vec![(Attribute::UserName, Literal::Text("ada@example.com".into()))]
        );
        let both = parse(r#"externalId EQ "a b\"c" and emails.value eq "x@y.z" AND active eq true"#).unwrap();
        assert_eq!(both[0], (Attribute::ExternalId, Literal::Text("a b\"c".into())));
        assert_eq!(both[1].0, Attribute::Email);
        assert_eq!(both[2], (Attribute::Active, Literal::Bool(true)));
        let department = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"Ops\"";
        assert_eq!(parse(department).unwrap()[0].0, Attribute::Department);
        for bad in [
            r#"userName co "a""#,
            r#"userName eq "a" or userName eq "b""#,
            r#"password eq "x""#,
            r#"userName eq "open"#,
            "userName eq ada",
            r#"active eq "yes""#,
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
