//! Identity and access through the real HTTP edge: tokens, sessions,
//! roles, throttling, recovery, invitations and the audit trail.

use std::time::Duration;

use attend_integration_tests::{Options, PASSWORD, TestFleet};
use attend_kit::grpc::{Caller, request};
use attend_kit::ids::OrgId;
use serde_json::{Value, json};

fn claims_for(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT payload");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn clinic(fleet: &TestFleet, slug: &str) -> (OrgId, String) {
    let org = fleet.create_org(slug, &format!("wix-{slug}")).await;
    let token = fleet.user_token(org, &format!("staff@{slug}.example"), "staff").await;
    (org, token)
}

/// Tokens identity never issued, or no longer accepts, are all 401s: an
/// expired one (genuinely signed), `alg: none`, HS256 keyed with the public
/// key, a `kid` nobody published, and a wrong issuer.
#[tokio::test]
async fn forged_and_expired_access_tokens_are_refused() {
    let fleet = TestFleet::start().await;
    let (_, token) = clinic(&fleet, "sec-a").await;
    let (status, _) = fleet.api_get(&token, "/api/auth/me").await;
    assert_eq!(status, 200, "the genuine token works");

    let mut claims = claims_for(&token);
    let now = chrono::Utc::now().timestamp();
    claims["iat"] = json!(now - 3600);
    claims["exp"] = json!(now - 1800);
    let expired = fleet.sign_as_identity(&claims).await;
    let (status, problem) = fleet.api_get(&expired, "/api/auth/me").await;
    assert_eq!(status, 401, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("expired"), "{problem}");

    let header: Value = serde_json::from_slice(&{
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap()
    })
    .unwrap();
    let none = format!(
        "{}.{}.",
        b64(json!({"alg": "none", "typ": "JWT", "kid": header["kid"]})
            .to_string()
            .as_bytes()),
        b64(claims_for(&token).to_string().as_bytes())
    );
    assert_eq!(fleet.api_get(&none, "/api/auth/me").await.0, 401, "alg none");

    let jwks: Value = serde_json::from_str(
        &fleet
            .identity()
            .get_signing_keys(request(
                attend_proto::identity::v1::GetSigningKeysRequest {},
                &Caller::anonymous(),
            ))
            .await
            .unwrap()
            .into_inner()
            .jwks_json,
    )
    .unwrap();
    let public_x = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let mut hs_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs_header.kid = header["kid"].as_str().map(str::to_owned);
    let hs256 = jsonwebtoken::encode(
        &hs_header,
        &claims_for(&token),
        &jsonwebtoken::EncodingKey::from_secret(public_x.as_bytes()),
    )
    .unwrap();
    assert_eq!(
        fleet.api_get(&hs256, "/api/auth/me").await.0,
        401,
        "HS256 with the public key"
    );

    let stranger = aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new()).unwrap();
    let mut unknown = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    unknown.kid = Some("k-nobody-published-this".to_owned());
    let unknown_kid = jsonwebtoken::encode(
        &unknown,
        &claims_for(&token),
        &jsonwebtoken::EncodingKey::from_ed_der(stranger.as_ref()),
    )
    .unwrap();
    let (status, problem) = fleet.api_get(&unknown_kid, "/api/auth/me").await;
    assert_eq!(status, 401, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("unknown key"), "{problem}");

    let mut other_issuer = claims_for(&token);
    other_issuer["iss"] = json!("someone-else");
    let (status, _) = fleet
        .api_get(&fleet.sign_as_identity(&other_issuer).await, "/api/auth/me")
        .await;
    assert_eq!(status, 401, "a token from another issuer");
    fleet.teardown().await;
}

/// A refresh token works once: refreshing rotates it, and presenting the
/// spent one again revokes the whole family, so the newest one stops
/// working too. Logout revokes a family.
#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let fleet = TestFleet::start().await;
    let (org, _) = clinic(&fleet, "sec-b").await;
    fleet.user_token(org, "admin@sec-b.example", "admin").await;
    let (status, session) = fleet.login("admin@sec-b.example", PASSWORD).await;
    assert_eq!(status, 200);
    let first = session["refresh_token"].as_str().unwrap().to_owned();
    assert!(first.starts_with("rt_"));
    assert_eq!(session["expires_in"], 900, "access tokens last 15 minutes");
    assert_eq!(session["refresh_expires_in"], 7 * 24 * 3600, "refresh tokens 7 days");

    let (status, renewed, _) = fleet
        .api_post(None, "/api/auth/refresh", &json!({"refresh_token": first}))
        .await;
    assert_eq!(status, 200, "{renewed}");
    let second = renewed["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second, "rotated");
    assert_eq!(
        fleet
            .api_get(renewed["access_token"].as_str().unwrap(), "/api/auth/me")
            .await
            .0,
        200
    );

    let (status, problem, _) = fleet
        .api_post(None, "/api/auth/refresh", &json!({"refresh_token": first}))
        .await;
    assert_eq!(status, 401, "the spent token: {problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("already used"),
        "{problem}"
    );
    let (status, _, _) = fleet
        .api_post(None, "/api/auth/refresh", &json!({"refresh_token": second}))
        .await;
    assert_eq!(status, 401, "the family is revoked, newest token included");

    let (_, session) = fleet.login("admin@sec-b.example", PASSWORD).await;
    let token = session["refresh_token"].as_str().unwrap();
    let (status, _, _) = fleet
        .api_post(None, "/api/auth/logout", &json!({"refresh_token": token}))
        .await;
    assert_eq!(status, 204);
    let (status, _, _) = fleet
        .api_post(None, "/api/auth/refresh", &json!({"refresh_token": token}))
        .await;
    assert_eq!(status, 401, "logged out");
    fleet.teardown().await;
}

/// Roles are enforced: read-only can't invite (403, no email sent), portal
/// roles can't read practice contacts, and only admins see users and audit.
#[tokio::test]
async fn roles_limit_what_each_user_can_do() {
    let fleet = TestFleet::start().await;
    let (org, staff) = clinic(&fleet, "sec-c").await;
    let readonly = fleet.user_token(org, "readonly@sec-c.example", "readonly").await;
    let admin = fleet.user_token(org, "admin@sec-c.example", "admin").await;

    let invite = json!({"email": "new@sec-c.example", "role": "staff", "name": "New"});
    let (status, problem, _) = fleet.api_post(Some(&readonly), "/api/admin/invitations", &invite).await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["code"], "forbidden");
    assert!(
        problem["detail"].as_str().unwrap().contains("users:manage"),
        "{problem}"
    );
    let (status, _, _) = fleet.api_post(Some(&staff), "/api/admin/invitations", &invite).await;
    assert_eq!(status, 403, "staff can't invite either");
    assert!(
        fleet.sandbox_emails("new@sec-c.example").await.is_empty(),
        "nothing was sent"
    );

    for path in ["/api/admin/users", "/api/admin/audit"] {
        assert_eq!(fleet.api_get(&readonly, path).await.0, 403, "readonly {path}");
        assert_eq!(fleet.api_get(&staff, path).await.0, 403, "staff {path}");
        assert_eq!(fleet.api_get(&admin, path).await.0, 200, "admin {path}");
    }
    let (_, users) = fleet.api_get(&admin, "/api/admin/users").await;
    assert_eq!(
        users["users"].as_array().unwrap().len(),
        3,
        "only this organisation's users"
    );
    fleet.teardown().await;
}

/// Five wrong passwords lock the account for 15 minutes with a clear
/// message and Retry-After; while locked even the right password is
/// refused. Before the lock, attempts back off.
#[tokio::test]
async fn failed_logins_back_off_then_lock_the_account() {
    let fleet = TestFleet::start().await;
    let (org, _) = clinic(&fleet, "sec-d").await;
    fleet.user_token(org, "victim@sec-d.example", "staff").await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        // Past the backoff, so each wrong password is counted.
        let response = fleet
            .send_when_allowed(|| {
                fleet
                    .http
                    .post(format!("{}/api/auth/login", fleet.gateway()))
                    .json(&json!({"email": "victim@sec-d.example", "password": "wrong password!"}))
            })
            .await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401]);
    let (status, problem, headers) = fleet
        .api_post(
            None,
            "/api/auth/login",
            &json!({"email": "victim@sec-d.example", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 429, "{problem}");
    assert_eq!(problem["code"], "rate_limited");
    assert!(
        problem["detail"].as_str().unwrap().contains("try again in 15 minutes"),
        "{problem}"
    );
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 800 && retry <= 900, "{retry}");

    // Straight after three failures, an immediate attempt must wait.
    fleet.user_token(org, "other@sec-d.example", "staff").await;
    for _ in 0..3 {
        fleet.login("other@sec-d.example", "wrong password!").await;
    }
    let (status, problem) = fleet.login("other@sec-d.example", "wrong password!").await;
    assert_eq!(status, 429, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("wait"), "{problem}");
    fleet.teardown().await;
}

/// Past the per-user request allowance the API answers 429 with
/// Retry-After.
#[tokio::test]
async fn the_api_limits_requests_per_user() {
    let fleet = TestFleet::start_with(Options {
        settings: vec![("ATTEND_API_RATE_LIMIT", "5".to_owned())],
        ..Options::default()
    })
    .await;
    let (_, token) = clinic(&fleet, "sec-e").await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(fleet.api_get(&token, "/api/auth/me").await.0);
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429]);
    let response = fleet
        .http
        .get(format!("{}/api/auth/me", fleet.gateway()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=12).contains(&retry), "{retry}");
    fleet.teardown().await;
}

/// Forgot-password answers the same for any email; for a real account the
/// sandbox records a single-use link; using it sets the password, signs
/// every session out, and can't be done twice.
#[tokio::test]
async fn password_reset_by_emailed_single_use_link() {
    let fleet = TestFleet::start().await;
    let (org, _) = clinic(&fleet, "sec-f").await;
    fleet.user_token(org, "forgetful@sec-f.example", "staff").await;
    let (_, session) = fleet.login("forgetful@sec-f.example", PASSWORD).await;
    let old_refresh = session["refresh_token"].as_str().unwrap().to_owned();

    let (known, known_body, _) = fleet
        .api_post(
            None,
            "/api/auth/forgot-password",
            &json!({"email": "Forgetful@sec-f.example"}),
        )
        .await;
    let (unknown, unknown_body, _) = fleet
        .api_post(
            None,
            "/api/auth/forgot-password",
            &json!({"email": "nobody@sec-f.example"}),
        )
        .await;
    assert_eq!((known, unknown), (202, 202));
    assert_eq!(
        known_body, unknown_body,
        "the answer doesn't reveal which emails have accounts"
    );
    let token = fleet.token_from_email("forgetful@sec-f.example", "reset").await;
    assert!(fleet.sandbox_emails("nobody@sec-f.example").await.is_empty());

    // The link is a secret: only operators can read it from the queue.
    let as_admin = attend_proto::messaging::v1::messaging_service_client::MessagingServiceClient::new(
        fleet.fleet.peers().channel(attend_kit::service::ServiceName::Messaging),
    )
    .list_emails(request(
        attend_proto::messaging::v1::ListEmailsRequest {
            to: "forgetful@sec-f.example".to_owned(),
            limit: 10,
        },
        &Caller::system(org),
    ))
    .await
    .unwrap()
    .into_inner()
    .emails;
    assert!(as_admin[0].sensitive);
    assert!(!as_admin[0].body_text.contains(&token), "{}", as_admin[0].body_text);

    // A mailbox is not a target: at most three links an hour.
    for _ in 0..4 {
        fleet
            .api_post(
                None,
                "/api/auth/forgot-password",
                &json!({"email": "forgetful@sec-f.example"}),
            )
            .await;
    }
    fleet
        .eventually(
            Duration::from_secs(10),
            "the three links an hour allows are sent",
            || async {
                let emails = fleet.sandbox_emails("forgetful@sec-f.example").await;
                emails.len() >= 3 && emails.iter().all(|e| e.status == "sent")
            },
        )
        .await;
    assert_eq!(fleet.sandbox_emails("forgetful@sec-f.example").await.len(), 3);
    let email = &fleet.sandbox_emails("forgetful@sec-f.example").await[0];
    assert_eq!((email.provider.as_str(), email.status.as_str()), ("sandbox", "sent"));

    let (status, problem, _) = fleet
        .api_post(
            None,
            "/api/auth/reset-password",
            &json!({"token": token, "password": "short"}),
        )
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "password");

    let new_password = "a brand new passphrase";
    let (status, body, _) = fleet
        .api_post(
            None,
            "/api/auth/reset-password",
            &json!({"token": token, "password": new_password}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        fleet.login("forgetful@sec-f.example", PASSWORD).await.0,
        401,
        "the old password is gone"
    );
    assert_eq!(fleet.login("forgetful@sec-f.example", new_password).await.0, 200);
    let (status, _, _) = fleet
        .api_post(None, "/api/auth/refresh", &json!({"refresh_token": old_refresh}))
        .await;
    assert_eq!(status, 401, "sessions from before the reset are signed out");
    let (status, problem, _) = fleet
        .api_post(
            None,
            "/api/auth/reset-password",
            &json!({"token": token, "password": "yet another passphrase"}),
        )
        .await;
    assert_eq!(status, 400, "single use: {problem}");
    assert_eq!(problem["errors"][0]["field"], "token");
    fleet.teardown().await;
}

/// An admin invites someone by email; they set a password with the emailed
/// link and are signed in with the invited role; deactivating them ends
/// their sessions and sign-ins.
#[tokio::test]
async fn invitations_add_users_and_deactivation_removes_them() {
    let fleet = TestFleet::start().await;
    let (org, _) = clinic(&fleet, "sec-g").await;
    let admin = fleet.user_token(org, "admin@sec-g.example", "admin").await;
    let (status, invitation, _) = fleet
        .api_post(
            Some(&admin),
            "/api/admin/invitations",
            &json!({"email": "Newbie@sec-g.example", "role": "readonly", "name": "New Bie"}),
        )
        .await;
    assert_eq!(status, 201, "{invitation}");
    assert_eq!(invitation["email"], "newbie@sec-g.example");
    let token = fleet.token_from_email("newbie@sec-g.example", "inv").await;

    let (status, session, _) = fleet
        .api_post(
            None,
            "/api/auth/accept-invitation",
            &json!({"token": token, "password": "newbie's own passphrase"}),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["user"]["role"], "readonly");
    assert_eq!(session["user"]["name"], "New Bie");
    let (status, _, _) = fleet
        .api_post(
            None,
            "/api/auth/accept-invitation",
            &json!({"token": token, "password": "another passphrase"}),
        )
        .await;
    assert_eq!(status, 400, "an invitation is used once");

    let user_id = session["user"]["id"].as_str().unwrap();
    let refresh = session["refresh_token"].as_str().unwrap();
    let (status, user, _) = fleet
        .api_post(
            Some(&admin),
            &format!("/api/admin/users/{user_id}/deactivate"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["is_active"], false);
    assert_eq!(
        fleet.login("newbie@sec-g.example", "newbie's own passphrase").await.0,
        401
    );
    let (status, _, _) = fleet
        .api_post(None, "/api/auth/refresh", &json!({"refresh_token": refresh}))
        .await;
    assert_eq!(status, 401, "a deactivated user's sessions end");
    fleet.teardown().await;
}

/// After a key rotation, new tokens are signed with the new key and the
/// gateway (which had only the old key) verifies both old and new tokens.
#[tokio::test]
async fn the_gateway_survives_signing_key_rotation() {
    let fleet = TestFleet::start().await;
    let (org, before) = clinic(&fleet, "sec-h").await;
    assert_eq!(fleet.api_get(&before, "/api/auth/me").await.0, 200);
    fleet
        .identity()
        .rotate_signing_key(request(
            attend_proto::identity::v1::RotateSigningKeyRequest {},
            &Caller::platform(),
        ))
        .await
        .unwrap();
    let after = fleet.user_token(org, "later@sec-h.example", "staff").await;
    let kid = |t: &str| jsonwebtoken::decode_header(t).unwrap().kid.unwrap();
    assert_ne!(kid(&before), kid(&after), "the new key signs");
    assert_eq!(
        fleet.api_get(&after, "/api/auth/me").await.0,
        200,
        "the gateway fetched the new key"
    );
    assert_eq!(
        fleet.api_get(&before, "/api/auth/me").await.0,
        200,
        "tokens from the old key still work"
    );
    fleet.teardown().await;
}

/// Reads of a contact and changes to users land in the organisation's
/// audit trail with actor, action, target and time; the trail filters, is
/// private to the organisation and can't be altered.
#[tokio::test]
async fn reads_and_changes_are_in_the_audit_trail() {
    let fleet = TestFleet::start().await;
    let (org, staff) = clinic(&fleet, "sec-i").await;
    let admin = fleet.user_token(org, "admin@sec-i.example", "admin").await;
    let (other_org, _) = clinic(&fleet, "sec-j").await;
    let other_admin = fleet.user_token(other_org, "admin@sec-j.example", "admin").await;

    let claims = attend_integration_tests::wix_created_claims("wix-sec-i", "evt-a", "booking-a", "0412 888 999", 300);
    let (status, _) = fleet
        .post_wix_jwt(&attend_integration_tests::wix_jwt(
            attend_integration_tests::WIX_PRIVATE_KEY,
            &claims,
        ))
        .await;
    assert_eq!(status, 200);
    let contact: String = fleet
        .until_some(Duration::from_secs(20), "the contact exists", || async {
            let (_, body) = fleet.api_get(&staff, "/api/contacts?phone=%2B61412888999").await;
            body["contacts"][0]["id"].as_str().map(str::to_owned)
        })
        .await;
    assert_eq!(fleet.api_get(&staff, &format!("/api/contacts/{contact}")).await.0, 200);
    let (_, me) = fleet.api_get(&staff, "/api/auth/me").await;
    let staff_id = me["id"].as_str().unwrap().to_owned();

    let path = format!("/api/admin/audit?action=contact.read&target_id={contact}");
    let entries = fleet
        .until_some(Duration::from_secs(20), "the read is in the trail", || async {
            let (_, body) = fleet.api_get(&admin, &path).await;
            body["entries"].as_array().filter(|e| !e.is_empty()).cloned()
        })
        .await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["actor"], staff_id.as_str());
    assert_eq!(entries[0]["actor_role"], "staff");
    assert_eq!(entries[0]["target_type"], "contact");
    assert_eq!(entries[0]["source"], "contact");
    assert!(entries[0]["occurred_at"].is_i64());

    // Entries travel by the bus, each from its own service: wait for all.
    let expected = [
        "auth.login",
        "user.create",
        "contact.create",
        "booking.create",
        "contact.search",
        "contact.read",
        "booking.list",
    ];
    fleet
        .eventually(Duration::from_secs(20), "every action is in the trail", || async {
            let (_, all) = fleet.api_get(&admin, "/api/admin/audit?limit=500").await;
            let actions: Vec<&str> = all["entries"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["action"].as_str())
                .collect();
            expected.iter().all(|a| actions.contains(a))
        })
        .await;
    let (_, theirs) = fleet.api_get(&other_admin, &path).await;
    assert_eq!(theirs["entries"], json!([]), "another organisation's trail is private");

    let (_, page) = fleet.api_get(&admin, "/api/admin/audit?limit=2").await;
    let cursor = page["next_before"].as_str().expect("there is a next page").to_owned();
    let (_, next) = fleet
        .api_get(&admin, &format!("/api/admin/audit?limit=2&before={cursor}"))
        .await;
    assert_ne!(page["entries"][0]["id"], next["entries"][0]["id"], "pages move on");

    let err = sqlx::query("delete from identity.audit_log")
        .execute(&mut fleet.admin().await)
        .await
        .expect_err("append-only");
    assert!(err.to_string().contains("append-only"), "{err}");
    fleet.teardown().await;
}

/// The signed-in user reads and renames themselves; changing the password
/// needs the current one and signs every session out.
#[tokio::test]
async fn users_manage_their_own_profile_and_password() {
    let fleet = TestFleet::start().await;
    let (org, _) = clinic(&fleet, "sec-k").await;
    let token = fleet.user_token(org, "me@sec-k.example", "readonly").await;
    let (_, session) = fleet.login("me@sec-k.example", PASSWORD).await;
    let refresh = session["refresh_token"].as_str().unwrap().to_owned();

    let response = fleet
        .http
        .put(format!("{}/api/auth/me", fleet.gateway()))
        .bearer_auth(&token)
        .json(&json!({"name": "Renamed Me"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(fleet.api_get(&token, "/api/auth/me").await.1["name"], "Renamed Me");

    let wrong = fleet
        .http
        .put(format!("{}/api/auth/me", fleet.gateway()))
        .bearer_auth(&token)
        .json(&json!({"current_password": "not it at all", "new_password": "a whole new passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    let problem: Value = wrong.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "current_password");
    // Wrong current passwords count as failed sign-ins: guessing backs off.
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = fleet
            .http
            .put(format!("{}/api/auth/me", fleet.gateway()))
            .bearer_auth(&token)
            .json(&json!({"current_password": "still not it", "new_password": "a whole new passphrase"}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(
        statuses,
        [400, 400, 429],
        "after three wrong guesses the next must wait"
    );

    let right = fleet
        .send_when_allowed(|| {
            fleet
                .http
                .put(format!("{}/api/auth/me", fleet.gateway()))
                .bearer_auth(&token)
                .json(&json!({"current_password": PASSWORD, "new_password": "a whole new passphrase"}))
        })
        .await;
    assert_eq!(right.status(), 200);
    let (status, _, _) = fleet
        .api_post(None, "/api/auth/refresh", &json!({"refresh_token": refresh}))
        .await;
    assert_eq!(status, 401, "a new password signs sessions out");
    assert_eq!(fleet.login("me@sec-k.example", "a whole new passphrase").await.0, 200);
    fleet.teardown().await;
}

/// Behind a proxy the client address is the last X-Forwarded-For entry
/// (the one the proxy added), so changing the entries before it doesn't
/// escape the per-address limit on sign-in endpoints; a malformed query
/// string is a problem+json 400.
#[tokio::test]
async fn spoofed_forwarded_for_entries_do_not_escape_address_limits() {
    let fleet = TestFleet::start_with(Options {
        settings: vec![
            ("ATTEND_TRUST_FORWARDED_FOR", "true".to_owned()),
            ("ATTEND_AUTH_RATE_LIMIT", "3".to_owned()),
        ],
        ..Options::default()
    })
    .await;
    let (org, _) = clinic(&fleet, "sec-l").await;
    let admin = fleet.user_token(org, "admin@sec-l.example", "admin").await;
    let mut statuses = Vec::new();
    for i in 0..4 {
        let response = fleet
            .http
            .post(format!("{}/api/auth/forgot-password", fleet.gateway()))
            .header("x-forwarded-for", format!("10.0.0.{i}, 203.0.113.7"))
            .json(&json!({"email": "someone@sec-l.example"}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [202, 202, 202, 429]);

    let response = fleet
        .http
        .get(format!("{}/api/admin/audit?limit=lots", fleet.gateway()))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "malformed_query");
    fleet.teardown().await;
}
