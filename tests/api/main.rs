//! One test binary for the whole HTTP API. Every test starts the real application on a
//! random port with a database of its own: SQLite by default, PostgreSQL when
//! `TEST_DATABASE_URL` is set.

mod helpers;

mod analytics;
mod attribution;
mod auth;
mod coaching;
mod crash;
mod cycles;
mod database_reader;
mod drafts;
mod foundation;
mod hostile;
mod idempotency;
mod layout;
mod limits;
mod logs;
mod me;
mod people;
mod pictures;
mod replica;
mod reports;
mod scale_out;
mod schema;
mod scim;
mod sign_in;
mod tenancy;
mod unlinkable;
mod webhooks;
