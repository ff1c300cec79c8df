-- Submitted answers, held per group: one row per cycle, subject and relationship, with
-- how many of the group answered, how many gave each score to each question
-- ({"question id": {"score": count}}) and the group's comments in text order
-- ({"question id": ["text", ...]}). No rater, no invitation, no id of its own, no time;
-- inside a row nothing pairs one rater's answers or says in which order they came.
-- Reports are computed from these rows, which replace the per-answer rows and the
-- tallies and respondent counts computed from them at close.
CREATE TABLE answer_sets (
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    subject_id TEXT NOT NULL REFERENCES people (id),
    relationship TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    respondents INTEGER NOT NULL,
    scores TEXT NOT NULL,
    comments TEXT NOT NULL,
    PRIMARY KEY (cycle_id, subject_id, relationship)
);

INSERT INTO answer_sets (cycle_id, subject_id, relationship, org_id, respondents, scores, comments)
SELECT cycle_id, subject_id, relationship, min(org_id),
       CAST(count(*) FILTER (WHERE status = 'submitted') AS INTEGER), '{}', '{}'
FROM invitations
GROUP BY cycle_id, subject_id, relationship
ORDER BY cycle_id, subject_id, relationship;

UPDATE answer_sets s SET scores = t.scores
FROM (
    SELECT cycle_id, subject_id, relationship,
           json_object_agg(question_id, counts ORDER BY question_id)::text AS scores
    FROM (
        SELECT cycle_id, subject_id, relationship, question_id,
               json_object_agg(score, n ORDER BY score) AS counts
        FROM (
            SELECT cycle_id, subject_id, relationship, question_id, score, count(*) AS n
            FROM answers WHERE score IS NOT NULL
            GROUP BY cycle_id, subject_id, relationship, question_id, score
        ) per_score
        GROUP BY cycle_id, subject_id, relationship, question_id
    ) per_question
    GROUP BY cycle_id, subject_id, relationship
) t
WHERE s.cycle_id = t.cycle_id AND s.subject_id = t.subject_id AND s.relationship = t.relationship;

UPDATE answer_sets s SET comments = t.comments
FROM (
    SELECT cycle_id, subject_id, relationship,
           json_object_agg(question_id, texts ORDER BY question_id)::text AS comments
    FROM (
        SELECT cycle_id, subject_id, relationship, question_id, json_agg(comment ORDER BY comment) AS texts
        FROM answers WHERE comment IS NOT NULL
        GROUP BY cycle_id, subject_id, relationship, question_id
    ) per_question
    GROUP BY cycle_id, subject_id, relationship
) t
WHERE s.cycle_id = t.cycle_id AND s.subject_id = t.subject_id AND s.relationship = t.relationship;

DROP TABLE answers;
DROP TABLE respondent_counts;
DROP TABLE score_counts;
