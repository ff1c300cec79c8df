-- What SCIM provisioning keeps about a person besides the directory's fields: the identity
-- provider's sign-in name (userName, stored lower-case like e-mail addresses), the
-- enterprise extension's employee number, and whether the identity provider deleted the
-- person (they are deactivated, keep their history, and SCIM answers 404 for them).
ALTER TABLE people ADD COLUMN user_name TEXT;
ALTER TABLE people ADD COLUMN employee_number TEXT;
ALTER TABLE people ADD COLUMN deprovisioned BOOLEAN NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX people_org_user_name ON people (org_id, user_name);
