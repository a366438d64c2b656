//! A directory of verification keys selected by `kid` (`HERALD_JWT_KEYS`, docs/operations.md
//! §3): reading it, and the key set it holds.
//!
//! Each key is one file named after its `kid`:
//! - `<kid>.hs256`: an HS256 secret, the file's bytes without one trailing newline; at least
//!   [`MIN_HS256_SECRET_LEN`] bytes;
//! - `<kid>.pem`: a PEM public key, RS256 for RSA and ES256 for EC P-256 (as
//!   `HERALD_JWT_PUBLIC_KEY`).
//!
//! Entries whose name starts with `.` are skipped (editors' temporary files, Kubernetes'
//! `..data` links, files being written before a rename). Anything else is an error, as are
//! no keys at all, two files for one `kid`, more than [`MAX_KEYS`] keys and a file over
//! [`MAX_KEY_FILE_BYTES`]: a directory the hub would read differently than its operator
//! meant is never half-used.

use std::collections::BTreeMap;
use std::path::Path;

use super::{AuthSetupError, JwtKey, MIN_HS256_SECRET_LEN};

/// Most keys a directory may hold.
pub const MAX_KEYS: usize = 100;
/// Largest key file read, in bytes.
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// The raw content of a key directory: file name → bytes, sorted by name. Two reads that
/// are equal hold the same keys, so comparing them tells whether a reload is needed.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Snapshot(BTreeMap<String, Vec<u8>>);

impl Snapshot {
    /// Reads every key file of `dir` (hidden entries skipped).
    pub(super) fn read(dir: &Path) -> Result<Self, AuthSetupError> {
        let shown = dir.display();
        let entries = std::fs::read_dir(dir)
            .map_err(|e| AuthSetupError(format!("cannot read the key directory {shown}: {e}")))?;
        let mut files = BTreeMap::new();
        for entry in entries {
            let entry = entry.map_err(|e| AuthSetupError(format!("cannot read the key directory {shown}: {e}")))?;
            let name = entry.file_name();
            let Some(name) = name.to_str().map(str::to_owned) else {
                return Err(AuthSetupError(format!("{shown} holds a file whose name is not UTF-8")));
            };
            if name.starts_with('.') {
                continue;
            }
            if files.len() == MAX_KEYS {
                return Err(AuthSetupError(format!("{shown} holds more than {MAX_KEYS} keys")));
            }
            files.insert(name.clone(), read_key_file(&entry.path(), &name)?);
        }
        Ok(Self(files))
    }

    /// The keys by `kid`, each with the name of its file.
    pub(super) fn keys(&self) -> Result<BTreeMap<String, (&str, JwtKey)>, AuthSetupError> {
        let mut keys = BTreeMap::new();
        for (name, bytes) in &self.0 {
            let (kid, key) = parse(name, bytes)?;
            if keys.insert(kid.to_owned(), (name.as_str(), key)).is_some() {
                return Err(AuthSetupError(format!("two key files for kid {kid:?}")));
            }
        }
        if keys.is_empty() {
            return Err(AuthSetupError("the key directory holds no key (<kid>.hs256 or <kid>.pem)".into()));
        }
        Ok(keys)
    }
}

/// One key file, at most [`MAX_KEY_FILE_BYTES`], following symbolic links.
fn read_key_file(path: &Path, name: &str) -> Result<Vec<u8>, AuthSetupError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| AuthSetupError(format!("cannot read key file {name}: {e}")))?;
    let metadata = file.metadata().map_err(|e| AuthSetupError(format!("cannot read key file {name}: {e}")))?;
    if !metadata.is_file() {
        return Err(AuthSetupError(format!("{name} is not a key file (<kid>.hs256 or <kid>.pem)")));
    }
    let mut bytes = Vec::new();
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| AuthSetupError(format!("cannot read key file {name}: {e}")))?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(AuthSetupError(format!("key file {name} is larger than {MAX_KEY_FILE_BYTES} bytes")));
    }
    Ok(bytes)
}

/// The `kid` and key of the file `name` holding `bytes`. `name` does not start with `.`, so
/// the `kid` before the extension is never empty.
fn parse<'a>(name: &'a str, bytes: &[u8]) -> Result<(&'a str, JwtKey), AuthSetupError> {
    if let Some(kid) = name.strip_suffix(".hs256") {
        let secret = bytes.strip_suffix(b"\n").map_or(bytes, |b| b.strip_suffix(b"\r").unwrap_or(b));
        return Ok((kid, JwtKey::Hs256(secret.to_vec())));
    }
    if let Some(kid) = name.strip_suffix(".pem") {
        let key =
            JwtKey::from_public_key_pem(bytes).map_err(|e| AuthSetupError(format!("key file {name}: {}", e.0)))?;
        return Ok((kid, key));
    }
    Err(AuthSetupError(format!(
        "{name} is not a key file: name keys <kid>.hs256 (an HS256 secret of at least {MIN_HS256_SECRET_LEN} bytes) \
         or <kid>.pem (an RSA or EC P-256 public key); names starting with '.' are skipped"
    )))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::json;

    use super::super::test_keys::{EC_PRIVATE, EC_PUBLIC, RSA_PRIVATE, RSA_PUBLIC};
    use super::super::{AuthConfig, Authenticator, KeyDir};
    use super::*;

    const SECRET: &[u8] = b"key-directory-secret-0123456789abcdef";
    /// File names and contents.
    type Files<'a> = Vec<(&'a str, &'a [u8])>;
    const NOW_MS: u64 = 1_800_000_000_000;

    /// A fresh directory holding `files`, removed when dropped.
    struct Dir(PathBuf);

    impl Dir {
        fn with(name: &str, files: &[(&str, &[u8])]) -> Self {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
            let path = std::env::temp_dir().join(format!("herald-keydir-{name}-{}-{nanos}", std::process::id()));
            std::fs::create_dir_all(&path).unwrap();
            for (file, bytes) in files {
                std::fs::write(path.join(file), bytes).unwrap();
            }
            Self(path)
        }

        fn keys(&self) -> Result<Vec<(String, String)>, String> {
            let snapshot = Snapshot::read(&self.0).map_err(|e| e.0)?;
            let keys = snapshot.keys().map_err(|e| e.0)?;
            Ok(keys.into_iter().map(|(kid, (_, key))| (kid, format!("{key:?}"))).collect())
        }

        fn auth(&self) -> Result<Authenticator, String> {
            let dir = KeyDir { path: self.0.clone(), poll_interval: None };
            Authenticator::new(AuthConfig::new(JwtKey::Dir(dir))).map_err(|e| e.to_string())
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn signed(alg: Algorithm, key: &EncodingKey, kid: Option<&str>) -> String {
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_owned);
        let claims = json!({"sub": "u-1", "org": "acme", "exp": NOW_MS / 1000 + 600});
        jsonwebtoken::encode(&header, &claims, key).unwrap()
    }

    #[test]
    fn files_are_keys_by_kid_and_hidden_entries_are_skipped() {
        let mut with_newline = SECRET.to_vec();
        with_newline.push(b'\n');
        let dir = Dir::with(
            "kinds",
            &[
                ("2025-01.hs256", SECRET),
                ("2025-06.hs256", &with_newline),
                ("rsa.pem", RSA_PUBLIC.as_bytes()),
                ("ec.pem", EC_PUBLIC.as_bytes()),
                (".b.hs256.tmp", b"half-written"),
                ("..data", b"a kubernetes link"),
            ],
        );
        let keys = dir.keys().unwrap();
        let kinds: Vec<(&str, &str)> = keys.iter().map(|(kid, key)| (kid.as_str(), key.as_str())).collect();
        assert_eq!(
            kinds,
            [
                ("2025-01", "JwtKey::Hs256(<redacted>)"),
                ("2025-06", "JwtKey::Hs256(<redacted>)"),
                ("ec", "JwtKey::Es256(..)"),
                ("rsa", "JwtKey::Rs256(..)")
            ]
        );
        // One trailing newline is not part of the secret.
        let auth = dir.auth().unwrap();
        let hs = EncodingKey::from_secret(SECRET);
        assert!(auth.verify(&signed(Algorithm::HS256, &hs, Some("2025-06")), NOW_MS).is_ok());
        assert!(auth.verify(&signed(Algorithm::HS256, &hs, Some("2025-01")), NOW_MS).is_ok());
        let rsa = EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap();
        let ec = EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).unwrap();
        assert!(auth.verify(&signed(Algorithm::RS256, &rsa, Some("rsa")), NOW_MS).is_ok());
        assert!(auth.verify(&signed(Algorithm::ES256, &ec, Some("ec")), NOW_MS).is_ok());
        // Each key pins its algorithm: the RSA public key as an HS256 secret, or another
        // key's kid, is refused.
        let confused = EncodingKey::from_secret(RSA_PUBLIC.as_bytes());
        assert!(auth.verify(&signed(Algorithm::HS256, &confused, Some("rsa")), NOW_MS).is_err());
        assert!(auth.verify(&signed(Algorithm::RS256, &rsa, Some("ec")), NOW_MS).is_err());
        assert!(auth.verify(&signed(Algorithm::HS256, &hs, None), NOW_MS).unwrap_err().message.contains("no `kid`"));
        assert!(auth.verify("garbage", NOW_MS).is_err());
        assert!(auth.reload_keys().unwrap().len() == 4);
        assert!(format!("{auth:?}").contains("2025-06") && !format!("{auth:?}").contains("key-directory-secret"));
    }

    #[test]
    fn anything_unexpected_makes_the_directory_invalid() {
        let cases: [(&str, Files<'_>, &str); 6] = [
            ("empty", vec![], "no key"),
            ("unknown", vec![("a.hs256", SECRET), ("README.md", b"hi")], "README.md is not a key file"),
            ("short", vec![("a.hs256", b"short\n")], "key file a.hs256: the HS256 secret is 5 bytes"),
            ("private", vec![("a.pem", RSA_PRIVATE.as_bytes())], "key file a.pem: this is a private key"),
            ("duplicate", vec![("a.hs256", SECRET), ("a.pem", EC_PUBLIC.as_bytes())], "two key files for kid \"a\""),
            ("not-pem", vec![("x.hs256", SECRET), ("y.pem", b"")], "key file y.pem: the key is not PEM"),
        ];
        for (name, files, expected) in cases {
            let dir = Dir::with(name, &files);
            let error = dir.auth().unwrap_err();
            assert!(error.contains(expected), "{name}: {error}");
        }
        let missing = Dir::with("missing", &[]);
        std::fs::remove_dir(&missing.0).unwrap();
        assert!(missing.auth().unwrap_err().contains("cannot read the key directory"));
        let nested = Dir::with("nested", &[("a.hs256", SECRET)]);
        std::fs::create_dir(nested.0.join("old.hs256")).unwrap();
        assert!(nested.auth().unwrap_err().contains("old.hs256 is not a key file"));
    }

    #[test]
    fn key_count_and_file_size_are_bounded() {
        let names: Vec<String> = (0..=MAX_KEYS).map(|i| format!("k{i}.hs256")).collect();
        let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), SECRET)).collect();
        let many = Dir::with("many", &files);
        assert!(many.auth().unwrap_err().contains(&format!("more than {MAX_KEYS} keys")));
        let big = vec![b'x'; MAX_KEY_FILE_BYTES as usize + 1];
        let large = Dir::with("large", &[("a.hs256", &big)]);
        assert!(large.auth().unwrap_err().contains("larger than"));
    }

    #[test]
    fn a_fixed_key_has_nothing_to_reload() {
        let auth = Authenticator::new(AuthConfig::new(JwtKey::Hs256(SECRET.to_vec()))).unwrap();
        assert!(auth.key_dir().is_none());
        assert!(auth.reload_keys().unwrap_err().to_string().contains("nothing to reload"));
        assert_eq!(KeyDir::new("/k").poll_interval, Some(Duration::from_secs(2)));
    }
}
