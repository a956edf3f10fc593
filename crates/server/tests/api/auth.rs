//! Basic authentication on every SuperOffice route, and who owns what a caller starts.

use serde_json::json;
use sobatch_wire::Method;

use crate::helpers::{ADMIN_PASSWORD, spawn_app};

#[tokio::test]
async fn every_superoffice_route_needs_credentials() {
    let app = spawn_app().await;
    let anonymous = app.anonymous();
    let routes = [
        (
            Method::POST,
            "/api/v1/BatchTask",
            Some(br#"{"Name":"Echo"}"#.to_vec()),
        ),
        (Method::GET, "/api/v1/BatchTask/1", None),
        (Method::GET, "/api/v1/BatchTask/All", None),
        (Method::PUT, "/api/v1/BatchTask/1", Some(b"{}".to_vec())),
        (Method::POST, "/api/v1/BatchTask/1/Stop", None),
        (Method::DELETE, "/api/v1/BatchTask/1", None),
    ];
    for (method, path, body) in routes {
        let response = anonymous
            .send(method.clone(), path, &[], body)
            .await
            .unwrap();
        assert_eq!(response.status, 401, "{method} {path}");
        let challenge = response.headers["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Basic"), "{challenge}");
        let body = response.json().unwrap();
        assert_eq!(body["Error"], true);
        assert_eq!(body["ErrorType"], "Unauthorized");
    }
    // The health check is open.
    let response = anonymous
        .send(Method::GET, "/healthz", &[], None)
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    app.shutdown().await;
}

#[tokio::test]
async fn wrong_passwords_unknown_users_and_other_schemes_are_refused() {
    let app = spawn_app().await;
    for client in [
        app.client_as("admin", "wrong"),
        app.client_as("nobody", ADMIN_PASSWORD),
        app.client_as("admin", ""),
    ] {
        let error = client.task_get(1).await.unwrap_err();
        assert!(
            matches!(error, sobatch_wire::ClientError::Status { status: 401, .. }),
            "{error:?}"
        );
    }
    for header in ["Bearer abc", "Basic !!!", "Basic", "Basic YWRtaW4="] {
        let response = app
            .anonymous()
            .send(
                Method::GET,
                "/api/v1/BatchTask/All",
                &[("Authorization", header)],
                None,
            )
            .await
            .unwrap();
        assert_eq!(response.status, 401, "{header}");
    }
    // The right password still works afterwards, in any case of the scheme name.
    let response = app
        .anonymous()
        .send(
            Method::GET,
            "/api/v1/BatchTask/All",
            &[(
                "Authorization",
                "basic YWRtaW46YWRtaW4tdGVzdC1wYXNzd29yZA==",
            )],
            None,
        )
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    app.shutdown().await;
}

#[tokio::test]
async fn the_caller_owns_the_task_and_only_admins_start_system_tasks() {
    let app = spawn_app().await;
    let alice_id = app.add_user("alice", false, "alice-pass").await;
    let alice = app.client_as("alice", "alice-pass");

    // An AssociateId that names nobody here is the server's to set: the caller owns the task.
    let id = alice
        .task_start(&json!({"Name": "Waiting", "AssociateId": 4242}))
        .await
        .unwrap();
    let task = app.get(id).await;
    assert_eq!(
        task["AssociateId"], alice_id,
        "the caller, not the body, owns it"
    );
    assert_eq!(task["IsSystemTask"], false);
    // Naming another associate is for administrators only.
    let refused = alice
        .task_start(&json!({"Name": "Waiting", "AssociateId": 1}))
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            sobatch_wire::ClientError::Status { status: 403, .. }
        ),
        "{refused:?}"
    );
    let for_alice = app
        .start(json!({"Name": "Waiting", "AssociateId": alice_id}))
        .await;
    assert_eq!(
        app.get(for_alice).await["AssociateId"],
        alice_id,
        "an admin acts for alice"
    );

    for body in [
        json!({"Name": "Waiting", "IsSystemTask": true}),
        json!({"Name": "Waiting", "AssociateId": 0}),
    ] {
        let error = alice.task_start(&body).await.unwrap_err();
        match error {
            sobatch_wire::ClientError::Status { status, body } => {
                assert_eq!(status, 403);
                let body: serde_json::Value = serde_json::from_str(&body).unwrap();
                assert_eq!(body["ErrorType"], "Forbidden");
            }
            other => panic!("{other:?}"),
        }
    }

    let system = app
        .start(json!({"Name": "Waiting", "IsSystemTask": true}))
        .await;
    let task = app.get(system).await;
    assert_eq!(task["AssociateId"], 0);
    assert_eq!(task["IsSystemTask"], true);
    // Users see all user tasks (SuperOffice behaviour), never system ones, in by-state lists.
    let listed = alice.tasks_by_state("All").await.unwrap();
    assert_eq!(listed.len(), 2, "hers, and the one started for her");
    app.shutdown().await;
}

#[tokio::test]
async fn user_names_match_case_insensitively_and_duplicates_are_refused() {
    let app = spawn_app().await;
    app.add_user("Bob", false, "bob-pass").await;
    let bob = app.client_as("bob", "bob-pass");
    assert!(bob.tasks_by_state("All").await.is_ok());
    let duplicate = sobatch_server::user_add(&app.db_url, "BOB", false, "x").await;
    assert!(duplicate.is_err());
    app.shutdown().await;
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_name_and_the_block_lifts_with_the_window() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.auth.failed_login_limit = 3;
        config.auth.failed_login_window = std::time::Duration::from_secs(2);
    })
    .await;
    app.add_user("guessed", false, "right-one").await;
    let echo = json!({"Name": "Echo"});
    for attempt in 0..3 {
        let error = app
            .client_as("guessed", &format!("wrong-{attempt}"))
            .task_start(&echo)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("401"), "{error}");
    }
    // The right password is refused too while the name is blocked, and the hash never runs.
    let response = app
        .client_as("guessed", "right-one")
        .send(
            Method::POST,
            "/api/v1/BatchTask",
            &[],
            Some(echo.to_string().into_bytes()),
        )
        .await
        .unwrap();
    assert_eq!(response.status, 429);
    let wait: u64 = response.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    let body = response.json().unwrap();
    assert_eq!(body["ErrorType"], "TooManyRequests");
    assert_eq!(
        body["ErrorMessage"],
        "too many failed sign-ins; try again later"
    );
    // Other names are not affected.
    assert!(
        app.client_as("admin", ADMIN_PASSWORD)
            .task_start(&echo)
            .await
            .is_ok()
    );

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert!(
        app.client_as("guessed", "right-one")
            .task_start(&echo)
            .await
            .is_ok(),
        "the block ends with the window"
    );
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_client_address_whatever_the_names() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.auth.failed_login_limit_per_address = 4;
    })
    .await;
    let echo = json!({"Name": "Echo"});
    for name in ["a", "b", "c", "d"] {
        let error = app
            .client_as(name, "nope")
            .task_start(&echo)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("401"), "{error}");
    }
    let response = app
        .client_as("admin", ADMIN_PASSWORD)
        .send(Method::GET, "/api/v1/BatchTask/All", &[], None)
        .await
        .unwrap();
    assert_eq!(response.status, 429, "every name from this address waits");
    assert!(response.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn guesses_sent_at_once_are_counted_in_turn_and_a_known_client_keeps_working() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.auth.failed_login_limit = 5;
        config.auth.failed_login_limit_per_address = 0;
    })
    .await;
    // The right password, once: now remembered.
    assert!(app.client.task_get(1).await.is_ok());
    let guesses: Vec<_> = (0..20)
        .map(|n| {
            let client = app.client_as("admin", &format!("guess-{n}"));
            tokio::spawn(async move { client.task_get(1).await.unwrap_err() })
        })
        .collect();
    let mut statuses = Vec::new();
    for guess in guesses {
        match guess.await.unwrap() {
            sobatch_wire::ClientError::Status { status, .. } => statuses.push(status),
            other => panic!("{other:?}"),
        }
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(
        checked, 5,
        "only the limit's worth were checked: {statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 15);
    // The client that signed in before keeps working while the name is blocked for guessers.
    assert!(app.client.task_get(1).await.is_ok());
    app.shutdown().await;
}
