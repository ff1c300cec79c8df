DROP TABLE webhook_tallies;
DROP TABLE webhook_schedule;
ALTER TABLE cycles DROP COLUMN reminder_hours;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_messages;
DROP TABLE webhook_endpoints;
