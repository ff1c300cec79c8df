-- How a cycle's raters prove who they are: `link` (an invitation link or a user token)
-- or `identity_provider` (only a token from the organisation's identity provider).
ALTER TABLE cycles ADD COLUMN rater_sign_in TEXT NOT NULL DEFAULT 'link';
