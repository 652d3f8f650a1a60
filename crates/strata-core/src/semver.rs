//! Semantic schema versions: the [`Impact`] of a revision on the clients of a schema, and the
//! [`SchemaVersion`] (`MAJOR.MINOR.PATCH`) a database reaches by adding up the impacts of the
//! revisions it applied, in the order it applied them.

use std::fmt;

/// What a revision does to the clients of the schema, from least to most.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    /// Neither adds nor breaks: comments, index rebuilds, data-only changes.
    Patch,
    /// Adds without breaking: a new table, a nullable column, a new index or view.
    Minor,
    /// Breaks a client that runs today: a drop or rename, a narrowed type, a constraint or a
    /// `NOT NULL` that rejects rows clients write.
    Major,
}

impl Impact {
    pub const ALL: [Impact; 3] = [Impact::Major, Impact::Minor, Impact::Patch];

    /// `major`, `minor` or `patch`: the text of `-- strata:impact`.
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::Patch => "patch",
            Impact::Minor => "minor",
            Impact::Major => "major",
        }
    }

    /// Reads `major`, `minor` or `patch` (any case).
    pub fn parse(text: &str) -> Option<Impact> {
        Impact::ALL
            .into_iter()
            .find(|i| i.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `MAJOR.MINOR.PATCH`, ordered numerically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchemaVersion {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl SchemaVersion {
    pub const fn new(major: u64, minor: u64, patch: u64) -> SchemaVersion {
        SchemaVersion {
            major,
            minor,
            patch,
        }
    }

    /// Reads `X.Y.Z` (three decimal numbers, nothing else); `None` otherwise.
    pub fn parse(text: &str) -> Option<SchemaVersion> {
        let mut parts = text.trim().split('.');
        let mut next = || -> Option<u64> {
            let part = parts.next()?;
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let version = SchemaVersion::new(next()?, next()?, next()?);
        parts.next().is_none().then_some(version)
    }

    /// The version after a revision of this impact: a major change resets minor and patch, a
    /// minor one resets patch.
    pub fn bump(self, impact: Impact) -> SchemaVersion {
        match impact {
            Impact::Major => SchemaVersion::new(self.major + 1, 0, 0),
            Impact::Minor => SchemaVersion::new(self.major, self.minor + 1, 0),
            Impact::Patch => SchemaVersion::new(self.major, self.minor, self.patch + 1),
        }
    }

    /// The version after a revision with this impact that may declare its own version
    /// (`-- strata:version`): the declared one when it is at least the bumped one, else `Err`
    /// with the least version the revision may declare.
    pub fn next(
        self,
        impact: Impact,
        declared: Option<SchemaVersion>,
    ) -> Result<SchemaVersion, SchemaVersion> {
        let bumped = self.bump(impact);
        match declared {
            Some(d) if d < bumped => Err(bumped),
            Some(d) => Ok(d),
            None => Ok(bumped),
        }
    }
}

impl Default for SchemaVersion {
    /// `1.0.0`, the default of `[versioning] start`.
    fn default() -> SchemaVersion {
        SchemaVersion::new(1, 0, 0)
    }
}

impl fmt::Display for SchemaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl serde::Serialize for SchemaVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impacts_read_and_order() {
        assert_eq!(Impact::parse("MAJOR"), Some(Impact::Major));
        assert_eq!(Impact::parse(" patch "), Some(Impact::Patch));
        assert_eq!(Impact::parse("breaking"), None);
        assert!(Impact::Patch < Impact::Minor && Impact::Minor < Impact::Major);
    }

    #[test]
    fn versions_parse_strictly() {
        assert_eq!(
            SchemaVersion::parse("3.14.2"),
            Some(SchemaVersion::new(3, 14, 2))
        );
        for bad in [
            "3.14",
            "3.14.2.1",
            "v3.1.2",
            "3..2",
            "3.1.-2",
            "",
            "3.1.2-rc1",
        ] {
            assert_eq!(SchemaVersion::parse(bad), None, "{bad}");
        }
        assert!(SchemaVersion::new(1, 10, 0) > SchemaVersion::new(1, 9, 9));
    }

    #[test]
    fn bumps_reset_the_lower_parts() {
        let v = SchemaVersion::new(3, 14, 2);
        assert_eq!(v.bump(Impact::Major).to_string(), "4.0.0");
        assert_eq!(v.bump(Impact::Minor).to_string(), "3.15.0");
        assert_eq!(v.bump(Impact::Patch).to_string(), "3.14.3");
    }

    #[test]
    fn declared_versions_may_jump_but_not_fall_short() {
        let v = SchemaVersion::new(1, 2, 0);
        assert_eq!(
            v.next(Impact::Minor, Some(SchemaVersion::new(2, 0, 0))),
            Ok(SchemaVersion::new(2, 0, 0))
        );
        assert_eq!(
            v.next(Impact::Major, Some(SchemaVersion::new(1, 3, 0))),
            Err(SchemaVersion::new(2, 0, 0))
        );
        assert_eq!(v.next(Impact::Patch, None), Ok(SchemaVersion::new(1, 2, 1)));
    }
}
