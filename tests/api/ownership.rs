//! The ownership matrix: owner, another user and anonymous against every list and task route.
//! Only the owner succeeds; the others get 404 and the owner's data is unchanged afterwards.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::helpers::*;

struct World {
    app: TestApp,
    owner: String,
    other: String,
    list: String,
    task: String,
    /// A list of the other user, as a move target.
    others_list: String,
}

async fn world() -> World {
    let app = spawn_app().await;
    let (owner, _) = app.signup("owner").await;
    let (other, _) = app.signup("other").await;
    let list = app.list(Some(&owner), "private").await;
    let task = app
        .task(
            Some(&owner),
            &list,
            json!({"title": "secret", "description": "d"}),
        )
        .await;
    let others_list = app.list(Some(&other), "other's").await;
    World {
        app,
        owner,
        other,
        list,
        task,
        others_list,
    }
}

/// Everything the owner can see, to compare before and after.
async fn snapshot(w: &World) -> Value {
    let lists = expect(w.app.get("/lists", Some(&w.owner)).await, StatusCode::OK).await;
    let tasks = expect(
        w.app
            .get(&format!("/lists/{}/tasks", w.list), Some(&w.owner))
            .await,
        StatusCode::OK,
    )
    .await;
    json!({"lists": lists, "tasks": tasks})
}

fn routes(w: &World) -> Vec<(Method, String, Option<Value>)> {
    let (l, t) = (&w.list, &w.task);
    vec![
        (Method::GET, format!("/lists/{l}"), None),
        (
            Method::PATCH,
            format!("/lists/{l}"),
            Some(json!({"title": "hacked"})),
        ),
        (Method::DELETE, format!("/lists/{l}"), None),
        (Method::GET, format!("/lists/{l}/tasks"), None),
        (
            Method::POST,
            format!("/lists/{l}/tasks"),
            Some(json!({"title": "planted"})),
        ),
        (Method::GET, format!("/tasks/{t}"), None),
        (
            Method::PATCH,
            format!("/tasks/{t}"),
            Some(json!({"completed": true})),
        ),
        (Method::DELETE, format!("/tasks/{t}"), None),
    ]
}

#[tokio::test]
async fn only_the_owner_reaches_an_owned_list_and_its_tasks_others_get_404() {
    let w = world().await;
    let before = snapshot(&w).await;
    for (who, token) in [("other user", Some(w.other.as_str())), ("anonymous", None)] {
        for (method, path, body) in routes(&w) {
            let res = w.app.call(method.clone(), &path, token, body).await;
            let err = expect_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
            assert_eq!(err["error"], "Not found", "{who} {method} {path}");
        }
        // Moving someone else's task into one's own list is 404 too.
        let own_target = match token {
            Some(_) => w.others_list.clone(),
            None => w.app.list(None, "anonymous target").await,
        };
        let res = w
            .app
            .patch(
                &format!("/tasks/{}", w.task),
                token,
                json!({"listId": own_target}),
            )
            .await;
        expect_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
        // Their list index never shows it.
        let lists = expect(w.app.get("/lists", token).await, StatusCode::OK).await;
        assert!(
            lists
                .as_array()
                .unwrap()
                .iter()
                .all(|l| l["id"] != w.list.as_str()),
            "{who} sees {lists}"
        );
    }
    // Moving the owner's task into someone else's list is 404, and nothing moves.
    let res = w
        .app
        .patch(
            &format!("/tasks/{}", w.task),
            Some(&w.owner),
            json!({"listId": w.others_list}),
        )
        .await;
    expect_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_eq!(snapshot(&w).await, before, "the owner's data is unchanged");
    let others = expect(
        w.app
            .get(&format!("/lists/{}/tasks", w.others_list), Some(&w.other))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(others, json!([]));
}

#[tokio::test]
async fn the_owner_succeeds_on_every_route() {
    let w = world().await;
    let t = Some(w.owner.as_str());
    let (l, task) = (&w.list, &w.task);
    expect(w.app.get(&format!("/lists/{l}"), t).await, StatusCode::OK).await;
    expect(
        w.app
            .patch(&format!("/lists/{l}"), t, json!({"title": "renamed"}))
            .await,
        StatusCode::OK,
    )
    .await;
    expect(
        w.app.get(&format!("/lists/{l}/tasks"), t).await,
        StatusCode::OK,
    )
    .await;
    expect(
        w.app
            .post(&format!("/lists/{l}/tasks"), t, json!({"title": "more"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    expect(
        w.app.get(&format!("/tasks/{task}"), t).await,
        StatusCode::OK,
    )
    .await;
    expect(
        w.app
            .patch(&format!("/tasks/{task}"), t, json!({"completed": true}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        w.app.delete(&format!("/tasks/{task}"), t).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        w.app.delete(&format!("/lists/{l}"), t).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn lists_index_shows_own_lists_to_users_and_unowned_ones_to_anonymous_oldest_first() {
    let app = spawn_app().await;
    let (alice, alice_id) = app.signup("alice").await;
    let a1 = app.list(Some(&alice), "a1").await;
    let public = app.list(None, "public").await;
    let a2 = app.list(Some(&alice), "a2").await;
    let mine = expect(app.get("/lists", Some(&alice)).await, StatusCode::OK).await;
    let ids: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [a1.as_str(), a2.as_str()]);
    assert_eq!(mine[0]["ownerId"], alice_id.as_str());
    let anon = expect(app.get("/lists", None).await, StatusCode::OK).await;
    assert_eq!(anon.as_array().unwrap().len(), 1);
    assert_eq!(anon[0]["id"], public.as_str());
    // Unowned lists stay reachable by id for a signed-in user.
    expect(
        app.get(&format!("/lists/{public}"), Some(&alice)).await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn with_anonymous_access_off_every_list_and_task_route_needs_a_token() {
    let app = spawn_app_with(&[("ALLOW_ANONYMOUS", "false")]).await;
    let id = uuid::Uuid::new_v4();
    for (method, path) in [
        (Method::GET, "/lists".to_owned()),
        (Method::POST, "/lists".to_owned()),
        (Method::GET, format!("/lists/{id}")),
        (Method::GET, format!("/lists/{id}/tasks")),
        (Method::GET, format!("/tasks/{id}")),
        (Method::DELETE, format!("/tasks/{id}")),
    ] {
        let res = app
            .call(method, &path, None, Some(json!({"title": "x"})))
            .await;
        expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    }
    let (token, _) = app.signup("alice").await;
    expect(
        app.post("/lists", Some(&token), json!({"title": "x"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
}
