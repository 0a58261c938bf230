//! The JSON pointer (RFC 6901) of the value being validated.
//!
//! Errors must name where the problem is (`/policies/2/actions/0`), but
//! almost every value is fine, so the pointer is kept as a chain of borrowed
//! steps on the stack and only rendered into text when an error is built.

use std::fmt;

/// Where a value sits in the manifest: the root, or one step below a parent.
#[derive(Clone, Copy, Debug)]
pub(super) enum At<'p> {
    Root,
    Member(&'p At<'p>, &'p str),
    Index(&'p At<'p>, usize),
}

impl<'p> At<'p> {
    /// The member `name` of the object at `self`.
    pub(super) fn member<'q>(&'q self, name: &'q str) -> At<'q> {
        At::Member(self, name)
    }

    /// The item `index` of the array at `self`.
    pub(super) fn index(&self, index: usize) -> At<'_> {
        At::Index(self, index)
    }

    /// The pointer text: `""` for the root, else `/`-separated steps with
    /// `~` written as `~0` and `/` as `~1` inside member names.
    pub(super) fn pointer(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Root => Ok(()),
            At::Member(parent, name) => {
                write!(f, "{parent}/")?;
                write_escaped(f, name)
            }
            At::Index(parent, index) => write!(f, "{parent}/{index}"),
        }
    }
}

/// Writes a member name as a pointer step. `~` is escaped first so that the
/// `~1` written for `/` is not escaped again.
fn write_escaped(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    for c in name.chars() {
        match c {
            '~' => f.write_str("~0")?,
            '/' => f.write_str("~1")?,
            _ => write!(f, "{c}")?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_the_empty_pointer() {
        assert_eq!(At::Root.pointer(), "");
    }

    #[test]
    fn steps_are_joined_with_slashes() {
        let root = At::Root;
        let policies = root.member("policies");
        let second = policies.index(2);
        let actions = second.member("actions");
        assert_eq!(actions.index(0).pointer(), "/policies/2/actions/0");
    }

    #[test]
    fn member_names_escape_tilde_and_slash() {
        let root = At::Root;
        assert_eq!(root.member("a/b~c").pointer(), "/a~1b~0c");
        assert_eq!(root.member("~1").pointer(), "/~01");
        assert_eq!(root.member("").pointer(), "/");
    }
}
