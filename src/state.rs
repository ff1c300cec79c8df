//! The state every request handler can reach: the database pool and the token authority,
//! with the few settings handlers read.

use actix_web::web;

use crate::auth::tokens::TokenAuthority;
use crate::db::DbPool;
use crate::events::ReadLog;

/// What every handler can reach.
pub struct AppState {
    pub db: DbPool,
    /// Where report reads are recorded, in batches, before they are answered.
    pub reads: ReadLog,
    /// Shared with the `Principal` extractor, which finds it as app data of its own.
    pub tokens: web::Data<TokenAuthority>,
    pub client_token_ttl_secs: u64,
    pub user_token_max_ttl_secs: u64,
    pub max_import_bytes: usize,
    /// Whether webhook endpoints may be in private address ranges.
    pub webhooks_allow_private: bool,
}
