-- Answers are sealed with the answer key, which is never in the database: each row keeps
-- the id of the key and a sealed value (nonce, ciphertext, tag) whose associated data
-- names the row. What a database reader still sees is which groups exist, which drafts
-- exist and which invitations were submitted, never what anyone answered.
--
-- The rows written before this are moved aside; the service seals them at its next start
-- and empties these tables (`responses::seal_unsealed`).
ALTER TABLE answer_sets RENAME TO unsealed_answer_sets;
ALTER TABLE response_drafts RENAME TO unsealed_response_drafts;

CREATE TABLE answer_sets (
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    subject_id TEXT NOT NULL REFERENCES people (id),
    relationship TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    key_id TEXT NOT NULL,
    sealed BLOB NOT NULL,
    PRIMARY KEY (cycle_id, subject_id, relationship)
);

CREATE TABLE response_drafts (
    invitation_id TEXT PRIMARY KEY NOT NULL REFERENCES invitations (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    credential TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    key_id TEXT NOT NULL,
    sealed BLOB NOT NULL
);

-- What a closed cycle's report may show about one subject, written at close from the
-- answer sets, which are then destroyed: figures of groups that reached their threshold,
-- "all others" where the rule allows it, and the comments that may be shown. Nothing
-- about fewer than a threshold of one anonymous group survives close.
CREATE TABLE subject_results (
    cycle_id TEXT NOT NULL REFERENCES cycles (id),
    subject_id TEXT NOT NULL REFERENCES people (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    key_id TEXT NOT NULL,
    sealed BLOB NOT NULL,
    PRIMARY KEY (cycle_id, subject_id)
);
