//! GraphQL over the same services as REST: schema, per-request DataLoaders,
//! limits, and the `/graphql` route.

pub mod loaders;
pub mod route;
pub mod schema;

pub use schema::{build_schema, FolioSchema};
