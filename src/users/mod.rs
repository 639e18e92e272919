//! Users: model, SQL, rules and routes.

pub mod model;
pub mod params;
pub mod repo;
pub mod rest;
pub mod service;
