-- The subject's self-minus-others gap per competency where the report shows both, so
-- that matching finds blind spots without rebuilding every report.
ALTER TABLE competency_summaries ADD COLUMN self_gap DOUBLE PRECISION;

-- Leaders coaching leaders: relationships (a pair or a circle) with the agreement every
-- member accepts, the reports coachees share with them, and their sessions.
CREATE TABLE coaching_relationships (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    -- Who set it up, as the audit log names them.
    created_by TEXT NOT NULL,
    cadence TEXT NOT NULL,
    confidentiality TEXT NOT NULL,
    expectations TEXT NOT NULL,
    starts_on DATE NOT NULL,
    review_on DATE NOT NULL,
    -- JSON array of competency keys.
    focus_competencies TEXT NOT NULL,
    -- Why HR let a leader coach their manager or a direct report.
    override_reason TEXT,
    end_reason TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX coaching_relationships_org ON coaching_relationships (org_id, id);

CREATE TABLE coaching_members (
    relationship_id TEXT NOT NULL REFERENCES coaching_relationships (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    role TEXT NOT NULL,
    accepted_at TIMESTAMP,
    PRIMARY KEY (relationship_id, person_id)
);
CREATE INDEX coaching_members_person ON coaching_members (person_id);

-- A coachee's consent: one released report, whole (competency_keys NULL) or chosen
-- competencies (a JSON array), shown to the other members of one relationship.
CREATE TABLE report_shares (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    relationship_id TEXT NOT NULL REFERENCES coaching_relationships (id),
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    subject_id TEXT NOT NULL REFERENCES people (id),
    competency_keys TEXT,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX report_shares_report ON report_shares (cycle_id, subject_id);
CREATE INDEX report_shares_relationship ON report_shares (relationship_id);

-- A session's agenda and notes are sealed with the answer key: private to the members,
-- not readable by HR nor by whoever reads the database.
CREATE TABLE coaching_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    relationship_id TEXT NOT NULL REFERENCES coaching_relationships (id),
    held_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL REFERENCES people (id),
    key_id TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX coaching_sessions_relationship ON coaching_sessions (relationship_id, held_at);

CREATE TABLE action_items (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    session_id TEXT NOT NULL REFERENCES coaching_sessions (id),
    owner_id TEXT NOT NULL REFERENCES people (id),
    due_on DATE,
    done_at TIMESTAMP,
    key_id TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX action_items_session ON action_items (session_id);
CREATE INDEX action_items_owner ON action_items (owner_id, done_at);

-- How useful a member found a session, one row for each coach the rating is about, the
-- value sealed. A coach's aggregate (coach_feedback) takes in unpublished rows only
-- together, once at least three different coachees stand behind them, so that no change
-- of the aggregate describes fewer than three people.
CREATE TABLE coach_ratings (
    session_id TEXT NOT NULL REFERENCES coaching_sessions (id),
    rater_id TEXT NOT NULL REFERENCES people (id),
    coach_id TEXT NOT NULL REFERENCES people (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    key_id TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    published BOOLEAN NOT NULL,
    PRIMARY KEY (session_id, rater_id, coach_id)
);
CREATE INDEX coach_ratings_coach ON coach_ratings (coach_id, published);

CREATE TABLE coach_feedback (
    coach_id TEXT PRIMARY KEY NOT NULL REFERENCES people (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    ratings INTEGER NOT NULL,
    raters INTEGER NOT NULL,
    total INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Development goals, tied to a competency. What a goal says (its title and target) and
-- a check-in's note are sealed: private to the leader and the relationships they share
-- the goal with.
CREATE TABLE goals (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    competency_key TEXT NOT NULL,
    status TEXT NOT NULL,
    due_on DATE,
    key_id TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX goals_person ON goals (person_id, id);

CREATE TABLE goal_shares (
    goal_id TEXT NOT NULL REFERENCES goals (id),
    relationship_id TEXT NOT NULL REFERENCES coaching_relationships (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (goal_id, relationship_id)
);
CREATE INDEX goal_shares_relationship ON goal_shares (relationship_id);

CREATE TABLE goal_check_ins (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    goal_id TEXT NOT NULL REFERENCES goals (id),
    progress INTEGER NOT NULL,
    key_id TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX goal_check_ins_goal ON goal_check_ins (goal_id, id);

-- The organisation's library for coaches: guides, templates and exercises, tagged by
-- competency; every organisation starts with the starter set for new coaches.
CREATE TABLE coaching_resources (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    title TEXT NOT NULL,
    format TEXT NOT NULL,
    url TEXT,
    body TEXT,
    -- JSON array of competency keys.
    competency_keys TEXT NOT NULL,
    -- The starter set's key (`first_session`, ...); NULL for the organisation's own.
    starter TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX coaching_resources_org ON coaching_resources (org_id, id);
CREATE UNIQUE INDEX coaching_resources_starter ON coaching_resources (org_id, starter);

-- Clients that held every scope (each organisation's first, administrator client) hold
-- the coaching scopes too.
UPDATE service_clients
SET scopes = scopes || ' coaching:read coaching:write'
WHERE scopes = 'people:read people:write cycles:read cycles:write reports:read analytics:read webhooks:write tokens:mint clients:write audit:read scim';
