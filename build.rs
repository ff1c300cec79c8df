// Rebuild when a migration is added: the embedded migrations are read at compile time.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
