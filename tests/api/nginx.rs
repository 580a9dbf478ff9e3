//! A local nginx running the shipped `docker/nginx.conf`, with only what must differ outside
//! docker compose rewritten (upstream addresses, listen port, pid/log/temp paths, `user`).
//!
//! Without `/usr/sbin/nginx` the tests that need it are skipped, unless
//! `TODO_API_REQUIRE_NGINX=1`, which turns the skip into a failure (for CI).

use std::{
    fs,
    net::{TcpListener, TcpStream as StdTcpStream},
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub const NGINX: &str = "/usr/sbin/nginx";
pub const SHIPPED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docker/nginx.conf");
pub const NEEDS_NGINX: &str = "docker/nginx.conf test needs nginx (apt-get install nginx-light)";
/// The upstream line of the shipped file: every instance of the `app` service of docker compose.
pub const UPSTREAM: &str = "server app:8000 max_fails=1 fail_timeout=10s;";

/// True when nginx is installed; otherwise says why the test is skipped (or fails, under
/// `TODO_API_REQUIRE_NGINX=1`).
pub fn nginx_installed() -> bool {
    if Path::new(NGINX).exists() {
        return true;
    }
    let required = std::env::var("TODO_API_REQUIRE_NGINX").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "TODO_API_REQUIRE_NGINX=1 but {NGINX} is missing: {NEEDS_NGINX}"
    );
    eprintln!("SKIPPED: {NEEDS_NGINX}");
    false
}

pub fn shipped() -> String {
    fs::read_to_string(SHIPPED).expect("docker/nginx.conf exists")
}

/// Replaces the one occurrence of `from`: a shipped file that no longer has it exactly once
/// fails the test instead of being tested half-rewritten.
pub fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "docker/nginx.conf should contain `{from}` exactly once"
    );
    text.replacen(from, to, 1)
}

/// Without the `user` directive: the nginx image has a `nginx` user, this machine need not.
pub fn without_user(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("user "))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// The shipped config for a local run: the app at each address of `upstreams` (with the shipped
/// server parameters), listening on 127.0.0.1:`port`, writing its pid, logs and temporary files
/// into `dir`. Nothing else changes.
pub fn local_config(upstreams: &[String], port: u16, dir: &Path) -> String {
    let d = dir.display();
    let temp_paths = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .map(|kind| format!("    {kind}_temp_path {d}/{kind};\n"))
        .concat();
    [
        (
            UPSTREAM,
            upstreams
                .iter()
                .map(|addr| UPSTREAM.replace("app:8000", addr))
                .collect::<Vec<_>>()
                .join("\n        "),
        ),
        (
            "listen 80 default_server;",
            format!("listen 127.0.0.1:{port} default_server;"),
        ),
        ("pid /run/nginx.pid;", format!("pid {d}/nginx.pid;")),
        (
            "error_log /var/log/nginx/error.log",
            format!("error_log {d}/error.log"),
        ),
        (
            "access_log /var/log/nginx/access.log",
            format!("access_log {d}/access.log"),
        ),
        ("\nhttp {\n", format!("\nhttp {{\n{temp_paths}")),
    ]
    .iter()
    .fold(without_user(&shipped()), |conf, (from, to)| {
        replace_once(&conf, from, to)
    })
}

/// A port free right now (nobody listens on it once this returns).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

pub fn temp_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    // Run as root, nginx's workers drop to `nobody` and create their temp dirs in here.
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod temp dir");
    dir
}

/// A local nginx on the rewritten docker/nginx.conf; stopped on drop.
pub struct Nginx {
    pub base: String,
    conf: PathBuf,
    dir: tempfile::TempDir,
    child: Child,
}

impl Nginx {
    pub async fn start(upstreams: &[String]) -> Nginx {
        // Another process may take the free port before nginx binds it: then try another.
        for attempt in 1..=3 {
            let dir = temp_dir();
            let port = free_port();
            let conf = dir.path().join("nginx.conf");
            fs::write(&conf, local_config(upstreams, port, dir.path())).expect("write config");
            let child = Command::new(NGINX)
                .arg("-p")
                .arg(dir.path())
                .arg("-c")
                .arg(&conf)
                .args(["-g", "daemon off;"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start nginx");
            let mut nginx = Nginx {
                base: format!("http://127.0.0.1:{port}"),
                conf,
                dir,
                child,
            };
            if nginx.wait_until_listening(port).await {
                return nginx;
            }
            let log = fs::read_to_string(nginx.dir.path().join("error.log")).unwrap_or_default();
            assert!(
                attempt < 3 && log.contains("Address already in use"),
                "nginx did not start on docker/nginx.conf:\n{log}"
            );
        }
        unreachable!("the loop returns or panics")
    }

    /// What nginx has written to its access log so far.
    pub fn access_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }

    /// True once nginx accepts connections on `port`; false if it exited first.
    async fn wait_until_listening(&mut self, port: u16) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait().expect("nginx status").is_some() {
                return false;
            }
            // nginx writes its pid once it has bound its port.
            let pid = fs::read_to_string(self.dir.path().join("nginx.pid")).unwrap_or_default();
            if pid.trim() == self.child.id().to_string()
                && StdTcpStream::connect(("127.0.0.1", port)).is_ok()
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("nginx did not listen on port {port} within 10 s");
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        // A graceful stop takes the worker processes down too (SIGKILL would orphan them).
        let _ = Command::new(NGINX)
            .arg("-p")
            .arg(self.dir.path())
            .arg("-c")
            .arg(&self.conf)
            .args(["-s", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
