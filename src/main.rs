fn main() -> anyhow::Result<()> {
    limit_malloc_arenas();
    roundtable::cli::run()
}

/// glibc gives each thread that allocates its own heap ("arena"), up to eight per core,
/// and keeps what is freed in them. Requests run on many blocking threads, so memory a
/// large request freed stayed resident in whichever arenas it touched (measured by the
/// benchmark suite on SQLite: 168 MB resident at its end, after a bulk import of 50,000
/// people; 90 MB with two arenas). Two arenas are plenty for a service whose work waits
/// on the database. `MALLOC_ARENA_MAX`, when set, wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: called first thing in main, before any other thread exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
