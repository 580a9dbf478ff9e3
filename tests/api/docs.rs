//! Browser test: the API reference at `GET /docs` renders every operation of the OpenAPI document
//! offline, and a token pasted into its "Authorize" dialog is used by "Try it out".
//!
//! Uses the chromium + chromedriver pieces of `playground.rs` (skipped without them, unless
//! `TODO_API_REQUIRE_BROWSER=1`).

use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;
use crate::playground::{
    capabilities, click, loaded_resources, poll, prerequisites_met, ChromeDriver,
};

const TIMEOUT: Duration = Duration::from_secs(30);
const LIST_TITLE: &str = "Only my token can see this";

#[tokio::test]
async fn the_api_reference_renders_every_operation_and_tries_one_with_a_pasted_token() {
    // Arrange
    if !prerequisites_met() {
        return;
    }
    let app = spawn_app().await;
    let (token, _) = app.signup("reader").await;
    app.list(Some(&token), LIST_TITLE).await;
    let document: Value = expect(app.get("/openapi.json", None).await, StatusCode::OK).await;
    let operations: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    let profile = tempfile::tempdir().expect("temp dir for the chromium profile");
    let driver = ChromeDriver::start();
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities(profile.path()))
        .connect(&driver.url())
        .await
        .expect("chromedriver refused a session (is chromium working?)");

    // Act
    let rendered = rendered_operations(&client, &app.base, operations).await;
    let tried = match rendered {
        Ok(_) => try_list_lists(&client, &token).await,
        Err(_) => Err("not tried".to_owned()),
    };
    let resources = loaded_resources(&client).await;
    let _ = client.close().await;
    drop(driver);

    // Assert
    let rendered = rendered.unwrap_or_else(|err| panic!("{err}"));
    for path in ["/api/v1/lists", "/api/v1/tasks/{id}", "/api/v1/auth/login"] {
        assert!(
            rendered.iter().any(|p| p == path),
            "{path} not shown: {rendered:?}"
        );
    }
    let response = tried.unwrap_or_else(|err| panic!("{err}"));
    assert!(
        response.contains(LIST_TITLE),
        "the pasted token was not sent: {response}"
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

/// Opens `/docs` and waits until it shows one block per operation; returns the paths shown.
async fn rendered_operations(
    client: &Client,
    base: &str,
    operations: usize,
) -> Result<Vec<String>, String> {
    client
        .goto(&format!("{base}/docs"))
        .await
        .map_err(|e| format!("cannot open {base}/docs: {e}"))?;
    let count = "return String(document.querySelectorAll('.opblock').length);";
    poll(client, count, |n| n == operations.to_string()).await?;
    let paths = "return [...document.querySelectorAll('.opblock-summary-path')]\
                 .map(e => e.getAttribute('data-path')).join('\\n');";
    let text = poll(client, paths, |text| !text.is_empty()).await?;
    Ok(text.lines().map(str::to_owned).collect())
}

/// Pastes the token into "Authorize" (bearerAuth), runs GET /api/v1/lists from its block and
/// returns the response body the page shows.
async fn try_list_lists(client: &Client, token: &str) -> Result<String, String> {
    click(client, ".auth-wrapper .authorize").await?;
    let input = client
        .wait()
        .at_most(TIMEOUT)
        .for_element(Locator::Css(
            ".modal-ux input[aria-label='auth-bearer-value']",
        ))
        .await
        .map_err(|e| format!("no bearer token field in the Authorize dialog: {e}"))?;
    input
        .send_keys(token)
        .await
        .map_err(|e| format!("cannot type the token: {e}"))?;
    click(client, ".modal-ux .auth-btn-wrapper .authorize").await?;
    click(client, ".modal-ux .btn-done").await?;
    click(
        client,
        "#operations-lists-listLists .opblock-summary-control",
    )
    .await?;
    let execute = "#operations-lists-listLists .execute";
    client
        .wait()
        .at_most(TIMEOUT)
        .for_element(Locator::Css(execute))
        .await
        .map_err(|e| format!("no Execute button: {e}"))?;
    click(client, execute).await?;
    let body = "const b = document.querySelector('#operations-lists-listLists \
                .live-responses-table .response-col_description pre'); \
                return b ? b.textContent : '';";
    poll(client, body, |text| !text.is_empty()).await
}
