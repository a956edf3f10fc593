//! The dashboard under `/ui/` and the session it signs in: the cookie works for pages and for the
//! API, state-changing calls need the XSRF token, forms honour cancellation behaviour, task pages
//! show everything, files download only from their folder, and markup in task fields stays text.

use serde_json::json;
use sobatch_wire::{Method, RawResponse};

use crate::helpers::{ADMIN_PASSWORD, TestApp, spawn_app, spawn_app_with};

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

/// A signed-in browser: its two cookies.
struct Browser {
    session: String,
    xsrf: String,
}

impl Browser {
    fn cookie(&self) -> String {
        format!("sobatch_session={}; XSRF-TOKEN={}", self.session, self.xsrf)
    }
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    serde_urlencoded::to_string(pairs).unwrap().into_bytes()
}

async fn request(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> RawResponse {
    app.anonymous()
        .send(method, path, headers, body)
        .await
        .unwrap()
}

fn cookie_set(response: &RawResponse, name: &str) -> Option<String> {
    response
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, v)| v.to_string())
        .unwrap()
}

async fn sign_in(app: &TestApp) -> Browser {
    let response = request(
        app,
        Method::POST,
        "/ui/login",
        &[FORM],
        Some(form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])),
    )
    .await;
    assert_eq!(response.status, 303, "{}", response.text());
    Browser {
        session: cookie_value(&cookie_set(&response, "sobatch_session").unwrap()),
        xsrf: cookie_value(&cookie_set(&response, "XSRF-TOKEN").unwrap()),
    }
}

async fn page(app: &TestApp, browser: &Browser, path: &str) -> RawResponse {
    let cookie = browser.cookie();
    request(app, Method::GET, path, &[("Cookie", &cookie)], None).await
}

async fn post_form(
    app: &TestApp,
    browser: &Browser,
    path: &str,
    pairs: &[(&str, &str)],
) -> RawResponse {
    let cookie = browser.cookie();
    request(
        app,
        Method::POST,
        path,
        &[FORM, ("Cookie", &cookie)],
        Some(form(pairs)),
    )
    .await
}

fn location(response: &RawResponse) -> &str {
    response.headers["location"].to_str().unwrap()
}

#[tokio::test]
async fn signing_in_sets_a_session_that_serves_pages_and_the_api_with_its_xsrf_token() {
    let app = spawn_app().await;
    // Pages without a session send the browser to the sign-in page, which comes back.
    let response = request(&app, Method::GET, "/ui/?state=Failed", &[], None).await;
    assert_eq!(response.status, 303);
    assert_eq!(location(&response), "/ui/login?next=/ui/%3Fstate%3DFailed");
    let login = request(
        &app,
        Method::GET,
        "/ui/login?next=/ui/%3Fstate%3DFailed",
        &[],
        None,
    )
    .await;
    assert_eq!(login.status, 200);
    let text = login.text();
    assert!(
        text.contains(r#"<form id="login" method="post" action="/ui/login">"#),
        "{text}"
    );
    assert!(
        text.contains(r#"name="next" value="/ui/?state=Failed""#),
        "{text}"
    );
    assert!(
        login.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert_eq!(login.headers["x-frame-options"], "DENY");

    let wrong = request(
        &app,
        Method::POST,
        "/ui/login",
        &[FORM],
        Some(form(&[("username", "admin"), ("password", "nope")])),
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.text().contains(r#"class="error""#));
    assert!(cookie_set(&wrong, "sobatch_session").is_none());

    let response = request(
        &app,
        Method::POST,
        "/ui/login",
        &[FORM],
        Some(form(&[
            ("username", "ADMIN"),
            ("password", ADMIN_PASSWORD),
            ("next", "/ui/?state=Failed"),
        ])),
    )
    .await;
    assert_eq!(response.status, 303);
    assert_eq!(location(&response), "/ui/?state=Failed");
    let session = cookie_set(&response, "sobatch_session").unwrap();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    let xsrf = cookie_set(&response, "XSRF-TOKEN").unwrap();
    assert!(
        !xsrf.contains("HttpOnly"),
        "scripts read the XSRF cookie: {xsrf}"
    );
    let browser = Browser {
        session: cookie_value(&session),
        xsrf: cookie_value(&xsrf),
    };
    let list = page(&app, &browser, "/ui/").await;
    assert_eq!(list.status, 200);
    assert!(list.text().contains(r#"<table id="tasks""#));
    assert!(
        list.text()
            .contains(&format!(r#"name="XSRF_TOKEN" value="{}""#, browser.xsrf))
    );

    // The same session works for API calls: reads with the cookie alone, changes only with the
    // header that matches the session's token.
    let id = app.start(json!({"Name": "Echo"})).await;
    let cookie = browser.cookie();
    let read = page(&app, &browser, &format!("/api/v1/BatchTask/{id}")).await;
    assert_eq!(read.status, 200);
    let body = Some(br#"{"Name":"Echo"}"#.to_vec());
    let json_type = ("Content-Type", "application/json");
    let without = request(
        &app,
        Method::POST,
        "/api/v1/BatchTask",
        &[json_type, ("Cookie", &cookie)],
        body.clone(),
    )
    .await;
    assert_eq!(without.status, 401);
    assert!(
        without.text().contains("X-XSRF-TOKEN"),
        "{}",
        without.text()
    );
    let forged = request(
        &app,
        Method::POST,
        "/api/v1/BatchTask",
        &[json_type, ("Cookie", &cookie), ("X-XSRF-TOKEN", "guess")],
        body.clone(),
    )
    .await;
    assert_eq!(forged.status, 401);
    let with = request(
        &app,
        Method::POST,
        "/api/v1/BatchTask",
        &[
            json_type,
            ("Cookie", &cookie),
            ("X-XSRF-TOKEN", &browser.xsrf),
        ],
        body.clone(),
    )
    .await;
    assert_eq!(with.status, 200, "{}", with.text());

    // Signing out needs the token too, and ends the session for pages and the API alike.
    let refused = post_form(&app, &browser, "/ui/logout", &[]).await;
    assert_eq!(refused.status, 401);
    let out = post_form(
        &app,
        &browser,
        "/ui/logout",
        &[("XSRF_TOKEN", &browser.xsrf)],
    )
    .await;
    assert_eq!(out.status, 303);
    assert_eq!(location(&out), "/ui/login");
    assert!(
        cookie_set(&out, "sobatch_session")
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = page(&app, &browser, &format!("/api/v1/BatchTask/{id}")).await;
    assert_eq!(after.status, 401);
    assert_eq!(page(&app, &browser, "/ui/").await.status, 303);
    app.shutdown().await;
}

#[tokio::test]
async fn a_session_signed_in_on_one_node_works_on_another() {
    let app = spawn_app().await;
    let browser = sign_in(&app).await;
    let dir = app.shutdown().await;
    // The same database file, a new process: sessions live in the database.
    let db = format!("sqlite://{}", dir.path().join("sobatch.db").display());
    let again = spawn_app_with(move |config| config.db = db).await;
    assert_eq!(page(&again, &browser, "/ui/").await.status, 200);
    again.shutdown().await;
}

#[tokio::test]
async fn the_list_filters_and_offers_stop_as_cancellation_behaviour_allows() {
    let app = spawn_app().await;
    let browser = sign_in(&app).await;
    let plain = app
        .start(json!({"Name": "Block", "Description": "plain"}))
        .await;
    let warned = app
        .start(json!({"Name": "Block", "CancellationBehaviour": "CancelWithWarning"}))
        .await;
    let fixed = app
        .start(json!({"Name": "Block", "CancellationBehaviour": "CannotCancel"}))
        .await;
    let done = app.start(json!({"Name": "Echo"})).await;
    for id in [plain, warned, fixed] {
        app.wait_for_state(id, "Started").await;
    }
    app.wait_for_state(done, "Succeeded").await;

    let text = page(&app, &browser, "/ui/?state=Started").await.text();
    let row = |id: i32| {
        let start = text.find(&format!(r#"<tr data-task-id="{id}""#))?;
        let end = text[start..].find("</tr>")? + start;
        Some(text[start..end].to_string())
    };
    assert!(row(done).is_none(), "the state filter leaves it out");
    let plain_row = row(plain).unwrap();
    assert!(plain_row.contains(r#"<form class="stop""#), "{plain_row}");
    assert!(
        plain_row.contains(r#"<progress class="bar" max="100" value=""#),
        "{plain_row}"
    );
    assert!(!plain_row.contains("data-confirm"));
    assert!(
        !plain_row.contains(r#"class="delete""#),
        "no Delete while it runs"
    );
    let warned_row = row(warned).unwrap();
    assert!(
        warned_row.contains(r#"class="warn" data-confirm="#),
        "{warned_row}"
    );
    let fixed_row = row(fixed).unwrap();
    assert!(!fixed_row.contains(r#"<form class="stop""#), "{fixed_row}");

    let by_name = page(&app, &browser, "/ui/?name=ech").await.text();
    assert!(by_name.contains(&format!(r#"data-task-id="{done}""#)));
    assert!(!by_name.contains(&format!(r#"data-task-id="{plain}""#)));
    let nothing = page(&app, &browser, "/ui/?state=Failed&name=zzz")
        .await
        .text();
    assert!(nothing.contains("No tasks match these filters"));
    // Odd filters are ignored rather than failing the page.
    assert_eq!(
        page(&app, &browser, "/ui/?state=Bogus&page=x").await.status,
        200
    );
    app.shutdown().await;
}

#[tokio::test]
async fn stop_and_delete_forms_need_the_session_token_and_go_back_only_to_our_pages() {
    let app = spawn_app().await;
    let browser = sign_in(&app).await;
    let id = app.start(json!({"Name": "Block"})).await;
    app.wait_for_state(id, "Started").await;
    let stop = format!("/ui/tasks/{id}/stop");

    let refused = post_form(&app, &browser, &stop, &[("back", "/ui/")]).await;
    assert_eq!(refused.status, 401);
    let forged = post_form(
        &app,
        &browser,
        &stop,
        &[("XSRF_TOKEN", "x"), ("back", "/ui/")],
    )
    .await;
    assert_eq!(forged.status, 401);
    assert_eq!(app.get(id).await["State"], "Started");
    let anonymous = request(&app, Method::POST, &stop, &[FORM], Some(form(&[]))).await;
    assert_eq!(anonymous.status, 303);
    assert_eq!(location(&anonymous), "/ui/login");

    let stopped = post_form(
        &app,
        &browser,
        &stop,
        &[
            ("XSRF_TOKEN", &browser.xsrf),
            ("back", "https://elsewhere.example/"),
        ],
    )
    .await;
    assert_eq!(stopped.status, 303);
    assert_eq!(location(&stopped), "/ui/", "never back to another site");
    app.wait_for_state(id, "Failed").await;

    let deleted = post_form(
        &app,
        &browser,
        &format!("/ui/tasks/{id}/delete"),
        &[
            ("XSRF_TOKEN", &browser.xsrf),
            ("back", &format!("/ui/tasks/{id}")),
        ],
    )
    .await;
    assert_eq!(deleted.status, 303);
    assert_eq!(location(&deleted), "/ui/", "a deleted task's page is gone");
    assert!(app.client.task_get(id).await.unwrap().is_none());
    let gone = page(&app, &browser, &format!("/ui/tasks/{id}")).await;
    assert_eq!(gone.status, 404);
    app.shutdown().await;
}

#[tokio::test]
async fn a_task_page_shows_its_fields_parameters_trace_and_file() {
    let files = tempfile::tempdir().unwrap();
    let file_dir = files.path().to_path_buf();
    let app = spawn_app_with(move |config| config.http.file_dir = file_dir).await;
    let browser = sign_in(&app).await;
    let id = app
        .start(json!({
            "Name": "Echo",
            "Description": "<script>alert(1)</script>",
            "FileName": "report.csv",
            "ParameterObject": {"Region": "Nord & Sør", "Year": "2026"}
        }))
        .await;
    app.wait_for_state(id, "Succeeded").await;
    // The task's own folder holds its file; another task's folder holds another's.
    std::fs::create_dir_all(files.path().join(id.to_string())).unwrap();
    std::fs::write(files.path().join(format!("{id}/report.csv")), "a,b\n1,2\n").unwrap();
    std::fs::write(files.path().join("shared.txt"), "not any task's").unwrap();
    let response = page(&app, &browser, &format!("/ui/tasks/{id}")).await;
    assert_eq!(response.status, 200);
    let text = response.text();
    assert!(
        !text.contains("<script>alert"),
        "markup in fields stays text"
    );
    assert!(
        text.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{text}"
    );
    assert!(
        text.contains("Nord &#38; Sør") && text.contains("2026"),
        "{text}"
    );
    for field in [
        "<dt>StartCount</dt>",
        "<dt>CancellationBehaviour</dt>",
        "<dt>Response</dt>",
    ] {
        assert!(text.contains(field), "{field}");
    }
    let trace = &text[text.find("Event trace").unwrap()..];
    let created = trace.find("<td>Created</td>").unwrap();
    let succeeded = trace.find("<td>Succeeded</td>").unwrap();
    assert!(created < succeeded, "the trace is in order");
    assert!(text.contains(&format!(r#"href="/api/sobatch/v1/tasks/{id}/file""#)));

    let file = app
        .send(
            Method::GET,
            &format!("/api/sobatch/v1/tasks/{id}/file"),
            None,
        )
        .await;
    assert_eq!(file.status, 200);
    assert_eq!(file.text(), "a,b\n1,2\n");
    let disposition = file.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"report.csv\""),
        "{disposition}"
    );

    // A FileName outside the task's own folder (another task's file included), or none, is not
    // served.
    let theirs = format!("../{id}/report.csv");
    for (name, expected) in [
        (Some(theirs.as_str()), 404),
        (Some("../shared.txt"), 404),
        (Some("/etc/passwd"), 404),
        (None, 404),
    ] {
        let mut start = json!({"Name": "Echo"});
        if let Some(name) = name {
            start["FileName"] = json!(name);
        }
        let other = app.start(start).await;
        let response = app
            .send(
                Method::GET,
                &format!("/api/sobatch/v1/tasks/{other}/file"),
                None,
            )
            .await;
        assert_eq!(response.status, expected, "{name:?}");
        assert_eq!(response.json().unwrap()["Error"], true);
    }
    let unknown = app
        .send(Method::GET, "/api/sobatch/v1/tasks/999999/file", None)
        .await;
    assert_eq!(unknown.status, 404);
    app.shutdown().await;
}

#[tokio::test]
async fn the_definitions_page_and_a_row_fragment_render() {
    let app = spawn_app().await;
    let browser = sign_in(&app).await;
    let text = page(&app, &browser, "/ui/definitions").await.text();
    for name in ["Echo", "Sleep", "Fail"] {
        assert!(text.contains(&format!("<td>{name}</td>")), "{name}");
    }
    let id = app.start(json!({"Name": "Echo"})).await;
    let row = page(&app, &browser, &format!("/ui/tasks/{id}/row")).await;
    assert_eq!(row.status, 200);
    assert!(
        row.text()
            .trim_start()
            .starts_with(&format!(r#"<tr data-task-id="{id}""#))
    );
    let anonymous = request(&app, Method::GET, &format!("/ui/tasks/{id}/row"), &[], None).await;
    assert_eq!(anonymous.status, 401);
    let script = request(&app, Method::GET, "/ui/static/app.js", &[], None).await;
    assert_eq!(script.status, 200);
    assert!(
        script.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn malformed_dashboard_input_gets_4xx_never_5xx() {
    let app = spawn_app().await;
    let browser = sign_in(&app).await;
    let cookie = browser.cookie();
    let huge = vec![b'a'; 200 * 1024];
    type Case<'a> = (Method, String, Vec<(&'a str, &'a str)>, Option<Vec<u8>>);
    let cases: Vec<Case> = vec![
        (
            Method::POST,
            "/ui/login".into(),
            vec![FORM],
            Some(b"%zz=%%&&==".to_vec()),
        ),
        (
            Method::POST,
            "/ui/login".into(),
            vec![FORM],
            Some(vec![0xff, 0xfe, b'=', 0x80]),
        ),
        (
            Method::POST,
            "/ui/login".into(),
            vec![FORM],
            Some(huge.clone()),
        ),
        (
            Method::POST,
            "/ui/tasks/1/stop".into(),
            vec![FORM, ("Cookie", &cookie)],
            Some(huge),
        ),
        (
            Method::POST,
            "/ui/tasks/abc/stop".into(),
            vec![FORM, ("Cookie", &cookie)],
            Some(form(&[("XSRF_TOKEN", &browser.xsrf)])),
        ),
        (
            Method::GET,
            "/ui/tasks/-1".into(),
            vec![("Cookie", &cookie)],
            None,
        ),
        (
            Method::GET,
            "/ui/tasks/99999999999".into(),
            vec![("Cookie", &cookie)],
            None,
        ),
        (
            Method::GET,
            "/ui/tasks/1/row".into(),
            vec![("Cookie", "sobatch_session=forged")],
            None,
        ),
        (
            Method::GET,
            "/ui/?page=99999999999999999999".into(),
            vec![("Cookie", &cookie)],
            None,
        ),
        (Method::DELETE, "/ui/login".into(), vec![], None),
    ];
    for (method, path, headers, body) in cases {
        let response = request(&app, method.clone(), &path, &headers, body).await;
        assert!(
            response.status < 500,
            "{method} {path}: {} {}",
            response.status,
            response.text()
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_session_ends_when_its_lifetime_is_over() {
    let app = spawn_app_with(|config| {
        config.auth.session_lifetime = std::time::Duration::from_millis(300);
    })
    .await;
    let browser = sign_in(&app).await;
    assert_eq!(page(&app, &browser, "/ui/").await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(page(&app, &browser, "/ui/").await.status, 303);
    let api = page(&app, &browser, "/api/v1/BatchTask/All").await;
    assert_eq!(api.status, 401);
    app.shutdown().await;
}
