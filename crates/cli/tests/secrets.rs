//! No password, ticket, token, application token, session cookie or key ever reaches the log: the
//! real binary runs at trace level, the most it logs, while every credential scheme is used, rightly and wrongly,
//! and its whole log is searched for each secret.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{PASSWORD, runtime, sobatch, start_server_env};
use sobatch_wire::{Method, WireClient};

const ANN_PASSWORD: &str = "ann-very-secret-pw";
const WRONG_PASSWORD: &str = "a-wrong-guess-of-a-pw";
const JWT_SECRET: &str = "jwt-signing-secret-of-forty-characters!!";

fn cli(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = sobatch()
        .args(args)
        .args(["--db", "sqlite://sobatch.db"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

#[test]
fn no_secret_reaches_the_log_at_trace_level() {
    let dir = tempfile::tempdir().unwrap();
    cli(dir.path(), &["migrate"], None);
    cli(
        dir.path(),
        &["user", "add", "ann", "--password-stdin"],
        Some(ANN_PASSWORD),
    );
    let token = cli(dir.path(), &["token", "create", "--user", "ann"], None);
    let app_token = cli(dir.path(), &["app", "add", "Reports"], None);
    let server = start_server_env(
        dir.path(),
        &[],
        &[
            ("SOBATCH_LOG", "trace"),
            ("SOBATCH_AUTH__JWT__HS256_SECRET", JWT_SECRET),
            ("SOBATCH_AUTH__JWT__AUDIENCE", "sobatch"),
        ],
    );
    let base = format!("http://{}", server.addr);
    let mut secrets = vec![
        PASSWORD.to_string(),
        ANN_PASSWORD.to_string(),
        WRONG_PASSWORD.to_string(),
        JWT_SECRET.to_string(),
        token.clone(),
        app_token.clone(),
    ];
    runtime().block_on(async {
        let plain = WireClient::new(&base).unwrap();
        let get = |headers: Vec<(String, String)>| {
            let plain = plain.clone();
            async move {
                let headers: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                plain
                    .send(Method::GET, "/api/v1/BatchTask/All", &headers, None)
                    .await
                    .unwrap()
            }
        };
        let ann = plain.clone().with_basic_auth("ann", ANN_PASSWORD);
        assert!(ann.task_get(1).await.is_ok());
        let wrong = plain.clone().with_basic_auth("ann", WRONG_PASSWORD);
        assert!(wrong.task_get(1).await.is_err());

        let ticket = ann
            .send(Method::POST, "/api/sobatch/v1/tickets", &[], None)
            .await
            .unwrap()
            .json()
            .unwrap()["Ticket"]
            .as_str()
            .unwrap()
            .to_string();
        let auth = |value: String| vec![("Authorization".to_string(), value)];
        assert_eq!(get(auth(format!("SOTicket {ticket}"))).await.status, 200);
        assert_eq!(
            get(auth(format!("SOTicket {ticket}-forged"))).await.status,
            401
        );
        assert_eq!(get(auth(format!("Bearer {token}"))).await.status, 200);
        assert_eq!(get(auth(format!("Bearer {token}x"))).await.status, 401);
        let mut with_app = auth(format!("Bearer {token}"));
        with_app.push(("SO-AppToken".into(), app_token.clone()));
        assert_eq!(get(with_app).await.status, 200);
        assert_eq!(
            get(vec![("SO-AppToken".into(), format!("{app_token}x"))])
                .await
                .status,
            401
        );

        // A dashboard sign-in, and its cookies used.
        let form = format!("username=ann&password={ANN_PASSWORD}");
        let login = plain
            .send(
                Method::POST,
                "/ui/login",
                &[("Content-Type", "application/x-www-form-urlencoded")],
                Some(form.into_bytes()),
            )
            .await
            .unwrap();
        assert_eq!(login.status, 303);
        let cookies: Vec<String> = login
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
            .collect();
        for cookie in &cookies {
            secrets.push(cookie.split_once('=').unwrap().1.to_string());
        }
        let page = plain
            .send(
                Method::GET,
                "/ui/",
                &[("Cookie", &cookies.join("; "))],
                None,
            )
            .await
            .unwrap();
        assert_eq!(page.status, 200);
        secrets.push(ticket);
    });
    let log = server.log.clone();
    let status = server.terminate();
    assert!(status.success());
    let log = log.lock().unwrap().join("\n");
    assert!(log.contains("listening on"), "the server logged: {log}");
    for secret in &secrets {
        assert!(!secret.is_empty());
        assert!(
            !log.contains(secret.as_str()),
            "the log holds a secret:\n{log}"
        );
    }
}
