//! The HTTP conventions of spec §4 on both surfaces: XML and form bodies, content negotiation,
//! PATCH, SO-TimeZone, languages, conditional requests and discovery.

use serde_json::{Value, json};
use sobatch_wire::{Method, RawResponse};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> RawResponse {
    app.client
        .send(method, path, headers, body.map(|b| b.as_bytes().to_vec()))
        .await
        .unwrap()
}

fn header<'a>(response: &'a RawResponse, name: &str) -> &'a str {
    response
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

const XML: (&str, &str) = ("Accept", "application/xml");

#[tokio::test]
async fn tasks_can_be_started_and_read_as_xml() {
    let app = spawn_app().await;
    let body = r#"<?xml version="1.0" encoding="utf-8"?>
<BatchTaskInfo xmlns="http://schemas.example/anything">
  <name>Echo</name>
  <ParameterObject>
    <StringKeyValuePair><Key>args</Key><Value>a &amp; b</Value></StringKeyValuePair>
  </ParameterObject>
  <Description>from xml</Description>
  <Created i:nil="true" xmlns:i="http://www.w3.org/2001/XMLSchema-instance" />
</BatchTaskInfo>"#;
    let response = send(
        &app,
        Method::POST,
        "/api/v1/BatchTask",
        &[("Content-Type", "application/xml; charset=utf-8"), XML],
        Some(body),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(header(&response, "content-type").starts_with("application/xml"));
    let text = response.text();
    let id: i32 = text
        .trim()
        .trim_start_matches("<?xml version=\"1.0\" encoding=\"utf-8\"?>")
        .trim()
        .trim_start_matches("<int>")
        .trim_end_matches("</int>")
        .parse()
        .unwrap_or_else(|_| panic!("{text}"));
    let task = app.wait_for_state(id, "Succeeded").await;
    assert_eq!(task["Description"], "from xml");
    assert_eq!(task["ParameterObject"]["args"], "a & b");

    let response = send(
        &app,
        Method::GET,
        &format!("/api/v1/BatchTask/{id}"),
        &[("Accept", "text/xml")],
        None,
    )
    .await;
    assert!(header(&response, "content-type").starts_with("text/xml"));
    let text = response.text();
    assert!(text.contains("<BatchTaskInfo"), "{text}");
    assert!(text.contains("<TableRight i:nil=\"true\" />"), "{text}");
    assert!(text.contains("<State>Succeeded</State>"), "{text}");
    assert!(text.contains("<Key>args</Key>"), "{text}");
    assert!(text.contains("a &amp; b"), "{text}");
    assert!(
        text.find("<TableRight").unwrap() < text.find("<Id>").unwrap(),
        "{text}"
    );

    let response = send(&app, Method::GET, "/api/v1/BatchTask/All", &[XML], None).await;
    assert!(
        response.text().contains("<ArrayOfBatchTaskInfo"),
        "{}",
        response.text()
    );

    let response = send(
        &app,
        Method::POST,
        &format!("/api/v1/BatchTask/{id}/Stop"),
        &[XML],
        None,
    )
    .await;
    assert!(
        response.text().contains("<boolean>false</boolean>"),
        "{}",
        response.text()
    );
    app.shutdown().await;
}

#[tokio::test]
async fn errors_come_in_the_format_asked_for() {
    let app = spawn_app().await;
    let response = send(&app, Method::GET, "/api/v1/BatchTask/999", &[XML], None).await;
    assert_eq!(response.status, 404);
    assert!(header(&response, "content-type").starts_with("application/xml"));
    let text = response.text();
    assert!(
        text.contains("<Error>") || text.contains("<Error "),
        "{text}"
    );
    assert!(
        text.contains("<ErrorType>SoNotFoundException</ErrorType>"),
        "{text}"
    );
    assert!(text.contains("BatchTask id 999 not found"), "{text}");

    let response = app
        .anonymous()
        .send(Method::GET, "/api/v1/BatchTask/1", &[XML], None)
        .await
        .unwrap();
    assert_eq!(response.status, 401);
    assert!(
        response
            .text()
            .contains("<ErrorType>Unauthorized</ErrorType>"),
        "{}",
        response.text()
    );
    app.shutdown().await;
}

#[tokio::test]
async fn agents_take_xml_and_form_parameters() {
    let app = spawn_app().await;
    let response = send(
        &app,
        Method::POST,
        "/api/v1/Agents/Batch/StartBatchJob",
        &[("Content-Type", "text/xml"), XML],
        Some("<StartBatchJobRequest><BatchTaskInfo><Name>Waiting</Name><Description>x</Description></BatchTaskInfo></StartBatchJobRequest>"),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(response.text().contains("<int>"), "{}", response.text());

    let id = app
        .start(json!({"Name": "Waiting", "Description": "form"}))
        .await;
    let response = send(
        &app,
        Method::POST,
        "/api/v1/Agents/Batch/GetBatchTaskInfo",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(&format!("Id={id}")),
    )
    .await;
    assert_eq!(response.json().unwrap()["Description"], "form");

    let response = send(
        &app,
        Method::POST,
        "/api/v1/Agents/Batch/GetBatchTaskInfo",
        &[("Content-Type", "application/xml"), XML],
        Some("<request><id>424242</id></request>"),
    )
    .await;
    assert!(
        response.text().contains("i:nil=\"true\""),
        "{}",
        response.text()
    );

    let response = send(
        &app,
        Method::POST,
        "/api/v1/Agents/Batch/GetBatchTaskInfosByAssociatesAndState",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some("AssociateIds=1&AssociateIds=2&State=New"),
    )
    .await;
    assert_eq!(response.json().unwrap().as_array().unwrap().len(), 2);

    // A REST start from a form body.
    let response = send(
        &app,
        Method::POST,
        "/api/v1/BatchTask",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some("Name=Echo&Description=from+form&ParameterObject.Key+One=v%261"),
    )
    .await;
    let id: i32 = response.text().parse().unwrap();
    let task = app.wait_for_state(id, "Succeeded").await;
    assert_eq!(task["Description"], "from form");
    assert_eq!(task["ParameterObject"], json!({"Key One": "v&1"}));
    app.shutdown().await;
}

#[tokio::test]
async fn unsupported_bodies_are_415_and_unsatisfiable_accepts_406() {
    let app = spawn_app().await;
    let response = send(
        &app,
        Method::POST,
        "/api/v1/BatchTask",
        &[("Content-Type", "text/plain")],
        Some("Name=Echo"),
    )
    .await;
    assert_eq!(response.status, 415);
    assert_eq!(response.json().unwrap()["Error"], true);
    let response = send(
        &app,
        Method::GET,
        "/api/v1/BatchTask/All",
        &[("Accept", "image/png")],
        None,
    )
    .await;
    assert_eq!(response.status, 406);
    assert_eq!(response.json().unwrap()["ErrorType"], "NotAcceptable");
    for accept in [
        "application/json; charset=utf-8",
        "text/json",
        "application/json-patch+json",
        "application/merge-patch+json",
        "*/*",
        "application/xml;q=0.1, application/json;q=0.9",
    ] {
        let response = send(
            &app,
            Method::GET,
            "/api/v1/BatchTask/All",
            &[("Accept", accept)],
            None,
        )
        .await;
        assert_eq!(response.status, 200, "{accept}");
        assert!(response.json().unwrap().is_array(), "{accept}");
    }
    // Malformed XML and form bodies are 400s.
    for (content_type, body) in [
        (
            "application/xml",
            "<BatchTaskInfo><Name>Echo</Nam></BatchTaskInfo>",
        ),
        (
            "application/xml",
            "<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>",
        ),
        ("application/x-www-form-urlencoded", "Name=%FF%FE"),
    ] {
        let response = send(
            &app,
            Method::POST,
            "/api/v1/BatchTask",
            &[("Content-Type", content_type)],
            Some(body),
        )
        .await;
        assert_eq!(response.status, 400, "{body}: {}", response.text());
    }
    app.shutdown().await;
}

#[tokio::test]
async fn patch_changes_the_four_members_with_either_dialect() {
    let app = spawn_app().await;
    let id = app
        .start(json!({"Name": "Waiting", "Description": "before", "Response": "r"}))
        .await;
    let path = format!("/api/v1/BatchTask/{id}");
    let response = send(
        &app,
        Method::PATCH,
        &path,
        &[("Content-Type", "application/json-patch+json")],
        Some(r#"[{"op": "replace", "path": "/description", "value": "after"}, {"op": "remove", "path": "Response"}]"#),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let task = response.json().unwrap();
    assert_eq!(task["Description"], "after");
    assert_eq!(task["Response"], Value::Null);
    assert!(!header(&response, "last-modified").is_empty());

    let response = send(
        &app,
        Method::PATCH,
        &path,
        &[("Content-Type", "application/merge-patch+json")],
        Some(r#"{"STATE": "Failed", "request": "asked"}"#),
    )
    .await;
    let task = response.json().unwrap();
    assert_eq!(task["State"], "Failed");
    assert_eq!(task["Request"], "asked");

    let response = send(
        &app,
        Method::PATCH,
        &path,
        &[("Content-Type", "application/merge-patch+json")],
        Some(r#"{"Name": "Other"}"#),
    )
    .await;
    assert_eq!(response.status, 400);
    assert!(
        response.json().unwrap()["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("Name")
    );

    let response = send(
        &app,
        Method::PATCH,
        "/api/v1/BatchTask/99999",
        &[("Content-Type", "application/merge-patch+json")],
        Some(r#"{"State": "New"}"#),
    )
    .await;
    assert_eq!(response.status, 404);
    app.shutdown().await;
}

#[tokio::test]
async fn so_timezone_converts_last_started_and_is_echoed() {
    let app = spawn_app().await;
    let id = app.start(json!({"Name": "Echo"})).await;
    let plain = app.wait_for_state(id, "Succeeded").await;
    let path = format!("/api/v1/BatchTask/{id}");

    let response = send(&app, Method::GET, &path, &[], None).await;
    assert_eq!(header(&response, "so-timezone"), "UTC");

    let response = send(&app, Method::GET, &path, &[("SO-TimeZone", "NO")], None).await;
    assert_eq!(header(&response, "so-timezone"), "NO");
    let oslo = response.json().unwrap();
    assert_eq!(oslo["Created"], plain["Created"], "Created stays UTC");
    assert_ne!(
        oslo["LastStarted"], plain["LastStarted"],
        "LastStarted converted"
    );

    for form in ["261", " no ", "Europe/Oslo"] {
        let response = send(&app, Method::GET, &path, &[("so-timezone", form)], None).await;
        assert_eq!(
            response.json().unwrap()["LastStarted"],
            oslo["LastStarted"],
            "{form}"
        );
    }

    let response = send(
        &app,
        Method::GET,
        &path,
        &[("SO-TimeZone", "US-NY, includeTZOffset")],
        None,
    )
    .await;
    let ny = response.json().unwrap();
    let last_started = ny["LastStarted"].as_str().unwrap();
    assert!(
        last_started.ends_with("-05:00") || last_started.ends_with("-04:00"),
        "{last_started}"
    );
    assert!(ny["Created"].as_str().unwrap().ends_with('Z'), "{ny}");

    let response = send(
        &app,
        Method::GET,
        &path,
        &[("SO-TimeZone", "includeTZOffset")],
        None,
    )
    .await;
    let utc = response.json().unwrap();
    assert!(
        utc["LastStarted"].as_str().unwrap().ends_with('Z')
            || utc["LastStarted"].as_str().unwrap().ends_with("+00:00"),
        "{utc}"
    );

    let response = send(
        &app,
        Method::GET,
        &path,
        &[("SO-TimeZone", "XX-NOWHERE")],
        None,
    )
    .await;
    assert_eq!(
        response.json().unwrap()["LastStarted"],
        plain["LastStarted"]
    );
    assert_eq!(header(&response, "so-timezone"), "UTC");

    // Agents answer in the zone too.
    let response = send(
        &app,
        Method::POST,
        "/api/v1/Agents/Batch/GetBatchTaskInfo",
        &[("SO-TimeZone", "NO"), ("Content-Type", "application/json")],
        Some(&format!(r#"{{"id": {id}}}"#)),
    )
    .await;
    assert_eq!(response.json().unwrap()["LastStarted"], oslo["LastStarted"]);
    app.shutdown().await;

    let app = spawn_app_with(|config| config.base_zone = "Europe/Oslo".into()).await;
    let response = send(&app, Method::GET, "/api/v1/BatchTask/All", &[], None).await;
    assert_eq!(header(&response, "so-timezone"), "NO");
    app.shutdown().await;
}

#[tokio::test]
async fn server_texts_and_multi_language_values_follow_the_requested_language() {
    let app = spawn_app().await;
    let id = app
        .start(json!({"Name": "Waiting", "Description": "US:\"Monthly report\";NO:\"Månedsrapport\";GE:\"Monatsbericht\""}))
        .await;
    assert!(app.client.task_stop(id).await.unwrap());
    let path = format!("/api/v1/BatchTask/{id}");

    let english = send(&app, Method::GET, &path, &[], None)
        .await
        .json()
        .unwrap();
    assert_eq!(english["Result"], "Stopped by request");
    assert_eq!(
        english["Description"], "US:\"Monthly report\";NO:\"Månedsrapport\";GE:\"Monatsbericht\"",
        "no language: untranslated"
    );

    let german = send(
        &app,
        Method::GET,
        &path,
        &[("Accept-Language", "fr;q=0.5, de")],
        None,
    )
    .await
    .json()
    .unwrap();
    assert_eq!(german["Description"], "Monatsbericht");
    assert_ne!(german["Result"], "Stopped by request");

    let norwegian = send(
        &app,
        Method::GET,
        &path,
        &[("Accept-Language", "de"), ("SO-Language", "nb-no")],
        None,
    )
    .await
    .json()
    .unwrap();
    assert_eq!(norwegian["Description"], "Månedsrapport");

    let untranslated = send(
        &app,
        Method::GET,
        &path,
        &[("Accept-Language", "de"), ("SO-Language", "x")],
        None,
    )
    .await
    .json()
    .unwrap();
    assert_eq!(untranslated["Description"], english["Description"]);

    // The Agents surface too.
    let response = send(
        &app,
        Method::POST,
        "/api/v1/Agents/Batch/GetBatchTaskInfo",
        &[
            ("Accept-Language", "de"),
            ("Content-Type", "application/json"),
        ],
        Some(&format!(r#"{{"id": {id}}}"#)),
    )
    .await;
    let agent = response.json().unwrap();
    assert_eq!(agent["Description"], "Monatsbericht");
    assert_eq!(agent["Result"], german["Result"]);

    // Error messages too.
    let response = send(
        &app,
        Method::GET,
        "/api/v1/BatchTask/99999",
        &[("Accept-Language", "de")],
        None,
    )
    .await;
    let message = response.json().unwrap()["ErrorMessage"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("99999") && !message.contains("not found"),
        "{message}"
    );

    // The stored value is unchanged by rendering.
    let store = sobatch_store::open(&app.db_url).unwrap();
    let task = store
        .task_get(sobatch_core::TaskId(id))
        .await
        .unwrap()
        .unwrap();
    assert!(task.result.unwrap().starts_with("[SR_"));
    assert!(task.description.starts_with("US:\""));
    app.shutdown().await;
}

#[tokio::test]
async fn conditional_requests_answer_304_and_412() {
    let app = spawn_app().await;
    let id = app.start(json!({"Name": "Waiting"})).await;
    let path = format!("/api/v1/BatchTask/{id}");
    let response = send(&app, Method::GET, &path, &[], None).await;
    let last_modified = header(&response, "last-modified").to_string();
    assert!(last_modified.ends_with("GMT"), "{last_modified}");
    let future = httpdate::fmt_http_date(
        std::time::SystemTime::now() + std::time::Duration::from_secs(3600),
    );
    let past = "Wed, 21 Oct 2015 07:28:00 GMT";

    let response = send(
        &app,
        Method::GET,
        &path,
        &[("If-Modified-Since", &last_modified)],
        None,
    )
    .await;
    assert_eq!(response.status, 304);
    assert!(response.body.is_empty());
    let response = send(
        &app,
        Method::GET,
        &path,
        &[("If-Modified-Since", past)],
        None,
    )
    .await;
    assert_eq!(response.status, 200);

    let put_body = r#"{"Description": "x"}"#;
    for (method, route, body) in [
        (Method::PUT, path.clone(), Some(put_body)),
        (Method::PATCH, path.clone(), Some(put_body)),
        (Method::POST, format!("{path}/Stop"), None),
        (Method::DELETE, path.clone(), None),
    ] {
        let response = send(
            &app,
            method.clone(),
            &route,
            &[
                ("If-Unmodified-Since", past),
                ("Content-Type", "application/json"),
            ],
            body,
        )
        .await;
        assert_eq!(response.status, 412, "{method} {route}");
        assert_eq!(response.json().unwrap()["ErrorType"], "PreconditionFailed");
    }
    let response = send(
        &app,
        Method::PUT,
        &path,
        &[
            ("If-Unmodified-Since", &future),
            ("Content-Type", "application/json"),
        ],
        Some(put_body),
    )
    .await;
    assert_eq!(response.status, 200);
    let response = send(
        &app,
        Method::DELETE,
        &path,
        &[("If-Unmodified-Since", &future)],
        None,
    )
    .await;
    assert_eq!(response.status, 204);
    app.shutdown().await;
}

#[tokio::test]
async fn discovery_lists_absolute_urls_for_the_host_the_client_used() {
    let app = spawn_app_with(|config| config.base_path = "/Cust12345".into()).await;
    let response = send(
        &app,
        Method::GET,
        "/api",
        &[("Accept", "application/json")],
        None,
    )
    .await;
    let api = response.json().unwrap();
    assert_eq!(api["v1"], format!("http://{}/api/v1", app.addr));
    assert_eq!(api["Version"], "v1");
    for key in [
        "NetServerVersion",
        "NetServerAssembly",
        "NetServerDate",
        "NetServerLabel",
        "NetServer",
        "Services",
        "ServicesCurrent",
    ] {
        assert!(api[key].is_string(), "{key}");
    }
    let response = send(
        &app,
        Method::GET,
        "/api",
        &[("Accept", "text/html,application/xhtml+xml")],
        None,
    )
    .await;
    assert!(header(&response, "content-type").starts_with("text/html"));
    assert!(response.text().contains("<table>"));

    let response = send(
        &app,
        Method::GET,
        "/Cust12345/api/v1",
        &[
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "crm.example.com"),
        ],
        None,
    )
    .await;
    let routes = response.json().unwrap();
    let base = "https://crm.example.com/Cust12345/api/v1";
    assert_eq!(
        routes[format!("{base}/BatchTask")]["POST"]
            .as_str()
            .map(|s| !s.is_empty()),
        Some(true)
    );
    assert!(routes[format!("{base}/BatchTask/{{id}}")]["GET"].is_string());
    assert!(routes[format!("{base}/BatchTask/{{id}}/Stop")]["POST"].is_string());
    let agents = routes
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.starts_with(&format!("{base}/Agents/Batch/")))
        .count();
    assert_eq!(agents, 15);
    app.shutdown().await;

    let app =
        spawn_app_with(|config| config.public_url = "https://public.example/Cust1".into()).await;
    let api = send(&app, Method::GET, "/api", &[], None)
        .await
        .json()
        .unwrap();
    assert_eq!(api["v1"], "https://public.example/Cust1/api/v1");
    app.shutdown().await;
}
