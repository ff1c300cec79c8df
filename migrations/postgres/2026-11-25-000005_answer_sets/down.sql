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
);

CREATE TABLE score_counts (
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    subject_id TEXT NOT NULL REFERENCES people (id),
    question_id TEXT NOT NULL REFERENCES questions (id),
    relationship TEXT NOT NULL,
    score INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (cycle_id, subject_id, question_id, relationship, score)
);

CREATE TABLE respondent_counts (
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    subject_id TEXT NOT NULL REFERENCES people (id),
    relationship TEXT NOT NULL,
    respondents INTEGER NOT NULL,
    PRIMARY KEY (cycle_id, subject_id, relationship)
);

-- One answer row per counted score, and one per comment.
INSERT INTO answers (cycle_id, subject_id, question_id, relationship, id, org_id, score, comment)
SELECT s.cycle_id, s.subject_id, q.key, s.relationship, gen_random_uuid()::text, s.org_id,
       CAST(c.key AS INTEGER), NULL
FROM answer_sets s, json_each(s.scores::json) q, json_each_text(q.value) c,
     generate_series(1, CAST(c.value AS INTEGER));

INSERT INTO answers (cycle_id, subject_id, question_id, relationship, id, org_id, score, comment)
SELECT s.cycle_id, s.subject_id, q.key, s.relationship, gen_random_uuid()::text, s.org_id, NULL, t.value
FROM answer_sets s, json_each(s.comments::json) q, json_array_elements_text(q.value) t;

INSERT INTO score_counts (cycle_id, subject_id, question_id, relationship, score, n)
SELECT s.cycle_id, s.subject_id, q.key, s.relationship, CAST(c.key AS INTEGER), CAST(c.value AS INTEGER)
FROM answer_sets s JOIN cycles ON cycles.id = s.cycle_id, json_each(s.scores::json) q, json_each_text(q.value) c
WHERE cycles.state NOT IN ('draft', 'nominating', 'collecting');

INSERT INTO respondent_counts (cycle_id, subject_id, relationship, respondents)
SELECT s.cycle_id, s.subject_id, s.relationship, s.respondents
FROM answer_sets s JOIN cycles ON cycles.id = s.cycle_id
WHERE cycles.state NOT IN ('draft', 'nominating', 'collecting') AND s.respondents > 0;

DROP TABLE answer_sets;
