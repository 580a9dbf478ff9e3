//! Pages of lists and tasks over GraphQL: the children a page prefetches for all its lists, and the
//! one-pass answer of a page of tasks, give what a field-by-field resolution gives.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::helpers::*;

const ALL_TASK_FIELDS: &str =
    "id listId title description completed priority categories dueDate createdAt updatedAt";

/// Two lists of three tasks with every kind of value (nulls, categories, due dates).
async fn two_lists(app: &TestApp, token: &str) -> Vec<String> {
    let mut lists = Vec::new();
    for name in ["first", "second"] {
        let list = app.list(Some(token), name).await;
        app.task(Some(token), &list, json!({"title": format!("{name} b"), "priority": "high", "categories": ["x", "y"], "dueDate": "2030-01-02T03:04:05Z"})).await;
        app.task(Some(token), &list, json!({"title": format!("{name} a"), "description": "with \"quotes\" and ünïcode", "completed": true})).await;
        app.task(Some(token), &list, json!({"title": format!("{name} c")}))
            .await;
        lists.push(list);
    }
    lists
}

async fn data(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, body) = app.graphql(Some(token), query, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("errors").is_none(), "{query}: {body}");
    body["data"].clone()
}

/// Drops every `__typename` key, so two answers can be compared field for field.
fn without_typename(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("__typename");
            map.values_mut().for_each(without_typename);
        }
        Value::Array(items) => items.iter_mut().for_each(without_typename),
        _ => {}
    }
}

#[tokio::test]
async fn a_page_of_plain_task_fields_answers_as_the_general_resolution_does() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    two_lists(&app, &token).await;
    let plain = data(
        &app,
        &token,
        &format!("{{ lists(limit: 10) {{ tasks(limit: 10) {{ {ALL_TASK_FIELDS} t: title }} }} }}"),
    )
    .await;
    // `__typename` and a fragment take the general path, field by field.
    let mut general = data(
        &app,
        &token,
        &format!("{{ lists(limit: 10) {{ tasks(limit: 10) {{ __typename ...F t: title }} }} }} fragment F on Task {{ {ALL_TASK_FIELDS} }}"),
    )
    .await;
    without_typename(&mut general);
    assert_eq!(plain, general);
    let first = &plain["lists"][0]["tasks"];
    assert_eq!(first.as_array().map(Vec::len), Some(3));
    assert_eq!(first[0]["priority"], "HIGH");
    assert_eq!(first[0]["categories"], json!(["x", "y"]));
    assert_eq!(first[0]["t"], first[0]["title"]);
    assert!(first[2]["description"].is_null());
}

#[tokio::test]
async fn children_prefetched_for_a_page_match_each_list_asked_alone() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    let lists = two_lists(&app, &token).await;
    let selection = "id taskCount owner { username } byTitle: tasks(sort: TITLE, limit: 2) { title } \
                     late: tasks(offset: 1, limit: 10) { title list { id owner { username } } } \
                     open: tasks(filter: { completed: false }, limit: 10) { title }";
    let page = data(&app, &token, &format!("{{ lists(limit: 10) {{ {selection} }} }}")).await;
    for (i, list) in lists.iter().enumerate() {
        let alone = data(
            &app,
            &token,
            &format!("{{ list(id: \"{list}\") {{ {selection} }} }}"),
        )
        .await;
        assert_eq!(page["lists"][i], alone["list"], "list {i}");
    }
    let first = &page["lists"][0];
    assert_eq!(first["taskCount"], 3);
    assert_eq!(first["owner"]["username"], "alice");
    assert_eq!(first["byTitle"], json!([{"title": "first a"}, {"title": "first b"}]));
    assert_eq!(first["late"].as_array().map(Vec::len), Some(2));
    assert_eq!(first["late"][0]["list"]["id"], first["id"]);
    assert_eq!(first["open"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn a_bad_page_argument_under_a_page_of_lists_is_the_fields_own_error() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    two_lists(&app, &token).await;
    let (_, body) = app
        .graphql(
            Some(&token),
            "{ lists { id tasks(limit: 0) { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(gql_code(&body), "VALIDATION_ERROR", "{body}");
}

#[tokio::test]
async fn each_mutation_of_a_document_sees_the_writes_before_it() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    let list = app.list(Some(&token), "L").await;
    let create = |alias: &str| {
        format!(
            "{alias}: createTask(listId: \"{list}\", input: {{ title: \"{alias}\" }}) \
             {{ list {{ taskCount tasks(limit: 10) {{ title }} }} }}"
        )
    };
    let answer = data(
        &app,
        &token,
        &format!("mutation {{ {} {} }}", create("one"), create("two")),
    )
    .await;
    assert_eq!(answer["one"]["list"]["taskCount"], 1);
    assert_eq!(answer["two"]["list"]["taskCount"], 2);
    assert_eq!(
        answer["two"]["list"]["tasks"],
        json!([{"title": "one"}, {"title": "two"}])
    );
}
