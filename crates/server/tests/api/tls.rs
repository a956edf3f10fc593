//! HTTPS served directly: a client that trusts the certificate gets answers, plain HTTP and a
//! broken handshake get none and do not stop the server, session cookies are `Secure`, and a
//! half or broken TLS configuration stops the start.

use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::helpers::{ADMIN_PASSWORD, TestApp, admin_basic_credentials, spawn_app_with};

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/api/keys")
        .join(name)
}

async fn tls_app() -> TestApp {
    spawn_app_with(|config| {
        config.tls_cert = Some(fixture("tls-cert.pem"));
        config.tls_key = Some(fixture("tls-key.pem"));
    })
    .await
}

fn connector() -> TlsConnector {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(fixture("tls-ca.pem")).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// One request over HTTPS, answered whole (the connection closes after it).
async fn https(app: &TestApp, request: &str) -> String {
    let tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector().connect(name, tcp).await.unwrap();
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut answer))
        .await
        .unwrap()
        .ok();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn https_answers_a_trusting_client_and_shrugs_off_plain_http() {
    let app = tls_app().await;
    let answer = https(
        &app,
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok"), "{answer}");

    // Plain HTTP on the TLS port gets no HTTP answer.
    let mut plain = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), plain.read_to_end(&mut answer)).await;
    assert!(!String::from_utf8_lossy(&answer).contains("HTTP/1.1 200"));
    // A client that opens a connection and says nothing does not hold up the next one.
    let _silent = tokio::net::TcpStream::connect(app.addr).await.unwrap();

    // The API works, and a dashboard sign-in's cookies are Secure.
    let credentials = admin_basic_credentials();
    let answer = https(
        &app,
        &format!(
            "GET /api/v1/BatchTask/All HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {credentials}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let form = format!("username=admin&password={ADMIN_PASSWORD}");
    let answer = https(
        &app,
        &format!(
            "POST /ui/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
            form.len()
        ),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    let cookies: Vec<&str> = answer
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .collect();
    assert_eq!(cookies.len(), 2, "{answer}");
    assert!(
        cookies.iter().all(|c| c.contains("; Secure")),
        "{cookies:?}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_half_or_broken_tls_configuration_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::helpers::test_config(dir.path());
    config.tls_cert = Some(fixture("tls-cert.pem"));
    assert!(
        config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("tls_key")
    );

    // The key of another certificate, and a certificate file that holds none.
    for (cert, key) in [
        (fixture("tls-cert.pem"), fixture("ec-private.pem")),
        (fixture("README"), fixture("tls-key.pem")),
    ] {
        let mut config = crate::helpers::test_config(dir.path());
        config.tls_cert = Some(cert.clone());
        config.tls_key = Some(key);
        let started = sobatch_server::Application::builder(config).build().await;
        assert!(started.is_err(), "{} was accepted", cert.display());
    }
}
