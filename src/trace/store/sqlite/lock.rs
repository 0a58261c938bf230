//! One resolver per database file: an exclusive `flock` on the file, held
//! while the store is open and released by the kernel if the process dies.
//!
//! `flock` locks are apart from the POSIX record locks SQLite takes, so they
//! never disturb SQLite's own locking. The lock's file must stay open until
//! every SQLite connection to the file is closed: closing any descriptor of
//! a file drops the process's POSIX locks on it.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::Path;

/// The held lock; dropping it releases it.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

/// Creates the file if it is missing and locks it. Errors: a message that
/// says another resolver has it open, or why the file cannot be opened.
pub fn lock_exclusive(path: &Path) -> Result<FileLock, String> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|err| format!("cannot open it: {err}"))?;
    // SAFETY: flock only reads the descriptor, which `file` keeps open.
    let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if locked != 0 {
        let err = std::io::Error::last_os_error();
        return Err(match err.raw_os_error() {
            Some(libc::EWOULDBLOCK) => {
                "another resolver has it open (one resolver per store file)".to_owned()
            }
            _ => format!("cannot lock it: {err}"),
        });
    }
    Ok(FileLock { _file: file })
}
