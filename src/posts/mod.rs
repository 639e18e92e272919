//! Posts: model, SQL, rules, routes and full-text search.

pub mod cached;
pub mod cursor;
pub mod model;
pub mod params;
pub mod repo;
pub mod rest;
pub mod search;
pub mod service;
