//! Times one Argon2id verification with the service's default cost (m=19456 KiB, t=2, p=1),
//! single-threaded, so `scripts/bench.sh` can set the login target: one core verifies at most
//! 1 / (this time) passwords per second.
//!
//! `cargo run --release --example argon2_verify [N] [ROUNDS]` times ROUNDS (default 3) rounds of
//! N (default 20) verifies and prints one JSON line with the best round (the least disturbed by
//! other work on the machine) and every round:
//! `{"verifies": N, "rounds_ms": [...], "per_verify_ms": ..., "per_core_per_second": ...}`.

use std::time::Instant;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordVerifier, Version};

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u32>().ok().filter(|&n| n > 0));
    let n = args.next().flatten().unwrap_or(20);
    let rounds = args.next().flatten().unwrap_or(3);
    let params = Params::new(19_456, 2, 1, None).expect("valid Argon2 parameters");
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let password = b"bench-password-123";
    let salt = SaltString::generate(&mut OsRng);
    let phc = argon2
        .hash_password(password, &salt)
        .expect("hashing works")
        .to_string();
    let parsed = PasswordHash::new(&phc).expect("a valid PHC string");
    // One untimed verify: page in the memory, warm the caches.
    assert!(argon2.verify_password(password, &parsed).is_ok());
    let per_round: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..n {
                assert!(argon2.verify_password(password, &parsed).is_ok());
            }
            start.elapsed().as_secs_f64() * 1e3 / f64::from(n)
        })
        .collect();
    let best = per_round.iter().copied().fold(f64::INFINITY, f64::min);
    let rounds_ms: Vec<String> = per_round.iter().map(|ms| format!("{ms:.3}")).collect();
    println!(
        "{{\"verifies\": {n}, \"rounds_ms\": [{}], \"per_verify_ms\": {best:.3}, \"per_core_per_second\": {:.2}}}",
        rounds_ms.join(", "),
        1e3 / best
    );
}
