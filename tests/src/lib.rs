//! Cross-crate end-to-end scenarios (real hub, real publisher, real subscriber) live in
//! `tests/tests/`. The reliability battery (issue 9) grows here.
