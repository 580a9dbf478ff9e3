//! GraphQL errors carry the contract's codes in `extensions.code`, and REST's messages in
//! `extensions.details`: one behaviour per test.

use serde_json::{json, Value};

use super::helpers::*;

const SIGNUP: &str = "mutation($i: SignupInput!) { signup(input: $i) { token } }";

/// The `extensions.details` of the first error.
fn details(body: &Value) -> &Value {
    &body["errors"][0]["extensions"]["details"]
}

#[tokio::test]
async fn a_taken_username_is_a_conflict_naming_the_field() {
    let app = spawn_app().await;
    app.signup("alice").await;

    let vars = json!({"i": {"username": "ALICE", "email": "x@example.com", "password": "password-123"}});
    let (_, body) = app.graphql(None, SIGNUP, vars).await;

    assert_eq!(gql_code(&body), "CONFLICT");
    assert!(details(&body)["username"].is_array(), "{body}");
}

#[tokio::test]
async fn every_invalid_signup_field_is_named_in_one_validation_error() {
    let app = spawn_app().await;

    let vars = json!({"i": {"username": "a", "email": "nope", "password": "short"}});
    let (_, body) = app.graphql(None, SIGNUP, vars).await;

    assert_eq!(gql_code(&body), "VALIDATION_ERROR");
    assert_eq!(keys(details(&body)), ["email", "password", "username"]);
    assert_eq!(body["errors"][0]["path"], json!(["signup"]));
}

#[tokio::test]
async fn a_wrong_password_is_invalid_credentials() {
    let app = spawn_app().await;
    app.signup("alice").await;

    let q = "mutation { login(input: {username: \"alice\", password: \"wrong-one\"}) { token } }";
    let (_, body) = app.graphql(None, q, json!({})).await;

    assert_eq!(gql_code(&body), "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn a_blank_title_has_the_same_message_as_on_rest() {
    let app = spawn_app().await;

    let q = "mutation { createList(input: {title: \"   \"}) { id } }";
    let (_, body) = app.graphql(None, q, json!({})).await;

    assert_eq!(gql_code(&body), "VALIDATION_ERROR");
    assert_eq!(details(&body)["title"], json!(["Title cannot be empty"]));
}

#[tokio::test]
async fn an_id_that_is_not_a_uuid_is_a_validation_error() {
    let app = spawn_app().await;

    let (_, body) = app
        .graphql(None, "{ list(id: \"nope\") { id } }", json!({}))
        .await;

    assert_eq!(gql_code(&body), "VALIDATION_ERROR");
    assert_eq!(details(&body)["id"], json!(["'nope' is not a valid UUID"]));
}

#[tokio::test]
async fn changing_or_deleting_what_does_not_exist_is_not_found() {
    let app = spawn_app().await;
    let missing = uuid::Uuid::new_v4();

    for m in [
        format!("mutation {{ deleteTask(id: \"{missing}\") }}"),
        format!("mutation {{ updateList(id: \"{missing}\", input: {{title: \"x\"}}) {{ id }} }}"),
    ] {
        let (_, body) = app.graphql(None, &m, json!({})).await;
        assert_eq!(gql_code(&body), "NOT_FOUND", "{m}: {body}");
    }
}

#[tokio::test]
async fn a_title_cannot_be_cleared_with_null() {
    let app = spawn_app().await;
    let list = app.list(None, "L").await;
    let task = app.task(None, &list, json!({"title": "x"})).await;

    let m = format!("mutation {{ updateTask(id: \"{task}\", input: {{title: null}}) {{ id }} }}");
    let (_, body) = app.graphql(None, &m, json!({})).await;

    assert_eq!(gql_code(&body), "VALIDATION_ERROR");
    assert_eq!(details(&body)["title"], json!(["Title cannot be null"]));
}

#[tokio::test]
async fn a_page_size_out_of_range_has_the_same_rule_as_on_rest() {
    let app = spawn_app().await;
    let list = app.list(None, "L").await;

    let q = format!("{{ list(id: \"{list}\") {{ tasks(limit: 0) {{ id }} }} }}");
    let (_, body) = app.graphql(None, &q, json!({})).await;

    assert_eq!(gql_code(&body), "VALIDATION_ERROR");
    assert_eq!(
        details(&body)["limit"],
        json!(["must be an integer from 1 to 1000"])
    );
}

#[tokio::test]
async fn a_negative_offset_of_lists_is_a_validation_error() {
    let app = spawn_app().await;

    let (_, body) = app
        .graphql(None, "{ lists(offset: -1) { id } }", json!({}))
        .await;

    assert_eq!(gql_code(&body), "VALIDATION_ERROR");
    assert_eq!(
        details(&body)["offset"],
        json!(["must be an integer of 0 or more"])
    );
}

#[tokio::test]
async fn logout_without_a_token_is_unauthorized() {
    let app = spawn_app().await;

    let (_, body) = app.graphql(None, "mutation { logout }", json!({})).await;

    assert_eq!(gql_code(&body), "UNAUTHORIZED");
}

#[tokio::test]
async fn an_unknown_field_is_a_validation_error() {
    let app = spawn_app().await;

    let (_, body) = app.graphql(None, "{ nope }", json!({})).await;

    assert_eq!(gql_code(&body), "VALIDATION_ERROR");
}
