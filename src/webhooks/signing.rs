//! Standard Webhooks signing: a secret `whsec_<base64 of 24 random bytes>`, and per
//! message `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`,
//! one such entry per secret in use (two during a rotation's grace period).

use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::error::AppError;

const PREFIX: &str = "whsec_";

/// A fresh signing secret, as the endpoint's owner configures it in their receiver.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 24];
    SystemRandom::new().fill(&mut bytes).expect("the system random source works");
    format!("{PREFIX}{}", STANDARD.encode(bytes))
}

fn key_bytes(secret: &str) -> Result<Vec<u8>, AppError> {
    let encoded = secret.strip_prefix(PREFIX).unwrap_or(secret);
    STANDARD.decode(encoded).map_err(|_| AppError::internal("a stored webhook secret is not base64"))
}

/// The `webhook-signature` header for one message: one `v1,` entry per secret.
pub fn signature_header(secrets: &[&str], id: &str, timestamp: i64, body: &str) -> Result<String, AppError> {
    let signed = format!("{id}.{timestamp}.{body}");
    let entries: Result<Vec<String>, AppError> = secrets
        .iter()
        .map(|secret| {
            let key = hmac::Key::new(hmac::HMAC_SHA256, &key_bytes(secret)?);
            Ok(format!("v1,{}", STANDARD.encode(hmac::sign(&key, signed.as_bytes()).as_ref())))
        })
        .collect();
    Ok(entries?.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_the_standard_webhooks_specification_shows() {
        // The example of the Standard Webhooks specification.
        let header = signature_header(
            &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(header, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_secret_is_24_random_bytes_after_its_prefix() {
        let secret = new_secret();
        assert_eq!(key_bytes(&secret).unwrap().len(), 24);
        assert_ne!(secret, new_secret());
    }
}
