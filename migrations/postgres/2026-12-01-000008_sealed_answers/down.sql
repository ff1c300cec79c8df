-- Sealed values cannot be opened in SQL: going down keeps only the rows not yet sealed.
DROP TABLE subject_results;
DROP TABLE response_drafts;
DROP TABLE answer_sets;
ALTER TABLE unsealed_response_drafts RENAME CONSTRAINT unsealed_response_drafts_pkey TO response_drafts_pkey;
ALTER TABLE unsealed_answer_sets RENAME CONSTRAINT unsealed_answer_sets_pkey TO answer_sets_pkey;
ALTER TABLE unsealed_response_drafts RENAME TO response_drafts;
ALTER TABLE unsealed_answer_sets RENAME TO answer_sets;
