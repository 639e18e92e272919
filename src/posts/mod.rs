//! Posts: model, SQL, rules, routes and full-text search.

pub mod cursor;
pub mod limits;
pub mod model;
pub mod phrase_stats;
pub mod query;
pub mod rank;
pub mod repo;
pub mod rest;
pub mod search;
pub mod service;
pub mod tokenize;
pub mod topk;
