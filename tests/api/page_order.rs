//! The order of pages cut from many rows, on both faces: every sort key and direction, checked
//! against the order computed here from the rows themselves. Lists of a handful of rows are
//! sorted in memory by the database; these are long enough to be read through indexes too.

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::helpers::*;

const TASKS: usize = 120;

fn created(task: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(task["createdAt"].as_str().unwrap()).unwrap()
}

fn id(row: &Value) -> &str {
    row["id"].as_str().unwrap()
}

/// The ids of a page's rows, in order.
fn ids(page: &Value) -> Vec<String> {
    page.as_array()
        .unwrap()
        .iter()
        .map(|row| id(row).to_owned())
        .collect()
}

/// The order the API promises for `sort` (REST spelling): the key, tasks without a due date last
/// in both directions, ties by creation time and then id, both ascending.
fn compare(sort: &str, a: &Value, b: &Value) -> Ordering {
    let (key, descending) = match sort.strip_prefix('-') {
        Some(key) => (key, true),
        None => (sort, false),
    };
    let flip = |o: Ordering| if descending { o.reverse() } else { o };
    let rank = |t: &Value| match t["priority"].as_str().unwrap() {
        "low" => 0,
        "medium" => 1,
        _ => 2,
    };
    let due = |t: &Value| {
        t["dueDate"]
            .as_str()
            .map(|d| DateTime::parse_from_rfc3339(d).unwrap())
    };
    let title = |t: &Value| {
        let title = t["title"].as_str().unwrap().to_owned();
        (title.to_lowercase(), title)
    };
    let keyed = match key {
        "createdAt" => flip(created(a).cmp(&created(b))),
        "priority" => flip(rank(a).cmp(&rank(b))),
        "title" => flip(title(a).cmp(&title(b))),
        "dueDate" => match (due(a), due(b)) {
            (Some(x), Some(y)) => flip(x.cmp(&y)),
            (x, y) => x.is_none().cmp(&y.is_none()),
        },
        other => panic!("no sort {other}"),
    };
    keyed
        .then_with(|| created(a).cmp(&created(b)))
        .then_with(|| id(a).cmp(id(b)))
}

/// A list of `TASKS` tasks whose keys repeat and tie: three priorities, due dates on a few days
/// or none, titles equal but for case.
async fn seeded(app: &TestApp, token: &str) -> (String, Vec<Value>) {
    let list = app.list(Some(token), "many").await;
    for n in 0..TASKS {
        let title = if n % 2 == 0 { "Task" } else { "task" };
        let priority = ["low", "medium", "high"][n % 3];
        let mut body = json!({
            "title": format!("{title} {}", n % 17),
            "priority": priority,
            "completed": n % 5 == 0,
        });
        if n % 4 != 0 {
            body["dueDate"] = json!(format!("2031-03-{:02}T08:00:00Z", 1 + n % 6));
        }
        app.task(Some(token), &list, body).await;
    }
    let res = app
        .get(&format!("/lists/{list}/tasks?limit=1000"), Some(token))
        .await;
    let all = expect(res, StatusCode::OK).await;
    let all = all.as_array().unwrap().clone();
    assert_eq!(all.len(), TASKS);
    (list, all)
}

fn expected(all: &[Value], sort: &str, offset: usize, limit: usize) -> Vec<String> {
    let mut rows = all.to_vec();
    rows.sort_by(|a, b| compare(sort, a, b));
    rows.iter()
        .skip(offset)
        .take(limit)
        .map(|t| id(t).to_owned())
        .collect()
}

const SORTS: [&str; 8] = [
    "createdAt",
    "-createdAt",
    "priority",
    "-priority",
    "dueDate",
    "-dueDate",
    "title",
    "-title",
];

#[tokio::test]
async fn rest_pages_of_a_long_list_keep_every_order() {
    let app = spawn_app().await;
    let (token, _) = app.signup("orderly").await;
    let (list, all) = seeded(&app, &token).await;
    for sort in SORTS {
        for (offset, limit) in [(0, 100), (37, 50), (0, TASKS)] {
            let res = app
                .get(
                    &format!("/lists/{list}/tasks?sort={sort}&limit={limit}&offset={offset}"),
                    Some(&token),
                )
                .await;
            let page = expect(res, StatusCode::OK).await;
            assert_eq!(ids(&page), expected(&all, sort, offset, limit), "sort={sort} offset={offset}");
        }
    }
    let res = app
        .get(&format!("/lists/{list}/tasks?completed=true&sort=-title&limit=10&offset=3"), Some(&token))
        .await;
    let page = expect(res, StatusCode::OK).await;
    let done: Vec<Value> = all.iter().filter(|t| t["completed"] == true).cloned().collect();
    assert_eq!(ids(&page), expected(&done, "-title", 3, 10), "filtered");
}

#[tokio::test]
async fn graphql_pages_of_long_lists_keep_every_order() {
    let app = spawn_app().await;
    let (token, _) = app.signup("orderly").await;
    let (_, all) = seeded(&app, &token).await;
    // A second list, so that the pages are read for several lists in one statement.
    let other = app.list(Some(&token), "other").await;
    app.task(Some(&token), &other, json!({"title": "alone"})).await;
    let query = "query($sort: TaskSort, $direction: SortDirection, $offset: Int) { \
                 lists { title tasks(sort: $sort, direction: $direction, limit: 50, offset: $offset) { id } } }";
    for sort in SORTS {
        let (key, direction) = match sort.strip_prefix('-') {
            Some(key) => (key, "DESC"),
            None => (sort, "ASC"),
        };
        let key = match key {
            "createdAt" => "CREATED_AT",
            "dueDate" => "DUE_DATE",
            "priority" => "PRIORITY",
            _ => "TITLE",
        };
        for offset in [0, 37] {
            let vars = json!({"sort": key, "direction": direction, "offset": offset});
            let (status, body) = app.graphql(Some(&token), query, vars).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let lists = body["data"]["lists"].as_array().unwrap();
            let many = lists.iter().find(|l| l["title"] == "many").unwrap();
            assert_eq!(ids(&many["tasks"]), expected(&all, sort, offset, 50), "sort={sort} offset={offset}");
        }
    }
}

#[tokio::test]
async fn pages_of_many_lists_keep_their_order() {
    let app = spawn_app().await;
    let (token, _) = app.signup("orderly").await;
    for n in 0..40 {
        app.list(Some(&token), &format!("L{n:02}")).await;
    }
    let titles = |page: Value| -> Vec<String> {
        page.as_array()
            .unwrap()
            .iter()
            .map(|l| l["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = titles(expect(app.get("/lists?limit=100", Some(&token)).await, StatusCode::OK).await);
    let created: Vec<String> = (0..40).map(|n| format!("L{n:02}")).collect();
    assert_eq!(all, created, "oldest first");
    let page = titles(expect(app.get("/lists?limit=15&offset=11", Some(&token)).await, StatusCode::OK).await);
    assert_eq!(page, created[11..26]);
}
