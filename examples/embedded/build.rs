// Compiles ./migrations into the binary; cargo rebuilds when a file there changes.
fn main() {
    strata::build::embed_migrations("migrations").expect("embed the migrations");
}
