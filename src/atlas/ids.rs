//! The identifier grammars of CARP.md (atlas ids, action ids, semantic versions).
