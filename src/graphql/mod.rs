//! GraphQL over the same services as REST: schema, per-request DataLoaders,
//! limits, and the `/graphql` route.

pub mod cached;
pub mod document;
pub mod graphiql;
pub mod introspection;
pub mod loaders;
pub mod mutation;
pub mod objects;
pub mod response;
pub mod route;
pub mod schema;

pub use schema::{build_schema, FolioSchema};
