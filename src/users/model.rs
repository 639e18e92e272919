//! Users: validated inputs (parse, don't validate) and the views callers see.

use serde::Serialize;
use serde_json::{json, Value};

use crate::error::FieldError;
use crate::ids::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Result<Role, FieldError> {
        match raw {
            "user" => Ok(Role::User),
            "admin" => Ok(Role::Admin),
            _ => Err(FieldError::new("role", "must be \"user\" or \"admin\"")),
        }
    }
}

/// A syntactically valid email address, normalised to lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, FieldError> {
        let bad = || FieldError::new("email", "must be a valid email address");
        let value = raw.trim().to_lowercase();
        if value.len() > 254 {
            return Err(bad());
        }
        let (local, domain) = value.rsplit_once('@').ok_or_else(bad)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| {
                c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c) || !c.is_ascii()
            });
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Email(value))
        } else {
            Err(bad())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 3..30 chars of `[A-Za-z0-9_-]`; unique regardless of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Username, FieldError> {
        let ok = (3..=30).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Username(raw.to_string()))
        } else {
            Err(FieldError::new(
                "username",
                "must be 3 to 30 characters of letters, digits, '_' or '-'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user row as stored (without the password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub email: String,
    pub role: Role,
    pub disabled: bool,
    pub token_version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl User {
    /// The full view: for the user itself, admins and API keys.
    pub fn private_json(&self) -> Value {
        json!({
            "id": self.id,
            "username": self.username,
            "email": self.email,
            "role": self.role.as_str(),
            "disabled": self.disabled,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }

    /// What everyone else sees.
    pub fn public_json(&self) -> Value {
        json!({
            "id": self.id,
            "username": self.username,
            "created_at": self.created_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            "", "a", "a@", "@b.c", "a@b", "a@b..c", "a b@c.d", "a@-b.c", ".a@b.c", "a@b.c-",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn usernames() {
        assert!(Username::parse("ann_1-x").is_ok());
        for bad in ["ab", &"a".repeat(31), "has space", "ümlaut", "a.b"] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }
}
