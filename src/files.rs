//! Reading a file a host names: regular files only, and never more than a
//! limit, so a FIFO without a writer, `/dev/zero` or a huge (or sparse)
//! file is refused at once instead of blocking or filling memory.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// The bytes of the regular file at `path`, or `None` when it holds more
/// than `limit` bytes (found from its size, and never by reading more than
/// one byte past the limit). Errors: the file cannot be opened or read, or
/// it is not a regular file (a directory, FIFO, device or socket).
pub fn read_regular_file(path: &Path, limit: usize) -> io::Result<Option<Vec<u8>>> {
    let file = open_without_blocking(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a directory, FIFO, device or socket)",
        ));
    }
    let limit_plus_one = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    if metadata.len() >= limit_plus_one {
        return Ok(None);
    }
    // The size can grow after it was read: read no more than one byte past
    // the limit whatever it says now.
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(limit_plus_one).read_to_end(&mut bytes)?;
    Ok((bytes.len() <= limit).then_some(bytes))
}

/// Opens `path` for reading. On Unix the open does not wait: opening a FIFO
/// that has no writer would otherwise block until one comes.
fn open_without_blocking(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("cra-files-{}-{name}", std::process::id()))
    }

    #[test]
    fn reading_stops_at_the_limit() {
        let path = temp_path("five.txt");
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(
            read_regular_file(&path, 5).unwrap(),
            Some(b"12345".to_vec())
        );
        assert_eq!(read_regular_file(&path, 4).unwrap(), None);
        assert_eq!(read_regular_file(&path, 0).unwrap(), None);
        std::fs::remove_file(&path).unwrap();
        assert!(read_regular_file(&path, 5).is_err());
    }

    #[test]
    fn a_huge_sparse_file_is_refused_from_its_size() {
        let path = temp_path("sparse.bin");
        let file = File::create(&path).unwrap();
        file.set_len(300 << 20).unwrap();
        let started = Instant::now();
        assert_eq!(read_regular_file(&path, 16 << 20).unwrap(), None);
        assert!(started.elapsed() < Duration::from_secs(1));
        std::fs::remove_file(&path).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_refused_without_blocking() {
        let fifo = temp_path("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|status| status.success()), "mkfifo");
        for path in [fifo.as_path(), Path::new("/dev/zero"), Path::new("/tmp")] {
            let err = read_regular_file(path, 1 << 20).expect_err("refused");
            assert!(err.to_string().contains("not a regular file"), "{err}");
        }
        std::fs::remove_file(&fifo).unwrap();
    }
}
