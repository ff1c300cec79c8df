-- A draft belongs to the credential that saved it: an invitation link, or user tokens for
-- the rater minted by one client (or issued by one identity provider). Drafts saved before
-- this have none, so no credential reads them.
ALTER TABLE response_drafts ADD COLUMN credential TEXT NOT NULL DEFAULT '';
