//! Both engines must end with the same tables and columns after migrating.

use std::collections::BTreeSet;

use diesel::sql_types::Text;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};
use roundtable::db::DbPool;

use crate::helpers::{TestDatabase, test_settings};

#[derive(QueryableByName, Debug)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

const IGNORED_TABLE: &str = "__diesel_schema_migrations";

fn sqlite_columns(url: &str) -> BTreeSet<(String, String)> {
    let path = url.strip_prefix("sqlite://").unwrap();
    let mut conn = SqliteConnection::establish(path).unwrap();
    diesel::sql_query(
        "SELECT m.name AS table_name, p.name AS column_name \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    )
    .load::<ColumnRow>(&mut conn)
    .unwrap()
    .into_iter()
    .filter(|r| r.table_name != IGNORED_TABLE)
    .map(|r| (r.table_name, r.column_name))
    .collect()
}

fn postgres_columns(url: &str) -> BTreeSet<(String, String)> {
    let mut conn = PgConnection::establish(url).unwrap();
    diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name \
         FROM information_schema.columns WHERE table_schema = current_schema()",
    )
    .load::<ColumnRow>(&mut conn)
    .unwrap()
    .into_iter()
    .filter(|r| r.table_name != IGNORED_TABLE)
    .map(|r| (r.table_name, r.column_name))
    .collect()
}

fn migrated_sqlite() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("schema.db").display());
    DbPool::connect(&test_settings(&url).database).unwrap();
    (dir, url)
}

#[test]
fn sqlite_has_every_table_of_the_schema() {
    let (_dir, url) = migrated_sqlite();
    let tables: BTreeSet<String> = sqlite_columns(&url).into_iter().map(|(t, _)| t).collect();
    assert!(tables.contains("organizations"), "tables: {tables:?}");
}

#[test]
fn both_engines_end_with_the_same_tables_and_columns() {
    let postgres = TestDatabase::fresh();
    if !postgres.is_postgres() {
        eprintln!("TEST_DATABASE_URL is not set: this comparison runs in the PostgreSQL pass of .ci/run");
        return;
    }
    DbPool::connect(&test_settings(postgres.url()).database).unwrap();
    let (_dir, sqlite_url) = migrated_sqlite();
    let on_sqlite = sqlite_columns(&sqlite_url);
    let on_postgres = postgres_columns(postgres.url());
    let only_sqlite: Vec<_> = on_sqlite.difference(&on_postgres).collect();
    let only_postgres: Vec<_> = on_postgres.difference(&on_sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "only on SQLite: {only_sqlite:?}; only on PostgreSQL: {only_postgres:?}"
    );
}
