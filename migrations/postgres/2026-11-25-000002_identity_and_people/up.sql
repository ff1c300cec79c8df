-- Keys that sign the service's JWTs. Service-wide, not per tenant.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    private_key TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    retired_at TIMESTAMP
);

-- Server-to-server callers (HR systems). Only a digest of the secret is kept.
CREATE TABLE service_clients (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    client_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX service_clients_org ON service_clients (org_id, id);

-- The people directory the HR system keeps in sync.
CREATE TABLE people (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    external_id TEXT,
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    department TEXT,
    title TEXT,
    manager_id TEXT REFERENCES people (id),
    role TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX people_org_external_id ON people (org_id, external_id);
CREATE UNIQUE INDEX people_org_email ON people (org_id, email);
CREATE INDEX people_org_department ON people (org_id, department, id);
CREATE INDEX people_manager ON people (manager_id);

-- Who changed what, and who read which report.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT,
    details TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_events_org ON audit_events (org_id, id);
