//! Change events: the transactional outbox every write records into.

pub mod outbox;
