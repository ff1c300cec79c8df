ALTER TABLE cycles DROP COLUMN rater_sign_in;
