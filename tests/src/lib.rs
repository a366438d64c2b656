//! Cross-crate end-to-end scenarios and the reliability battery (`docs/reliability.md`).
//!
//! The scenarios live in `tests/tests/`; this library holds what they share:
//! [`history`], the delivery-contract checker every scenario feeds, and [`fault_proxy`],
//! a TCP proxy that injects network faults between real sockets.

pub mod fault_proxy;
pub mod history;
