//! `/api/admin`: first-admin setup, API keys, stats, config and backups,
//! plus the embedded admin UI.

pub mod rest;
pub mod service;
pub mod ui;
