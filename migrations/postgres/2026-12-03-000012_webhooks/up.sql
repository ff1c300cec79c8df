-- Webhooks: the endpoints an organisation registers, the messages events make (the
-- outbox, written in the transaction of the change), one delivery per message and
-- endpoint, and every attempt to send it (the delivery log).

-- The signing secrets are sealed under the answer key, like answers: a database reader
-- cannot sign messages. An endpoint is soft-deleted so that its log stays readable.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    -- Space separated event types; empty: every event.
    event_types TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    disabled_reason TEXT,
    key_id TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id);

-- `id` is the `webhook-id` receivers see; `body` is sent as it is stored.
CREATE TABLE webhook_messages (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- A pending delivery is due at `next_attempt_at`; a worker that claims one moves it a
-- lease ahead, so that another instance takes it over only if the first one died.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id),
    message_id TEXT NOT NULL REFERENCES webhook_messages (id),
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_attempt_at TIMESTAMP,
    last_status_code INTEGER,
    last_error TEXT,
    delivered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (endpoint_id, message_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

CREATE TABLE webhook_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    attempted_at TIMESTAMP NOT NULL,
    outcome TEXT NOT NULL,
    status_code INTEGER,
    error TEXT,
    duration_ms INTEGER NOT NULL,
    -- The worker (one per running instance) that made the attempt.
    worker TEXT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempted_at);
CREATE INDEX webhook_attempts_outcome ON webhook_attempts (outcome);

-- When a collecting cycle reminds the raters who have not answered: hours before its end.
ALTER TABLE cycles ADD COLUMN reminder_hours TEXT NOT NULL DEFAULT '[72,24]';

-- What the scheduler announced, once however many instances run it: a round of
-- reminders (`slot` is its time) or an hour's count of answers (`slot` ends the hour).
CREATE TABLE webhook_schedule (
    kind TEXT NOT NULL,
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    slot TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, cycle_id, slot)
);

-- How many answers about each subject the last `response.submitted` counted.
CREATE TABLE webhook_tallies (
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    subject_id TEXT NOT NULL REFERENCES people (id),
    submitted INTEGER NOT NULL,
    PRIMARY KEY (cycle_id, subject_id)
);
