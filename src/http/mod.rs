//! HTTP plumbing shared by every feature: the JSON body guard, the JSON
//! catchers (with `405` + `Allow`), and small response helpers.

pub mod admission;
pub mod area;
pub mod body;
pub mod catchers;
pub mod embedded;
pub mod error;
pub mod etag;
pub mod headers;
pub mod pipeline;
pub mod request;
pub mod request_log;

pub use body::JsonBody;
