//! Opaque keyset cursors, bound to the sort and filters they were made with.

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::repo::After;
use crate::error::{ApiError, FieldError};
use crate::ids::PostId;

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Data {
    /// The list it belongs to: sort and filters.
    b: String,
    /// Sort value and id of the last item returned.
    k: String,
    i: String,
}

fn bad() -> ApiError {
    ApiError::Validation(vec![FieldError::new(
        "cursor",
        "is not a cursor of this list (it is bound to the sort and filters it was made with)",
    )])
}

pub fn encode(binding: &str, after: &After) -> String {
    let data = Data {
        b: binding.to_string(),
        k: after.key.clone(),
        i: after.id.to_string(),
    };
    let json = serde_json::to_vec(&data).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

pub fn decode(binding: &str, cursor: &str) -> Result<After, ApiError> {
    if cursor.len() > 2048 {
        return Err(bad());
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| bad())?;
    let data: Data = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if data.b != binding {
        return Err(bad());
    }
    Ok(After {
        key: data.k,
        id: PostId::parse(&data.i).ok_or_else(bad)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let after = After {
            key: "2026-01-01T00:00:00.000Z".into(),
            id: PostId::new(),
        };
        let c = encode("s=-published_at;p=true", &after);
        let back = decode("s=-published_at;p=true", &c).unwrap();
        assert_eq!((back.key, back.id), (after.key, after.id));
        assert!(decode("s=title;p=true", &c).is_err());
        assert!(decode("s=-published_at;p=true", "!!!").is_err());
        assert!(decode("s=-published_at;p=true", "e30").is_err());
    }
}
