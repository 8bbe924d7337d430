use super::{named_enum, ParseError};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    ChiefOfficer,
    Pcc,
    Staff,
    Supplier,
    Admin,
}

named_enum!(Role, "role", {
    ChiefOfficer => "chief_officer",
    Pcc => "pcc",
    Staff => "staff",
    Supplier => "supplier",
    Admin => "admin",
});

/// A set of roles, stored as comma-separated names ("chief_officer,pcc").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleSet(Vec<Role>);

impl RoleSet {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let mut roles = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let role: Role = part.parse()?;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        roles.sort();
        Ok(RoleSet(roles))
    }

    pub fn from_roles(roles: impl IntoIterator<Item = Role>) -> Self {
        let mut v: Vec<Role> = roles.into_iter().collect();
        v.sort();
        v.dedup();
        RoleSet(v)
    }

    pub fn contains(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn roles(&self) -> &[Role] {
        &self.0
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|r| r.as_str()).collect()
    }
}

impl fmt::Display for RoleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_set_round_trips() {
        let set = RoleSet::parse("pcc, chief_officer,pcc").unwrap();
        assert_eq!(set.to_string(), "chief_officer,pcc");
        assert_eq!(RoleSet::parse(&set.to_string()).unwrap(), set);
        assert!(RoleSet::parse("chief,pcc").unwrap_err().0.contains("chief"));
    }
}
