//! Authentication and access control: passwords, tokens, principals, API
//! keys, rate limits, and the `/api/auth` routes.

pub mod apikeys;
pub mod client_ip;
pub mod guards;
pub mod jwt;
pub mod password;
pub mod principal;
pub mod ratelimit;
pub mod repo;
pub mod rest;
pub mod service;
pub mod setup;

pub use principal::Principal;

use crate::users::model::Role;

/// What every authenticated request checks about its user (cached).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthState {
    pub token_version: i64,
    pub disabled: bool,
    pub role: Role,
}
