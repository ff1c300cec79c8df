//! The answer key: what seals every stored answer (answer sets, drafts, the results kept
//! after close) with AES-256-GCM, and keys the digests the idempotency store keeps. It is
//! never in the database, so a copy of the database, its WAL or its dead rows tells who
//! has submitted but not what anyone answered.
//!
//! One secret of 32 random bytes, kept as a line of base64 in a file (or given by
//! configuration, the same on every instance), yields the sealing key, the digest key and
//! a key id stored beside each sealed value. Previous secrets may be given too: values
//! sealed under them still open, and every rewrite seals under the current one.
//!
//! A sealed value is a fresh 96-bit random nonce followed by the ciphertext and its tag.
//! The associated data names the row the value belongs to, so a value copied into another
//! row does not open. Plaintexts are padded to a multiple of [`PAD`] bytes, so the size of
//! one rater's answers does not show as the growth of their group's set.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::AppError;

/// Plaintexts are padded with spaces to a multiple of this many bytes.
pub const PAD: usize = 512;

/// A sealed value and the id of the key that sealed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub bytes: Vec<u8>,
}

struct Key {
    id: String,
    aead: LessSafeKey,
    digest: hmac::Key,
}

impl Key {
    fn from_secret(secret: &[u8]) -> anyhow::Result<Self> {
        anyhow::ensure!(secret.len() == 32, "an answer key is 32 bytes; this one has {}", secret.len());
        let master = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let derive = |label: &str| hmac::sign(&master, label.as_bytes());
        let aead = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, derive("roundtable answer sealing v1").as_ref())
                .map_err(|_| anyhow::anyhow!("cannot make a sealing key"))?,
        );
        let digest = hmac::Key::new(hmac::HMAC_SHA256, derive("roundtable request digest v1").as_ref());
        let id = derive("roundtable answer key id").as_ref()[..6].iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self { id, aead, digest })
    }
}

/// The current answer key and the previous ones that still open what they sealed; or,
/// for a command that touches no answer, why there is none.
pub struct AnswerKeys {
    current: Result<Key, String>,
    previous: Vec<Key>,
    random: SystemRandom,
}

impl std::fmt::Debug for AnswerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerKeys").field("current", &self.current.as_ref().map(|k| &k.id)).finish_non_exhaustive()
    }
}

/// Where the answer key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// A file holding the key as base64; created (mode 0600) when `create` and absent.
    File { path: PathBuf, create: bool },
    /// The key itself, as base64, from configuration.
    Inline(String),
}

impl AnswerKeys {
    /// The key from `source`, with the previous keys in `previous` (files).
    pub fn load(source: &KeySource, previous: &[PathBuf]) -> anyhow::Result<Self> {
        let current = match source {
            KeySource::File { path, create } => Key::from_secret(&read_or_create(path, *create)?)?,
            KeySource::Inline(text) => {
                Key::from_secret(&decode(text).map_err(|e| anyhow::anyhow!("the answer key {e}"))?)?
            }
        };
        let previous = previous
            .iter()
            .map(|path| Key::from_secret(&read_or_create(path, false)?))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { current: Ok(current), previous, random: SystemRandom::new() })
    }

    /// No key, for `reason`: whatever needs one fails with it.
    pub fn absent(reason: String) -> Self {
        Self { current: Err(reason), previous: Vec::new(), random: SystemRandom::new() }
    }

    /// A key made from these 32 bytes (tests and tools).
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        let current = Ok(Key::from_secret(secret).expect("32 bytes"));
        Self { current, previous: Vec::new(), random: SystemRandom::new() }
    }

    fn current(&self) -> Result<&Key, AppError> {
        self.current.as_ref().map_err(|reason| AppError::internal(format!("no answer key: {reason}")))
    }

    /// Whether a value sealed under `key_id` opens with these keys.
    pub fn holds(&self, key_id: &str) -> bool {
        self.find(key_id).is_some()
    }

    fn find(&self, key_id: &str) -> Option<&Key> {
        self.current.iter().chain(&self.previous).find(|k| k.id == key_id)
    }

    /// Seals `plaintext` for the row `row` names, under the current key and a fresh nonce.
    pub fn seal(&self, row: &str, plaintext: &[u8]) -> Result<Sealed, AppError> {
        let current = self.current()?;
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).map_err(|_| AppError::internal("no randomness for a nonce"))?;
        let padded = plaintext.len().div_ceil(PAD).max(1) * PAD;
        let mut bytes = Vec::with_capacity(NONCE_LEN + padded + AES_256_GCM.tag_len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(plaintext);
        bytes.resize(NONCE_LEN + padded, b' ');
        let mut body = bytes.split_off(NONCE_LEN);
        current
            .aead
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(row.as_bytes()), &mut body)
            .map_err(|_| AppError::internal("sealing failed"))?;
        bytes.append(&mut body);
        Ok(Sealed { key_id: current.id.clone(), bytes })
    }

    /// Opens what [`AnswerKeys::seal`] sealed for the same row; the padding stays (JSON
    /// parsers skip it).
    pub fn open(&self, row: &str, sealed: &Sealed) -> Result<Vec<u8>, AppError> {
        let key = self.find(&sealed.key_id).ok_or_else(|| {
            AppError::internal(format!("a value is sealed under answer key {} which is not configured", sealed.key_id))
        })?;
        if sealed.bytes.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(AppError::internal("a sealed value is truncated"));
        }
        let (nonce, body) = sealed.bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| AppError::internal("bad nonce"))?;
        let mut body = body.to_vec();
        let plain = key
            .aead
            .open_in_place(nonce, Aad::from(row.as_bytes()), &mut body)
            .map_err(|_| AppError::internal(format!("a sealed value of {row} does not open")))?;
        Ok(plain.to_vec())
    }

    /// Seals a value as JSON.
    pub fn seal_json<T: serde::Serialize + ?Sized>(&self, row: &str, value: &T) -> Result<Sealed, AppError> {
        self.seal(row, &serde_json::to_vec(value).map_err(AppError::internal)?)
    }

    /// Opens a value sealed as JSON.
    pub fn open_json<T: serde::de::DeserializeOwned>(&self, row: &str, sealed: &Sealed) -> Result<T, AppError> {
        serde_json::from_slice(&self.open(row, sealed)?).map_err(AppError::internal)
    }

    /// A keyed digest of `data` (HMAC-SHA256 under a key derived from the current answer
    /// key), hex encoded: without the key it cannot be checked against a guess.
    pub fn digest(&self, data: &[u8]) -> Result<String, AppError> {
        Ok(hmac::sign(&self.current()?.digest, data).as_ref().iter().map(|b| format!("{b:02x}")).collect())
    }
}

fn decode(text: &str) -> Result<Vec<u8>, String> {
    STANDARD.decode(text.trim()).map_err(|e| format!("is not base64: {e}"))
}

/// Reads the key file, or creates it with a new random key when `create` and it is absent.
fn read_or_create(path: &Path, create: bool) -> anyhow::Result<Vec<u8>> {
    match fs::read_to_string(path) {
        Ok(text) => decode(&text).map_err(|e| anyhow::anyhow!("the answer key file {} {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            let mut secret = [0u8; 32];
            SystemRandom::new().fill(&mut secret).map_err(|_| anyhow::anyhow!("no randomness for an answer key"))?;
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent)?;
            }
            let mut file = new_private_file(path)
                .map_err(|e| anyhow::anyhow!("cannot create the answer key file {}: {e}", path.display()))?;
            writeln!(file, "{}", STANDARD.encode(secret))?;
            file.sync_all()?;
            tracing::info!(path = %path.display(), "created a new answer key: keep it with the database's backups");
            Ok(secret.to_vec())
        }
        Err(e) => Err(anyhow::anyhow!("cannot read the answer key file {}: {e}", path.display())),
    }
}

#[cfg(unix)]
fn new_private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}

#[cfg(not(unix))]
fn new_private_file(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new().write(true).create_new(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_row_and_never_repeats() {
        let keys = AnswerKeys::from_secret(&[7; 32]);
        let a = keys.seal("answer_sets/c/s/peer", b"{\"q\":1}").unwrap();
        let b = keys.seal("answer_sets/c/s/peer", b"{\"q\":1}").unwrap();
        assert_ne!(a.bytes, b.bytes, "a fresh nonce each time");
        assert_eq!(a.bytes.len(), NONCE_LEN + PAD + 16, "padded to a multiple of PAD");
        let opened = keys.open("answer_sets/c/s/peer", &a).unwrap();
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&opened).unwrap(), serde_json::json!({"q": 1}));
        assert!(keys.open("answer_sets/c/other/peer", &a).is_err(), "bound to its row");
        assert!(AnswerKeys::from_secret(&[8; 32]).open("answer_sets/c/s/peer", &a).is_err(), "another key");
        let mut tampered = a.clone();
        tampered.bytes[NONCE_LEN] ^= 1;
        assert!(keys.open("answer_sets/c/s/peer", &tampered).is_err());
    }

    #[test]
    fn a_key_file_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("answer.key");
        let source = KeySource::File { path: path.clone(), create: true };
        let first = AnswerKeys::load(&source, &[]).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let again = AnswerKeys::load(&source, &[]).unwrap();
        assert_eq!(first.seal("r", b"").unwrap().key_id, again.seal("r", b"").unwrap().key_id);
        let sealed = first.seal("r", b"x").unwrap();
        assert_eq!(again.open("r", &sealed).unwrap()[0], b'x');
        assert_eq!(first.digest(b"body").unwrap(), again.digest(b"body").unwrap());
        assert!(AnswerKeys::absent("none given".into()).seal("r", b"x").is_err());
        assert!(AnswerKeys::load(&KeySource::File { path: dir.path().join("none"), create: false }, &[]).is_err());
        assert!(AnswerKeys::load(&KeySource::Inline("c2hvcnQ=".into()), &[]).is_err(), "too short");
    }

    #[test]
    fn previous_keys_still_open_what_they_sealed() {
        let dir = tempfile::tempdir().unwrap();
        let old_path = dir.path().join("old.key");
        let old = AnswerKeys::load(&KeySource::File { path: old_path.clone(), create: true }, &[]).unwrap();
        let sealed = old.seal("r", b"1").unwrap();
        let new = AnswerKeys::load(&KeySource::Inline(STANDARD.encode([9u8; 32])), &[old_path]).unwrap();
        assert!(new.holds(&sealed.key_id));
        assert_eq!(new.open("r", &sealed).unwrap()[0], b'1');
        assert_ne!(new.seal("r", b"1").unwrap().key_id, sealed.key_id, "rewrites use the current key");
    }
}
