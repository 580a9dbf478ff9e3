//! REST and GraphQL are two faces of one service: the same data, and the same visibility.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::helpers::*;

const TASK_FIELDS: &str =
    "id listId title description completed priority categories dueDate createdAt updatedAt";

/// Alice's token, a private list of hers and a task in it.
async fn alices_private_task(app: &TestApp) -> (String, String, String) {
    let (alice, _) = app.signup("alice").await;
    let list = app.list(Some(&alice), "hers").await;
    let body = json!({"title": "t", "priority": "low", "categories": ["c"]});
    let task = app.task(Some(&alice), &list, body).await;
    (alice, list, task)
}

#[tokio::test]
async fn a_task_created_through_rest_reads_the_same_through_graphql() {
    let app = spawn_app().await;
    let (alice, _, task) = alices_private_task(&app).await;

    let rest_task = expect(
        app.get(&format!("/tasks/{task}"), Some(&alice)).await,
        StatusCode::OK,
    )
    .await;
    let q = format!("{{ task(id: \"{task}\") {{ {TASK_FIELDS} }} }}");
    let (_, body) = app.graphql(Some(&alice), &q, json!({})).await;

    let mut gql_task = body["data"]["task"].clone();
    // The one difference between the faces: GraphQL enum values are upper case.
    gql_task["priority"] = json!(gql_task["priority"].as_str().unwrap().to_lowercase());
    assert_eq!(gql_task, rest_task);
}

#[tokio::test]
async fn others_and_anonymous_callers_read_nothing_of_a_private_list() {
    let app = spawn_app().await;
    let (_, list, task) = alices_private_task(&app).await;
    let (bob, _) = app.signup("bob").await;

    for token in [Some(bob.as_str()), None] {
        let q = format!(
            "{{ list(id: \"{list}\") {{ id }} task(id: \"{task}\") {{ id }} lists {{ id }} }}"
        );
        let (_, body) = app.graphql(token, &q, json!({})).await;

        assert_eq!(body["data"]["list"], Value::Null);
        assert_eq!(body["data"]["task"], Value::Null);
        let lists = body["data"]["lists"].as_array().unwrap();
        assert!(lists.iter().all(|l| l["id"] != list.as_str()));
    }
}

#[tokio::test]
async fn others_and_anonymous_callers_change_nothing_of_a_private_list() {
    let app = spawn_app().await;
    let (alice, list, task) = alices_private_task(&app).await;
    let before = expect(
        app.get(&format!("/tasks/{task}"), Some(&alice)).await,
        StatusCode::OK,
    )
    .await;
    let (bob, _) = app.signup("bob").await;

    for token in [Some(bob.as_str()), None] {
        for m in [
            format!("mutation {{ updateList(id: \"{list}\", input: {{title: \"x\"}}) {{ id }} }}"),
            format!("mutation {{ deleteList(id: \"{list}\") }}"),
            format!(
                "mutation {{ createTask(listId: \"{list}\", input: {{title: \"x\"}}) {{ id }} }}"
            ),
            format!(
                "mutation {{ updateTask(id: \"{task}\", input: {{completed: true}}) {{ id }} }}"
            ),
            format!("mutation {{ deleteTask(id: \"{task}\") }}"),
        ] {
            let (_, body) = app.graphql(token, &m, json!({})).await;
            assert_eq!(gql_code(&body), "NOT_FOUND", "{m}: {body}");
        }
    }

    let after = app.get(&format!("/tasks/{task}"), Some(&alice)).await;
    assert_eq!(expect(after, StatusCode::OK).await, before);
}

#[tokio::test]
async fn moving_a_task_into_someone_elses_list_is_not_found_and_moves_nothing() {
    let app = spawn_app().await;
    let (alice, list, task) = alices_private_task(&app).await;
    let (bob, _) = app.signup("bob").await;
    let bobs = app.list(Some(&bob), "his").await;

    let m = format!(
        "mutation {{ updateTask(id: \"{task}\", input: {{listId: \"{bobs}\"}}) {{ id }} }}"
    );
    let (_, body) = app.graphql(Some(&alice), &m, json!({})).await;

    assert_eq!(gql_code(&body), "NOT_FOUND");
    let still = app.get(&format!("/tasks/{task}"), Some(&alice)).await;
    assert_eq!(expect(still, StatusCode::OK).await["listId"], list.as_str());
}

#[tokio::test]
async fn a_list_created_through_graphql_is_private_on_rest_too() {
    let app = spawn_app().await;
    let (alice, _) = app.signup("alice").await;
    let (bob, _) = app.signup("bob").await;

    let m = "mutation { createList(input: {title: \"via gql\"}) { id } }";
    let (_, body) = app.graphql(Some(&bob), m, json!({})).await;
    let id = body["data"]["createList"]["id"].as_str().unwrap().to_owned();

    let his = expect(
        app.get(&format!("/lists/{id}"), Some(&bob)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(his["title"], "via gql");
    expect_error(
        app.get(&format!("/lists/{id}"), Some(&alice)).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

/// A page of tasks is read with fewer columns when its selection asks for fewer. Whatever else
/// the document asks of the same page (aliases, fragments, through a page of lists or through a
/// single task's list), each selection gets every field it names, as REST gives it.
#[tokio::test]
async fn every_selection_of_a_page_gets_the_fields_it_names() {
    let app = spawn_app().await;
    let (alice, list, task) = alices_private_task(&app).await;
    let t = Some(alice.as_str());
    let patch = json!({"description": "d", "dueDate": "2030-01-02T03:04:05Z"});
    let res = app.patch(&format!("/tasks/{task}"), t, patch).await;
    expect(res, StatusCode::OK).await;
    let page = expect(app.get(&format!("/lists/{list}/tasks"), t).await, StatusCode::OK).await;
    let mut rest = page[0].clone();
    rest["priority"] = json!("LOW");
    assert!(rest["updatedAt"].is_string() && rest["dueDate"].is_string(), "{rest}");

    // Small pages: the document's cost counts each page at its limit.
    let pages = format!(
        "brief: tasks(limit: 5) {{ id title list {{ id }} }} full: tasks(limit: 5) {{ {TASK_FIELDS} }}"
    );
    let fragments = "spread: tasks(limit: 5) { id ...rest } \
                     inline: tasks(limit: 5) { id ... on Task { description categories dueDate updatedAt } }";
    let documents = [
        format!("{{ lists {{ {pages} {fragments} }} }}"),
        format!("{{ task(id: \"{task}\") {{ list {{ {pages} {fragments} }} }} }}"),
    ];
    for document in documents {
        let document =
            format!("{document} fragment rest on Task {{ description categories dueDate updatedAt }}");
        let (status, body) = app.graphql(t, &document, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
        let data = &body["data"];
        let list_value = match data.get("lists") {
            Some(lists) => lists[0].clone(),
            None => data["task"]["list"].clone(),
        };
        assert_eq!(list_value["full"][0], rest, "{document}");
        assert_eq!(
            list_value["brief"][0],
            json!({"id": task, "title": "t", "list": {"id": list}}),
            "{document}"
        );
        for alias in ["spread", "inline"] {
            let got = &list_value[alias][0];
            for field in ["id", "description", "categories", "dueDate", "updatedAt"] {
                assert_eq!(got[field], rest[field], "{alias}.{field} in {document}");
            }
        }
    }
}
