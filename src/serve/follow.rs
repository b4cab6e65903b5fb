//! Following access logs as they grow, as `tail -F` does: each poll reads
//! the complete lines added since the last; a log rotated away (renamed,
//! a new file in its place) is read to its end and the new file from its
//! start; a log truncated in place (copytruncate) is read again from its
//! start once it is shorter than what was read. Lines the server writes to
//! a rotated file after the new one appears are not read (as with `tail -F`).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// One followed log.
pub struct Follower {
    path: PathBuf,
    file: Option<File>,
    /// The open file's identity (device, inode), to see a rotation.
    identity: (u64, u64),
    offset: u64,
    /// The start of a line not yet complete.
    partial: Vec<u8>,
}

impl Follower {
    /// Follows `path` from its start.
    pub fn new(path: &Path) -> std::io::Result<Follower> {
        let mut follower = Follower {
            path: path.to_path_buf(),
            file: None,
            identity: (0, 0),
            offset: 0,
            partial: Vec::new(),
        };
        follower.open()?;
        Ok(follower)
    }

    fn open(&mut self) -> std::io::Result<()> {
        let file = File::open(&self.path)?;
        let meta = file.metadata()?;
        self.identity = (meta.dev(), meta.ino());
        self.file = Some(file);
        self.offset = 0;
        self.partial.clear();
        Ok(())
    }

    /// The complete lines added since the last call.
    pub fn poll(&mut self) -> std::io::Result<Vec<String>> {
        let mut lines = Vec::new();
        self.read_to_end(&mut lines)?;
        match std::fs::metadata(&self.path) {
            // Rotated: the old file has been read to its end; now the new one.
            Ok(meta) if (meta.dev(), meta.ino()) != self.identity => {
                self.flush_partial(&mut lines);
                self.open()?;
                self.read_to_end(&mut lines)?;
            }
            // Truncated in place: read it again from its start.
            Ok(meta) if meta.len() < self.offset => {
                self.offset = 0;
                self.partial.clear();
                if let Some(file) = &mut self.file {
                    file.seek(SeekFrom::Start(0))?;
                }
                self.read_to_end(&mut lines)?;
            }
            // Same file, or none there yet (between a rename and the new file).
            _ => {}
        }
        Ok(lines)
    }

    fn read_to_end(&mut self, lines: &mut Vec<String>) -> std::io::Result<()> {
        let Some(file) = &mut self.file else {
            return Ok(());
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        self.offset += bytes.len() as u64;
        self.partial.extend_from_slice(&bytes);
        if let Some(end) = self.partial.iter().rposition(|&b| b == b'\n') {
            let complete: Vec<u8> = self.partial.drain(..=end).collect();
            lines.extend(
                String::from_utf8_lossy(&complete)
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(String::from),
            );
        }
        Ok(())
    }

    /// A rotated file's last line, complete even without its newline.
    fn flush_partial(&mut self, lines: &mut Vec<String>) {
        let rest = String::from_utf8_lossy(&self.partial).trim().to_string();
        if !rest.is_empty() {
            lines.push(rest);
        }
        self.partial.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn append(path: &Path, text: &str) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn reads_lines_as_they_come_through_rotation_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("access.log");
        append(&log, "a\nb\npart");
        let mut f = Follower::new(&log).unwrap();
        assert_eq!(f.poll().unwrap(), ["a", "b"]);
        assert!(f.poll().unwrap().is_empty(), "nothing new");
        append(&log, "ial\nc\n");
        assert_eq!(f.poll().unwrap(), ["partial", "c"]);
        // logrotate's default: rename, then a new file in its place.
        append(&log, "d\n");
        std::fs::rename(&log, dir.path().join("access.log.1")).unwrap();
        assert!(f.poll().unwrap() == ["d"], "read to the end of the rotated file");
        append(&log, "e\n");
        assert_eq!(f.poll().unwrap(), ["e"], "then the new file from its start");
        // copytruncate: the same file emptied, then shorter than what was read.
        append(&log, "long line\n");
        assert_eq!(f.poll().unwrap(), ["long line"]);
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&log)
            .unwrap();
        append(&log, "f\n");
        assert_eq!(f.poll().unwrap(), ["f"]);
    }
}
