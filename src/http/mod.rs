//! HTTP plumbing shared by every feature: the JSON body guard, the JSON
//! catchers (with `405` + `Allow`), and small response helpers.

pub mod area;
pub mod body;
pub mod catchers;
pub mod embedded;
pub mod etag;
pub mod headers;
pub mod list;
pub mod pipeline;
pub mod request;

pub use body::JsonBody;
