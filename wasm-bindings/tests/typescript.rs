//! `react/src/events.generated.ts` and `react/test/fixtures.generated.ts` must equal what
//! the Rust catalogue renders. `UPDATE_TS=1 cargo test -p herald-wasm --test typescript`
//! rewrites them.

#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn check(path: &Path, expected: &str) {
    if std::env::var_os("UPDATE_TS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, expected).unwrap();
        return;
    }
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        actual == expected,
        "{} is stale: run `UPDATE_TS=1 cargo test -p herald-wasm --test typescript`",
        path.display()
    );
}

#[test]
fn catalogue_types_are_up_to_date() {
    check(&root().join("react/src/events.generated.ts"), &herald_wasm::typescript::render());
}

#[test]
fn fixture_constants_are_up_to_date() {
    let dir = root().join("../docs/protocol/fixtures/events");
    let mut fixtures: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let json = std::fs::read_to_string(&path).unwrap();
            serde_json::from_str::<serde_json::Value>(&json).unwrap();
            (name, json)
        })
        .collect();
    fixtures.sort();
    assert_eq!(fixtures.len(), herald_event_types::CATALOGUE.len(), "one fixture per catalogue event");
    check(&root().join("react/test/fixtures.generated.ts"), &herald_wasm::typescript::render_fixtures(&fixtures));
}

#[test]
fn type_names_match_the_rust_structs() {
    assert_eq!(herald_wasm::typescript::type_name("pipeline_execution_started"), "PipelineExecutionStarted");
    assert_eq!(herald_wasm::typescript::type_name("debug_ml_classification"), "DebugMlClassification");
}
