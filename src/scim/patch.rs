//! SCIM PATCH (RFC 7644 §3.5.2) applied to a User document: the person is written out as
//! a document, the operations change the document, and the result is stored as a whole
//! through the one person update. `op` is case-insensitive (Entra ID sends `Replace`);
//! an operation has a path or, without one, an object of attributes.

use serde_json::{Map, Value};

use super::ENTERPRISE_SCHEMA;
use super::user::member;
use crate::error::AppError;

/// Most operations in one request.
const MAX_OPERATIONS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

fn invalid_path(path: &str) -> AppError {
    AppError::bad_request("invalid_path", format!("The path `{path}` names no attribute this service keeps."))
}

/// Applies a PatchOp request body to `document`.
pub fn apply(document: &mut Value, request: &Value) -> Result<(), AppError> {
    let syntax = |detail: &str| AppError::bad_request("invalid_syntax", detail.to_string());
    let Value::Object(request) = request else { return Err(syntax("The body must be a PatchOp object.")) };
    let Some(Value::Array(operations)) = member(request, "Operations") else {
        return Err(syntax("The body must hold an `Operations` array."));
    };
    if operations.len() > MAX_OPERATIONS {
        return Err(AppError::bad_request("too_many", format!("At most {MAX_OPERATIONS} operations per request.")));
    }
    let Value::Object(user) = document else { return Err(AppError::internal("the user document is not an object")) };
    for operation in operations {
        let Value::Object(operation) = operation else { return Err(syntax("Each operation must be an object.")) };
        let op = match member(operation, "op").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref() {
            Some("add") => Op::Add,
            Some("replace") => Op::Replace,
            Some("remove") => Op::Remove,
            _ => return Err(syntax("Each operation's `op` must be add, replace or remove.")),
        };
        // `null` is a value here: it clears the attribute.
        let value = operation.iter().find(|(k, _)| k.eq_ignore_ascii_case("value")).map(|(_, v)| v.clone());
        match member(operation, "path") {
            Some(Value::String(path)) => at_path(user, op, path, value)?,
            Some(_) => return Err(syntax("`path` must be a string.")),
            None => match (op, value) {
                (Op::Remove, _) => {
                    return Err(AppError::bad_request("no_target", "A remove operation needs a `path`."));
                }
                (_, Some(Value::Object(values))) => {
                    for (path, value) in values {
                        at_path(user, op, &path, Some(value))?;
                    }
                }
                _ => return Err(syntax("Without a `path`, `value` must be an object of attributes.")),
            },
        }
    }
    Ok(())
}

/// The key of `object` that `name` names, ignoring case, or `name` for a new one.
fn key_of(object: &Map<String, Value>, name: &str) -> String {
    object.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned().unwrap_or_else(|| name.to_string())
}

fn set(object: &mut Map<String, Value>, op: Op, name: &str, value: Option<Value>) -> Result<(), AppError> {
    let key = key_of(object, name);
    match (op, value) {
        (Op::Remove, _) | (_, Some(Value::Null)) => {
            object.remove(&key);
        }
        (_, None) => {
            return Err(AppError::bad_request("invalid_syntax", format!("The operation on `{name}` needs a `value`.")));
        }
        // Adding to a multi-valued attribute appends. One value of each is kept (the
        // primary), so what is added becomes the primary unless it names one itself.
        (Op::Add, Some(Value::Array(mut added))) => {
            let mut values = match object.remove(&key) {
                Some(Value::Array(values)) => values,
                _ => Vec::new(),
            };
            for v in values.iter_mut().filter_map(Value::as_object_mut) {
                v.insert("primary".into(), Value::Bool(false));
            }
            if !added.iter().any(|v| v.get("primary") == Some(&Value::Bool(true)))
                && let Some(Value::Object(first)) = added.first_mut()
            {
                first.insert("primary".into(), Value::Bool(true));
            }
            values.append(&mut added);
            object.insert(key, Value::Array(values));
        }
        // A complex attribute keeps the sub-attributes the value does not name (§3.5.2.3).
        (Op::Add | Op::Replace, Some(Value::Object(fields))) if object.get(&key).is_some_and(Value::is_object) => {
            if let Some(Value::Object(current)) = object.get_mut(&key) {
                for (field, value) in fields {
                    let field_key = key_of(current, &field);
                    current.insert(field_key, value);
                }
            }
        }
        (_, Some(value)) => {
            object.insert(key, value);
        }
    }
    Ok(())
}

fn at_path(user: &mut Map<String, Value>, op: Op, path: &str, value: Option<Value>) -> Result<(), AppError> {
    let lower = path.to_ascii_lowercase();
    let enterprise = ENTERPRISE_SCHEMA.to_ascii_lowercase();
    if lower == enterprise {
        return set(user, op, ENTERPRISE_SCHEMA, value);
    }
    if let Some(inner) = lower.strip_prefix(&format!("{enterprise}:")) {
        let key = key_of(user, ENTERPRISE_SCHEMA);
        let extension = user.entry(key).or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(extension) = extension else { return Err(invalid_path(path)) };
        let inner = &path[path.len() - inner.len()..];
        return match inner.split_once('.') {
            None => set(extension, op, inner, value),
            Some((parent, field)) => sub_attribute(extension, op, parent, field, value, path),
        };
    }
    let core_prefix = "urn:ietf:params:scim:schemas:core:2.0:user:";
    let path = if lower.starts_with(core_prefix) {
        &path[core_prefix.len()..]
    } else if lower.starts_with("urn:") {
        return Err(invalid_path(path));
    } else {
        path
    };
    if let Some((attribute, rest)) = path.split_once('[') {
        return filtered(user, op, attribute, rest, value, path);
    }
    match path.split_once('.') {
        None => set(user, op, path, value),
        Some((parent, field)) => sub_attribute(user, op, parent, field, value, path),
    }
}

/// `name.givenName`, `manager.value`: a field of a single-valued complex attribute.
fn sub_attribute(
    object: &mut Map<String, Value>,
    op: Op,
    parent: &str,
    field: &str,
    value: Option<Value>,
    path: &str,
) -> Result<(), AppError> {
    let key = key_of(object, parent);
    match object.entry(key).or_insert_with(|| Value::Object(Map::new())) {
        Value::Object(inner) => set(inner, op, field, value),
        _ => Err(invalid_path(path)),
    }
}

/// `emails[type eq "work"].value`: the values matching the filter, or a new one.
fn filtered(
    user: &mut Map<String, Value>,
    op: Op,
    attribute: &str,
    rest: &str,
    value: Option<Value>,
    path: &str,
) -> Result<(), AppError> {
    let (condition, field) = rest.split_once(']').ok_or_else(|| invalid_path(path))?;
    let field = field.strip_prefix('.');
    let mut words = condition.split_whitespace();
    let (Some(name), Some(eq), Some(wanted), None) = (words.next(), words.next(), words.next(), words.next()) else {
        return Err(invalid_path(path));
    };
    let wanted: Value = serde_json::from_str(wanted).map_err(|_| invalid_path(path))?;
    if !eq.eq_ignore_ascii_case("eq") {
        return Err(AppError::bad_request("invalid_filter", format!("Only `eq` is supported in `{path}`.")));
    }
    let key = key_of(user, attribute);
    let values = user.entry(key).or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(values) = values else { return Err(invalid_path(path)) };
    let matches = |v: &Value| {
        v.as_object().and_then(|o| member(o, name)).is_some_and(|found| match (found, &wanted) {
            (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => a == b,
        })
    };
    match (op, field) {
        (Op::Remove, None) => values.retain(|v| !matches(v)),
        (_, None) => {
            values.retain(|v| !matches(v));
            if let Some(value) = value {
                values.push(value);
            }
        }
        (_, Some(field)) => {
            let mut found = false;
            for entry in values.iter_mut().filter(|v| matches(v)) {
                found = true;
                if let Value::Object(entry) = entry {
                    set(entry, op, field, value.clone())?;
                }
            }
            if !found && op != Op::Remove {
                let mut entry = Map::new();
                entry.insert(name.to_string(), wanted.clone());
                set(&mut entry, op, field, value)?;
                values.push(Value::Object(entry));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(document: Value, operations: Value) -> Result<Value, AppError> {
        let mut document = document;
        apply(&mut document, &json!({"schemas": [], "Operations": operations}))?;
        Ok(document)
    }

    #[test]
    fn entra_and_okta_operations_change_the_document() {
        let user = json!({"userName": "a", "active": true,
            "emails": [{"value": "a@x.com", "primary": true, "type": "work"}]});
        let off = patched(user.clone(), json!([{"op": "Replace", "value": {"active": false}}])).unwrap();
        assert_eq!(off["active"], false);
        let email = patched(
            user.clone(),
            json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "b@x.com"}]),
        )
        .unwrap();
        assert_eq!(email["emails"][0]["value"], "b@x.com");
        let manager = patched(user.clone(), json!([
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m1"},
            {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Ops"},
        ])).unwrap();
        assert_eq!(manager[ENTERPRISE_SCHEMA], json!({"manager": "m1", "department": "Ops"}));
        let removed = patched(
            manager,
            json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]),
        )
        .unwrap();
        assert_eq!(removed[ENTERPRISE_SCHEMA], json!({"department": "Ops"}));
        let added = patched(
            user.clone(),
            json!([{"op": "add", "path": "emails", "value": [{"value": "c@x.com", "primary": true}]}]),
        )
        .unwrap();
        assert_eq!(added["emails"][0]["primary"], false);
        assert_eq!(added["emails"][1]["value"], "c@x.com");
        let appended =
            patched(user.clone(), json!([{"op": "add", "path": "emails", "value": [{"value": "d@x.com"}]}])).unwrap();
        assert_eq!(appended["emails"][1], json!({"value": "d@x.com", "primary": true}));
        let named = patched(
            user.clone(),
            json!([{"op": "replace", "value": {"name.givenName": "Ada", "displayName": "Ada L"}}]),
        )
        .unwrap();
        assert_eq!((named["name"]["givenName"].as_str(), named["displayName"].as_str()), (Some("Ada"), Some("Ada L")));
        let ext = json!({"userName": "a", ENTERPRISE_SCHEMA: {"department": "Ops", "employeeNumber": "7"}});
        let merged =
            patched(ext.clone(), json!([{"op": "replace", "path": ENTERPRISE_SCHEMA, "value": {"department": "R&D"}}]))
                .unwrap();
        assert_eq!(merged[ENTERPRISE_SCHEMA], json!({"department": "R&D", "employeeNumber": "7"}));
        let cleared = patched(ext, json!([{"op": "replace", "path": "title", "value": null}])).unwrap();
        assert!(cleared.get("title").is_none());
        for bad in [
            json!([{"op": "replace", "path": "urn:example:custom:2.0:User:x", "value": 1}]),
            json!([{"op": "remove"}]),
            json!([{"op": "move", "path": "title"}]),
            json!([{"op": "replace", "value": 3}]),
        ] {
            assert!(patched(user.clone(), bad).is_err());
        }
    }
}
