DROP TABLE analytics_settings;
DROP TABLE analytics_gaps;
DROP TABLE analytics_participation;
DROP TABLE analytics_ratings;
DROP TABLE analytics_departments;
