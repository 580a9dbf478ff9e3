//! The real binary: first start creates `data/todo.db`, SIGTERM lets in-flight requests finish,
//! `RUST_LOG=sqlx=debug` logs SQL, and production refuses to start without a proper secret.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

pub const BIN: &str = env!("CARGO_BIN_EXE_todo-api");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary in `dir` with no DATABASE_URL (so the default `data/todo.db` is used).
pub async fn start(dir: &std::path::Path, env: &[(&str, &str)]) -> Server {
    let port = free_port();
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_clear()
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let server = Server {
        child: cmd.spawn().expect("binary starts"),
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{}/api/v1/health", server.base))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "the server did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

fn stderr_of(mut server: Server) -> (std::process::ExitStatus, String) {
    let status = server.child.wait().unwrap();
    let mut log = String::new();
    server
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    (status, log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_an_in_flight_request_finish_and_sql_is_logged_at_debug() {
    let dir = tempfile::tempdir().unwrap();
    // A deliberately slow hash, so the signup is still running when SIGTERM arrives.
    let env = [
        ("ARGON2_ITERATIONS", "40"),
        ("ARGON2_MEMORY_KIB", "8192"),
        ("RUST_LOG", "sqlx=debug,todo_api=info"),
    ];
    let server = start(dir.path(), &env).await;
    assert!(
        dir.path().join("data/todo.db").exists(),
        "data/todo.db created on first start"
    );

    let url = format!("{}/api/v1/auth/signup", server.base);
    let signup = tokio::spawn(async move {
        let body =
            json!({"username": "alice", "email": "alice@example.com", "password": "password-123"});
        reqwest::Client::new().post(url).json(&body).send().await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());

    let res = signup
        .await
        .unwrap()
        .expect("the in-flight request got its answer");
    assert_eq!(res.status(), StatusCode::CREATED);
    let (status, log) = stderr_of(server);
    assert!(
        status.success(),
        "clean exit after SIGTERM: {status:?}\n{log}"
    );
    assert!(
        log.contains("shutdown requested") && log.contains("stopped"),
        "{log}"
    );
    assert!(
        log.contains("sqlx::query") && log.contains("INSERT INTO users"),
        "SQL is logged at sqlx=debug"
    );
    assert!(!log.contains("password-123"), "secrets are never logged");
}

#[tokio::test]
async fn production_refuses_to_start_without_a_long_enough_secret() {
    for secret in [None, Some("too-short")] {
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .env("APP_ENV", "production")
            .env("BIND_ADDR", "127.0.0.1:0");
        if let Some(s) = secret {
            cmd.env("JWT_SECRET", s);
        }
        let out = cmd.output().unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("JWT_SECRET"), "{err}");
        assert!(
            !err.contains("too-short"),
            "the secret itself is not printed"
        );
    }
}
