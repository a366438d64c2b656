//! # herald-hub
//!
//! The reference hub (issue 3). Not implemented yet.
