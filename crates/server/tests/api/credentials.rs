//! Tickets (`SOTicket`) and API tokens (`Bearer`): each accepted when right and refused when
//! wrong, expired, revoked or malformed; issued and revoked through their routes and the library
//! calls behind `sobatch token`; failed attempts throttled per address.

use std::time::Duration;

use serde_json::{Value, json};
use sobatch_wire::{Method, RawResponse};

use crate::helpers::{TestApp, post_json, spawn_app, spawn_app_with};

async fn with_authorization(app: &TestApp, method: Method, path: &str, value: &str) -> RawResponse {
    app.anonymous()
        .send(method, path, &[("Authorization", value)], None)
        .await
        .unwrap()
}

async fn ticket(app: &TestApp) -> String {
    let response = app
        .send(Method::POST, "/api/sobatch/v1/tickets", None)
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json().unwrap();
    assert!(body["Expires"].as_str().unwrap().ends_with('Z'));
    body["Ticket"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_ticket_signs_in_under_any_spelling_of_its_scheme_until_it_is_revoked() {
    let app = spawn_app().await;
    let id = app.start(json!({"Name": "Echo"})).await;
    let path = format!("/api/v1/BatchTask/{id}");
    let ticket = ticket(&app).await;
    assert!(
        ticket.starts_with("7T:") && ticket.len() >= 3 + 43,
        "{ticket}"
    );
    assert_ne!(ticket, self::ticket(&app).await, "every ticket is new");
    for scheme in ["SOTicket", "SoTicket", "SOTICKET", "soticket"] {
        let response =
            with_authorization(&app, Method::GET, &path, &format!("{scheme} {ticket}")).await;
        assert_eq!(response.status, 200, "{scheme}");
    }
    for wrong in [
        format!("SOTicket {ticket}x"),
        "SOTicket 7T:forged".to_string(),
        "SOTicket ".to_string(),
        format!("Bearer {ticket}"),
        format!("Negotiate {ticket}"),
    ] {
        let response = with_authorization(&app, Method::GET, &path, &wrong).await;
        assert_eq!(response.status, 401, "{wrong}");
        assert_eq!(response.json().unwrap()["ErrorType"], "Unauthorized");
        let challenges: Vec<&str> = response
            .headers
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        for scheme in ["Basic", "SOTicket", "Bearer"] {
            assert!(
                challenges.iter().any(|c| c.starts_with(scheme)),
                "{challenges:?}"
            );
        }
    }

    // Revoking needs a request that signed in with the ticket; then the ticket is gone.
    let basic = app
        .send(Method::DELETE, "/api/sobatch/v1/tickets/current", None)
        .await;
    assert_eq!(basic.status, 400);
    let revoked = with_authorization(
        &app,
        Method::DELETE,
        "/api/sobatch/v1/tickets/current",
        &format!("SOTicket {ticket}"),
    )
    .await;
    assert_eq!(revoked.status, 204);
    let after = with_authorization(&app, Method::GET, &path, &format!("SOTicket {ticket}")).await;
    assert_eq!(after.status, 401);
    app.shutdown().await;
}

#[tokio::test]
async fn tickets_and_tokens_expire() {
    let app =
        spawn_app_with(|config| config.auth.ticket_lifetime = Duration::from_millis(300)).await;
    let ticket = ticket(&app).await;
    let token = app
        .send(
            Method::POST,
            "/api/sobatch/v1/tokens",
            Some(br#"{"User": "admin", "Expires": "300ms"}"#),
        )
        .await
        .json()
        .unwrap()["Token"]
        .as_str()
        .unwrap()
        .to_string();
    for value in [format!("SOTicket {ticket}"), format!("Bearer {token}")] {
        let fresh = with_authorization(&app, Method::GET, "/api/v1/BatchTask/All", &value).await;
        assert_eq!(fresh.status, 200, "{value}");
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    for value in [format!("SOTicket {ticket}"), format!("Bearer {token}")] {
        let stale = with_authorization(&app, Method::GET, "/api/v1/BatchTask/All", &value).await;
        assert_eq!(stale.status, 401, "{value}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn administrators_issue_and_revoke_api_tokens_that_sign_in_as_their_associate() {
    let app = spawn_app().await;
    let ann = app.add_user("ann", false, "pw").await;
    let created = app
        .send(
            Method::POST,
            "/api/sobatch/v1/tokens",
            Some(br#"{"user": "ANN"}"#),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let body: Value = created.json().unwrap();
    let token = body["Token"].as_str().unwrap().to_string();
    assert!(token.starts_with("sbt_"), "{token}");
    assert_eq!(body["User"], "ann");
    assert_eq!(body["Expires"], Value::Null);
    let bearer = format!("Bearer {token}");

    // The token acts as ann: what it starts is hers.
    let started = post_json(
        &app.anonymous(),
        "/api/v1/BatchTask",
        ("Authorization", &bearer),
        r#"{"Name": "Echo"}"#,
    )
    .await;
    assert_eq!(started.status, 200, "{}", started.text());
    let id = started.json().unwrap().as_i64().unwrap();
    assert_eq!(app.get(id as i32).await["AssociateId"], ann);

    // Only administrators manage tokens.
    let as_ann = post_json(
        &app.anonymous(),
        "/api/sobatch/v1/tokens",
        ("Authorization", &bearer),
        r#"{"User": "ann"}"#,
    )
    .await;
    assert_eq!(as_ann.status, 403);

    for bad in [
        &br#"{"User": "nobody"}"#[..],
        br#"{"User": ""}"#,
        br#"{}"#,
        br#"{"User": "ann", "Expires": "0s"}"#,
        br#"{"User": "ann", "Expires": "soon"}"#,
        br#"{"User": "ann", "Expires": 30}"#,
        br#"not json"#,
    ] {
        let response = app
            .send(Method::POST, "/api/sobatch/v1/tokens", Some(bad))
            .await;
        assert_eq!(response.status, 400, "{}", String::from_utf8_lossy(bad));
    }

    let path = format!("/api/sobatch/v1/tokens/{}", body["Id"]);
    assert_eq!(app.send(Method::DELETE, &path, None).await.status, 204);
    assert_eq!(app.send(Method::DELETE, &path, None).await.status, 404);
    assert_eq!(
        app.send(Method::DELETE, "/api/sobatch/v1/tokens/x", None)
            .await
            .status,
        404
    );
    let refused = with_authorization(&app, Method::GET, "/api/v1/BatchTask/All", &bearer).await;
    assert_eq!(refused.status, 401);

    // What `sobatch token create` and `token revoke` call.
    let (id, token) = sobatch_server::token_create(&app.db_url, "ann", Some("30d"))
        .await
        .unwrap();
    let bearer = format!("Bearer {token}");
    let allowed = with_authorization(&app, Method::GET, "/api/v1/BatchTask/All", &bearer).await;
    assert_eq!(allowed.status, 200);
    sobatch_server::token_revoke(&app.db_url, id).await.unwrap();
    assert!(sobatch_server::token_revoke(&app.db_url, id).await.is_err());
    assert!(
        sobatch_server::token_create(&app.db_url, "nobody", None)
            .await
            .is_err()
    );
    assert!(
        sobatch_server::token_create(&app.db_url, "ann", Some("x"))
            .await
            .is_err()
    );
    let refused = with_authorization(&app, Method::GET, "/api/v1/BatchTask/All", &bearer).await;
    assert_eq!(refused.status, 401);
    app.shutdown().await;
}

#[tokio::test]
async fn guessing_tickets_is_throttled_per_address() {
    let app = spawn_app_with(|config| config.auth.failed_login_limit_per_address = 3).await;
    let good = ticket(&app).await;
    for attempt in 0..3 {
        let response = with_authorization(
            &app,
            Method::GET,
            "/api/v1/BatchTask/All",
            &format!("SOTicket 7T:guess{attempt}"),
        )
        .await;
        assert_eq!(response.status, 401);
    }
    // Blocked now, even with the right ticket, until the window ends.
    let blocked = with_authorization(
        &app,
        Method::GET,
        "/api/v1/BatchTask/All",
        &format!("SOTicket {good}"),
    )
    .await;
    assert_eq!(blocked.status, 429);
    assert!(blocked.headers.contains_key("retry-after"));
    app.shutdown().await;
}

async fn with_app_token(app: &TestApp, token: Option<&str>) -> RawResponse {
    let headers: Vec<(&str, &str)> = token.map(|t| ("SO-AppToken", t)).into_iter().collect();
    app.client
        .send(Method::GET, "/api/v1/BatchTask/All", &headers, None)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_unknown_app_token_is_refused_and_one_is_required_when_configured() {
    let app = spawn_app().await;
    let (_, token) = sobatch_server::app_add(&app.db_url, "Reports")
        .await
        .unwrap();
    assert!(token.starts_with("sba_"), "{token}");
    assert!(
        sobatch_server::app_add(&app.db_url, "REPORTS")
            .await
            .is_err()
    );
    assert_eq!(
        with_app_token(&app, None).await.status,
        200,
        "optional by default"
    );
    assert_eq!(with_app_token(&app, Some(&token)).await.status, 200);
    // What the application starts carries its name in every event.
    let mut stream = app.client.events(&[], None).await.unwrap();
    let started = post_json(
        &app.client,
        "/api/v1/BatchTask",
        ("SO-AppToken", &token),
        r#"{"Name": "Echo"}"#,
    )
    .await;
    assert_eq!(started.status, 200);
    let event = tokio::time::timeout(Duration::from_secs(20), stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let data: Value = serde_json::from_str(&event.data).unwrap();
    assert_eq!(
        (data["Kind"].as_str(), data["Application"].as_str()),
        (Some("Created"), Some("Reports"))
    );
    drop(stream);
    for wrong in ["sba_forged", " "] {
        let refused = with_app_token(&app, Some(wrong)).await;
        assert_eq!(refused.status, 401, "{wrong:?}");
        assert!(refused.text().contains("SO-AppToken"), "{}", refused.text());
    }
    let app = app
        .restart(|config| config.auth.require_app_token = true)
        .await;
    let missing = with_app_token(&app, None).await;
    assert_eq!(missing.status, 401);
    let message = missing.json().unwrap()["ErrorMessage"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("SO-AppToken"), "{message}");
    assert_eq!(with_app_token(&app, Some(&token)).await.status, 200);

    sobatch_server::app_remove(&app.db_url, "reports")
        .await
        .unwrap();
    assert_eq!(with_app_token(&app, Some(&token)).await.status, 401);
    assert!(
        sobatch_server::app_remove(&app.db_url, "reports")
            .await
            .is_err()
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_ticket_made_with_a_ticket_ends_no_later_and_a_stream_ends_with_its_ticket() {
    let app = spawn_app_with(|config| {
        config.auth.ticket_lifetime = Duration::from_secs(3600);
        config.http.event_heartbeat = Duration::from_millis(100);
    })
    .await;
    let first = app
        .send(Method::POST, "/api/sobatch/v1/tickets", None)
        .await
        .json()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let ticket = first["Ticket"].as_str().unwrap().to_string();
    let second = with_authorization(
        &app,
        Method::POST,
        "/api/sobatch/v1/tickets",
        &format!("SOTicket {ticket}"),
    )
    .await
    .json()
    .unwrap();
    assert!(
        second["Expires"].as_str().unwrap() <= first["Expires"].as_str().unwrap(),
        "{first} {second}"
    );

    // A stream opened with the ticket ends once the ticket is revoked.
    let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let request = format!(
        "GET /api/sobatch/v1/events HTTP/1.1\r\nHost: {}\r\nAuthorization: SOTicket {ticket}\r\nConnection: close\r\n\r\n",
        app.addr
    );
    tokio::io::AsyncWriteExt::write_all(&mut socket, request.as_bytes())
        .await
        .unwrap();
    let reader = tokio::spawn(async move {
        let mut seen = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut socket, &mut seen)
            .await
            .ok();
        String::from_utf8_lossy(&seen).into_owned()
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let revoked = with_authorization(
        &app,
        Method::DELETE,
        "/api/sobatch/v1/tickets/current",
        &format!("SOTicket {ticket}"),
    )
    .await;
    assert_eq!(revoked.status, 204);
    let seen = tokio::time::timeout(Duration::from_secs(10), reader)
        .await
        .expect("the stream ends with its ticket")
        .unwrap();
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    app.shutdown().await;
}
