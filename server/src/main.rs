fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    roundtable::cli::main()
}

/// glibc gives each thread that allocates an arena of its own (up to eight per core), and memory
/// freed in one arena is kept there. With two arenas a server's own memory under 500 readers at
/// 100,000 posts peaked at 143 MB instead of 226 MB on SQLite (whose pooled connections each
/// have a thread) and at 122 MB instead of 140 MB on PostgreSQL, serving as many pages
/// (BENCHMARKS.md). `MALLOC_ARENA_MAX` in the environment still decides when it is set.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: first thing in `main`, before any other thread exists; `mallopt` only sets
        // one of the allocator's tuning parameters.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
