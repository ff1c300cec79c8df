//! Identity and access, the floor every domain stands on: signing keys, tokens, the
//! `Principal` extractor and the permissions. The endpoints that issue tokens are in
//! `crate::oauth`, above the clients and people they look up.

pub mod access;
pub mod keys;
pub mod principal;
pub mod secrets;
pub mod tokens;
