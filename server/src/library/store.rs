//! Where files are kept: content-addressed (a file's key is the SHA-256 of its bytes), so the
//! same file uploaded twice is stored once and a stored file never changes. An upload is
//! first written to a staging file, hashed as it streams in, checked, and only then kept:
//! moved into place by one rename, so a crash leaves either no file or the whole file.
//!
//! `BlobStore` is the seam for other stores (an S3-compatible one): staging stays local,
//! since an upload is sniffed and scanned before it is kept.
use sha2::{Digest, Sha256};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use tokio::io::{AsyncRead, AsyncWriteExt};

/// A stored file's name: the lower-case hex SHA-256 of its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobKey(String);

impl BlobKey {
    /// A key read back from the database; anything but 64 hex digits is refused, so a key can
    /// never name a path outside the store.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 64 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| BlobKey(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub type BlobReader = Pin<Box<dyn AsyncRead + Send>>;

#[async_trait::async_trait]
pub trait BlobStore: Send + Sync {
    /// Keeps a staged file under its key (a no-op when that content is already kept).
    async fn keep(&self, staged: Staged) -> io::Result<BlobKey>;
    /// Reads a kept file.
    async fn open(&self, key: &BlobKey) -> io::Result<BlobReader>;
    /// Where uploads are written while they stream in.
    fn staging_dir(&self) -> &Path;
}

/// Files in a local folder: `{root}/ab/cd/abcd…`, staging in `{root}/staging`.
pub struct LocalStore {
    root: PathBuf,
    staging: PathBuf,
}

impl LocalStore {
    /// Opens (creating) the store, and removes staging files a crash left more than a day ago.
    pub fn open(root: &Path) -> anyhow::Result<Self> {
        let staging = root.join("staging");
        crate::private_files::private_dir(root)?;
        crate::private_files::private_dir(&staging)?;
        let day = std::time::Duration::from_secs(24 * 3600);
        for entry in std::fs::read_dir(&staging)?.flatten() {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .map(|t| t.elapsed().unwrap_or_default() > day)
                .unwrap_or(false);
            if old {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(LocalStore {
            root: root.to_path_buf(),
            staging,
        })
    }

    fn path_of(&self, key: &BlobKey) -> PathBuf {
        let k = key.as_str();
        self.root.join(&k[..2]).join(&k[2..4]).join(k)
    }
}

#[async_trait::async_trait]
impl BlobStore for LocalStore {
    async fn keep(&self, mut staged: Staged) -> io::Result<BlobKey> {
        let key = staged.key.clone();
        let target = self.path_of(&key);
        if tokio::fs::try_exists(&target).await? {
            return Ok(key);
        }
        let dir = target.parent().expect("a blob path has a parent");
        tokio::fs::create_dir_all(dir).await?;
        tokio::fs::rename(&staged.path, &target).await?;
        staged.kept = true;
        // The rename is durable once the folder holding the new name is.
        let dir = dir.to_path_buf();
        tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all()).await??;
        Ok(key)
    }

    async fn open(&self, key: &BlobKey) -> io::Result<BlobReader> {
        let file = tokio::fs::File::open(self.path_of(key)).await?;
        Ok(Box::pin(file))
    }

    fn staging_dir(&self) -> &Path {
        &self.staging
    }
}

/// Why a staged upload stopped.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("writing the upload: {0}")]
    Io(#[from] io::Error),
}

/// An upload being written to staging, hashed and counted as it arrives.
pub struct Staging {
    file: tokio::fs::File,
    path: PathBuf,
    hasher: Sha256,
    size: u64,
    limit: u64,
    done: bool,
}

impl Staging {
    pub async fn create(store: &dyn BlobStore, limit: u64) -> io::Result<Self> {
        let path = store
            .staging_dir()
            .join(format!("{}.part", uuid::Uuid::new_v4()));
        let file = tokio::fs::File::create(&path).await?;
        Ok(Staging {
            file,
            path,
            hasher: Sha256::new(),
            size: 0,
            limit,
            done: false,
        })
    }

    /// Appends a chunk; past the limit the staging file is removed and nothing more is written.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), StageError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(StageError::TooLarge { limit: self.limit });
        }
        self.hasher.update(chunk);
        self.file.write_all(chunk).await?;
        Ok(())
    }

    /// Flushes the file to disk and names its content.
    pub async fn finish(mut self) -> Result<Staged, StageError> {
        self.file.flush().await?;
        self.file.sync_all().await?;
        self.done = true;
        let key = BlobKey(hex::encode(std::mem::take(&mut self.hasher).finalize()));
        Ok(Staged {
            path: std::mem::take(&mut self.path),
            key,
            size: self.size,
            kept: false,
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A complete upload in staging: removed when dropped unless it was kept.
pub struct Staged {
    path: PathBuf,
    pub key: BlobKey,
    pub size: u64,
    kept: bool,
}

impl Staged {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn same_content_is_kept_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        let mut keys = Vec::new();
        for _ in 0..2 {
            let mut s = Staging::create(&store, 100).await.unwrap();
            s.write(b"hello ").await.unwrap();
            s.write(b"world").await.unwrap();
            let staged = s.finish().await.unwrap();
            let staged_path = staged.path().to_path_buf();
            keys.push(store.keep(staged).await.unwrap());
            assert!(!staged_path.exists(), "staging is emptied");
        }
        assert_eq!(keys[0], keys[1]);
        assert_eq!(
            keys[0].as_str(),
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        let mut back = String::new();
        store
            .open(&keys[0])
            .await
            .unwrap()
            .read_to_string(&mut back)
            .await
            .unwrap();
        assert_eq!(back, "hello world");
    }

    #[tokio::test]
    async fn an_upload_past_the_limit_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        let mut s = Staging::create(&store, 8).await.unwrap();
        s.write(b"12345").await.unwrap();
        assert!(matches!(
            s.write(b"6789").await,
            Err(StageError::TooLarge { limit: 8 })
        ));
        drop(s);
        assert_eq!(std::fs::read_dir(store.staging_dir()).unwrap().count(), 0);
    }

    #[test]
    fn keys_are_only_hex_digests() {
        assert!(BlobKey::parse(&"a".repeat(64)).is_some());
        assert!(BlobKey::parse("../../etc/passwd").is_none());
        assert!(BlobKey::parse(&"A".repeat(64)).is_none());
    }
}
