//! What Roundtable writes to disk is private to the account it runs as: the database, the
//! signing key, the search index and mail files holding live invitation links. New files are
//! created 0600 and folders 0700 (a process umask of 077), and the data and mail folders are
//! made 0700 even when an earlier version created them open to everyone.
use anyhow::Context;
use std::path::Path;

/// Makes every file and folder this process creates from now on readable by its owner only.
pub fn restrict_new_files() {
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file-mode mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// Creates `dir` (and its parents) if need be, makes it 0700 and the files directly in it
/// 0600 (an earlier version left the database and mail files readable by everyone).
pub fn private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let private = |path: &Path, mode: u32| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                .with_context(|| format!("making {} private (mode {mode:o})", path.display()))
        };
        private(dir, 0o700)?;
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let entry = entry?;
            let open_to_others = entry.metadata()?.permissions().mode() & 0o077 != 0;
            if entry.file_type()?.is_file() && open_to_others {
                private(&entry.path(), 0o600)?;
            }
        }
    }
    Ok(())
}
