//! Replacing a file whole or not at all.
//!
//! The new contents go to a temporary file in the target's folder, which is
//! flushed to the disk and then renamed over the target: a rename within a
//! folder replaces the old file in one step, so a save that fails at any
//! point (a full disk, a crash, an error while writing) leaves the old file
//! as it was, and a reader never sees half a file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Replaces the file at `path` with `bytes`, or leaves it as it was.
///
/// A symbolic link is followed: the file it points to is replaced and the
/// link kept. A replaced file keeps its permissions.
pub(super) fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace_with(path, |file| file.write_all(bytes))
}

/// [`replace`] with the contents written by `write`.
fn replace_with(path: &Path, write: impl FnOnce(&mut File) -> io::Result<()>) -> io::Result<()> {
    let target = resolve(path)?;
    let (temp_path, temp) = create_beside(&target)?;
    let written = fill(temp, write, &target).and_then(|()| fs::rename(&temp_path, &target));
    if written.is_err() {
        // The temporary file is ours; the error that matters is the one above.
        let _ = fs::remove_file(&temp_path);
    }
    written
}

/// Writes the new contents, gives them the permissions of the file they
/// replace, and waits until they are on the disk.
fn fill(
    mut temp: File,
    write: impl FnOnce(&mut File) -> io::Result<()>,
    target: &Path,
) -> io::Result<()> {
    write(&mut temp)?;
    if let Ok(old) = fs::metadata(target) {
        temp.set_permissions(old.permissions())?;
    }
    temp.sync_all()
}

/// The file a save to `path` replaces: `path` itself, or the file a
/// symbolic link there points to.
fn resolve(path: &Path) -> io::Result<PathBuf> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => fs::canonicalize(path),
        _ => Ok(path.to_path_buf()),
    }
}

/// A new file beside `target`, named after it, that no one else has open.
fn create_beside(target: &Path) -> io::Result<(PathBuf, File)> {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let name = target.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path names no file, only a folder",
        )
    })?;
    let folder = match target.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    loop {
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{}.{n}.tmp", std::process::id()));
        let temp_path = folder.join(temp_name);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp_path)
        {
            Ok(file) => return Ok((temp_path, file)),
            // Left by an earlier process with the same id: take the next name.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> PathBuf {
        let folder =
            std::env::temp_dir().join(format!("typeflux-replace-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&folder);
        fs::create_dir_all(&folder).unwrap();
        folder
    }

    fn entries(folder: &Path) -> Vec<PathBuf> {
        let mut names: Vec<PathBuf> = fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_write_that_fails_halfway_leaves_the_old_file_and_no_other() {
        let folder = folder("halfway");
        let target = folder.join("weights.safetensors");
        fs::write(&target, b"the old weights").unwrap();
        let err = replace_with(&target, |file| {
            file.write_all(b"the new wei")?;
            Err(io::Error::other("the disk is full"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "the disk is full");
        assert_eq!(fs::read(&target).unwrap(), b"the old weights");
        assert_eq!(entries(&folder), std::slice::from_ref(&target));

        replace(&target, b"the new weights").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"the new weights");
        assert_eq!(entries(&folder), [target]);
        fs::remove_dir_all(&folder).unwrap();
    }

    #[test]
    fn a_new_file_is_created_and_a_folder_is_not_replaced() {
        let folder = folder("new");
        let target = folder.join("new.safetensors");
        replace(&target, b"abc").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"abc");

        let inner = folder.join("inner");
        fs::create_dir(&inner).unwrap();
        fs::write(inner.join("kept"), b"kept").unwrap();
        assert!(replace(&inner, b"abc").is_err());
        assert_eq!(fs::read(inner.join("kept")).unwrap(), b"kept");
        assert_eq!(entries(&folder), [inner, target]);
        fs::remove_dir_all(&folder).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_followed_and_kept_and_permissions_are_kept() {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let folder = folder("link");
        let target = folder.join("real.safetensors");
        fs::write(&target, b"old").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
        let link = folder.join("link.safetensors");
        symlink(&target, &link).unwrap();
        replace(&link, b"new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&target).unwrap(), b"new");
        let mode = fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        fs::remove_dir_all(&folder).unwrap();
    }
}
