//! Re-embed the browser UI whenever anything under `web/` changes (new files included).
fn main() {
    println!("cargo:rerun-if-changed=web");
}
