//! Malformed requests get a 400 (or 404) with the error body, never a 5xx, and the server goes on.

use proptest::prelude::*;
use serde_json::json;
use sobatch_wire::Method;

use crate::helpers::spawn_app;

fn assert_error_body(response: &sobatch_wire::RawResponse, status: u16, what: &str) {
    assert_eq!(response.status, status, "{what}: {:?}", response.body);
    let body = response
        .json()
        .unwrap_or_else(|_| panic!("{what}: no JSON body"));
    assert_eq!(body["Error"], true, "{what}");
    assert!(
        body["ErrorMessage"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}"
    );
    if status == 400 {
        assert_eq!(body["Message"], "The request is invalid.", "{what}");
        assert!(body["MessageDetail"].is_string(), "{what}");
    }
}

#[tokio::test]
async fn malformed_and_wrong_typed_bodies_are_400_and_name_the_problem() {
    let app = spawn_app().await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("malformed JSON", br#"{"Name": "Echo""#.to_vec(), ""),
        ("empty body", Vec::new(), ""),
        ("a JSON array", b"[]".to_vec(), ""),
        ("a JSON null", b"null".to_vec(), ""),
        ("invalid UTF-8", vec![b'{', 0xff, b'}'], ""),
        ("missing Name", br#"{"Description": "x"}"#.to_vec(), "Name"),
        ("blank Name", br#"{"Name": "   "}"#.to_vec(), "Name"),
        ("numeric Name", br#"{"Name": 5}"#.to_vec(), "Name"),
        (
            "non-string parameter",
            br#"{"Name": "Echo", "ParameterObject": {"n": 5}}"#.to_vec(),
            "n",
        ),
        (
            "null parameter",
            br#"{"Name": "Echo", "ParameterObject": {"n": null}}"#.to_vec(),
            "n",
        ),
        (
            "parameters as a list",
            br#"{"Name": "Echo", "ParameterObject": ["a"]}"#.to_vec(),
            "ParameterObject",
        ),
        (
            "wrong-typed IsSystemTask",
            br#"{"Name": "Echo", "IsSystemTask": "maybe"}"#.to_vec(),
            "IsSystemTask",
        ),
        (
            "wrong-typed Description",
            br#"{"Name": "Echo", "Description": {"a": 1}}"#.to_vec(),
            "Description",
        ),
        (
            "DetailsTable over int16",
            br#"{"Name": "Echo", "DetailsTable": 40000}"#.to_vec(),
            "DetailsTable",
        ),
        (
            "DetailsRecord over int32",
            br#"{"Name": "Echo", "DetailsRecord": 4294967296}"#.to_vec(),
            "DetailsRecord",
        ),
        (
            "unknown CancellationBehaviour",
            br#"{"Name": "Echo", "CancellationBehaviour": "Never"}"#.to_vec(),
            "CancellationBehaviour",
        ),
    ];
    for (what, body, needle) in cases {
        let response = app.post_raw(&body).await;
        assert_error_body(&response, 400, what);
        let message = response.json().unwrap()["ErrorMessage"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(message.contains(needle), "{what}: {message}");
    }
    // Still serving.
    let id = app.start(json!({"Name": "Echo"})).await;
    app.wait_for_state(id, "Succeeded").await;
    app.shutdown().await;
}

#[tokio::test]
async fn bad_path_segments_are_400_or_404_with_the_error_body() {
    let app = spawn_app().await;
    let cases = [
        (Method::GET, "/api/v1/BatchTask/Finished", 400),
        (Method::GET, "/api/v1/BatchTask/12abc", 400),
        (Method::GET, "/api/v1/BatchTask/%F0%28", 400),
        (Method::GET, "/api/v1/BatchTask/2147483648", 404),
        (Method::GET, "/api/v1/BatchTask/$metadata", 404),
        (Method::PUT, "/api/v1/BatchTask/abc", 400),
        (Method::PUT, "/api/v1/BatchTask/99999999999", 404),
        (Method::POST, "/api/v1/BatchTask/abc/Stop", 400),
        (Method::POST, "/api/v1/BatchTask/99999999999/Stop", 404),
        (Method::DELETE, "/api/v1/BatchTask/abc", 400),
        (Method::GET, "/api/v1/Nothing", 404),
    ];
    for (method, path, status) in cases {
        let body = (method == Method::PUT).then(|| b"{}".to_vec());
        let response = app
            .client
            .send(method.clone(), path, &[], body)
            .await
            .unwrap();
        assert_error_body(&response, status, &format!("{method} {path}"));
    }
    let response = app.send(Method::PATCH, "/api/v1/BatchTask", None).await;
    assert_eq!(response.status, 405);
    app.shutdown().await;
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let app = spawn_app().await;
    let big = format!(
        r#"{{"Name": "Echo", "Description": "{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let response = app.post_raw(big.as_bytes()).await;
    assert_error_body(&response, 413, "2 MiB body");
    app.shutdown().await;
}

#[tokio::test]
async fn over_long_texts_are_cut_to_their_column_size() {
    let app = spawn_app().await;
    let id = app
        .start(
            json!({"Name": "Waiting", "Description": "d".repeat(300), "FileName": "f".repeat(300)}),
        )
        .await;
    let task = app.get(id).await;
    assert_eq!(task["Description"].as_str().unwrap().len(), 254);
    assert_eq!(task["FileName"].as_str().unwrap().len(), 260);
    app.shutdown().await;
}

fn arbitrary_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        "\\PC{0,64}".prop_map(String::into_bytes),
        (any::<Option<i64>>(), "\\PC{0,8}", any::<bool>()).prop_map(|(n, s, b)| {
            json!({"Name": s, "StartCount": n, "IsSystemTask": b, "ParameterObject": {s.clone(): n}})
                .to_string()
                .into_bytes()
        }),
    ]
}

#[test]
fn no_body_makes_the_server_answer_5xx() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = runtime.block_on(spawn_app());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 64,
        ..ProptestConfig::default()
    });
    runner
        .run(&arbitrary_body(), |body| {
            let response = runtime.block_on(app.post_raw(&body));
            prop_assert!(response.status < 500, "{} for {:?}", response.status, body);
            Ok(())
        })
        .unwrap();
    runtime.block_on(app.shutdown());
}
