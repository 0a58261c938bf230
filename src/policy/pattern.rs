//! Action patterns: `*`, an exact id, `prefix.*`, `*.suffix`.

/// A parsed action pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// `*`: every action.
    Any,
    /// An exact action id.
    Exact(String),
    /// `billing.*`: ids that start with the stored text (which includes the dot, `"billing."`).
    Prefix(String),
    /// `*.delete`: ids that end with the stored text (which includes the dot, `".delete"`).
    Suffix(String),
}
