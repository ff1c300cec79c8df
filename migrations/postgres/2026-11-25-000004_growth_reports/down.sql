DROP TABLE report_releases;
DROP TABLE competency_norms;
DROP TABLE competency_summaries;
DROP TABLE respondent_counts;
DROP TABLE score_counts;
