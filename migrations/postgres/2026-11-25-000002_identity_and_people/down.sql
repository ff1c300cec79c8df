DROP TABLE audit_events;
DROP TABLE people;
DROP TABLE service_clients;
DROP TABLE signing_keys;
