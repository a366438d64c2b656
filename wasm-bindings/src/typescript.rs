//! TypeScript types of the event catalogue, rendered from the Rust catalogue metadata
//! ([`CATALOGUE`], [`MODELS`], [`ENUMS`]), so the TS types cannot drift from the Rust
//! types: `tests/typescript.rs` fails when `react/src/events.generated.ts` is stale
//! (`UPDATE_TS=1 cargo test -p herald-wasm --test typescript` rewrites it).
//!
//! Mapping: `String`, `Timestamp` → `string`; integers and `f64` → `number`; `bool` →
//! `boolean`; `serde_json::Value` → `unknown`; `Vec<T>` → `T[]`; a catalogue enum → the
//! union of its known values plus `(string & {})` (unknown values are kept, as in Rust);
//! a nested object → an interface with an index signature for the fields Rust keeps in
//! `extra`. Optional fields (`Option<T>`) are `?` fields. Field names are the JSON names.

use std::fmt::Write as _;

use herald_event_types::catalogue::{ENUMS, MODELS};
use herald_event_types::event::FieldInfo;
use herald_event_types::{CATALOGUE, EventCategory};

/// The Rust struct name of an event type: `pipeline_created` → `PipelineCreated`.
pub fn type_name(event_type: &str) -> String {
    event_type
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
        })
        .collect()
}

fn ts_type(rust: &str) -> String {
    let rust: String = rust.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some(inner) = rust.strip_prefix("Vec<").and_then(|r| r.strip_suffix('>')) {
        return format!("{}[]", ts_type(inner));
    }
    match rust.as_str() {
        "String" | "Timestamp" => "string".to_owned(),
        "bool" => "boolean".to_owned(),
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "f32" | "f64" | "usize" => "number".to_owned(),
        "serde_json::Value" => "unknown".to_owned(),
        other if MODELS.iter().any(|(name, _)| *name == other) || ENUMS.iter().any(|(name, _)| *name == other) => {
            other.to_owned()
        }
        other => panic!("no TypeScript mapping for the Rust type {other}: extend herald_wasm::typescript"),
    }
}

fn fields(out: &mut String, fields: &[FieldInfo]) {
    for field in fields {
        let optional = if field.required { "" } else { "?" };
        let _ = writeln!(out, "  /** {} */", field.doc.replace("*/", "*\\/"));
        let _ = writeln!(out, "  {}{optional}: {};", field.json_name(), ts_type(field.ty));
    }
}

/// Renders `react/src/events.generated.ts`.
pub fn render() -> String {
    let mut out = String::from(
        "// Generated from the Rust catalogue (herald-event-types) by herald_wasm::typescript.\n\
         // Do not edit: `UPDATE_TS=1 cargo test -p herald-wasm --test typescript` rewrites it.\n\n",
    );
    let categories: Vec<String> = EventCategory::ALL.iter().map(|c| format!("\"{}\"", c.as_str())).collect();
    let members: Vec<String> = EventCategory::ALL.iter().map(|c| format!("{0}: \"{0}\"", c.as_str())).collect();
    out.push_str(
        "/** Every event category by name (the envelope's `category`): `EventCategory.SECURITY === \"SECURITY\"`. */\n",
    );
    let _ = writeln!(out, "export const EventCategory = Object.freeze({{ {} }} as const);", members.join(", "));
    out.push_str(
        "/** An event category (the envelope's `category`). */\n\
         export type EventCategory = (typeof EventCategory)[keyof typeof EventCategory];\n\n",
    );
    out.push_str("/** An event priority. */\nexport type Priority = \"HIGH\" | \"MEDIUM\" | \"LOW\";\n\n");
    out.push_str("/** Every category, in protocol order. */\nexport const EVENT_CATEGORIES = [");
    let _ = writeln!(out, "{}] as const;\n", categories.join(", "));

    for (name, values) in ENUMS {
        let values: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
        let _ = writeln!(
            out,
            "/** Known values; unknown values are kept. */\nexport type {name} = {} | (string & {{}});\n",
            values.join(" | ")
        );
    }
    for (name, model) in MODELS {
        let _ = writeln!(out, "export interface {name} {{");
        fields(&mut out, model);
        out.push_str("  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */\n");
        out.push_str("  [field: string]: unknown;\n}\n\n");
    }
    for info in CATALOGUE {
        let name = type_name(info.event_type);
        let _ = writeln!(
            out,
            "/** `data` of `{}` (subject `{}`). */\nexport interface {name}Data {{",
            info.event_type, info.subject
        );
        fields(&mut out, info.fields);
        // The fields of the category's other events, as never-set: reading `event.data.x` on a
        // category's union (`useWebSocketCategory`) type-checks, `undefined` where absent.
        let own: Vec<String> = info.fields.iter().map(|f| f.json_name()).collect();
        let others: std::collections::BTreeSet<String> = CATALOGUE
            .iter()
            .filter(|other| other.category == info.category && other.event_type != info.event_type)
            .flat_map(|other| other.fields.iter().map(|f| f.json_name()))
            .filter(|name| !own.contains(name))
            .collect();
        if !others.is_empty() {
            out.push_str("  /** Fields of other events of this category: never set on this one. */\n");
            for name in others {
                let _ = writeln!(out, "  {name}?: undefined;");
            }
        }
        out.push_str("}\n\n");
    }
    out.push_str(
        "/** The envelope of a catalogue event (docs/protocol.md §2). */\n\
         export interface CatalogueEnvelope<T extends string, C extends EventCategory, D> {\n  \
         id: string;\n  event_type: T;\n  category: C;\n  priority: Priority;\n  timestamp: string;\n  \
         source: string;\n  subject: string;\n  data: D;\n  final?: boolean;\n}\n\n",
    );
    for info in CATALOGUE {
        let name = type_name(info.event_type);
        let _ = writeln!(
            out,
            "export type {name}Event = CatalogueEnvelope<\"{}\", \"{}\", {name}Data>;",
            info.event_type,
            info.category.as_str()
        );
    }
    out.push_str(
        "\n/** Every catalogue event: a discriminated union on `event_type`. */\nexport type CatalogueEvent =\n",
    );
    for info in CATALOGUE {
        let _ = writeln!(out, "  | {}Event", type_name(info.event_type));
    }
    out.push_str(
        ";\n\n/** Every catalogue `event_type`. */\nexport type EventType = CatalogueEvent[\"event_type\"];\n\n",
    );
    out.push_str("/** The event of each `event_type`. */\nexport type EventOfType<T extends EventType> = Extract<CatalogueEvent, { event_type: T }>;\n\n");
    out.push_str("/** The events of each category. */\nexport type EventOfCategory<C extends EventCategory> = Extract<CatalogueEvent, { category: C }>;\n\n");
    out.push_str("/** Category of every catalogue event type (runtime metadata). */\nexport const EVENT_TYPES = {\n");
    for info in CATALOGUE {
        let _ = writeln!(out, "  {}: \"{}\",", info.event_type, info.category.as_str());
    }
    out.push_str("} as const satisfies { [T in EventType]: EventOfType<T>[\"category\"] };\n");
    out
}

/// Renders `react/test/fixtures.generated.ts`: every golden event fixture (`name`, JSON
/// text) as a `CatalogueEvent` constant, so `tsc` checks the fixtures against the types.
pub fn render_fixtures(fixtures: &[(String, String)]) -> String {
    let mut out = String::from(
        "// Generated from docs/protocol/fixtures/events by herald_wasm::typescript. Do not edit:\n\
         // `UPDATE_TS=1 cargo test -p herald-wasm --test typescript` rewrites it. `tsc` checks that\n\
         // every golden fixture is a valid `CatalogueEvent` (no missing, extra or mistyped field).\n\n\
         import type { CatalogueEvent } from \"../src/events.generated\";\n\n\
         export const FIXTURES: Record<string, CatalogueEvent> = {\n",
    );
    for (name, json) in fixtures {
        let indented = json.trim().replace('\n', "\n  ");
        let _ = writeln!(out, "  \"{name}\": {indented},");
    }
    out.push_str("};\n");
    out
}
