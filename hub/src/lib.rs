//! # herald-hub
//!
//! The reference hub (issue 3), in progress.

pub mod auth;
pub mod broker;
