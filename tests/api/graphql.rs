//! The GraphQL face over real HTTP: every query and mutation, errors with contract codes, parity
//! with REST and visibility. GraphQL over HTTP rules are in `graphql_http.rs`, limits in
//! `graphql_limits.rs`.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::helpers::*;

const SIGNUP: &str = "mutation($i: SignupInput!) { signup(input: $i) { token user { id username email createdAt updatedAt } } }";
const LIST_FIELDS: &str = "id title description ownerId createdAt updatedAt";
const TASK_FIELDS: &str =
    "id listId title description completed priority categories dueDate createdAt updatedAt";

async fn gql_signup(app: &TestApp, name: &str) -> (String, String) {
    let vars = json!({"i": {"username": name, "email": format!("{name}@example.com"), "password": "password-123"}});
    let (status, body) = app.graphql(None, SIGNUP, vars).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let p = &body["data"]["signup"];
    (
        p["token"].as_str().unwrap().to_owned(),
        p["user"]["id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn every_query_and_mutation_works_end_to_end() {
    let app = spawn_app().await;
    let (token, user_id) = gql_signup(&app, "alice").await;
    let t = Some(token.as_str());

    let (_, body) = app.graphql(None, "mutation { login(input: {username: \"ALICE@example.com\", password: \"password-123\"}) { token user { username } } }", json!({})).await;
    assert_eq!(body["data"]["login"]["user"]["username"], "alice", "{body}");

    let (_, body) = app
        .graphql(t, "{ me { id username email lists { id } } }", json!({}))
        .await;
    assert_eq!(
        body["data"]["me"],
        json!({"id": user_id, "username": "alice", "email": "alice@example.com", "lists": []})
    );
    let (_, body) = app.graphql(None, "{ me { id } }", json!({})).await;
    assert_eq!(body, json!({"data": {"me": null}}));

    let q =
        format!("mutation($i: CreateListInput!) {{ createList(input: $i) {{ {LIST_FIELDS} }} }}");
    let (_, body) = app
        .graphql(
            t,
            &q,
            json!({"i": {"title": " Groceries ", "description": "weekly"}}),
        )
        .await;
    let list = body["data"]["createList"].clone();
    assert_eq!(list["title"], "Groceries");
    assert_eq!(list["ownerId"], user_id.as_str());
    assert!(list["updatedAt"].is_null() && is_utc_timestamp(&list["createdAt"]));
    let list_id = list["id"].as_str().unwrap().to_owned();

    let q = format!("mutation($l: ID!, $i: CreateTaskInput!) {{ createTask(listId: $l, input: $i) {{ {TASK_FIELDS} }} }}");
    let input = json!({"title": "Milk", "priority": "HIGH", "categories": ["a", " a", "b"], "dueDate": "2030-01-01T01:00:00+01:00"});
    let (_, body) = app.graphql(t, &q, json!({"l": list_id, "i": input})).await;
    let task = body["data"]["createTask"].clone();
    assert_eq!(task["priority"], "HIGH", "{body}");
    assert_eq!(task["categories"], json!(["a", "b"]));
    assert_eq!(task["dueDate"], "2030-01-01T00:00:00Z");
    assert_eq!(task["completed"], false);
    let task_id = task["id"].as_str().unwrap().to_owned();

    let q = format!("{{ lists {{ {LIST_FIELDS} taskCount owner {{ username }} tasks(limit: 10) {{ id list {{ id }} }} }} }}");
    let (_, body) = app.graphql(t, &q, json!({})).await;
    let l = &body["data"]["lists"][0];
    assert_eq!(l["taskCount"], 1);
    assert_eq!(l["owner"]["username"], "alice");
    assert_eq!(l["tasks"][0]["list"]["id"], list_id.as_str());

    let (_, body) = app
        .graphql(
            t,
            "query($id: ID!) { list(id: $id) { title } task(id: $id) { id } }",
            json!({"id": list_id}),
        )
        .await;
    assert_eq!(
        body["data"],
        json!({"list": {"title": "Groceries"}, "task": null})
    );

    let q = "mutation($id: ID!, $i: UpdateTaskInput!) { updateTask(id: $id, input: $i) { completed priority dueDate description updatedAt } }";
    let (_, body) = app
        .graphql(
            t,
            q,
            json!({"id": task_id, "i": {"completed": true, "dueDate": null}}),
        )
        .await;
    let u = &body["data"]["updateTask"];
    assert_eq!(
        (
            u["completed"].clone(),
            u["priority"].clone(),
            u["dueDate"].clone()
        ),
        (json!(true), json!("HIGH"), Value::Null)
    );
    assert!(is_utc_timestamp(&u["updatedAt"]));

    let q = "mutation($id: ID!, $i: UpdateListInput!) { updateList(id: $id, input: $i) { title description } }";
    let (_, body) = app
        .graphql(t, q, json!({"id": list_id, "i": {"description": null}}))
        .await;
    assert_eq!(
        body["data"]["updateList"],
        json!({"title": "Groceries", "description": null})
    );

    let (_, body) = app
        .graphql(
            t,
            "mutation($id: ID!) { deleteTask(id: $id) }",
            json!({"id": task_id}),
        )
        .await;
    assert_eq!(body["data"]["deleteTask"], task_id.as_str());
    let (_, body) = app
        .graphql(
            t,
            "mutation($id: ID!) { deleteList(id: $id) }",
            json!({"id": list_id}),
        )
        .await;
    assert_eq!(body["data"]["deleteList"], list_id.as_str());

    let (_, body) = app.graphql(t, "mutation { logout }", json!({})).await;
    assert_eq!(body["data"]["logout"], true);
    let (status, body) = app.graphql(t, "{ me { id } }", json!({})).await;
    assert_eq!(
        (status, gql_code(&body)),
        (StatusCode::UNAUTHORIZED, "UNAUTHORIZED")
    );
}

#[tokio::test]
async fn errors_carry_the_contract_codes_and_details() {
    let app = spawn_app().await;
    let (token, _) = gql_signup(&app, "alice").await;
    let t = Some(token.as_str());

    let (_, body) = app.graphql(None, SIGNUP, json!({"i": {"username": "ALICE", "email": "x@example.com", "password": "password-123"}})).await;
    assert_eq!(gql_code(&body), "CONFLICT");
    assert!(
        body["errors"][0]["extensions"]["details"]["username"].is_array(),
        "{body}"
    );

    let (_, body) = app
        .graphql(
            None,
            SIGNUP,
            json!({"i": {"username": "a", "email": "nope", "password": "short"}}),
        )
        .await;
    assert_eq!(gql_code(&body), "VALIDATION_ERROR");
    assert_eq!(
        keys(&body["errors"][0]["extensions"]["details"]),
        ["email", "password", "username"]
    );
    assert_eq!(body["errors"][0]["path"], json!(["signup"]));

    let (_, body) = app
        .graphql(
            None,
            "mutation { login(input: {username: \"alice\", password: \"wrong-one\"}) { token } }",
            json!({}),
        )
        .await;
    assert_eq!(gql_code(&body), "INVALID_CREDENTIALS");

    let (_, body) = app
        .graphql(
            t,
            "mutation { createList(input: {title: \"   \"}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(gql_code(&body), "VALIDATION_ERROR");
    assert_eq!(
        body["errors"][0]["extensions"]["details"]["title"],
        json!(["Title cannot be empty"]),
        "same message as REST"
    );

    let (_, body) = app
        .graphql(t, "{ list(id: \"nope\") { id } }", json!({}))
        .await;
    assert_eq!(gql_code(&body), "VALIDATION_ERROR");
    let missing = uuid::Uuid::new_v4();
    let (_, body) = app
        .graphql(
            t,
            &format!("mutation {{ deleteTask(id: \"{missing}\") }}"),
            json!({}),
        )
        .await;
    assert_eq!(gql_code(&body), "NOT_FOUND");
    let (_, body) = app
        .graphql(
            t,
            &format!(
                "mutation {{ updateList(id: \"{missing}\", input: {{title: \"x\"}}) {{ id }} }}"
            ),
            json!({}),
        )
        .await;
    assert_eq!(gql_code(&body), "NOT_FOUND");

    let list = app.list(t, "L").await;
    let task = app.task(t, &list, json!({"title": "x"})).await;
    let (_, body) = app
        .graphql(
            t,
            &format!("mutation {{ updateTask(id: \"{task}\", input: {{title: null}}) {{ id }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(gql_code(&body), "VALIDATION_ERROR");
    assert_eq!(
        body["errors"][0]["extensions"]["details"]["title"],
        json!(["Title cannot be null"])
    );
    let (_, body) = app
        .graphql(
            t,
            &format!("{{ list(id: \"{list}\") {{ tasks(limit: 0) {{ id }} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(gql_code(&body), "VALIDATION_ERROR");

    let (_, body) = app.graphql(None, "mutation { logout }", json!({})).await;
    assert_eq!(gql_code(&body), "UNAUTHORIZED");
    let (_, body) = app.graphql(None, "{ nope }", json!({})).await;
    assert_eq!(gql_code(&body), "VALIDATION_ERROR");
}

#[tokio::test]
async fn rest_and_graphql_see_the_same_data_and_the_same_visibility() {
    let app = spawn_app().await;
    let (alice, _) = app.signup("alice").await;
    let (bob, _) = app.signup("bob").await;
    // Created through REST, read through GraphQL.
    let list = app.list(Some(&alice), "hers").await;
    let task = app
        .task(
            Some(&alice),
            &list,
            json!({"title": "t", "priority": "low", "categories": ["c"]}),
        )
        .await;
    let rest_task = expect(
        app.get(&format!("/tasks/{task}"), Some(&alice)).await,
        StatusCode::OK,
    )
    .await;
    let q = format!("{{ task(id: \"{task}\") {{ {TASK_FIELDS} }} }}");
    let (_, body) = app.graphql(Some(&alice), &q, json!({})).await;
    let mut gql_task = body["data"]["task"].clone();
    gql_task["priority"] = json!(gql_task["priority"].as_str().unwrap().to_lowercase());
    assert_eq!(gql_task, rest_task);

    // Visibility matrix: bob and anonymous see nothing of alice's.
    for token in [Some(bob.as_str()), None] {
        let q = format!(
            "{{ list(id: \"{list}\") {{ id }} task(id: \"{task}\") {{ id }} lists {{ id }} }}"
        );
        let (_, body) = app.graphql(token, &q, json!({})).await;
        assert_eq!(body["data"]["list"], Value::Null);
        assert_eq!(body["data"]["task"], Value::Null);
        assert!(body["data"]["lists"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["id"] != list.as_str()));
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
    // Moving into bob's list through GraphQL is NOT_FOUND, as on REST.
    let bobs = app.list(Some(&bob), "his").await;
    let m = format!(
        "mutation {{ updateTask(id: \"{task}\", input: {{listId: \"{bobs}\"}}) {{ id }} }}"
    );
    let (_, body) = app.graphql(Some(&alice), &m, json!({})).await;
    assert_eq!(gql_code(&body), "NOT_FOUND");
    // Alice's data is unchanged, read through REST.
    assert_eq!(
        expect(
            app.get(&format!("/tasks/{task}"), Some(&alice)).await,
            StatusCode::OK
        )
        .await,
        rest_task
    );

    // Created through GraphQL, read through REST.
    let (_, body) = app
        .graphql(
            Some(&bob),
            "mutation { createList(input: {title: \"via gql\"}) { id } }",
            json!({}),
        )
        .await;
    let gid = body["data"]["createList"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let l = expect(
        app.get(&format!("/lists/{gid}"), Some(&bob)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(l["title"], "via gql");
    expect_error(
        app.get(&format!("/lists/{gid}"), Some(&alice)).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn a_later_field_of_a_mutation_document_sees_the_list_as_changed() {
    let app = spawn_app().await;
    let list = app.list(None, "before").await;
    let task = app.task(None, &list, json!({"title": "t"})).await;
    let doc = format!(
        "mutation {{ a: updateTask(id: \"{task}\", input: {{completed: true}}) {{ list {{ title }} }} \
         b: updateList(id: \"{list}\", input: {{title: \"after\"}}) {{ id }} \
         c: updateTask(id: \"{task}\", input: {{completed: false}}) {{ list {{ title }} }} }}"
    );
    let (_, body) = app.graphql(None, &doc, json!({})).await;
    assert_eq!(body["data"]["a"]["list"]["title"], "before", "{body}");
    assert_eq!(body["data"]["c"]["list"]["title"], "after", "{body}");
}
