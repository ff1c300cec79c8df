-- Analytics roll-ups, written in a cycle's closing transaction from what its reports may
-- show, so that an aggregate is a few small reads. Departments are the subjects'
-- departments at close, numbered per cycle.
CREATE TABLE analytics_departments (
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    position INTEGER NOT NULL,
    -- NULL for subjects without a department.
    name TEXT,
    leaders INTEGER NOT NULL,
    PRIMARY KEY (cycle_id, position)
);

-- Others' ratings per department, relationship group and question, pooled from the
-- groups each subject's report shows (every one at least its threshold). `leaders` is a
-- bitset over the department's subjects in an order drawn at random at close and never
-- stored, so it says how many subjects a figure describes and which figures describe the
-- same ones, not who they are.
CREATE TABLE analytics_ratings (
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    department INTEGER NOT NULL,
    relationship TEXT NOT NULL,
    question_id TEXT NOT NULL REFERENCES questions (id),
    leaders BYTEA NOT NULL,
    answers BIGINT NOT NULL,
    score_sum BIGINT NOT NULL,
    score_squares BIGINT NOT NULL,
    PRIMARY KEY (cycle_id, department, relationship, question_id)
);

-- Invitations per department and relationship at close, and how many were answered.
CREATE TABLE analytics_participation (
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    department INTEGER NOT NULL,
    relationship TEXT NOT NULL,
    leaders BYTEA NOT NULL,
    invited BIGINT NOT NULL,
    answered BIGINT NOT NULL,
    PRIMARY KEY (cycle_id, department, relationship)
);

-- Subjects' self-minus-others gaps per competency, counted per hundredth.
CREATE TABLE analytics_gaps (
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    competency_key TEXT NOT NULL,
    hundredths INTEGER NOT NULL,
    leaders INTEGER NOT NULL,
    gap_sum DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (cycle_id, competency_key, hundredths)
);

-- An organisation's least subjects behind an analytics cell (default 5, never below 3).
CREATE TABLE analytics_settings (
    org_id TEXT PRIMARY KEY NOT NULL REFERENCES organizations (id),
    min_cell INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
