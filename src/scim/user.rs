//! A person as a SCIM User document, and a User document as the people operations' input.
//! Attribute names are matched case-insensitively, as RFC 7643 §2.1 asks.

use chrono::SecondsFormat;
use serde_json::{Map, Value, json};

use super::{ENTERPRISE_SCHEMA, USER_SCHEMA};
use crate::error::AppError;
use crate::people::Person;
use crate::people::create::CreatePersonRequest;
use crate::people::update::UpdatePersonRequest;

/// The member of `object` whose name is `name`, ignoring case.
pub fn member<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value).filter(|v| !v.is_null())
}

fn invalid(attribute: &str, expected: &str) -> AppError {
    AppError::bad_request("invalid_value", format!("`{attribute}` must be {expected}."))
}

fn text(object: &Map<String, Value>, name: &str) -> Result<Option<String>, AppError> {
    match member(object, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(name, "a string")),
    }
}

/// What a User document says about the attributes Roundtable keeps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserFields {
    pub user_name: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub active: Option<bool>,
    pub title: Option<String>,
    pub external_id: Option<String>,
    pub employee_number: Option<String>,
    pub department: Option<String>,
    pub manager_id: Option<String>,
}

impl UserFields {
    pub fn from_document(document: &Value) -> Result<Self, AppError> {
        let Value::Object(user) = document else {
            return Err(AppError::bad_request("invalid_syntax", "The body must be a SCIM User object."));
        };
        let user_name = text(user, "userName")?
            .filter(|name| !name.trim().is_empty())
            .ok_or_else(|| invalid("userName", "a non-empty string (it is required)"))?;
        let active = match member(user, "active") {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            // Entra ID has sent booleans as "True" and "False".
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
            Some(_) => return Err(invalid("active", "a boolean")),
        };
        let enterprise = match member(user, ENTERPRISE_SCHEMA) {
            None => Map::new(),
            Some(Value::Object(extension)) => extension.clone(),
            Some(_) => return Err(invalid(ENTERPRISE_SCHEMA, "an object")),
        };
        let manager_id = match member(&enterprise, "manager") {
            None => None,
            Some(Value::String(id)) => Some(id.clone()),
            Some(Value::Object(manager)) => text(manager, "value")?,
            Some(_) => return Err(invalid("manager", "an object with a `value`")),
        };
        Ok(Self {
            display_name: text(user, "displayName")?.or(name_of(user)?),
            email: primary_email(user)?,
            active,
            title: text(user, "title")?,
            external_id: text(user, "externalId")?,
            employee_number: text(&enterprise, "employeeNumber")?,
            department: text(&enterprise, "department")?,
            manager_id: manager_id.filter(|id| !id.trim().is_empty()),
            user_name,
        })
    }

    /// The person to create; without a display name the user name stands in, and without
    /// an e-mail address a user name that is one.
    pub fn into_create(self) -> Result<CreatePersonRequest, AppError> {
        let email = self.email_or_user_name()?;
        Ok(CreatePersonRequest {
            display_name: self.display_name.clone().unwrap_or_else(|| self.user_name.clone()),
            email,
            external_id: self.external_id,
            department: self.department,
            title: self.title,
            manager_id: self.manager_id,
            role: Default::default(),
            active: self.active.unwrap_or(true),
            user_name: Some(self.user_name),
            employee_number: self.employee_number,
        })
    }

    /// The whole document as a change: what it leaves out is removed, except `active`,
    /// which keeps its value when not sent.
    pub fn into_change(self) -> Result<UpdatePersonRequest, AppError> {
        let email = self.email_or_user_name()?;
        Ok(UpdatePersonRequest {
            display_name: Some(self.display_name.clone().unwrap_or_else(|| self.user_name.clone())),
            email: Some(email),
            external_id: Some(self.external_id),
            department: Some(self.department),
            title: Some(self.title),
            manager_id: Some(self.manager_id),
            role: None,
            active: self.active,
            user_name: Some(Some(self.user_name)),
            employee_number: Some(self.employee_number),
            deprovisioned: None,
        })
    }

    /// The e-mail address sent, or a user name that is one.
    pub fn email_or_user_name(&self) -> Result<String, AppError> {
        match &self.email {
            Some(email) => Ok(email.clone()),
            None if self.user_name.contains('@') => Ok(self.user_name.clone()),
            None => Err(invalid("emails", "present: every person needs an e-mail address")),
        }
    }
}

/// `name.formatted`, or the given and family names.
fn name_of(user: &Map<String, Value>) -> Result<Option<String>, AppError> {
    let Some(name) = member(user, "name") else { return Ok(None) };
    let Value::Object(name) = name else { return Err(invalid("name", "an object")) };
    if let Some(formatted) = text(name, "formatted")? {
        return Ok(Some(formatted));
    }
    let parts: Vec<String> = [text(name, "givenName")?, text(name, "familyName")?].into_iter().flatten().collect();
    Ok((!parts.is_empty()).then(|| parts.join(" ")))
}

/// The primary address, else the work one, else the first.
fn primary_email(user: &Map<String, Value>) -> Result<Option<String>, AppError> {
    let Some(emails) = member(user, "emails") else { return Ok(None) };
    let Value::Array(emails) = emails else { return Err(invalid("emails", "an array")) };
    let mut entries = Vec::new();
    for email in emails {
        let Value::Object(email) = email else { return Err(invalid("emails", "an array of objects")) };
        let Some(value) = text(email, "value")? else { continue };
        let primary = matches!(member(email, "primary"), Some(Value::Bool(true)));
        let work = text(email, "type")?.is_some_and(|t| t.eq_ignore_ascii_case("work"));
        entries.push((primary, work, value));
    }
    let pick = entries.iter().find(|e| e.0).or_else(|| entries.iter().find(|e| e.1)).or(entries.first());
    Ok(pick.map(|e| e.2.clone()))
}

/// The person as a SCIM User; `base` is the service's SCIM root URL.
pub fn to_document(person: &Person, base: &str) -> Value {
    let mut user = Map::new();
    let mut schemas = vec![json!(USER_SCHEMA)];
    user.insert("id".into(), json!(person.id));
    if let Some(external_id) = &person.external_id {
        user.insert("externalId".into(), json!(external_id));
    }
    user.insert("userName".into(), json!(person.user_name.as_deref().unwrap_or(&person.email)));
    user.insert("displayName".into(), json!(person.display_name));
    if let Some(title) = &person.title {
        user.insert("title".into(), json!(title));
    }
    user.insert("active".into(), json!(person.active));
    // One address is kept; it is the primary one, which is what `primary` would say.
    user.insert("emails".into(), json!([{"value": person.email}]));
    let mut enterprise = Map::new();
    if let Some(number) = &person.employee_number {
        enterprise.insert("employeeNumber".into(), json!(number));
    }
    if let Some(department) = &person.department {
        enterprise.insert("department".into(), json!(department));
    }
    if let Some(manager) = &person.manager_id {
        enterprise.insert("manager".into(), json!({"value": manager, "$ref": format!("{base}/Users/{manager}")}));
    }
    if !enterprise.is_empty() {
        schemas.push(json!(ENTERPRISE_SCHEMA));
        user.insert(ENTERPRISE_SCHEMA.into(), Value::Object(enterprise));
    }
    user.insert("schemas".into(), Value::Array(schemas));
    let time = |t: chrono::NaiveDateTime| t.and_utc().to_rfc3339_opts(SecondsFormat::Millis, true);
    user.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": time(person.created_at),
            "lastModified": time(person.updated_at),
            "location": format!("{base}/Users/{}", person.id),
            "version": weak_etag(person),
        }),
    );
    Value::Object(user)
}

/// The person's version as SCIM shows it: a weak entity tag.
pub fn weak_etag(person: &Person) -> String {
    format!("W/{}", person.etag())
}

/// Keeps what `attributes` asks for, or drops what `excluded` names (RFC 7644 §3.9);
/// `schemas` and `id` always stay. Names are top-level attributes, sub-attributes (kept
/// with their parent) or enterprise attributes by their full URN.
pub fn project(document: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let Value::Object(mut user) = document else { return document };
    let names = |list: &str| -> Vec<String> {
        list.split(',').map(|n| n.trim().to_ascii_lowercase()).filter(|n| !n.is_empty()).collect()
    };
    let enterprise_prefix = format!("{}:", ENTERPRISE_SCHEMA.to_ascii_lowercase());
    let core_prefix = format!("{}:", USER_SCHEMA.to_ascii_lowercase());
    let split = |name: &str| -> (String, Option<String>) {
        if name == ENTERPRISE_SCHEMA.to_ascii_lowercase() {
            return (name.to_string(), None);
        }
        if let Some(inner) = name.strip_prefix(&enterprise_prefix) {
            return (ENTERPRISE_SCHEMA.to_ascii_lowercase(), Some(inner.split('.').next().unwrap_or("").to_string()));
        }
        let name = name.strip_prefix(&core_prefix).unwrap_or(name);
        (name.split('.').next().unwrap_or("").to_string(), None)
    };
    if let Some(list) = attributes.filter(|l| !l.trim().is_empty()) {
        let wanted: Vec<(String, Option<String>)> = names(list).iter().map(|n| split(n)).collect();
        user.retain(|key, value| {
            let key = key.to_ascii_lowercase();
            if key == "schemas" || key == "id" {
                return true;
            }
            let inner: Vec<&Option<String>> = wanted.iter().filter(|(top, _)| *top == key).map(|(_, i)| i).collect();
            if inner.is_empty() {
                return false;
            }
            if let (Value::Object(extension), false) = (value, inner.iter().any(|i| i.is_none())) {
                extension.retain(|k, _| inner.iter().any(|i| i.as_deref() == Some(&k.to_ascii_lowercase())));
            }
            true
        });
    } else if let Some(list) = excluded {
        for (top, inner) in names(list).iter().map(|n| split(n)) {
            if top == "schemas" || top == "id" {
                continue;
            }
            let key = user.keys().find(|k| k.to_ascii_lowercase() == top).cloned();
            match (key, inner) {
                (Some(key), None) => {
                    user.remove(&key);
                }
                (Some(key), Some(inner)) => {
                    if let Some(Value::Object(extension)) = user.get_mut(&key) {
                        extension.retain(|k, _| k.to_ascii_lowercase() != inner);
                    }
                }
                _ => {}
            }
        }
    }
    Value::Object(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_okta_user_reads_with_its_primary_work_address_and_given_names() {
        let okta = json!({
            "schemas": [USER_SCHEMA],
            "userName": "Ada@Example.com",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"primary": false, "value": "home@example.com", "type": "home"},
                       {"primary": true, "value": "ada@example.com", "type": "work"}],
            "active": true,
        });
        let fields = UserFields::from_document(&okta).unwrap();
        assert_eq!(fields.display_name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(fields.email.as_deref(), Some("ada@example.com"));
        let entra = json!({"USERNAME": "x@y.com", "active": "False",
            ENTERPRISE_SCHEMA: {"manager": "m-1", "Department": "Ops"}});
        let fields = UserFields::from_document(&entra).unwrap();
        assert_eq!((fields.active, fields.manager_id.as_deref()), (Some(false), Some("m-1")));
        assert_eq!(fields.department.as_deref(), Some("Ops"));
        assert!(UserFields::from_document(&json!({"userName": 3})).is_err());
        assert!(UserFields::from_document(&json!({"userName": "nomail"})).unwrap().into_create().is_err());
    }

    #[test]
    fn projection_keeps_or_drops_the_named_attributes() {
        let doc = json!({"schemas": [], "id": "1", "title": "t", "displayName": "d",
            ENTERPRISE_SCHEMA: {"department": "x", "employeeNumber": "7"}});
        let kept = project(
            doc.clone(),
            Some("TITLE, urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
            None,
        );
        assert_eq!(kept, json!({"schemas": [], "id": "1", "title": "t", ENTERPRISE_SCHEMA: {"department": "x"}}));
        let dropped = project(doc, None, Some("displayName,id"));
        assert!(dropped.get("displayName").is_none() && dropped.get("id").is_some());
    }
}
