//! Index generations on disk: `{root}/gen-N/` folders and a `{root}/CURRENT` file naming the
//! live one. A rebuild writes a new generation and swaps `CURRENT` with an atomic rename, so a
//! reader always finds a whole index.
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct IndexStore {
    root: PathBuf,
}

impl IndexStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        IndexStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The live generation's folder, if `CURRENT` names one that exists.
    pub fn current(&self) -> Option<PathBuf> {
        let name = std::fs::read_to_string(self.root.join("CURRENT")).ok()?;
        let name = name.trim();
        let valid = name.starts_with("gen-") && !name.contains('/') && !name.contains("..");
        let dir = self.root.join(name);
        (valid && dir.is_dir()).then_some(dir)
    }

    /// A fresh, empty folder for a new generation.
    pub fn new_generation(&self) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.root)?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir = self.root.join(format!("gen-{stamp}"));
        std::fs::create_dir(&dir)?;
        Ok(dir)
    }

    /// Points `CURRENT` at `generation` atomically (write, fsync, rename, fsync the folder).
    pub fn make_current(&self, generation: &Path) -> std::io::Result<()> {
        let name = generation
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| std::io::Error::other("generation folder has no name"))?;
        let tmp = self.root.join("CURRENT.tmp");
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(name.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, self.root.join("CURRENT"))?;
        if let Ok(dir) = std::fs::File::open(&self.root) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// Deletes generations other than `keep` (best effort).
    pub fn remove_others(&self, keep: &Path) {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let is_gen = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("gen-"));
            if is_gen && path != keep {
                let _ = std::fs::remove_dir_all(path);
            }
        }
    }
}
