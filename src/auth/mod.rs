//! Identity and access: keys, tokens, the principal extractor and the token endpoints.

pub mod access;
pub mod jwks;
pub mod keys;
pub mod oauth;
pub mod principal;
pub mod secrets;
pub mod tokens;
pub mod user_tokens;
