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
SELECT cycle_id, subject_id, relationship, min(org_id), sum(status = 'submitted'), '{}', '{}'
FROM invitations
GROUP BY cycle_id, subject_id, relationship
ORDER BY cycle_id, subject_id, relationship;

UPDATE answer_sets SET
    scores = (
        SELECT json_group_object(question_id, json(counts)) FROM (
            SELECT question_id, json_group_object(CAST(score AS TEXT), n) AS counts FROM (
                SELECT question_id, score, count(*) AS n FROM answers a
                WHERE a.cycle_id = answer_sets.cycle_id AND a.subject_id = answer_sets.subject_id
                  AND a.relationship = answer_sets.relationship AND a.score IS NOT NULL
                GROUP BY question_id, score ORDER BY question_id, score
            ) GROUP BY question_id ORDER BY question_id
        )
    ),
    comments = (
        SELECT json_group_object(question_id, json(texts)) FROM (
            SELECT question_id, json_group_array(comment) AS texts FROM (
                SELECT question_id, comment FROM answers a
                WHERE a.cycle_id = answer_sets.cycle_id AND a.subject_id = answer_sets.subject_id
                  AND a.relationship = answer_sets.relationship AND a.comment IS NOT NULL
                ORDER BY question_id, comment
            ) GROUP BY question_id ORDER BY question_id
        )
    );

DROP TABLE answers;
DROP TABLE respondent_counts;
DROP TABLE score_counts;
