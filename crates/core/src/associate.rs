//! Associates (users) and the roles that decide what they may do.

use std::fmt;

/// An associate id as SuperOffice numbers them; 0 is reserved for system tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssociateId(pub i32);

impl AssociateId {
    /// The owner of system tasks.
    pub const SYSTEM: AssociateId = AssociateId(0);
}

impl fmt::Display for AssociateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    User,
    /// A remote worker's account: what a user may do, and the worker API.
    Worker,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::User => "user",
            Role::Worker => "worker",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "user" => Some(Role::User),
            "worker" => Some(Role::Worker),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Associate {
    pub id: AssociateId,
    pub name: String,
    pub role: Role,
    /// A PHC-format password hash; never logged, never rendered.
    pub password_hash: String,
}

impl Associate {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}
