-- Roll-ups computed once when a cycle closes, so that reading a report never scans the
-- cycle's answers. How many gave each score, per subject, question and relationship.
CREATE TABLE score_counts (
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    subject_id TEXT NOT NULL REFERENCES people (id),
    question_id TEXT NOT NULL REFERENCES questions (id),
    relationship TEXT NOT NULL,
    score INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (cycle_id, subject_id, question_id, relationship, score)
);

-- How many of each relationship answered, per subject.
CREATE TABLE respondent_counts (
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    subject_id TEXT NOT NULL REFERENCES people (id),
    relationship TEXT NOT NULL,
    respondents INTEGER NOT NULL,
    PRIMARY KEY (cycle_id, subject_id, relationship)
);

-- Each subject's shown "all others" figures per competency, with their standing in the
-- cycle; later cycles compare against them.
CREATE TABLE competency_summaries (
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    subject_id TEXT NOT NULL REFERENCES people (id),
    competency_key TEXT NOT NULL,
    mean DOUBLE PRECISION NOT NULL,
    spread DOUBLE PRECISION NOT NULL,
    respondents INTEGER NOT NULL,
    percentile DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (cycle_id, subject_id, competency_key)
);
CREATE INDEX competency_summaries_subject ON competency_summaries (subject_id, cycle_id);

-- The organisation's norm per competency in a cycle.
CREATE TABLE competency_norms (
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    competency_key TEXT NOT NULL,
    mean DOUBLE PRECISION NOT NULL,
    subjects INTEGER NOT NULL,
    PRIMARY KEY (cycle_id, competency_key)
);

-- Which subjects may read their report.
CREATE TABLE report_releases (
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    subject_id TEXT NOT NULL REFERENCES people (id),
    released_at TIMESTAMP NOT NULL,
    released_by TEXT NOT NULL,
    PRIMARY KEY (cycle_id, subject_id)
);
CREATE INDEX report_releases_subject ON report_releases (subject_id);
