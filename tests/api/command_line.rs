//! The binary as a command-line tool: `--help` lists every setting with its environment variable
//! and default, `--version`, `check-config` on good and bad configurations, and neither help nor
//! version ever starts the server.

use std::process::{Command, Output};

use crate::process::{free_port, BIN};

/// Runs the binary in an empty folder with only `env`, and returns its output and the folder.
fn run(args: &[&str], env: &[(&str, &str)]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .env_clear()
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("the binary runs");
    (out, dir)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_lists_every_setting_with_its_variable_and_default() {
    let (out, _dir) = run(&["--help"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let help = text(&out.stdout);
    for variable in [
        "DATABASE_URL",
        "DATABASE_MAX_CONNECTIONS",
        "BIND_ADDR",
        "JWT_SECRET",
        "JWT_EXPIRY_SECONDS",
        "ALLOW_ANONYMOUS",
        "COOKIE_SECURE",
        "CORS_ORIGINS",
        "MAX_BODY_BYTES",
        "AUTH_RATE_LIMIT_PER_SECOND",
        "AUTH_RATE_LIMIT_BURST",
        "TRUST_PROXY_HEADERS",
        "APP_ENV",
        "SQLITE_SYNCHRONOUS",
        "GRAPHQL_INTROSPECTION",
        "GRAPHQL_MAX_DEPTH",
        "GRAPHQL_MAX_COMPLEXITY",
        "GRAPHQL_MAX_ALIASES",
        "GRAPHQL_MAX_SELECTIONS",
        "GRAPHQL_TIMEOUT_SECONDS",
        "GRAPHQL_MAX_RESPONSE_BYTES",
        "ARGON2_MEMORY_KIB",
        "ARGON2_ITERATIONS",
        "ARGON2_PARALLELISM",
        "HASH_CONCURRENCY",
        "REQUEST_TIMEOUT_SECONDS",
        "SHUTDOWN_TIMEOUT_SECONDS",
        "METRICS",
        "LOG_FORMAT",
        "RUST_LOG",
    ] {
        assert!(
            help.contains(&format!("[env: {variable}")),
            "--help names {variable}:\n{help}"
        );
    }
    for default in [
        "[default: sqlite://data/todo.db]",
        "[default: 127.0.0.1:8000]",
        "[default: 3600]",
        "[default: 30]",
        "[default: text]",
    ] {
        assert!(help.contains(default), "--help shows {default}");
    }
    for command in ["serve", "print-schema", "print-openapi", "check-config"] {
        assert!(help.contains(command), "--help lists {command}");
    }
}

#[test]
fn help_and_version_never_start_the_server() {
    // The port is taken by this test: a server starting anyway would fail to bind, or take it.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    for args in [&["--help"][..], &["-h"], &["--version"], &["help"]] {
        let (out, dir) = run(args, &[("BIND_ADDR", &addr)]);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert!(
            !dir.path().join("data").exists(),
            "{args:?} opened no database"
        );
        assert!(!text(&out.stderr).contains("listening"), "{args:?}");
    }
    // And a free port stays free: nothing of the binary lingers on it.
    let port = free_port();
    let (out, _dir) = run(&["--help"], &[("BIND_ADDR", &format!("127.0.0.1:{port}"))]);
    assert!(out.status.success());
    std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is still free");
}

#[test]
fn version_prints_the_package_version() {
    let (out, _dir) = run(&["--version"], &[]);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout).trim(),
        format!("todo-api {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn check_config_accepts_a_good_configuration() {
    let secret = "x".repeat(40);
    let env = [
        ("APP_ENV", "production"),
        ("JWT_SECRET", secret.as_str()),
        ("LOG_FORMAT", "json"),
        ("REQUEST_TIMEOUT_SECONDS", "5"),
    ];
    let (out, dir) = run(&["check-config"], &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("configuration is valid"), "{said}");
    assert!(!said.contains(&secret), "the secret is not printed");
    assert!(
        !dir.path().join("data").exists(),
        "checking opens no database"
    );
}

#[test]
fn check_config_refuses_a_bad_configuration_with_the_reason() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("APP_ENV", "production")], "JWT_SECRET"),
        (
            &[("APP_ENV", "production"), ("JWT_SECRET", "too-short")],
            "JWT_SECRET",
        ),
        (&[("JWT_EXPIRY_SECONDS", "soon")], "JWT_EXPIRY_SECONDS"),
        (
            &[("REQUEST_TIMEOUT_SECONDS", "0")],
            "REQUEST_TIMEOUT_SECONDS",
        ),
        (&[("SQLITE_SYNCHRONOUS", "sometimes")], "SQLITE_SYNCHRONOUS"),
        (&[("LOG_FORMAT", "xml")], "LOG_FORMAT"),
        (&[("BIND_ADDR", "nowhere")], "BIND_ADDR"),
    ];
    for (env, named) in cases {
        let (out, _dir) = run(&["check-config"], env);
        assert!(!out.status.success(), "{env:?} is refused");
        let err = text(&out.stderr);
        assert!(
            err.contains(named),
            "{env:?}: the reason names {named}: {err}"
        );
        assert!(
            !err.contains("too-short"),
            "the secret itself is not printed"
        );
    }
    // An option on the command line wins over the environment.
    let (out, _dir) = run(
        &["--request-timeout-seconds", "5", "check-config"],
        &[("REQUEST_TIMEOUT_SECONDS", "0")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}
