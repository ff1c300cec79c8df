fn main() -> anyhow::Result<()> {
    roundtable::cli::run()
}
