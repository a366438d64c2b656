//! `docs/events.md` is generated from the catalogue; this test fails when it is stale.
//! Regenerate with `UPDATE_DOCS=1 cargo test -p herald-event-types --test docs`.

use herald_event_types::catalogue::catalogue_markdown;

#[test]
fn events_md_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/events.md");
    let generated = catalogue_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "docs/events.md is out of date: run `UPDATE_DOCS=1 cargo test -p herald-event-types --test docs`"
    );
}

#[test]
fn every_catalogue_event_is_in_the_table() {
    let markdown = catalogue_markdown();
    for info in herald_event_types::CATALOGUE {
        assert!(markdown.contains(&format!("| `{}` |", info.event_type)), "{}", info.event_type);
    }
}
