//! Browser test: GraphiQL at `GET /graphql` renders offline and runs a query against the server.
//!
//! Drives Debian's chromium through chromedriver (WebDriver, via fantoccini). Without them the test
//! is skipped, unless `TODO_API_REQUIRE_BROWSER=1`, which turns the skip into a failure (for CI).
//! The browser pieces here serve the API reference's test too (`docs.rs`).

use std::{
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{wd::Capabilities, Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use crate::helpers::spawn_app;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const TIMEOUT: Duration = Duration::from_secs(30);
const OPERATION: &str = "PlaygroundCheck";
const QUERY: &str = "query PlaygroundCheck { lists { id title } __typename }";
const NEEDS_BROWSER: &str = "playground browser test needs chromium + chromium-driver \
                             (apt-get install chromium chromium-driver)";
const LIST_TITLE: &str = "Made before the browser came";

#[tokio::test]
async fn graphiql_runs_a_query_in_a_headless_browser_without_internet() {
    // Arrange
    if !prerequisites_met() {
        return;
    }
    let app = spawn_app().await;
    let token = signup_with_a_list(&app.base).await;
    let profile = tempfile::tempdir().expect("temp dir for the chromium profile");
    let driver = ChromeDriver::start();
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities(profile.path()))
        .connect(&driver.url())
        .await
        .expect("chromedriver refused a session (is chromium working?)");

    // Act
    let outcome = run_query(&client, &app.base, &token).await;
    let resources = loaded_resources(&client).await;
    let _ = client.close().await;
    drop(driver);

    // Assert
    let response = outcome.unwrap_or_else(|err| panic!("{err}"));
    assert!(
        response.contains(r#""__typename": "Query""#),
        "unexpected response pane: {response}"
    );
    assert!(
        response.contains(LIST_TITLE),
        "the token from the Headers pane was not used: {response}"
    );
    let foreign: Vec<&String> = resources
        .iter()
        .filter(|url| !url.starts_with(&app.base))
        .collect();
    assert!(
        foreign.is_empty(),
        "the page loaded resources from elsewhere: {foreign:?}"
    );
}

#[tokio::test]
async fn graphiql_task_events_tab_shows_an_event_made_elsewhere() {
    // Arrange
    if !prerequisites_met() {
        return;
    }
    let app = spawn_app().await;
    let token = signup_with_a_list(&app.base).await;
    let lists = graphql(&app.base, Some(&token), "{ lists { id } }", json!({})).await;
    let list = lists["data"]["lists"][0]["id"]
        .as_str()
        .expect("the list")
        .to_owned();
    let profile = tempfile::tempdir().expect("temp dir for the chromium profile");
    let driver = ChromeDriver::start();
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities(profile.path()))
        .connect(&driver.url())
        .await
        .expect("chromedriver refused a session (is chromium working?)");

    // Act: subscribe in the browser's TaskEvents tab, then create tasks over plain HTTP until
    // one shows up in the response pane (the subscription registers as the socket opens).
    let outcome = async {
        open(&client, &app.base).await?;
        let tab = "const tab = [...document.querySelectorAll('.graphiql-tab')] \
                   .find(t => t.textContent.includes('TaskEvents')); \
                   if (tab) { tab.querySelector('button').click(); return 'clicked'; } return '';";
        poll(&client, tab, |r| r == "clicked").await?;
        // Headers belong to a tab: the token goes in this one's.
        set_headers(&client, &token).await?;
        click(&client, "button[data-name='variables']").await?;
        let variables = json!({ "listId": list }).to_string();
        set_editor(&client, ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror", &variables).await?;
        let active_tab = "return document.querySelector('.graphiql-tab-active')?.textContent ?? '';";
        poll(&client, active_tab, |title| title.contains("TaskEvents")).await?;
        click(&client, ".graphiql-execute-button").await?;
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let create = "mutation($l: ID!) { createTask(listId: $l, input: {title: \"Seen live\"}) { id } }";
            graphql(&app.base, Some(&token), create, json!({ "l": list })).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
            let pane = client.execute(RESPONSE_PANE, vec![]).await.map_err(|e| e.to_string())?;
            let text = pane.as_str().unwrap_or_default().to_owned();
            if text.contains("Seen live") || Instant::now() > deadline {
                return Ok::<String, String>(text);
            }
        }
    }
    .await;
    let _ = client.close().await;
    drop(driver);

    // Assert
    let response = outcome.unwrap_or_else(|err| panic!("{err}"));
    assert!(
        response.contains("Seen live"),
        "no event in the response pane: {response}"
    );
    assert!(response.contains(r#""kind": "CREATED""#), "{response}");
}

/// The text of GraphiQL's response pane.
const RESPONSE_PANE: &str = "const cm = document.querySelector('.graphiql-response .CodeMirror'); \
                             return cm ? cm.CodeMirror.getValue() : '';";

/// True when chromium, chromedriver and the bundle are there; otherwise skip, or fail if required.
pub(crate) fn prerequisites_met() -> bool {
    let required = std::env::var("TODO_API_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let missing = if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        NEEDS_BROWSER
    } else if !todo_api::playground::is_bundled() {
        "browser tests need the GraphiQL and Swagger UI bundle, built by build.rs with Node.js + npm \
         (install them, unset TODO_API_SKIP_PLAYGROUND, touch playground/package.json, rebuild)"
    } else {
        return true;
    };
    assert!(!required, "TODO_API_REQUIRE_BROWSER=1 but {missing}");
    eprintln!("SKIPPED: {missing}");
    false
}

/// Signs up over plain HTTP and creates a list, for the browser to find with the token.
async fn signup_with_a_list(base: &str) -> String {
    let signup = "mutation($input: SignupInput!) { signup(input: $input) { token } }";
    let input = json!({
        "username": "browser",
        "email": "browser@example.com",
        "password": "correct horse battery",
    });
    let body = graphql(base, None, signup, json!({ "input": input })).await;
    let token = body["data"]["signup"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("signup failed: {body}"));
    let create = "mutation($input: CreateListInput!) { createList(input: $input) { id } }";
    let body = graphql(
        base,
        Some(token),
        create,
        json!({ "input": { "title": LIST_TITLE } }),
    )
    .await;
    assert!(
        body["data"]["createList"]["id"].is_string(),
        "createList failed: {body}"
    );
    token.to_owned()
}

async fn graphql(base: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = reqwest::Client::new().post(format!("{base}/graphql"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await;
    response
        .expect("POST /graphql")
        .json()
        .await
        .expect("a JSON body from POST /graphql")
}

/// Opens the playground, puts the token in the Headers pane and the query in the editor, presses
/// run and returns the response pane's text.
async fn run_query(client: &Client, base: &str, token: &str) -> Result<String, String> {
    open_with_token(client, base, token).await?;
    set_editor(client, ".graphiql-query-editor .CodeMirror", QUERY).await?;
    // GraphiQL parses the editor after a debounce; running earlier sends a stale operation name.
    let active_tab = "return document.querySelector('.graphiql-tab-active')?.textContent ?? '';";
    poll(client, active_tab, |title| title.contains(OPERATION)).await?;
    click(client, ".graphiql-execute-button").await?;
    poll(client, RESPONSE_PANE, |text| {
        text.contains("data") || text.contains("errors")
    })
    .await
}

/// Opens the playground and puts the token in the Headers pane.
async fn open_with_token(client: &Client, base: &str, token: &str) -> Result<(), String> {
    open(client, base).await?;
    set_headers(client, token).await
}

/// Opens the playground and waits for its editor.
async fn open(client: &Client, base: &str) -> Result<(), String> {
    client
        .goto(&format!("{base}/graphql"))
        .await
        .map_err(|e| format!("cannot open {base}/graphql: {e}"))?;
    client
        .wait()
        .at_most(TIMEOUT)
        .for_element(Locator::Css(".graphiql-query-editor .CodeMirror"))
        .await
        .map_err(|e| format!("GraphiQL did not render within {TIMEOUT:?}: {e}"))
        .map(drop)
}

/// Puts the token in the active tab's Headers pane.
async fn set_headers(client: &Client, token: &str) -> Result<(), String> {
    click(client, "button[data-name='headers']").await?;
    let headers = json!({ "Authorization": format!("Bearer {token}") }).to_string();
    set_editor(
        client,
        ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror",
        &headers,
    )
    .await
}

pub(crate) async fn click(client: &Client, selector: &str) -> Result<(), String> {
    let element = client
        .find(Locator::Css(selector))
        .await
        .map_err(|e| format!("no {selector}: {e}"))?;
    element
        .click()
        .await
        .map_err(|e| format!("cannot click {selector}: {e}"))
}

/// Replaces the text of the CodeMirror editor under `selector`.
async fn set_editor(client: &Client, selector: &str, text: &str) -> Result<(), String> {
    let script = "document.querySelector(arguments[0]).CodeMirror.setValue(arguments[1]);";
    let args = vec![json!(selector), json!(text)];
    client
        .execute(script, args)
        .await
        .map(drop)
        .map_err(|e| format!("cannot fill {selector}: {e}"))
}

/// Runs `script` until its string result satisfies `done`, for at most [`TIMEOUT`].
pub(crate) async fn poll(
    client: &Client,
    script: &str,
    done: impl Fn(&str) -> bool,
) -> Result<String, String> {
    let deadline = Instant::now() + TIMEOUT;
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(Value::String(text)) = client.execute(script, vec![]).await {
            if done(&text) {
                return Ok(text);
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!(
        "timed out after {TIMEOUT:?} on `{script}`; last result: {last:?}"
    ))
}

/// Every URL the page fetched (scripts, styles, GraphQL requests).
pub(crate) async fn loaded_resources(client: &Client) -> Vec<String> {
    let script = "return performance.getEntriesByType('resource').map(e => e.name);";
    match client.execute(script, vec![]).await {
        Ok(Value::Array(urls)) => urls
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// Headless chromium with a throwaway profile that can reach 127.0.0.1 and nothing else.
pub(crate) fn capabilities(profile: &Path) -> Capabilities {
    let args = [
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--window-size=1280,900".to_owned(),
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1".to_owned(),
        format!("--user-data-dir={}", profile.display()),
    ];
    let mut capabilities = Capabilities::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    let options = json!({ "binary": CHROMIUM, "args": args });
    capabilities.insert("goog:chromeOptions".into(), options);
    capabilities
}

/// A chromedriver process on a free local port, killed when dropped.
pub(crate) struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    pub(crate) fn start() -> Self {
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start chromedriver");
        let driver = Self { child, port };
        driver.wait_until_listening();
        driver
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn wait_until_listening(&self) {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {} within 10 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free port");
    listener.local_addr().expect("local address").port()
}
