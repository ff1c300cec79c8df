//! What the service provider says about itself (RFC 7643 §5–7, RFC 7644 §4): its
//! configuration, the User resource type and the schemas of what it keeps. The User
//! schema lists exactly the attributes that are stored, so a client never writes a value
//! that silently disappears.

use serde_json::{Value, json};

use super::{ENTERPRISE_SCHEMA, LIST_SCHEMA, USER_SCHEMA};
use crate::pagination::MAX_LIMIT;

const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [CONFIG_SCHEMA],
        "documentationUri": "https://roundtable.dev/docs/scim",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_LIMIT},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A client-credentials access token from /oauth/token for a client with the `scim` scope.",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}

pub fn user_resource_type(base: &str) -> Value {
    json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "A person of the directory",
        "schema": USER_SCHEMA,
        "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": false}],
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
    })
}

/// One attribute definition; `sub` for a complex attribute's sub-attributes.
fn attribute(name: &str, kind: &str, required: bool, description: &str) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "description": description,
        "required": required, "caseExact": false, "mutability": "readWrite",
        "returned": "default", "uniqueness": "none",
    })
}

fn schema(id: &str, name: &str, description: &str, attributes: Vec<Value>, base: &str) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": id, "name": name, "description": description, "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
    })
}

pub fn schemas(base: &str) -> Vec<Value> {
    let mut user_name = attribute("userName", "string", true, "The sign-in name; unique, compared case-insensitively");
    user_name["uniqueness"] = json!("server");
    let description =
        "The person's e-mail address: one is kept, the primary one sent (else the work one, else the first)";
    let mut emails = attribute("emails", "complex", true, description);
    emails["multiValued"] = json!(true);
    emails["subAttributes"] = json!([attribute("value", "string", true, "The address")]);
    let user = vec![
        user_name,
        attribute("displayName", "string", true, "The name shown; the user name when none is sent"),
        attribute("title", "string", false, "Job title"),
        attribute("active", "boolean", true, "false deactivates the person, who keeps their history"),
        emails,
    ];
    let mut manager = attribute("manager", "complex", false, "The person's manager, a User of this service");
    let mut reference = attribute("$ref", "reference", false, "The manager's URI");
    reference["referenceTypes"] = json!(["User"]);
    manager["subAttributes"] = json!([attribute("value", "string", false, "The manager's id"), reference]);
    let enterprise = vec![
        attribute("employeeNumber", "string", false, "The HR system's employee number"),
        attribute("department", "string", false, "Department"),
        manager,
    ];
    let plain = |names: &[&str]| names.iter().map(|n| attribute(n, "string", false, n)).collect::<Vec<_>>();
    vec![
        schema(USER_SCHEMA, "User", "A person of the directory", user, base),
        schema(ENTERPRISE_SCHEMA, "EnterpriseUser", "Enterprise attributes", enterprise, base),
        schema(
            RESOURCE_TYPE_SCHEMA,
            "ResourceType",
            "A resource type",
            plain(&["id", "name", "endpoint", "schema"]),
            base,
        ),
        schema(
            CONFIG_SCHEMA,
            "ServiceProviderConfig",
            "The service's configuration",
            plain(&["documentationUri"]),
            base,
        ),
        schema(SCHEMA_SCHEMA, "Schema", "A schema", plain(&["id", "name", "description"]), base),
    ]
}

/// A list response holding all of `resources`.
pub fn list(resources: Vec<Value>, start_index: usize, total: usize) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}
