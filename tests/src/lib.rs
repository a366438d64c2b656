//! Cross-crate end-to-end scenarios (real hub, real clients) live in `tests/tests/`.
//! They arrive with the hub and the SDKs (issues 3–5).
