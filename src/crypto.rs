//! Encryption of ID numbers at rest (AES-256-GCM) and the keyed hash that finds duplicates
//! without decrypting (HMAC-SHA-256). Both keys are derived from `AIXIN_SECRET_KEY`, each for
//! its own purpose.

use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{AeadCore, Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::SecretKey;

const NONCE_LEN: usize = 12;

/// The keys for one service.
#[derive(Clone)]
pub struct Cipher {
    aead: Aes256Gcm,
    mac_key: [u8; 32],
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(<keys hidden>)")
    }
}

fn derive(secret: &SecretKey, purpose: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.bytes()).expect("any key length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

impl Cipher {
    /// Derives the encryption and hashing keys from the service's secret.
    pub fn new(secret: &SecretKey) -> Cipher {
        let key = derive(secret, "aixin/id-number/encryption/v1");
        Cipher {
            aead: Aes256Gcm::new_from_slice(&key).expect("32-byte key"),
            mac_key: derive(secret, "aixin/id-number/hash/v1"),
        }
    }

    /// Encrypts `plain`: a random nonce followed by the ciphertext and its tag.
    pub fn encrypt(&self, plain: &str) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        out.extend(
            self.aead
                .encrypt(&nonce, plain.as_bytes())
                .expect("encryption cannot fail"),
        );
        out
    }

    /// Decrypts what [`Cipher::encrypt`] produced; fails on a wrong key or tampering.
    pub fn decrypt(&self, sealed: &[u8]) -> anyhow::Result<String> {
        anyhow::ensure!(sealed.len() > NONCE_LEN, "ciphertext too short");
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let plain = self
            .aead
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| anyhow::anyhow!("cannot decrypt: wrong key or damaged data"))?;
        Ok(String::from_utf8(plain)?)
    }

    /// The keyed hash of a value: equal values hash equally, and without the key nobody can
    /// test guesses against it.
    pub fn hash(&self, value: &str) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key).expect("any key length");
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_random_nonces_and_keyed_hashes() {
        let cipher = Cipher::new(&SecretKey::from_hex(&"11".repeat(32)).unwrap());
        let a = cipher.encrypt("11010519491231002X");
        let b = cipher.encrypt("11010519491231002X");
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.windows(18).any(|w| w == b"11010519491231002X"));
        assert_eq!(cipher.decrypt(&a).unwrap(), "11010519491231002X");
        assert_eq!(cipher.hash("x"), cipher.hash("x"));

        let other = Cipher::new(&SecretKey::from_hex(&"22".repeat(32)).unwrap());
        assert!(other.decrypt(&a).is_err());
        assert_ne!(other.hash("x"), cipher.hash("x"));
        let mut tampered = a.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(cipher.decrypt(&tampered).is_err());
    }
}
