//! PATCH semantics (docs/patch.md): absent, `null` and `{}`; moving tasks between visible lists;
//! a deleted list takes its tasks with it.

use reqwest::StatusCode;
use serde_json::json;

use super::helpers::*;

#[tokio::test]
async fn patch_distinguishes_absent_null_and_empty() {
    let app = spawn_app().await;
    let list = app.list(None, "L").await;
    let body = json!({"title": "t", "description": "d", "dueDate": "2030-01-01T00:00:00Z", "categories": ["x"]});
    let id = app.task(None, &list, body).await;
    let path = format!("/tasks/{id}");
    let before = expect(app.get(&path, None).await, StatusCode::OK).await;

    // {} changes nothing, not even updatedAt.
    assert_eq!(
        expect(app.patch(&path, None, json!({})).await, StatusCode::OK).await,
        before
    );
    // Setting the same values is no change either.
    assert_eq!(
        expect(
            app.patch(&path, None, json!({"title": "t"})).await,
            StatusCode::OK
        )
        .await,
        before
    );

    // null is refused for required fields, and nothing changes.
    for field in ["title", "priority", "completed", "categories", "listId"] {
        let res = app
            .patch(&path, None, json!({field: null, "description": "changed?"}))
            .await;
        let err = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR").await;
        assert!(
            err["details"][field][0]
                .as_str()
                .unwrap()
                .contains("cannot be null"),
            "{err}"
        );
    }
    assert_eq!(
        expect(app.get(&path, None).await, StatusCode::OK).await,
        before
    );

    // null clears nullable fields; absent ones stay.
    let cleared = expect(
        app.patch(&path, None, json!({"description": null, "dueDate": null}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(cleared["description"].is_null() && cleared["dueDate"].is_null());
    assert_eq!(cleared["title"], "t");
    assert_eq!(cleared["categories"], json!(["x"]));
    assert!(is_utc_timestamp(&cleared["updatedAt"]));

    // Lists too.
    let lpath = format!("/lists/{list}");
    let lbefore = expect(app.get(&lpath, None).await, StatusCode::OK).await;
    assert_eq!(
        expect(app.patch(&lpath, None, json!({})).await, StatusCode::OK).await,
        lbefore
    );
    let res = app.patch(&lpath, None, json!({"title": null})).await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR").await;
    let res = app.patch(&lpath, None, json!({"title": " "})).await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR").await;
    let l = expect(
        app.patch(&lpath, None, json!({"description": null})).await,
        StatusCode::OK,
    )
    .await;
    assert!(l["description"].is_null());
    assert_eq!(l["title"], "L");
}

#[tokio::test]
async fn tasks_move_between_visible_lists_only() {
    let app = spawn_app().await;
    let (alice, _) = app.signup("alice").await;
    let (bob, _) = app.signup("bob").await;
    let mine = app.list(Some(&alice), "mine").await;
    let also_mine = app.list(Some(&alice), "also mine").await;
    let bobs = app.list(Some(&bob), "bob's").await;
    let task = app.task(Some(&alice), &mine, json!({"title": "t"})).await;
    let path = format!("/tasks/{task}");

    for target in [bobs.clone(), uuid::Uuid::new_v4().to_string()] {
        let res = app
            .patch(
                &path,
                Some(&alice),
                json!({"listId": target, "title": "renamed"}),
            )
            .await;
        expect_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    }
    let unchanged = expect(app.get(&path, Some(&alice)).await, StatusCode::OK).await;
    assert_eq!(unchanged["listId"], mine.as_str());
    assert_eq!(unchanged["title"], "t");
    assert_eq!(
        expect(
            app.get(&format!("/lists/{bobs}/tasks"), Some(&bob)).await,
            StatusCode::OK
        )
        .await,
        json!([])
    );

    let moved = expect(
        app.patch(&path, Some(&alice), json!({"listId": also_mine}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(moved["listId"], also_mine.as_str());
    let res = app.get(&format!("/lists/{mine}/tasks"), Some(&alice)).await;
    assert_eq!(res.headers()["x-total-count"], "0");
    let res = app
        .get(&format!("/lists/{also_mine}/tasks"), Some(&alice))
        .await;
    assert_eq!(expect(res, StatusCode::OK).await[0]["id"], task.as_str());
}

#[tokio::test]
async fn deleting_a_list_deletes_its_tasks() {
    let app = spawn_app().await;
    let list = app.list(None, "L").await;
    let task = app.task(None, &list, json!({"title": "t"})).await;
    let res = app.delete(&format!("/lists/{list}"), None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.text().await.unwrap().is_empty());
    expect_error(
        app.get(&format!("/tasks/{task}"), None).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.get(&format!("/lists/{list}"), None).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.delete(&format!("/lists/{list}"), None).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    let res = app.delete(&format!("/tasks/{task}"), None).await;
    expect_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}
