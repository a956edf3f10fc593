//! `GET /api/sobatch/v1/definitions`: built-in, embedded and lazily created definitions.

use serde_json::{Value, json};
use sobatch_wire::Method;

use crate::helpers::spawn_app;

#[tokio::test]
async fn definitions_list_who_runs_each_name() {
    let app = spawn_app().await;
    let id = app.start(json!({"Name": "NobodyRunsThis"})).await;
    app.start(json!({"Name": "echo"})).await;
    let response = app.send(Method::GET, "/api/sobatch/v1/definitions", None).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let list: Vec<Value> = serde_json::from_value(response.json().unwrap()).unwrap();
    let find = |name: &str| {
        list.iter()
            .find(|d| d["Name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
            .cloned()
            .unwrap_or_else(|| panic!("{name} missing from {list:?}"))
    };
    let echo = find("Echo");
    assert_eq!(echo["Kind"], "built-in");
    assert_eq!(echo["Runnable"], true);
    assert!(echo["DefinitionId"].as_i64().is_some(), "started once, so stored");
    let sleep = find("Sleep");
    assert_eq!(sleep["DefinitionId"], Value::Null, "never started");
    assert_eq!(find("Block")["Kind"], "embedded");
    let lazy = find("NobodyRunsThis");
    assert_eq!(lazy["Kind"], "none");
    assert_eq!(lazy["Runnable"], false);
    assert_eq!(app.get(id).await["State"], "New");

    let response = app
        .anonymous()
        .send(Method::GET, "/api/sobatch/v1/definitions", &[], None)
        .await
        .unwrap();
    assert_eq!(response.status, 401);
    app.shutdown().await;
}
