//! Re-embed the browser UI and the record schemas whenever anything under `web/` or `schemas/`
//! changes (new files included).
fn main() {
    println!("cargo:rerun-if-changed=web");
    println!("cargo:rerun-if-changed=schemas");
}
