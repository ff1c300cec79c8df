-- Competency frameworks. A version is written once and never changed, so a cycle that
-- uses it always shows raters the same questions.
CREATE TABLE frameworks (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX frameworks_org ON frameworks (org_id, id);

CREATE TABLE framework_versions (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    framework_id TEXT NOT NULL REFERENCES frameworks (id),
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX framework_versions_number ON framework_versions (framework_id, version);

CREATE TABLE competencies (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    version_id TEXT NOT NULL REFERENCES framework_versions (id),
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE UNIQUE INDEX competencies_key ON competencies (version_id, key);

CREATE TABLE questions (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    version_id TEXT NOT NULL REFERENCES framework_versions (id),
    competency_id TEXT NOT NULL REFERENCES competencies (id),
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    prompt TEXT NOT NULL,
    required BOOLEAN NOT NULL,
    scale_min INTEGER,
    scale_max INTEGER,
    scale_labels TEXT,
    max_length INTEGER,
    position INTEGER NOT NULL
);
CREATE UNIQUE INDEX questions_key ON questions (version_id, key);
CREATE INDEX questions_competency ON questions (competency_id);

-- Feedback cycles and their state machine.
CREATE TABLE cycles (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    framework_version_id TEXT NOT NULL REFERENCES framework_versions (id),
    state TEXT NOT NULL,
    starts_at TIMESTAMP,
    ends_at TIMESTAMP,
    anonymity TEXT NOT NULL,
    nomination_rules TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX cycles_org ON cycles (org_id, id);

-- The leaders a cycle reviews.
CREATE TABLE participants (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    subject_id TEXT NOT NULL REFERENCES people (id),
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX participants_subject ON participants (cycle_id, subject_id);

-- Who is asked to rate whom, and whether the manager or HR agreed.
CREATE TABLE nominations (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    subject_id TEXT NOT NULL REFERENCES people (id),
    rater_id TEXT NOT NULL REFERENCES people (id),
    relationship TEXT NOT NULL,
    status TEXT NOT NULL,
    nominated_by TEXT NOT NULL,
    decided_by TEXT,
    decision_note TEXT,
    created_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP
);
CREATE UNIQUE INDEX nominations_pair ON nominations (cycle_id, subject_id, rater_id);
CREATE INDEX nominations_rater ON nominations (rater_id);

-- One per approved rater and one for the self-assessment. No submission time is kept:
-- nothing here may line up with the answers.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    subject_id TEXT NOT NULL REFERENCES people (id),
    rater_id TEXT NOT NULL REFERENCES people (id),
    relationship TEXT NOT NULL,
    status TEXT NOT NULL,
    token_hash TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX invitations_pair ON invitations (cycle_id, subject_id, rater_id);
CREATE INDEX invitations_rater ON invitations (rater_id, cycle_id);

-- A rater's saved, not yet submitted answers: linked to the invitation until submission,
-- then deleted in the same transaction that stores the answers unlinked.
CREATE TABLE response_drafts (
    invitation_id TEXT PRIMARY KEY NOT NULL REFERENCES invitations (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    answers TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Submitted answers: cycle, subject, relationship and question only. Random ids; no
-- rater, no invitation, no time. Keyed by content first, so rows are stored in an order
-- that says nothing about when they arrived; closing a cycle rewrites them all.
CREATE TABLE answers (
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    subject_id TEXT NOT NULL REFERENCES people (id),
    question_id TEXT NOT NULL REFERENCES questions (id),
    relationship TEXT NOT NULL,
    id TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    score INTEGER,
    comment TEXT,
    PRIMARY KEY (cycle_id, subject_id, question_id, relationship, id)
) WITHOUT ROWID;

-- Replays of creating requests sent again with the same Idempotency-Key.
CREATE TABLE idempotency_keys (
    org_id TEXT NOT NULL REFERENCES organizations (id),
    actor TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER,
    response_body TEXT,
    response_headers TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, actor, key)
);
