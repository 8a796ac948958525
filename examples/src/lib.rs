//! The examples of the README, compiled and run as doctests against this
//! crate's `migrations/` folder, the way a user's crate would hold it.

#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
