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

/// The disk's slowest syncs while a load runs: a thread rewrites and syncs one 4 KiB
/// block every 10 ms, as `synced_writes_per_second` does, and keeps how long each took.
/// A commit cannot be faster than the disk is at that moment, so a stall here bounds
/// what the load's latency can be then.
#[allow(dead_code)]
pub struct SyncProbe {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: std::thread::JoinHandle<Vec<f64>>,
}

#[allow(dead_code)]
impl SyncProbe {
    pub fn start() -> Self {
        use std::os::unix::fs::FileExt;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = std::sync::Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let dir = tempfile::tempdir().unwrap();
            let file = std::fs::File::create(dir.path().join("probe")).unwrap();
            let block = [7u8; 4096];
            file.write_all_at(&block, 0).unwrap();
            file.sync_all().unwrap();
            let mut took = Vec::new();
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                let started = Instant::now();
                file.write_all_at(&block, 0).unwrap();
                file.sync_data().unwrap();
                took.push(started.elapsed().as_secs_f64() * 1000.0);
                std::thread::sleep(Duration::from_millis(10));
            }
            took
        });
        Self { stop, handle }
    }

    /// "N syncs: p50 / p99 / slowest ms".
    pub fn finish(self) -> String {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut took = self.handle.join().unwrap();
        took.sort_by(f64::total_cmp);
        let at = |p: f64| took.get(((took.len() as f64 * p) as usize).min(took.len().saturating_sub(1))).copied();
        match (at(0.5), at(0.99), took.last()) {
            (Some(p50), Some(p99), Some(max)) => {
                format!("{} syncs: {p50:.2} / {p99:.2} / {max:.1} ms", took.len())
            }
            _ => "no sync".into(),
        }
    }
}
