ALTER TABLE response_drafts DROP COLUMN credential;
