//! `herald-check FILE...`: re-checks recorded histories (JSON lines, see
//! `herald_e2e::history`) offline. Prints one summary line per file and every violation;
//! exits 1 when any file breaks the delivery contract, 2 when a file cannot be read.

use std::io::BufReader;
use std::process::ExitCode;

use herald_e2e::history::{check, read_jsonl};

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: herald-check HISTORY.jsonl...");
        return ExitCode::from(2);
    }
    let mut dirty = false;
    for file in files {
        let records = match std::fs::File::open(&file).and_then(|f| read_jsonl(BufReader::new(f))) {
            Ok(records) => records,
            Err(error) => {
                eprintln!("{file}: {error}");
                return ExitCode::from(2);
            }
        };
        let report = check(&records);
        println!("{file}: {report}");
        for violation in &report.violations {
            println!("  {violation}");
        }
        dirty |= !report.is_clean();
    }
    if dirty { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
