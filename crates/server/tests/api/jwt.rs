//! Bearer JWTs: accepted when signed with the configured key and algorithm, with the right issuer
//! and audience, within `exp` and `nbf`, for an associate that exists; refused otherwise,
//! including `alg: none`, a token signed with another key, and an HS256 token made with the
//! RS256 public key as its secret.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use sobatch_wire::Method;

use crate::helpers::{TestApp, post_json, spawn_app_with};

const SECRET: &str = "a-shared-secret-of-at-least-32-bytes!";
const RSA_PRIVATE: &str = include_str!("keys/rsa-private.pem");
const RSA_PUBLIC: &str = include_str!("keys/rsa-public.pem");
const EC_PRIVATE: &str = include_str!("keys/ec-private.pem");
const EC_PUBLIC: &str = include_str!("keys/ec-public.pem");
const ISSUER: &str = "https://id.example.test";
const AUDIENCE: &str = "sobatch";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims(sub: &str) -> Value {
    json!({"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "exp": now() + 300, "iat": now()})
}

fn hs256(claims: &Value, secret: &[u8]) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret).unwrap(),
    )
    .unwrap()
}

fn rs256(claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap();
    encode(&Header::new(Algorithm::RS256), claims, &key).unwrap()
}

fn es256(claims: &Value) -> String {
    let key = EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).unwrap();
    encode(&Header::new(Algorithm::ES256), claims, &key).unwrap()
}

/// An unsigned token, as an attacker would hand-craft one.
fn unsigned(claims: &Value) -> String {
    let part = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.",
        part(&json!({"alg": "none", "typ": "JWT"})),
        part(claims)
    )
}

async fn status_with(app: &TestApp, token: &str) -> u16 {
    app.anonymous()
        .send(
            Method::GET,
            "/api/v1/BatchTask/All",
            &[("Authorization", &format!("Bearer {token}"))],
            None,
        )
        .await
        .unwrap()
        .status
}

async fn app_with(secret: Option<&str>, pem: Option<&str>) -> TestApp {
    let (secret, pem) = (secret.map(str::to_string), pem.map(str::to_string));
    let app = spawn_app_with(move |config| {
        config.auth.jwt.hs256_secret = secret;
        config.auth.jwt.public_key_pem = pem;
        config.auth.jwt.issuer = Some(ISSUER.into());
        config.auth.jwt.audience = Some(AUDIENCE.into());
    })
    .await;
    app.add_user("ann", false, "pw").await;
    app
}

#[tokio::test]
async fn an_hs256_token_is_accepted_only_when_everything_about_it_is_right() {
    let app = app_with(Some(SECRET), None).await;
    assert_eq!(
        status_with(&app, &hs256(&claims("ann"), SECRET.as_bytes())).await,
        200
    );
    // Who it names is who calls: the task is Ann's.
    let response = post_json(
        &app.anonymous(),
        "/api/v1/BatchTask",
        (
            "Authorization",
            &format!("Bearer {}", hs256(&claims("ANN"), SECRET.as_bytes())),
        ),
        r#"{"Name": "Echo"}"#,
    )
    .await;
    let id = response.json().unwrap().as_i64().unwrap() as i32;
    assert_ne!(app.get(id).await["AssociateId"], 1, "not the admin's");

    let mut refused: Vec<(&str, String)> = Vec::new();
    refused.push((
        "another secret",
        hs256(&claims("ann"), b"another-secret-of-at-least-32-bytes!!"),
    ));
    let mut expired = claims("ann");
    expired["exp"] = json!(now() - 120);
    refused.push((
        "expired beyond the leeway",
        hs256(&expired, SECRET.as_bytes()),
    ));
    let mut early = claims("ann");
    early["nbf"] = json!(now() + 120);
    refused.push(("not valid yet", hs256(&early, SECRET.as_bytes())));
    let mut issuer = claims("ann");
    issuer["iss"] = json!("https://elsewhere.test");
    refused.push(("another issuer", hs256(&issuer, SECRET.as_bytes())));
    let mut audience = claims("ann");
    audience["aud"] = json!("someone-else");
    refused.push(("another audience", hs256(&audience, SECRET.as_bytes())));
    let mut endless = claims("ann");
    endless.as_object_mut().unwrap().remove("exp");
    refused.push(("no exp", hs256(&endless, SECRET.as_bytes())));
    refused.push(("a stranger", hs256(&claims("mallory"), SECRET.as_bytes())));
    let mut nameless = claims("ann");
    nameless["sub"] = json!(42);
    refused.push(("a sub that is no name", hs256(&nameless, SECRET.as_bytes())));
    refused.push(("alg none", unsigned(&claims("ann"))));
    refused.push(("RS256 when HS256 is configured", rs256(&claims("ann"))));
    refused.push((
        "malformed",
        "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln".to_string(),
    ));
    let token = hs256(&claims("ann"), SECRET.as_bytes());
    refused.push(("tampered", format!("{}x", &token[..token.len() - 1])));
    for (why, token) in refused {
        assert_eq!(status_with(&app, &token).await, 401, "{why}");
    }
    // The refusal says why, and carries nothing of the token.
    let response = app
        .anonymous()
        .send(
            Method::GET,
            "/api/v1/BatchTask/All",
            &[(
                "Authorization",
                &format!("Bearer {}", hs256(&expired, SECRET.as_bytes())),
            )],
            None,
        )
        .await
        .unwrap();
    let message = response.json().unwrap()["ErrorMessage"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("expired"), "{message}");
    app.shutdown().await;
}

#[tokio::test]
async fn with_a_public_key_only_its_algorithm_verifies_and_confusion_is_refused() {
    let app = app_with(None, Some(RSA_PUBLIC)).await;
    assert_eq!(status_with(&app, &rs256(&claims("ann"))).await, 200);
    // The classic confusion: an HS256 token whose secret is the public key itself.
    let confused = hs256(&claims("ann"), RSA_PUBLIC.as_bytes());
    assert_eq!(status_with(&app, &confused).await, 401);
    assert_eq!(status_with(&app, &es256(&claims("ann"))).await, 401);
    assert_eq!(status_with(&app, &unsigned(&claims("ann"))).await, 401);
    app.shutdown().await;

    let app = app_with(None, Some(EC_PUBLIC)).await;
    assert_eq!(status_with(&app, &es256(&claims("ann"))).await, 200);
    assert_eq!(status_with(&app, &rs256(&claims("ann"))).await, 401);
    assert_eq!(
        status_with(&app, &hs256(&claims("ann"), EC_PUBLIC.as_bytes())).await,
        401
    );
    app.shutdown().await;
}

#[tokio::test]
async fn without_a_key_jwts_are_refused_and_a_bad_key_stops_the_start() {
    let app = spawn_app_with(|_| {}).await;
    assert_eq!(
        status_with(&app, &hs256(&claims("admin"), SECRET.as_bytes())).await,
        401
    );
    app.shutdown().await;

    for (secret, pem, why) in [
        (Some(SECRET), Some(RSA_PUBLIC), "both keys"),
        (Some(SECRET), None, "no audience"),
        (Some("short"), None, "a short secret"),
        (
            None,
            Some("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
            "a bad key",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::helpers::test_config(dir.path());
        config.auth.jwt.hs256_secret = secret.map(str::to_string);
        config.auth.jwt.public_key_pem = pem.map(str::to_string);
        if why != "no audience" {
            config.auth.jwt.audience = Some(AUDIENCE.into());
        }
        let error = config
            .validate()
            .err()
            .unwrap_or_else(|| panic!("{why} is accepted"));
        assert!(error.to_string().contains("auth.jwt"), "{why}: {error}");
    }
}
