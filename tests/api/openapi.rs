//! The OpenAPI document: its snapshot in `schema/openapi.json` matches the code, the server and
//! the binary give it, every route the router serves is in it (and nothing else), and what it says
//! of request bodies (required, nullable, unknown fields) is what the service does.

use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::helpers::*;

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/openapi.json");

/// Routes that are not REST and so not in the document: GraphQL, its playground, this reference.
const NOT_REST: &[&str] = &[
    "/graphql",
    // The GraphQL WebSocket for subscriptions (docs/events.md).
    "/graphql/ws",
    "/graphql/playground/{file}",
    "/docs",
    "/docs/assets/{file}",
    // Prometheus text for the operator, not part of the REST API.
    "/metrics",
];

fn document() -> Value {
    serde_json::from_str(todo_api::rest::openapi::json()).expect("the document is JSON")
}

#[test]
fn the_openapi_snapshot_matches_the_code() {
    let json = todo_api::rest::openapi::json();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(SNAPSHOT, json).unwrap();
    }
    let snapshot = std::fs::read_to_string(SNAPSHOT).expect("schema/openapi.json exists");
    assert!(
        snapshot == json,
        "schema/openapi.json differs from the document the code builds; \
         run `cargo run -- print-openapi > schema/openapi.json` (or UPDATE_SCHEMA=1 cargo test) \
         and review the diff"
    );
}

#[test]
fn the_binary_prints_the_document() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_todo-api"))
        .arg("print-openapi")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        todo_api::rest::openapi::json()
    );
}

#[tokio::test]
async fn the_server_serves_the_document_as_openapi_3_1_json() {
    let app = spawn_app().await;

    let response = app.get("/openapi.json", None).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let served: Value = response.json().await.unwrap();
    assert_eq!(served, document());
    assert_eq!(served["openapi"], "3.1.0");
    let schemes = &served["components"]["securitySchemes"];
    assert_eq!(schemes["bearerAuth"]["scheme"], "bearer");
    assert_eq!(schemes["cookieAuth"]["in"], "cookie");
    assert_eq!(schemes["cookieAuth"]["name"], "access_token");
}

/// Each documented path answers a method it lacks with 405 and an `Allow` header: that header is
/// the router's own list of the path's methods, which must be the document's.
#[tokio::test]
async fn every_documented_path_serves_exactly_its_documented_methods() {
    let app = spawn_app().await;
    let some_id = "00000000-0000-4000-8000-000000000000";
    for (path, item) in document()["paths"].as_object().unwrap() {
        let mut documented: Vec<String> = item
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_uppercase())
            .collect();
        assert!(!documented.contains(&"PUT".to_owned()), "{path} uses PUT");
        if documented.contains(&"GET".to_owned()) {
            documented.push("HEAD".into());
        }
        documented.sort();
        let url = format!("{}{}", app.base, path.replace("{id}", some_id));

        let response = app.client.put(&url).send().await.unwrap();

        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "PUT {path}: the router does not serve this documented path"
        );
        let allow = response.headers()["allow"].to_str().unwrap().to_owned();
        let mut served: Vec<String> = allow.split(',').map(|m| m.trim().to_owned()).collect();
        served.sort();
        assert_eq!(served, documented, "methods of {path}");
    }
}

/// Routes outside the documented table are added with a plain `.route(...)`: each must be in the
/// document or be one of the non-REST pages. Reads the sources, as the router cannot list itself.
#[test]
fn every_route_the_router_serves_is_documented() {
    let doc = document();
    let paths = doc["paths"].as_object().unwrap();
    let mut found = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for call in text.split(".route(").skip(1) {
                    let route = call.split('"').nth(1).unwrap_or_default().to_owned();
                    found.push((path.display().to_string(), route));
                }
                assert!(
                    !text.contains(".nest("),
                    "{}: a nested router hides its prefix from this test",
                    path.display()
                );
            }
        }
    }
    assert!(found.len() >= NOT_REST.len(), "no routes found: {found:?}");
    for (file, route) in found {
        assert!(
            paths.contains_key(&route) || NOT_REST.contains(&route.as_str()),
            "{file} serves {route:?}, which the OpenAPI document does not describe"
        );
    }
}

/// The request body schema of an operation, with `$ref`s resolved.
fn body_schema(doc: &Value, path: &str, method: &str) -> Value {
    let schema =
        &doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"];
    let name = schema["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
    doc["components"]["schemas"][name].clone()
}

fn required(schema: &Value) -> Vec<String> {
    let mut names: Vec<String> = schema["required"]
        .as_array()
        .map(|r| r.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

fn is_nullable(property: &Value) -> bool {
    let by_type = property["type"]
        .as_array()
        .is_some_and(|types| types.contains(&json!("null")));
    let by_one_of = property["oneOf"]
        .as_array()
        .is_some_and(|alts| alts.iter().any(|a| a["type"] == "null"));
    by_type || by_one_of
}

fn properties(schema: &Value) -> Map<String, Value> {
    schema["properties"].as_object().unwrap().clone()
}

async fn send(app: &TestApp, method: Method, path: &str, token: &str, body: &Value) -> Value {
    let response = app
        .client
        .request(method.clone(), format!("{}{}", app.base, path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    json!({"status": status, "body": body})
}

/// Creating: `{}` names exactly the required fields; the schema's example is accepted; an
/// unknown field is refused; each optional field may be `null`, each required one may not.
#[tokio::test]
async fn create_bodies_behave_as_their_schemas_say() {
    let app = spawn_app().await;
    let (token, _) = app.signup("schemas").await;
    let list = app.list(Some(&token), "Home").await;
    let doc = document();
    let tasks_path = format!("/api/v1/lists/{list}/tasks");
    for (path, url) in [
        ("/api/v1/lists", "/api/v1/lists".to_owned()),
        ("/api/v1/lists/{id}/tasks", tasks_path),
        ("/api/v1/auth/signup", "/api/v1/auth/signup".to_owned()),
        ("/api/v1/auth/login", "/api/v1/auth/login".to_owned()),
    ] {
        let schema = body_schema(&doc, path, "post");
        assert_eq!(schema["additionalProperties"], false, "{path}");
        let example = schema["examples"][0].clone();

        let empty = send(&app, Method::POST, &url, &token, &json!({})).await;
        let mut unknown = example.clone();
        unknown["colour"] = json!("red");
        let unknown = send(&app, Method::POST, &url, &token, &unknown).await;
        let accepted = send(&app, Method::POST, &url, &token, &example).await;

        assert_eq!(empty["status"], 422, "{path} {{}}: {empty}");
        let mut named: Vec<String> = empty["body"]["details"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        named.sort();
        assert_eq!(named, required(&schema), "{path}: required fields");
        assert_eq!(unknown["status"], 422, "{path}: {unknown}");
        assert!(unknown["body"]["details"]["colour"].is_array(), "{unknown}");
        assert!(
            [200, 201].contains(&accepted["status"].as_u64().unwrap()),
            "{path}: the example was refused: {accepted}"
        );
        if path.ends_with("signup") || path.ends_with("login") {
            continue; // a second signup of the example is a 409; nulls are tested on the others
        }
        for (name, property) in properties(&schema) {
            let mut body = example.clone();
            body[&name] = Value::Null;
            let answer = send(&app, Method::POST, &url, &token, &body).await;
            let expected = if is_nullable(&property) { 201 } else { 422 };
            assert_eq!(
                answer["status"], expected,
                "{path} with {name}: null: {answer}"
            );
        }
    }
}

/// Changing: `{}` is accepted; `null` is accepted exactly for the nullable fields (it clears
/// them) and refused with a message under the field's name for the others.
#[tokio::test]
async fn patch_bodies_treat_null_as_their_schemas_say() {
    let app = spawn_app().await;
    let (token, _) = app.signup("patches").await;
    let list = app.list(Some(&token), "Home").await;
    let task = app
        .task(Some(&token), &list, json!({"title": "Milk"}))
        .await;
    let doc = document();
    for (path, url) in [
        ("/api/v1/lists/{id}", format!("/api/v1/lists/{list}")),
        ("/api/v1/tasks/{id}", format!("/api/v1/tasks/{task}")),
    ] {
        let schema = body_schema(&doc, path, "patch");
        assert!(
            required(&schema).is_empty(),
            "{path}: PATCH fields are optional"
        );
        assert_eq!(schema["additionalProperties"], false, "{path}");

        let empty = send(&app, Method::PATCH, &url, &token, &json!({})).await;

        assert_eq!(empty["status"], 200, "{path} {{}}: {empty}");
        for (name, property) in properties(&schema) {
            let answer = send(
                &app,
                Method::PATCH,
                &url,
                &token,
                &json!({ name.clone(): null }),
            )
            .await;
            if is_nullable(&property) {
                assert_eq!(answer["status"], 200, "{path} {name}: null: {answer}");
                assert_eq!(answer["body"][&name], Value::Null, "{name} was not cleared");
            } else {
                assert_eq!(answer["status"], 422, "{path} {name}: null: {answer}");
                assert!(answer["body"]["details"][&name].is_array(), "{answer}");
            }
        }
    }
}
