//! The `herald-hub` binary (issue 3). Not implemented yet: it says so and exits non-zero.

fn main() {
    eprintln!("herald-hub: not implemented yet (issue 3)");
    std::process::exit(2);
}
