//! Build script: records the rustc version and bundles the pages of `playground/` (the GraphiQL
//! playground and the REST API reference, npm + esbuild) into `$OUT_DIR/playground/`, or embeds
//! pages explaining why it could not.

use std::{
    env, fs, io,
    path::{Path, PathBuf},
    process::Command,
    time::SystemTime,
};

/// Inputs of the playground bundle, relative to the crate root.
const PLAYGROUND_INPUTS: &[&str] = &[
    "playground/package.json",
    "playground/package-lock.json",
    "playground/build.mjs",
    "playground/index.html",
    "playground/fallback.html",
    "playground/docs.html",
    "playground/docs-fallback.html",
    "playground/src",
    "playground/examples",
];

/// The bundle `src/playground.rs` embeds next to `index.html` and `docs.html`; all exist after
/// this script ran (empty when the bundle could not be built).
const ASSETS: [&str; 4] = ["graphiql.js", "graphiql.css", "docs.js", "docs.css"];

/// Each page: its template, its fallback, the placeholder of its asset version, its assets.
const PAGES: [Page; 2] = [
    Page {
        file: "index.html",
        fallback: "fallback.html",
        version: "__PLAYGROUND_VERSION__",
        assets: ["graphiql.js", "graphiql.css"],
    },
    Page {
        file: "docs.html",
        fallback: "docs-fallback.html",
        version: "__DOCS_VERSION__",
        assets: ["docs.js", "docs.css"],
    },
];

struct Page {
    file: &'static str,
    fallback: &'static str,
    version: &'static str,
    assets: [&'static str; 2],
}

const SKIPPED: &str =
    "The playground was left out of this build: TODO_API_SKIP_PLAYGROUND=1 was set.";
const SKIPPED_FIX: &str =
    "rebuild without TODO_API_SKIP_PLAYGROUND (needs Node.js and npm): cargo build";
const NO_NODE_FIX: &str =
    "install Node.js 18 or newer with npm (e.g. apt-get install nodejs npm), \
                           then rebuild: touch playground/package.json && cargo build";
const FAILED_FIX: &str = "make sure the npm registry is reachable (or fix the error above), \
                          then rebuild: touch playground/package.json && cargo build";

/// Why the playground could not be bundled, and what the reader should do about it.
struct Problem {
    what: String,
    fix: String,
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    emit_rustc_version();
    emit_test_backends();
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir =
        PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("playground");
    fs::create_dir_all(&out_dir).expect("cannot create $OUT_DIR/playground");
    build_playground(&manifest_dir.join("playground"), &out_dir);
}

/// `cfg(postgres_tests)` when `TEST_DATABASE_URL` is set: the end-to-end tests are then compiled
/// for PostgreSQL as well as SQLite (see `tests/api/main.rs`).
fn emit_test_backends() {
    println!("cargo:rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo:rerun-if-env-changed=TEST_DATABASE_URL");
    if env::var("TEST_DATABASE_URL").is_ok_and(|url| !url.trim().is_empty()) {
        println!("cargo:rustc-cfg=postgres_tests");
    }
}

/// `TODO_API_RUSTC_VERSION`: the bare version number of the compiler, e.g. `1.95.0`.
fn emit_rustc_version() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.split_whitespace().nth(1).map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=TODO_API_RUSTC_VERSION={version}");
}

fn build_playground(source: &Path, out: &Path) {
    for input in PLAYGROUND_INPUTS {
        println!("cargo:rerun-if-changed={input}");
    }
    println!("cargo:rerun-if-env-changed=TODO_API_SKIP_PLAYGROUND");
    for stale_log in ["npm-ci.log", "esbuild.log"] {
        let _ = fs::remove_file(out.join(stale_log));
    }
    let result = if env::var_os("TODO_API_SKIP_PLAYGROUND").is_some_and(|v| v == "1") {
        Err(Problem {
            what: SKIPPED.into(),
            fix: SKIPPED_FIX.into(),
        })
    } else {
        bundle(source, out).and_then(|()| PAGES.iter().try_for_each(|p| write_page(source, out, p)))
    };
    if let Err(problem) = result {
        println!(
            "cargo:warning=GraphiQL playground and API reference not bundled: {}",
            problem.what
        );
        println!("cargo:warning=To fix: {}", problem.fix);
        write_fallback(source, out, &problem).expect("cannot write the fallback playground page");
    }
}

/// Installs the pinned packages when needed, then runs esbuild with its output in `out`.
fn bundle(source: &Path, out: &Path) -> Result<(), Problem> {
    for tool in [npm(), "node"] {
        if Command::new(tool).arg("--version").output().is_err() {
            let what =
                format!("`{tool}` (Node.js) was not found on PATH when this binary was built.");
            return Err(Problem {
                what,
                fix: NO_NODE_FIX.into(),
            });
        }
    }
    if needs_install(source) {
        let mut ci = Command::new(npm());
        ci.args([
            "ci",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--loglevel=error",
        ]);
        run("npm ci", ci.current_dir(source), &out.join("npm-ci.log"))?;
    }
    let mut esbuild = Command::new("node");
    esbuild.arg("build.mjs").arg(out);
    run(
        "the esbuild bundle (node build.mjs)",
        esbuild.current_dir(source),
        &out.join("esbuild.log"),
    )?;
    let produced = |file: &&str| fs::metadata(out.join(file)).is_ok_and(|m| m.len() > 0);
    if ASSETS.iter().all(produced) {
        Ok(())
    } else {
        Err(failed(
            "the esbuild bundle",
            "it produced no graphiql.js, graphiql.css, docs.js or docs.css",
        ))
    }
}

fn npm() -> &'static str {
    if cfg!(windows) {
        "npm.cmd"
    } else {
        "npm"
    }
}

/// True when `node_modules` is missing, incomplete or older than `package-lock.json`. npm writes
/// `node_modules/.package-lock.json` last, so its age is the age of a complete install.
fn needs_install(source: &Path) -> bool {
    let modified = |path: PathBuf| fs::metadata(path).and_then(|m| m.modified()).ok();
    let installed = modified(source.join("node_modules/.package-lock.json"));
    let lock = modified(source.join("package-lock.json")).unwrap_or(SystemTime::now());
    installed.is_none_or(|installed| lock > installed)
}

/// Runs a command quietly; on failure the gist of its output goes into the problem, and all of it
/// into `log` (named in a warning, not on the page).
fn run(step: &str, command: &mut Command, log: &Path) -> Result<(), Problem> {
    match command.output() {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => {
            let text = [output.stdout.as_slice(), output.stderr.as_slice()].concat();
            if fs::write(log, &text).is_ok() {
                println!("cargo:warning=Full output of {step}: {}", log.display());
            }
            let gist =
                gist(&String::from_utf8_lossy(&text)).unwrap_or_else(|| output.status.to_string());
            Err(failed(step, &gist))
        }
        Err(err) => Err(failed(step, &err.to_string())),
    }
}

fn failed(step: &str, detail: &str) -> Problem {
    Problem {
        what: format!("{step} failed: {detail}"),
        fix: FAILED_FIX.into(),
    }
}

/// The first few meaningful lines of a tool's output, plus its first error line, on one line.
fn gist(text: &str) -> Option<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(|line| line.trim().trim_start_matches("npm error").trim())
        .filter(|line| {
            !line.is_empty() && !line.starts_with("npm warn") && !line.starts_with("at ")
        })
        .collect();
    let mut picked: Vec<&str> = lines.iter().copied().take(3).collect();
    if let Some(error) = lines
        .iter()
        .find(|line| line.contains("Error") || line.contains("ERROR"))
    {
        if !picked.contains(error) {
            picked.push(error);
        }
    }
    (!picked.is_empty()).then(|| picked.join(" | "))
}

/// A page that loads its part of the bundle, the asset URLs versioned by a hash of their contents.
fn write_page(source: &Path, out: &Path, page: &Page) -> Result<(), Problem> {
    let read = |file: &str| {
        fs::read(out.join(file)).map_err(|e| failed("reading the bundle", &e.to_string()))
    };
    let mut bytes = Vec::new();
    for asset in page.assets {
        bytes.extend(read(asset)?);
    }
    let version = format!("{:016x}", fnv1a(&bytes));
    let template = fs::read_to_string(source.join(page.file))
        .map_err(|e| failed(&format!("reading playground/{}", page.file), &e.to_string()))?;
    fs::write(
        out.join(page.file),
        template.replace(page.version, &version),
    )
    .map_err(|e| failed(&format!("writing {}", page.file), &e.to_string()))
}

/// Empty assets (served as 404) and pages saying what is missing and how to fix it.
fn write_fallback(source: &Path, out: &Path, problem: &Problem) -> io::Result<()> {
    for asset in ASSETS {
        fs::write(out.join(asset), "")?;
    }
    for page in &PAGES {
        let template = fs::read_to_string(source.join(page.fallback))?;
        let text = template
            .replace("__PLAYGROUND_PROBLEM__", &escape_html(&problem.what))
            .replace("__PLAYGROUND_FIX__", &escape_html(&problem.fix));
        fs::write(out.join(page.file), text)?;
    }
    Ok(())
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// 64-bit FNV-1a: a dependency-free content hash for cache busting (not for security).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
