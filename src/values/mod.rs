//! Small value types every feature shares: list paging and resource
//! versions. They sit below the features and the transports, so a service
//! can take them without importing HTTP.

pub mod page;
pub mod version;
