//! The open-file limit: raised to the hard limit at start, since every
//! connection holds a descriptor, and the connection cap kept under it.

use crate::config::Config;

/// Descriptors kept for what is not a client connection: the database and
/// its WAL, the log, backups, webhook deliveries.
const RESERVED: u64 = 256;

/// Raises the soft open-file limit to the hard one and lowers
/// `server.max_connections` to what the limit leaves room for.
pub fn raise(config: &mut Config) {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the open-file limit");
            return;
        }
    };
    let wanted = config.server.max_connections;
    let cap = fit(wanted, limit);
    if cap != wanted {
        tracing::warn!(
            open_files = limit,
            max_connections = cap,
            configured = wanted,
            "server.max_connections lowered to fit the open-file limit"
        );
    }
    config.server.max_connections = cap;
    tracing::info!(open_files = limit, max_connections = cap, "open-file limit");
}

/// The connection cap that fits `limit` descriptors (0 stays "no cap").
fn fit(wanted: usize, limit: u64) -> usize {
    let room = usize::try_from(limit.saturating_sub(RESERVED).max(1)).unwrap_or(usize::MAX);
    match wanted {
        0 => 0,
        n => n.min(room),
    }
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn the_cap_leaves_room_for_the_servers_own_files() {
        assert_eq!(fit(10_000, 1_048_576), 10_000);
        assert_eq!(fit(10_000, 1024), 768);
        assert_eq!(fit(10_000, 100), 1);
        assert_eq!(fit(0, 1024), 0);
    }
}
