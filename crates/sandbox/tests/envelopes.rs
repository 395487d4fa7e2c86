//! What each simulation answers to the failures the kit finds: a body that
//! isn't JSON, and paging parameters out of the vendor's bounds. Each answer
//! is in the vendor's own error envelope, over HTTP.

use leads_mcp_sandbox::{Sandbox, leadgenius, leadmetrics, leadpanther, leadspro, leadsrover};
use serde_json::{Value, json};

/// One request: its status and its JSON body (`null` if it has none).
async fn send(
    sandbox: &Sandbox,
    vendor: &str,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<&'static str>,
) -> Result<(u16, Value), String> {
    // Plain HTTP, but reqwest is built with `rustls-no-provider` across the
    // workspace: a client needs a process-wide provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let base = sandbox
        .base_url(vendor)
        .ok_or(format!("no simulation of {vendor}"))?;
    let url = format!("{base}{path}");
    let mut request = reqwest::Client::new().request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or(Value::Null)))
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_the_vendors_envelope() {
    let sandbox = Sandbox::start().await.unwrap();
    let post = reqwest::Method::POST;
    let broken = Some("{not json");

    let (status, body) = send(
        &sandbox,
        "leadpanther",
        post.clone(),
        "/posts",
        Some(leadpanther::FULL_KEY),
        broken,
    )
    .await
    .unwrap();
    assert_eq!(status, 400);
    assert_eq!(
        body["error"],
        json!({"code": "bad_request", "message": "Invalid payload."})
    );
    assert!(body["request_id"].as_str().unwrap().starts_with("req_"));

    let (status, body) = send(
        &sandbox,
        "leadsrover",
        post.clone(),
        "/api/v1/leads/1202/draft",
        Some(leadsrover::FULL_KEY),
        broken,
    )
    .await
    .unwrap();
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": {
            "code": "BAD_REQUEST",
            "message": "Invalid parameters: a JSON object body is required",
            "doc_url": "https://leadsrover.io/docs/api#errors"
        }})
    );

    let (status, body) = send(&sandbox, "leadgenius", post.clone(), "/auth", None, broken)
        .await
        .unwrap();
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({
            "success": false,
            "error": "Invalid JSON body",
            "errorType": "invalid_format",
            "details": "The body must be a JSON object.",
            "recommendation": "Send a JSON object with Content-Type: application/json."
        })
    );

    let (status, body) = send(
        &sandbox,
        "leadspro",
        post.clone(),
        "/v1/enrich",
        Some(leadspro::GROWTH_KEY),
        broken,
    )
    .await
    .unwrap();
    assert_eq!(status, 400);
    assert_eq!(
        body["error"],
        json!({"code": "invalid_request", "message": "The body must be a JSON object.", "param": "body"})
    );
    assert_eq!(body["meta"]["credits_used"], 0);

    let (status, body) = send(
        &sandbox,
        "leadmetrics",
        post.clone(),
        "/auth/v1/login",
        None,
        broken,
    )
    .await
    .unwrap();
    assert_eq!(status, 400);
    assert_eq!(
        (
            &body["statusCode"],
            &body["code"],
            &body["error"],
            &body["message"]
        ),
        (
            &json!(400),
            &json!("VALIDATION_ERROR"),
            &json!("Bad Request"),
            &json!("body must be an object.")
        )
    );
}

#[tokio::test]
async fn a_key_is_checked_before_the_body() {
    let sandbox = Sandbox::start().await.unwrap();
    let (status, body) = send(
        &sandbox,
        "leadspro",
        reqwest::Method::POST,
        "/v1/enrich",
        Some("pl_wrong_key"),
        Some("{not json"),
    )
    .await
    .unwrap();
    assert_eq!(
        (status, &body["error"]["code"]),
        (401, &json!("unauthorized"))
    );
}

#[tokio::test]
async fn paging_parameters_out_of_bounds_get_the_vendors_answer() {
    let sandbox = Sandbox::start().await.unwrap();
    let get = reqwest::Method::GET;
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "leadpanther",
            leadpanther::FULL_KEY,
            "/posts?limit=101",
            "Invalid query parameters.",
        ),
        (
            "leadpanther",
            leadpanther::FULL_KEY,
            "/posts?offset=-1",
            "Invalid query parameters.",
        ),
        (
            "leadsrover",
            leadsrover::FULL_KEY,
            "/api/v1/drafts?limit=0",
            "Invalid parameter: limit",
        ),
        (
            "leadsrover",
            leadsrover::FULL_KEY,
            "/api/v1/drafts?offset=x",
            "Invalid parameter: offset",
        ),
        (
            "leadmetrics",
            leadmetrics::STATIC_TOKEN,
            "/dashboard/v1/campaigns?limit=101",
            "limit must be 1-100.",
        ),
        (
            "leadmetrics",
            leadmetrics::STATIC_TOKEN,
            "/dashboard/v1/campaigns?limit=x",
            "Invalid pagination.",
        ),
    ];
    for (vendor, token, path, message) in cases {
        let (status, body) = send(&sandbox, vendor, get.clone(), path, Some(token), None)
            .await
            .unwrap();
        assert_eq!(status, 400, "{vendor} {path}");
        let said = body["error"]["message"]
            .as_str()
            .or(body["message"].as_str());
        assert_eq!(said, Some(*message), "{vendor} {path}: {body}");
    }
    // Within bounds, the last page says there is no more.
    let (status, body) = send(
        &sandbox,
        "leadmetrics",
        get.clone(),
        "/dashboard/v1/campaigns?limit=100&offset=0",
        Some(leadmetrics::STATIC_TOKEN),
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        body["pagination"],
        json!({"limit": 100, "offset": 0, "total": 1, "hasMore": false})
    );

    let leads = format!("/leads?client_id={}", leadgenius::CLIENT_A);
    let token = Some(leadgenius::ACCESS_TOKEN);
    let (status, body) = send(
        &sandbox,
        "leadgenius",
        get.clone(),
        &format!("{leads}&limit=1001"),
        token,
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 400);
    assert_eq!(
        (&body["errorType"], &body["details"]),
        (&json!("invalid_value"), &json!("limit must be 1 to 1000."))
    );
    let (status, body) = send(
        &sandbox,
        "leadgenius",
        get.clone(),
        &format!("{leads}&nextToken=lgs_bt_2"),
        token,
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 400);
    assert_eq!(
        (&body["errorType"], &body["error"]),
        (&json!("invalid_format"), &json!("Invalid pagination token"))
    );
    // A cursor the list gave leads to the next page.
    let (_, first) = send(
        &sandbox,
        "leadgenius",
        get.clone(),
        &format!("{leads}&limit=3"),
        token,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        (first["count"].as_u64(), first["nextToken"].as_str()),
        (Some(3), Some("lgs_nt_3"))
    );
    let (_, rest) = send(
        &sandbox,
        "leadgenius",
        get,
        &format!("{leads}&limit=3&nextToken=lgs_nt_3"),
        token,
        None,
    )
    .await
    .unwrap();
    assert_eq!(rest["count"], 2);
    assert_eq!(rest["nextToken"], Value::Null);
}
