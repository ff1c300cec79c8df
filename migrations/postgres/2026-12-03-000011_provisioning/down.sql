DROP INDEX people_org_user_name;
ALTER TABLE people DROP COLUMN deprovisioned;
ALTER TABLE people DROP COLUMN employee_number;
ALTER TABLE people DROP COLUMN user_name;
