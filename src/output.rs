//! Writing output files without ever leaving a partial one behind.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporary files of one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Creates a new, uniquely named file next to `path` (mode 0666 less the umask, as any new
/// file), returning it and its name.
fn create_temporary(path: &Path) -> io::Result<(fs::File, PathBuf)> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let candidate = dir.join(format!(".{name}.gmmc-{}-{n}.tmp", std::process::id()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(file) => return Ok((file, candidate)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// A file of [`write_all_atomic`] that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct OutputError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub source: io::Error,
}

/// An output written whole to its temporary file, waiting to be renamed into place.
struct Staged<'a> {
    path: &'a Path,
    temporary: PathBuf,
}

/// Writes `bytes` into a new temporary file next to `path`, with the permissions of an
/// existing `path`, and flushes it to disk.
fn stage<'a>(path: &'a Path, bytes: &[u8]) -> io::Result<Staged<'a>> {
    stage_with(path, |file| file.write_all(bytes))
}

/// [`stage`] for contents that `write` produces in pieces.
fn stage_with<'a>(
    path: &'a Path,
    write: impl FnOnce(&mut fs::File) -> io::Result<()>,
) -> io::Result<Staged<'a>> {
    if fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a folder, not a file",
        ));
    }
    let (mut file, temporary) = create_temporary(path)?;
    let result = (|| {
        write(&mut file)?;
        // No fsync: the rename makes the file appear whole or not at all to every reader
        // and across a crash of gmmc, as compilers' and cargo's outputs do; an fsync per
        // file (milliseconds each) would only add durability across a power loss.
        match fs::metadata(path) {
            Ok(existing) => file.set_permissions(existing.permissions()),
            Err(_) => Ok(()),
        }
    })();
    match result {
        Ok(()) => Ok(Staged { path, temporary }),
        Err(e) => {
            drop(file);
            let _ = fs::remove_file(&temporary);
            Err(e)
        }
    }
}

/// Whether two output paths name the same file (also when written differently, as `a.json`
/// and `./a.json`).
fn same_file(a: &Path, b: &Path) -> bool {
    let resolved = |p: &Path| {
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        Some(fs::canonicalize(dir).ok()?.join(p.file_name()?))
    };
    a == b || matches!((resolved(a), resolved(b)), (Some(x), Some(y)) if x == y)
}

/// Writes `bytes` to `path` through a temporary file in the same folder, renamed into place
/// once complete: a failure leaves an existing file untouched and creates none. An existing
/// file keeps its permissions.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_all_atomic(&[(path, bytes)]).map_err(|e| e.source)
}

/// [`write_atomic`] for contents that `write` produces in pieces (so that they need not be
/// gathered in memory first).
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut fs::File) -> io::Result<()>,
) -> io::Result<()> {
    let staged = stage_with(path, write)?;
    fs::rename(&staged.temporary, staged.path).inspect_err(|_| {
        let _ = fs::remove_file(&staged.temporary);
    })
}

/// Writes several files so that a failure changes none of them: every file is first written
/// whole to a temporary file in its own folder, and only once all of them are written are
/// they renamed into place (a rename within one folder does not fail for want of space). On
/// failure every temporary file is removed, existing files stay byte-identical, and no new
/// file is left behind. Existing files keep their permissions. Naming one file twice is an
/// error.
pub fn write_all_atomic(files: &[(&Path, &[u8])]) -> Result<(), OutputError> {
    for (i, (a, _)) in files.iter().enumerate() {
        if let Some((b, _)) = files[..i].iter().find(|(b, _)| same_file(a, b)) {
            return Err(OutputError {
                path: a.to_path_buf(),
                source: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} is already one of the outputs", b.display()),
                ),
            });
        }
    }
    let mut staged: Vec<Staged<'_>> = Vec::with_capacity(files.len());
    let discard = |staged: &[Staged<'_>]| {
        for s in staged {
            let _ = fs::remove_file(&s.temporary);
        }
    };
    for (path, bytes) in files {
        match stage(path, bytes) {
            Ok(s) => staged.push(s),
            Err(source) => {
                discard(&staged);
                return Err(OutputError {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
    }
    for (i, s) in staged.iter().enumerate() {
        if let Err(source) = fs::rename(&s.temporary, s.path) {
            discard(&staged[i..]);
            return Err(OutputError {
                path: s.path.to_path_buf(),
                source,
            });
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` only if its current contents differ, so that build systems that
/// look at modification times do not rebuild for nothing. Returns whether it wrote.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    write_atomic(path, bytes)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_files_and_skips_identical_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomic(&path, b"first").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        assert!(!write_if_changed(&path, b"first").unwrap());
        assert!(write_if_changed(&path, b"second").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        // Only the file itself is left in the folder: no temporary files.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn permissions_are_those_of_any_new_file_or_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.txt");
        std::fs::write(&plain, b"x").unwrap();
        let ours = dir.path().join("ours.txt");
        write_atomic(&ours, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&ours), mode(&plain));
        std::fs::set_permissions(&ours, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&ours, b"y").unwrap();
        assert_eq!(mode(&ours), 0o640);
    }

    #[test]
    fn several_files_are_written_all_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
        std::fs::write(&a, b"precious").unwrap();
        // The second file cannot be written: the first keeps its bytes, nothing is created.
        let missing = dir.path().join("missing-folder").join("c.json");
        let e = write_all_atomic(&[(&a, b"new"), (&b, b"new"), (&missing, b"new")]).unwrap_err();
        assert_eq!(e.path, missing);
        assert!(e.to_string().starts_with("cannot write "), "{e}");
        assert_eq!(std::fs::read(&a).unwrap(), b"precious");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // A folder as an output.
        let e = write_all_atomic(&[(&a, b"new"), (dir.path(), b"new")]).unwrap_err();
        assert!(e.to_string().contains("folder"), "{e}");
        assert_eq!(std::fs::read(&a).unwrap(), b"precious");
        // One file named twice, also under another spelling.
        let again = dir.path().join(".").join("a.json");
        let e = write_all_atomic(&[(&a, b"x"), (&again, b"y")]).unwrap_err();
        assert!(e.to_string().contains("already one of the outputs"), "{e}");
        assert_eq!(std::fs::read(&a).unwrap(), b"precious");
        // All good: all written.
        write_all_atomic(&[(&a, b"one"), (&b, b"two")]).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"one");
        assert_eq!(std::fs::read(&b).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-folder").join("out.txt");
        assert!(write_atomic(&path, b"x").is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
