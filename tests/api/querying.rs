//! Task querying: filters, q, sort (nulls last both ways, ties by createdAt then id), paging and
//! X-Total-Count; bad parameters are 422 under `query`.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::helpers::*;

async fn titles(app: &TestApp, list: &str, query: &str) -> (Vec<String>, String) {
    let res = app.get(&format!("/lists/{list}/tasks{query}"), None).await;
    let total = res.headers()["x-total-count"].to_str().unwrap().to_owned();
    let body = expect(res, StatusCode::OK).await;
    let titles = body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect();
    (titles, total)
}

async fn seeded() -> (TestApp, String) {
    let app = spawn_app().await;
    let list = app.list(None, "L").await;
    let tasks: [Value; 5] = [
        json!({"title": "Buy milk", "priority": "high", "categories": ["groceries"], "dueDate": "2030-01-03T00:00:00Z"}),
        json!({"title": "call mom", "priority": "low", "description": "About the MILK", "completed": true}),
        json!({"title": "Answer email", "priority": "medium", "categories": ["work"], "dueDate": "2030-01-01T00:00:00Z"}),
        json!({"title": "Deploy", "priority": "high", "categories": ["work", "urgent"], "dueDate": "2030-01-02T00:00:00Z"}),
        json!({"title": "backup", "priority": "low"}),
    ];
    for t in tasks {
        app.task(None, &list, t).await;
    }
    (app, list)
}

#[tokio::test]
async fn filters_match_and_combine() {
    let (app, list) = seeded().await;
    assert_eq!(titles(&app, &list, "?completed=true").await.0, ["call mom"]);
    assert_eq!(titles(&app, &list, "?completed=false").await.1, "4");
    assert_eq!(
        titles(&app, &list, "?priority=high").await.0,
        ["Buy milk", "Deploy"]
    );
    assert_eq!(
        titles(&app, &list, "?category=work").await.0,
        ["Answer email", "Deploy"]
    );
    assert_eq!(
        titles(&app, &list, "?category=work&priority=high").await.0,
        ["Deploy"]
    );
    assert_eq!(
        titles(&app, &list, "?q=MiLk").await.0,
        ["Buy milk", "call mom"],
        "title or description, any case"
    );
    assert_eq!(
        titles(&app, &list, "?dueBefore=2030-01-02T00:00:00Z")
            .await
            .0,
        ["Answer email"]
    );
    assert_eq!(
        titles(&app, &list, "?dueAfter=2030-01-01T12:00:00%2B01:00")
            .await
            .0,
        ["Buy milk", "Deploy"]
    );
    assert_eq!(
        titles(&app, &list, "?q=nothing-like-this").await,
        (vec![], "0".to_owned())
    );
}

#[tokio::test]
async fn sorting_orders_as_the_contract_says() {
    let (app, list) = seeded().await;
    let created = ["Buy milk", "call mom", "Answer email", "Deploy", "backup"];
    assert_eq!(titles(&app, &list, "").await.0, created);
    assert_eq!(titles(&app, &list, "?sort=createdAt").await.0, created);
    let mut reversed = created;
    reversed.reverse();
    assert_eq!(titles(&app, &list, "?sort=-createdAt").await.0, reversed);
    // Low < medium < high; ties by creation.
    assert_eq!(
        titles(&app, &list, "?sort=priority").await.0,
        ["call mom", "backup", "Answer email", "Buy milk", "Deploy"]
    );
    assert_eq!(
        titles(&app, &list, "?sort=-priority").await.0,
        ["Buy milk", "Deploy", "Answer email", "call mom", "backup"]
    );
    // No due date comes last in both directions.
    assert_eq!(
        titles(&app, &list, "?sort=dueDate").await.0,
        ["Answer email", "Deploy", "Buy milk", "call mom", "backup"]
    );
    assert_eq!(
        titles(&app, &list, "?sort=-dueDate").await.0,
        ["Buy milk", "Deploy", "Answer email", "call mom", "backup"]
    );
    // Titles regardless of case.
    assert_eq!(
        titles(&app, &list, "?sort=title").await.0,
        ["Answer email", "backup", "Buy milk", "call mom", "Deploy"]
    );
}

#[tokio::test]
async fn paging_keeps_the_total_of_all_matches() {
    let (app, list) = seeded().await;
    assert_eq!(
        titles(&app, &list, "?limit=2").await,
        (vec!["Buy milk".into(), "call mom".into()], "5".into())
    );
    assert_eq!(
        titles(&app, &list, "?limit=2&offset=4").await,
        (vec!["backup".into()], "5".into())
    );
    assert_eq!(
        titles(&app, &list, "?limit=2&offset=10").await,
        (vec![], "5".into())
    );
    assert_eq!(
        titles(&app, &list, "?priority=high&limit=1&offset=1").await,
        (vec!["Deploy".into()], "2".into())
    );
}

#[tokio::test]
async fn bad_query_parameters_are_422_under_query() {
    let (app, list) = seeded().await;
    for q in [
        "limit=0",
        "limit=1001",
        "limit=ten",
        "offset=-1",
        "sort=size",
        "sort=-",
        "priority=urgent",
        "completed=1",
        "dueBefore=yesterday",
        "dueAfter=",
        "colour=red",
        "limit=5&limit=6",
    ] {
        let res = app.get(&format!("/lists/{list}/tasks?{q}"), None).await;
        let err = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR").await;
        assert!(err["details"]["query"].is_array(), "{q}: {err}");
    }
}

#[tokio::test]
async fn the_task_list_of_an_invisible_or_absent_list_is_404_even_when_filtered_empty() {
    let (app, _) = seeded().await;
    let (alice, _) = app.signup("alice").await;
    let hers = app.list(Some(&alice), "hers").await;
    for list in [hers.clone(), uuid::Uuid::new_v4().to_string()] {
        let res = app.get(&format!("/lists/{list}/tasks?q=zzz"), None).await;
        expect_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    }
    let res = app
        .get(&format!("/lists/{hers}/tasks?q=zzz"), Some(&alice))
        .await;
    assert_eq!(res.headers()["x-total-count"], "0");
}

#[tokio::test]
async fn lists_are_paged_with_limit_and_offset_and_counted_in_x_total_count() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    for i in 0..5 {
        app.list(Some(&token), &format!("L{i}")).await;
    }
    app.list(None, "shared").await;
    let page = |query: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            let res = app.get(&format!("/lists{query}"), Some(&token)).await;
            let total = res.headers()["x-total-count"].to_str().unwrap().to_owned();
            let body = expect(res, StatusCode::OK).await;
            let titles: Vec<String> = body
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["title"].as_str().unwrap().to_owned())
                .collect();
            (titles, total)
        }
    };
    assert_eq!(
        page("").await,
        (
            vec!["L0", "L1", "L2", "L3", "L4"]
                .into_iter()
                .map(String::from)
                .collect(),
            "5".into()
        )
    );
    assert_eq!(
        page("?limit=2&offset=3").await,
        (vec!["L3".to_owned(), "L4".to_owned()], "5".into())
    );
    assert_eq!(page("?offset=9").await, (Vec::new(), "5".into()));
    let res = app.get("/lists", None).await;
    assert_eq!(
        res.headers()["x-total-count"],
        "1",
        "anonymous callers count the shared lists"
    );

    for bad in [
        "?limit=0",
        "?limit=1001",
        "?limit=ten",
        "?offset=-1",
        "?colour=red",
        "?limit=5&limit=6",
    ] {
        let res = app.get(&format!("/lists{bad}"), Some(&token)).await;
        let body = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR").await;
        assert!(body["details"]["query"].is_array(), "{bad}: {body}");
    }
}
