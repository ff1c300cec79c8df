UPDATE service_clients SET scopes = replace(scopes, ' coaching:read coaching:write', '');
DROP TABLE coach_feedback;
DROP TABLE coach_ratings;
DROP TABLE action_items;
DROP TABLE coaching_sessions;
DROP TABLE report_shares;
DROP TABLE coaching_members;
DROP TABLE coaching_relationships;
ALTER TABLE competency_summaries DROP COLUMN self_gap;
