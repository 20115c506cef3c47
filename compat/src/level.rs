//! Compatibility levels with Confluent Schema Registry's names and meaning.

use std::fmt;
use std::str::FromStr;

/// Which earlier versions a new schema is checked against, and in which direction.
///
/// BACKWARD: the new schema can read data written with the latest version (consumers upgrade first).
/// FORWARD: the latest version can read data written with the new schema (producers upgrade first).
/// FULL: both. The `_TRANSITIVE` variants check every earlier version, not only the latest. NONE checks nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CompatibilityLevel {
    #[default]
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
    None,
}

impl CompatibilityLevel {
    pub const ALL: [CompatibilityLevel; 7] = [
        CompatibilityLevel::Backward,
        CompatibilityLevel::BackwardTransitive,
        CompatibilityLevel::Forward,
        CompatibilityLevel::ForwardTransitive,
        CompatibilityLevel::Full,
        CompatibilityLevel::FullTransitive,
        CompatibilityLevel::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CompatibilityLevel::Backward => "BACKWARD",
            CompatibilityLevel::BackwardTransitive => "BACKWARD_TRANSITIVE",
            CompatibilityLevel::Forward => "FORWARD",
            CompatibilityLevel::ForwardTransitive => "FORWARD_TRANSITIVE",
            CompatibilityLevel::Full => "FULL",
            CompatibilityLevel::FullTransitive => "FULL_TRANSITIVE",
            CompatibilityLevel::None => "NONE",
        }
    }

    /// Whether every earlier version is checked (else only the latest).
    pub fn is_transitive(self) -> bool {
        matches!(
            self,
            CompatibilityLevel::BackwardTransitive
                | CompatibilityLevel::ForwardTransitive
                | CompatibilityLevel::FullTransitive
        )
    }

    /// Whether the new schema must read old data.
    pub fn checks_backward(self) -> bool {
        matches!(
            self,
            CompatibilityLevel::Backward
                | CompatibilityLevel::BackwardTransitive
                | CompatibilityLevel::Full
                | CompatibilityLevel::FullTransitive
        )
    }

    /// Whether old schemas must read new data.
    pub fn checks_forward(self) -> bool {
        matches!(
            self,
            CompatibilityLevel::Forward
                | CompatibilityLevel::ForwardTransitive
                | CompatibilityLevel::Full
                | CompatibilityLevel::FullTransitive
        )
    }

    /// Indices into a history (oldest first) of `len` versions that this level checks, newest first.
    pub fn versions_to_check(self, len: usize) -> Vec<usize> {
        match self {
            CompatibilityLevel::None => Vec::new(),
            level if level.is_transitive() => (0..len).rev().collect(),
            _ => len.checked_sub(1).into_iter().collect(),
        }
    }
}

impl fmt::Display for CompatibilityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no compatibility level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown compatibility level {0:?}: expected one of BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, NONE"
)]
pub struct UnknownLevel(pub String);

impl FromStr for CompatibilityLevel {
    type Err = UnknownLevel;

    /// Accepts Confluent's names in any case, with `-` for `_`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_uppercase().replace('-', "_");
        CompatibilityLevel::ALL
            .into_iter()
            .find(|l| l.as_str() == wanted)
            .ok_or_else(|| UnknownLevel(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_versions_follow_confluent() {
        for level in CompatibilityLevel::ALL {
            assert_eq!(level.as_str().parse::<CompatibilityLevel>(), Ok(level));
        }
        assert_eq!(
            "full-transitive".parse(),
            Ok(CompatibilityLevel::FullTransitive)
        );
        assert!("SIDEWAYS".parse::<CompatibilityLevel>().is_err());
        assert_eq!(CompatibilityLevel::Backward.versions_to_check(3), vec![2]);
        assert_eq!(
            CompatibilityLevel::FullTransitive.versions_to_check(3),
            vec![2, 1, 0]
        );
        assert_eq!(
            CompatibilityLevel::Forward.versions_to_check(0),
            Vec::<usize>::new()
        );
        assert_eq!(
            CompatibilityLevel::None.versions_to_check(3),
            Vec::<usize>::new()
        );
    }
}
