fn main() -> anyhow::Result<()> {
    limit_malloc_arenas();
    roundtable::cli::run()
}

/// glibc gives each allocating thread its own heap ("arena") and keeps what is freed in
/// it, so memory a large request freed on one of the many blocking threads stayed
/// resident (BENCHMARKS.md, before and after). Two arenas are plenty for a service whose
/// work waits on the database. `MALLOC_ARENA_MAX`, when set, wins.
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
