//! The two schemas a request may run on. Operations made only of
//! introspection fields (`document::Shape::introspection`) run on one that
//! answers nothing else: the standard introspection query nests deeper than
//! any data query needs, so it has no depth limit; the complexity limit
//! still applies, `document` bounds how lists nest, and it resolves no data
//! field even if one got through. Everything else runs on the data schema.

use async_graphql::{EmptySubscription, Schema};

use super::schema::{build_schema, FolioSchema, MutationRoot, QueryRoot};
use crate::config::GraphqlConfig;

pub struct Schemas {
    data: FolioSchema,
    /// `None` when `graphql.introspection` is off: the data schema then
    /// refuses such operations.
    introspection: Option<FolioSchema>,
}

impl Schemas {
    pub fn new(cfg: &GraphqlConfig) -> Self {
        Schemas {
            data: build_schema(cfg),
            introspection: cfg.introspection.then(|| {
                Schema::build(QueryRoot, MutationRoot, EmptySubscription)
                    .introspection_only()
                    .limit_complexity(cfg.max_complexity)
                    .finish()
            }),
        }
    }

    /// The schema for an operation, by whether it is introspection only.
    pub fn for_operation(&self, introspection: bool) -> &FolioSchema {
        match &self.introspection {
            Some(s) if introspection => s,
            _ => &self.data,
        }
    }
}
