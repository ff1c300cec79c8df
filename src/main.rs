fn main() -> anyhow::Result<()> {
    limit_malloc_arenas();
    point_tls_at_system_roots();
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

/// The OpenSSL inside libpq is built from vendored sources, so its default trust store is
/// its own build-time directory, not the system's. With `sslrootcert=system` in a
/// PostgreSQL URL it would then trust nothing; pointing `SSL_CERT_FILE` at the system's
/// bundle, when neither it nor `SSL_CERT_DIR` is set, makes it trust what the host trusts.
#[cfg(unix)]
fn point_tls_at_system_roots() {
    const BUNDLES: &[&str] = &[
        "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Alpine, Arch
        "/etc/pki/tls/certs/ca-bundle.crt",   // Fedora, RHEL, CentOS
        "/etc/ssl/ca-bundle.pem",             // openSUSE
        "/etc/ssl/cert.pem",                  // macOS, FreeBSD, OpenBSD
    ];
    if std::env::var_os("SSL_CERT_FILE").is_some() || std::env::var_os("SSL_CERT_DIR").is_some() {
        return;
    }
    if let Some(bundle) = BUNDLES.iter().find(|path| std::path::Path::new(path).is_file()) {
        // SAFETY: called first thing in main, before any other thread exists.
        unsafe { std::env::set_var("SSL_CERT_FILE", bundle) };
    }
}

#[cfg(not(unix))]
fn point_tls_at_system_roots() {}
