//! SQLite-style varints, as FTS5 writes them in its doclists and row sizes.

/// Sums the SQLite-style varints (as FTS5 writes them) in `blob`; `None`
/// when one is cut short.
pub fn sum_varints(mut blob: &[u8]) -> Option<u64> {
    let mut total = 0u64;
    while !blob.is_empty() {
        let (v, used) = varint(blob)?;
        total = total.saturating_add(v);
        blob = &blob[used..];
    }
    Some(total)
}

/// The SQLite-style varint at the start of `blob`, and its length in bytes.
pub fn varint(blob: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for i in 0..9 {
        let b = *blob.get(i)?;
        if i == 8 {
            return Some(((v << 8) | u64::from(b), 9));
        }
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}
