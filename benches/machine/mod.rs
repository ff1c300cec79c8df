//! What machine a benchmark ran on and how fast it is, so runs on different machines (and
//! on one machine at different moments) can be compared. Shared by both benchmarks.

use std::time::{Duration, Instant};

/// How fast one core hashes (SHA-256 over 64 MiB, in MB/s): the CPU's speed as it is now.
pub fn sha256_mb_per_second() -> f64 {
    let data = vec![1u8; 64 << 20];
    let started = Instant::now();
    let mut hashed = 0usize;
    while started.elapsed() < Duration::from_secs(2) {
        std::hint::black_box(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &data));
        hashed += data.len();
    }
    hashed as f64 / 1e6 / started.elapsed().as_secs_f64()
}

/// How many 4 KiB writes a second reach the disk one `fdatasync` each (what a commit
/// waits for). The matching benchmark does not touch the disk and leaves it out.
#[allow(dead_code)]
pub fn synced_writes_per_second() -> f64 {
    use std::os::unix::fs::FileExt;
    let dir = tempfile::tempdir().unwrap();
    let file = std::fs::File::create(dir.path().join("sync")).unwrap();
    let block = [7u8; 4096];
    // The same block rewritten in place, as a commit rewrites the log's last page.
    file.write_all_at(&block, 0).unwrap();
    file.sync_all().unwrap();
    let started = Instant::now();
    let mut syncs = 0;
    while started.elapsed() < Duration::from_secs(2) {
        file.write_all_at(&block, 0).unwrap();
        file.sync_data().unwrap();
        syncs += 1;
    }
    f64::from(syncs) / started.elapsed().as_secs_f64()
}

pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    format!("{cores} cores ({cpu}), {mem:.0} GiB")
}
