//! Callers proven, not asserted: over real gRPC, a service believes only a
//! fleet-signed token for itself, never bare caller headers.

use std::time::Duration;

use attend_integration_tests::TestFleet;
use attend_kit::calltoken::{Claims, FleetKey, TOKEN_HEADER};
use attend_kit::grpc::{self, Caller, Role, Signer, request};
use attend_kit::ids::{ContactId, OrgId, TypedId, UserId};
use attend_kit::service::ServiceName;
use attend_proto::contact::v1::GetContactRequest;
use attend_proto::contact::v1::contact_service_client::ContactServiceClient;
use tonic::Code;
use tonic::transport::{Channel, Endpoint};

fn raw_channel(fleet: &TestFleet, service: ServiceName) -> Channel {
    let addr = fleet.fleet.grpc_addr(service).unwrap();
    Endpoint::from_shared(format!("http://{addr}")).unwrap().connect_lazy()
}

fn get_contact(caller: &Caller) -> tonic::Request<GetContactRequest> {
    request(
        GetContactRequest {
            id: ContactId::new().uuid().to_string(),
        },
        caller,
    )
}

/// What contact answers a GetContact of an unknown contact, by channel.
async fn code_of<C>(client: &mut ContactServiceClient<C>, req: tonic::Request<GetContactRequest>) -> (Code, String)
where
    C: tonic::client::GrpcService<tonic::body::Body>,
    C::Error: Into<tonic::codegen::StdError>,
    C::ResponseBody: tonic::codegen::Body<Data = tonic::codegen::Bytes> + Send + 'static,
    <C::ResponseBody as tonic::codegen::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    match client.get_contact(req).await {
        Ok(_) => (Code::Ok, String::new()),
        Err(status) => (status.code(), status.message().to_owned()),
    }
}

fn token(key: &FleetKey, audience: &str, role: Role, org: OrgId, issued: i64) -> String {
    key.sign(&Claims {
        iss: "gateway".into(),
        aud: audience.into(),
        role: role.as_str().into(),
        org: Some(org.uuid().to_string()),
        user: Some(UserId::new().uuid().to_string()),
        iat: issued,
        exp: issued + 60,
    })
}

fn with_token(token: &str) -> tonic::Request<GetContactRequest> {
    let mut req = tonic::Request::new(GetContactRequest {
        id: ContactId::new().uuid().to_string(),
    });
    req.metadata_mut().insert(TOKEN_HEADER, token.parse().unwrap());
    req
}

#[tokio::test]
async fn only_a_current_fleet_token_for_the_callee_is_believed() {
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("callers", "inst-callers").await;
    let admin = Caller::user(org, UserId::new(), Role::Admin);
    let key = fleet.fleet.peers().fleet_key().clone();
    let now = attend_kit::calltoken::now();

    // The fleet's own channel: signed for contact, so contact answers the
    // question itself (no such contact).
    let mut signed = ContactServiceClient::new(fleet.fleet.peers().channel(ServiceName::Contact));
    let (code, message) = code_of(&mut signed, get_contact(&admin)).await;
    assert_eq!(code, Code::NotFound, "a signed call reaches the handler: {message}");

    // Bare headers, as any pod on the network could send them.
    let mut bare = ContactServiceClient::new(raw_channel(&fleet, ServiceName::Contact));
    let (code, message) = code_of(&mut bare, get_contact(&admin)).await;
    assert_eq!(code, Code::Unauthenticated, "bare headers: {message}");
    assert!(message.contains("x-attend-role"), "{message}");

    // A token for another service.
    let (code, message) = code_of(&mut bare, with_token(&token(&key, "booking", Role::Admin, org, now))).await;
    assert_eq!(code, Code::Unauthenticated, "another audience: {message}");
    assert!(message.contains("is for booking, not contact"), "{message}");

    // An expired one.
    let (code, message) = code_of(
        &mut bare,
        with_token(&token(&key, "contact", Role::Admin, org, now - 600)),
    )
    .await;
    assert_eq!(code, Code::Unauthenticated, "expired: {message}");
    assert!(message.contains("expired"), "{message}");

    // One signed with another key.
    let stranger = FleetKey::random();
    let (code, message) = code_of(
        &mut bare,
        with_token(&token(&stranger, "contact", Role::Admin, org, now)),
    )
    .await;
    assert_eq!(code, Code::Unauthenticated, "foreign key: {message}");
    assert!(message.contains("signature"), "{message}");

    // A channel signing for booking but pointed at contact.
    let misdirected = grpc::channel(
        &url::Url::parse(&format!(
            "http://{}",
            fleet.fleet.grpc_addr(ServiceName::Contact).unwrap()
        ))
        .unwrap(),
        Signer {
            key: key.clone(),
            issuer: "operator",
            audience: ServiceName::Booking,
        },
    );
    let (code, _) = code_of(&mut ContactServiceClient::new(misdirected), get_contact(&admin)).await;
    assert_eq!(code, Code::Unauthenticated, "misdirected channel");

    // A valid token and bare headers claiming more: the token wins, the
    // headers are dropped (a family member cannot read contacts).
    let mut req = with_token(&token(&key, "contact", Role::Family, org, now));
    Caller::user(org, UserId::new(), Role::Admin).apply(req.metadata_mut());
    let (code, message) = code_of(&mut bare, req).await;
    assert_eq!(
        code,
        Code::PermissionDenied,
        "headers beside a token are ignored: {message}"
    );

    // A current token for contact, minted by hand: believed.
    let (code, message) = code_of(&mut bare, with_token(&token(&key, "contact", Role::Admin, org, now))).await;
    assert_eq!(code, Code::NotFound, "a current token for contact: {message}");

    // The health service needs no token: probes and grpcurl still work.
    let mut health = tonic_health::pb::health_client::HealthClient::new(raw_channel(&fleet, ServiceName::Contact));
    let status = tokio::time::timeout(
        Duration::from_secs(5),
        health.check(tonic_health::pb::HealthCheckRequest { service: String::new() }),
    )
    .await
    .unwrap();
    assert!(status.is_ok(), "{status:?}");
    fleet.teardown().await;
}
