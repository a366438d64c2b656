//! Cross-crate end-to-end scenarios and the reliability battery (`docs/reliability.md`).
//!
//! The scenarios live in `tests/tests/`; this library holds what they share:
//! [`history`], the delivery-contract checker every scenario feeds, [`fault_proxy`], a TCP
//! proxy that injects network faults between real sockets, and [`hub_process`], the real
//! `herald-hub` binary as a child process whose memory and descriptors can be measured.

pub mod fault_proxy;
pub mod history;
pub mod hub_process;
