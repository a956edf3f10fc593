//! The REST routes R2–R7 of the spec, as a SuperOffice client uses them.

use serde_json::{Value, json};

use sobatch_wire::BATCH_TASK_INFO_MEMBERS;

use crate::helpers::{sleep_task, spawn_app};

fn seed_sample() -> Value {
    json!({
        "Id": 300,
        "Name": "Kling, Wisoky and Rohan",
        "AssociateId": 727,
        "DetailsTable": 862,
        "DetailsRecord": 119,
        "IsSystemTask": false,
        "IsInternalTask": false,
        "ParameterObject": {"ParameterObject1": "eius", "ParameterObject2": "dolorem"},
        "LastStarted": "2009-07-09T18:34:37.2468781+02:00",
        "Created": "1998-02-07T18:34:37.2468781+01:00",
        "StartCount": 619,
        "DatabaseSerialNumber": "917846",
        "Context": "voluptas",
        "Result": "nihil",
        "State": "All",
        "Description": "Robust multi-state utilisation",
        "Response": "ut",
        "Request": "qui",
        "ProgressDescription": "Devolved optimal orchestration",
        "ProgressPercent": 587,
        "FileName": "Hahn-Lind",
        "CancellationBehaviour": "CanCancel"
    })
}

#[tokio::test]
async fn post_returns_a_bare_number_and_get_returns_every_member_in_order() {
    let app = spawn_app().await;
    let response = app.post_raw(br#"{"Name": "NoExecutorYet"}"#).await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.headers["content-type"],
        "application/json; charset=utf-8"
    );
    let id: i32 = std::str::from_utf8(&response.body)
        .unwrap()
        .parse()
        .unwrap();
    assert!(id > 0);

    let response = app
        .send(
            sobatch_wire::Method::GET,
            &format!("/api/v1/BatchTask/{id}"),
            None,
        )
        .await;
    assert_eq!(response.status, 200);
    let text = std::str::from_utf8(&response.body).unwrap();
    let mut last = 0;
    for member in BATCH_TASK_INFO_MEMBERS {
        let at = text
            .find(&format!("\"{member}\":"))
            .unwrap_or_else(|| panic!("{member} missing from {text}"));
        assert!(at >= last, "{member} out of order in {text}");
        last = at;
    }
    let task: Value = serde_json::from_str(text).unwrap();
    assert_eq!(
        task.as_object().unwrap().len(),
        BATCH_TASK_INFO_MEMBERS.len()
    );
    assert_eq!(task["Id"], id);
    assert_eq!(task["Name"], "NoExecutorYet");
    assert_eq!(task["State"], "New");
    assert_eq!(task["TableRight"], Value::Null);
    assert_eq!(task["FieldProperties"], json!({}));
    assert_eq!(task["ParameterObject"], Value::Null);
    assert_eq!(task["LastStarted"], "0001-01-01T00:00:00");
    assert_eq!(task["Description"], "");
    assert_eq!(task["CancellationBehaviour"], "CanCancel");
    app.shutdown().await;
}

#[tokio::test]
async fn the_seed_sample_gets_server_owned_fields_and_keeps_what_the_client_chose() {
    let app = spawn_app().await;
    let sample = seed_sample();
    let id = app.start(sample.clone()).await;
    assert_ne!(id, 300, "the client's Id is ignored");
    let task = app.get(id).await;

    // Server-owned members are the server's.
    assert_eq!(task["State"], "New");
    assert_eq!(task["StartCount"], 0);
    assert_eq!(task["ProgressPercent"], 0);
    assert_eq!(task["ProgressDescription"], Value::Null);
    assert_eq!(task["Result"], Value::Null);
    assert_eq!(task["LastStarted"], "0001-01-01T00:00:00");
    assert_eq!(task["AssociateId"], 1, "the caller (admin) owns it");
    assert_eq!(task["IsSystemTask"], false);
    assert_ne!(task["DatabaseSerialNumber"], "917846");
    assert!(
        task["DatabaseSerialNumber"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    let created = task["Created"].as_str().unwrap();
    assert!(
        created.starts_with("20"),
        "Created is now, not 1998: {created}"
    );
    // The parameters own the details link.
    assert_eq!(task["DetailsTable"], 205);
    assert!(task["DetailsRecord"].as_i64().unwrap() > 0);

    // What the client chose comes back unchanged.
    for member in [
        "Name",
        "ParameterObject",
        "Context",
        "Description",
        "Response",
        "Request",
        "FileName",
        "CancellationBehaviour",
    ] {
        assert_eq!(task[member], sample[member], "{member}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn the_documented_post_sample_round_trips() {
    let app = spawn_app().await;
    let sample = json!({
        "Name": "SampleBatchPlugin",
        "Description": "Sample Batch Task",
        "IsSystemTask": false,
        "IsInternalTask": false,
        "ParameterObject": {"args": "quarterly-report", "format": "pdf"},
        "Request": "",
        "CancellationBehaviour": "CanCancel"
    });
    let mut samples = vec![sample];
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/spec/samples/rest/post-batchtask.request.json");
    if let Ok(text) = std::fs::read_to_string(&shared) {
        samples.push(serde_json::from_str(&text).unwrap());
    }
    for sample in samples {
        let id = app.start(sample.clone()).await;
        let task = app.get(id).await;
        for (member, value) in sample.as_object().unwrap() {
            assert_eq!(&task[member], value, "{member}");
        }
        assert_eq!(task["State"], "New");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn parameter_order_and_odd_keys_come_back_exactly() {
    let app = spawn_app().await;
    let body = r#"{"name":"Keep","parameterObject":{"z":"1","A":"2","ключ":"värde","":"empty key","a":"lower"}}"#;
    let response = app.post_raw(body.as_bytes()).await;
    assert_eq!(response.status, 200);
    let id: i32 = std::str::from_utf8(&response.body)
        .unwrap()
        .parse()
        .unwrap();
    let raw = app
        .send(
            sobatch_wire::Method::GET,
            &format!("/api/v1/BatchTask/{id}"),
            None,
        )
        .await;
    let text = std::str::from_utf8(&raw.body).unwrap();
    assert!(
        text.contains(
            r#""ParameterObject":{"z":"1","A":"2","ключ":"värde","":"empty key","a":"lower"}"#
        ),
        "{text}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn details_link_given_without_parameters_is_kept() {
    let app = spawn_app().await;
    let id = app
        .start(json!({"Name": "Linked", "DetailsTable": 7, "DetailsRecord": 1234}))
        .await;
    let task = app.get(id).await;
    assert_eq!(task["DetailsTable"], 7);
    assert_eq!(task["DetailsRecord"], 1234);
    assert_eq!(task["ParameterObject"], Value::Null);
    app.shutdown().await;
}

#[tokio::test]
async fn get_by_state_lists_user_tasks_of_that_state_sorted_by_id() {
    let app = spawn_app().await;
    let a = app.start(json!({"Name": "Waiting"})).await;
    let b = app.start(json!({"Name": "Waiting"})).await;
    let system = app
        .start(json!({"Name": "Waiting", "IsSystemTask": true}))
        .await;
    let done = app.start(json!({"Name": "Echo"})).await;
    app.wait_for_state(done, "Succeeded").await;

    let new = app.client.tasks_by_state("New").await.unwrap();
    let ids: Vec<i64> = new.iter().map(|t| t["Id"].as_i64().unwrap()).collect();
    assert_eq!(
        ids,
        vec![i64::from(a), i64::from(b)],
        "system task {system} excluded"
    );

    let lower = app.client.tasks_by_state("new").await.unwrap();
    assert_eq!(lower.len(), 2);
    let all = app.client.tasks_by_state("All").await.unwrap();
    let ids: Vec<i64> = all.iter().map(|t| t["Id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![i64::from(a), i64::from(b), i64::from(done)]);
    let succeeded = app.client.tasks_by_state("Succeeded").await.unwrap();
    assert_eq!(succeeded.len(), 1);
    assert!(
        app.client
            .tasks_by_state("Aquired")
            .await
            .unwrap()
            .is_empty()
    );
    app.shutdown().await;
}

#[tokio::test]
async fn get_of_missing_ids_is_404_with_the_error_body() {
    let app = spawn_app().await;
    for segment in [
        "999",
        "0",
        "-5",
        "+999",
        "2147483648",
        "99999999999999999999",
    ] {
        let response = app
            .send(
                sobatch_wire::Method::GET,
                &format!("/api/v1/BatchTask/{segment}"),
                None,
            )
            .await;
        assert_eq!(response.status, 404, "{segment}");
        let body = response.json().unwrap();
        assert_eq!(body["Error"], true);
        assert_eq!(body["ErrorType"], "SoNotFoundException");
        assert!(body["ErrorMessage"].as_str().unwrap().contains("not found"));
    }
    app.shutdown().await;
}

#[tokio::test]
async fn put_writes_only_state_description_response_and_request() {
    let app = spawn_app().await;
    let id = app
        .start(json!({"Name": "Editable", "Description": "before", "Context": "ctx", "ParameterObject": {"k": "v"}}))
        .await;
    let before = app.get(id).await;
    let mut body = before.clone();
    body["State"] = json!("Failed");
    body["Description"] = json!("after");
    body["Response"] = json!("answered");
    body["Request"] = json!("asked");
    // Members an update ignores, with values a client might send back.
    body["Name"] = json!("Renamed");
    body["Context"] = json!("changed");
    body["StartCount"] = json!(77);
    body["ProgressPercent"] = json!(50);
    body["ParameterObject"] = json!({"other": "x"});
    body["Created"] = json!("0000-12-31T23:06:32.000Z");
    body["LastStarted"] = json!("not a date at all");
    body["Id"] = json!(id + 1000);
    let after = app.client.task_update(id, &body).await.unwrap();
    assert_eq!(after["Id"], id, "the path id wins");
    assert_eq!(after["State"], "Failed");
    assert_eq!(after["Description"], "after");
    assert_eq!(after["Response"], "answered");
    assert_eq!(after["Request"], "asked");
    for member in [
        "Name",
        "Context",
        "StartCount",
        "ProgressPercent",
        "ParameterObject",
        "Created",
        "LastStarted",
    ] {
        assert_eq!(after[member], before[member], "{member}");
    }
    assert_eq!(app.get(id).await, after);

    // Absent members stay; an explicit null clears.
    let after = app
        .client
        .task_update(id, &json!({"Response": null}))
        .await
        .unwrap();
    assert_eq!(after["Response"], Value::Null);
    assert_eq!(after["Description"], "after");
    assert_eq!(after["State"], "Failed");
    app.shutdown().await;
}

#[tokio::test]
async fn put_of_a_missing_task_is_404_and_a_bad_state_is_400() {
    let app = spawn_app().await;
    let error = app
        .client
        .task_update(4242, &json!({"State": "New"}))
        .await
        .unwrap_err();
    assert!(
        matches!(error, sobatch_wire::ClientError::Status { status: 404, .. }),
        "{error:?}"
    );
    let id = app.start(json!({"Name": "Editable"})).await;
    for state in [json!("All"), json!(99999), json!("Finished"), json!(7)] {
        let error = app
            .client
            .task_update(id, &json!({"State": state}))
            .await
            .unwrap_err();
        assert!(
            matches!(error, sobatch_wire::ClientError::Status { status: 400, .. }),
            "{state}: {error:?}"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn stop_follows_the_table_of_the_spec() {
    let app = spawn_app().await;
    // Waiting (no executor): stopped at once.
    let waiting = app.start(json!({"Name": "Waiting"})).await;
    assert!(app.client.task_stop(waiting).await.unwrap());
    let task = app.get(waiting).await;
    assert_eq!(task["State"], "Failed");
    assert_eq!(task["Result"], "Stopped by request");
    // Already finished: false, nothing changes.
    assert!(!app.client.task_stop(waiting).await.unwrap());
    let done = app.start(json!({"Name": "Echo"})).await;
    app.wait_for_state(done, "Succeeded").await;
    assert!(!app.client.task_stop(done).await.unwrap());
    assert_eq!(app.get(done).await["State"], "Succeeded");
    // CannotCancel: false.
    let stuck = app
        .start(json!({"Name": "Waiting", "CancellationBehaviour": "CannotCancel"}))
        .await;
    assert!(!app.client.task_stop(stuck).await.unwrap());
    assert_eq!(app.get(stuck).await["State"], "New");
    // CancelWithWarning behaves as CanCancel.
    let warned = app
        .start(json!({"Name": "Waiting", "CancellationBehaviour": "CancelWithWarning"}))
        .await;
    assert!(app.client.task_stop(warned).await.unwrap());
    // Missing: 404 on REST.
    let error = app.client.task_stop(777_777).await.unwrap_err();
    assert!(
        matches!(error, sobatch_wire::ClientError::Status { status: 404, .. }),
        "{error:?}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn stop_of_a_running_task_cancels_it_and_it_ends_failed() {
    let app = spawn_app().await;
    let id = app.start(json!({"Name": "Block"})).await;
    app.wait_for_state(id, "Started").await;
    assert!(app.client.task_stop(id).await.unwrap());
    let task = app.wait_for_state(id, "Failed").await;
    assert_eq!(task["Result"], "Stopped by request");
    assert_eq!(task["StartCount"], 1);

    let sleeper = app.start(sleep_task("60")).await;
    app.wait_for_state(sleeper, "Started").await;
    assert!(app.client.task_stop(sleeper).await.unwrap());
    assert_eq!(
        app.wait_for_state(sleeper, "Failed").await["Result"],
        "Stopped by request"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn delete_answers_204_and_the_task_is_gone() {
    let app = spawn_app().await;
    let id = app
        .start(json!({"Name": "Waiting", "ParameterObject": {"a": "b"}}))
        .await;
    let response = app
        .send(
            sobatch_wire::Method::DELETE,
            &format!("/api/v1/BatchTask/{id}"),
            None,
        )
        .await;
    assert_eq!(response.status, 204);
    assert!(response.body.is_empty());
    assert_eq!(app.client.task_get(id).await.unwrap(), None);
    // Unknown ids: still 204.
    app.client.task_delete(id).await.unwrap();
    app.client.task_delete(123_456).await.unwrap();
    // A running task is stopped, then deleted.
    let running = app.start(json!({"Name": "Block"})).await;
    app.wait_for_state(running, "Started").await;
    app.client.task_delete(running).await.unwrap();
    assert_eq!(app.client.task_get(running).await.unwrap(), None);
    app.shutdown().await;
}

#[tokio::test]
async fn route_literals_match_in_any_case() {
    let app = spawn_app().await;
    let id = app.start(json!({"Name": "Waiting"})).await;
    for path in [
        format!("/api/v1/batchtask/{id}"),
        format!("/API/V1/BATCHTASK/{id}"),
    ] {
        let response = app.send(sobatch_wire::Method::GET, &path, None).await;
        assert_eq!(response.status, 200, "{path}");
    }
    let response = app
        .send(
            sobatch_wire::Method::POST,
            &format!("/api/v1/batchtask/{id}/stop"),
            None,
        )
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(&response.body[..], b"true");
    app.shutdown().await;
}
