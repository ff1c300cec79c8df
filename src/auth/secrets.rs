//! Random secrets and how they are kept: only a SHA-256 digest is stored. The secrets
//! carry at least 128 bits of randomness, so a fast digest suffices (nothing to brute-force).

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// `prefix` followed by 256 random bits in URL-safe base64.
pub fn random_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    SystemRandom::new().fill(&mut bytes).expect("the system random source works");
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// `prefix` followed by 128 random bits in hex: for identifiers that are not secrets.
pub fn random_identifier(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    SystemRandom::new().fill(&mut bytes).expect("the system random source works");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

/// The stored form of a secret.
pub fn hash_secret(secret: &str) -> String {
    digest(&SHA256, secret.as_bytes()).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares a presented secret with a stored digest in constant time.
pub fn secret_matches(presented: &str, stored_hash: &str) -> bool {
    let presented = hash_secret(presented);
    presented.len() == stored_hash.len()
        && presented.bytes().zip(stored_hash.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_random_and_verify_only_against_their_hash() {
        let a = random_secret("rt_cs_");
        let b = random_secret("rt_cs_");
        assert!(a.starts_with("rt_cs_") && a.len() == 6 + 43);
        assert_ne!(a, b);
        let stored = hash_secret(&a);
        assert!(secret_matches(&a, &stored));
        assert!(!secret_matches(&b, &stored));
        assert!(!secret_matches("", &stored));
    }
}
