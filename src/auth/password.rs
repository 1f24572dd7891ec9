//! Passwords: argon2id at ASVS level 2 parameters, and the rules a new password must pass.
//!
//! Each hash or verification takes 19 MiB and a core's worth of work, so they run on the
//! blocking threads, never on the async workers, and no more at once than there are cores:
//! a flood of logins queues here instead of exhausting memory and starving every request.

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::web::error::FieldError;

/// Memory cost in KiB (19 MiB, OWASP's minimum for argon2id).
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Iterations.
pub const ITERATIONS: u32 = 2;
/// Parallelism.
pub const PARALLELISM: u32 = 1;

/// Shortest and longest password, in characters.
pub const MIN_CHARS: usize = 8;
/// Longest password, in characters.
pub const MAX_CHARS: usize = 128;

fn argon2() -> Argon2<'static> {
    let params =
        Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The hashings that may run at once: one per core.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(hashing_slots()));

/// How many hashings may run at once: the number of cores.
pub fn hashing_slots() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// Runs `work` (a hash or a verification) on a blocking thread once one of the
/// [`hashing_slots`] is free.
pub async fn bounded<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let _slot = HASHING.acquire().await?;
    Ok(tokio::task::spawn_blocking(work).await?)
}

/// [`hash`], within the bound on concurrent hashing.
pub async fn hash_bounded(password: &str) -> anyhow::Result<String> {
    let plain = password.to_owned();
    bounded(move || hash(&plain)).await?
}

/// [`verify`], within the bound on concurrent hashing.
pub async fn verify_bounded(password: &str, stored: &str) -> anyhow::Result<bool> {
    let (plain, stored) = (password.to_owned(), stored.to_owned());
    bounded(move || verify(&plain, &stored)).await
}

/// [`verify_dummy`], within the bound on concurrent hashing.
pub async fn verify_dummy_bounded(password: &str) -> anyhow::Result<()> {
    let plain = password.to_owned();
    bounded(move || verify_dummy(&plain)).await
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Whether `password` matches the stored hash. A malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the time a real verification takes, so an unknown username answers as slowly as a
/// known one.
pub fn verify_dummy(password: &str) {
    static DUMMY: LazyLock<String> =
        LazyLock::new(|| hash("aixin-timing-equaliser").expect("hashing"));
    let _ = verify(password, &DUMMY);
}

static COMMON: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_lowercase)
        .collect()
});

/// Checks a new password: 8–128 characters, not a common password, not the username. No
/// composition rules (NIST SP 800-63B, ASVS 2.1).
pub fn check_new(password: &str, username: &str) -> Result<(), FieldError> {
    let chars = password.chars().count();
    if !(MIN_CHARS..=MAX_CHARS).contains(&chars) {
        return Err(FieldError::new("error.password_length")
            .with("min", MIN_CHARS)
            .with("max", MAX_CHARS));
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower) || lower == username.to_lowercase() {
        return Err(FieldError::new("error.password_common"));
    }
    Ok(())
}

/// A random one-time password to hand over: 12 characters without look-alikes (0/O, 1/l/I).
pub fn one_time() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_the_required_cost_and_verify() {
        let h = hash("一段足够长的密码").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("一段足够长的密码", &h));
        assert!(!verify("一段足够长的密码!", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_hashings_run_at_once_than_there_are_cores() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..hashing_slots() * 4)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                tokio::spawn(bounded(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let most = most.load(Ordering::SeqCst);
        assert!((1..=hashing_slots()).contains(&most), "{most} at once");
    }

    #[test]
    fn new_passwords_are_long_enough_and_not_common() {
        assert!(check_new("correct horse battery", "wang").is_ok());
        assert!(check_new("短密码", "wang").is_err());
        assert!(check_new(&"a".repeat(129), "wang").is_err());
        for common in [
            "12345678",
            "woaini1314",
            "5201314520",
            "Password1",
            "qwertyuiop",
        ] {
            assert!(check_new(common, "wang").is_err(), "{common} is common");
        }
        assert!(
            check_new("zhangmin2026", "zhangmin2026").is_err(),
            "not the username"
        );
    }

    #[test]
    fn one_time_passwords_pass_the_rules() {
        let p = one_time();
        assert_eq!(p.chars().count(), 12);
        assert!(check_new(&p, "admin").is_ok());
        assert_ne!(one_time(), p);
    }
}
