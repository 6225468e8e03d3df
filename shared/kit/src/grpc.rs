//! gRPC on every service: one server per service that also answers the ops
//! HTTP routes, the standard health service and server reflection; caller
//! identity and idempotency keys in metadata; trace context both ways.
//!
//! The caller is set by the gateway (from a verified access token) or by a
//! service acting on an event ([`Caller::system`]). It travels as a signed,
//! short-lived token for the one service called ([`crate::calltoken`]):
//! every client channel mints one per call, and every server verifies it and
//! drops bare caller headers before a handler reads [`Caller::of`]. Services
//! still enforce what that caller may do.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::str::FromStr;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::service::{Interceptor, Routes};
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Status};
use tower::{Layer, Service};
use tracing::Instrument;
use url::Url;

use crate::calltoken::{self, Claims, FleetKey, TOKEN_HEADER};
use crate::error::Error;
use crate::http::Readiness;
use crate::ids::{OrgId, TypedId, UserId};
use crate::service::ServiceName;

pub const ORG_HEADER: &str = "x-attend-org";
pub const USER_HEADER: &str = "x-attend-user";
pub const ROLE_HEADER: &str = "x-attend-role";
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// The largest gRPC message between the gateway and care: a whole document
/// (an upload or a download) at its largest, with room to spare. Every
/// other call keeps tonic's 4 MiB.
pub const MAX_DOCUMENT_MESSAGE: usize = 32 * 1024 * 1024;

/// Who is calling, as the gateway or a service vouches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Practice administrator.
    Admin,
    /// Practice staff.
    Staff,
    /// Practice read-only user; never mutates.
    Readonly,
    /// Carer (portal).
    CareTeam,
    /// Family member of a client (portal).
    Family,
    /// A client (portal).
    Client,
    /// A service acting on an event within one organisation.
    System,
    /// Operator tooling (CLI, seeding) acting across organisations.
    Platform,
    /// Not signed in (login, public pages).
    Anonymous,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::Staff,
        Role::Readonly,
        Role::CareTeam,
        Role::Family,
        Role::Client,
        Role::System,
        Role::Platform,
        Role::Anonymous,
    ];

    /// Roles a person can have (the others are services and tooling).
    pub const USER_ROLES: [Role; 6] = [
        Role::Admin,
        Role::Staff,
        Role::Readonly,
        Role::CareTeam,
        Role::Family,
        Role::Client,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Readonly => "readonly",
            Role::CareTeam => "care_team",
            Role::Family => "family",
            Role::Client => "client",
            Role::System => "system",
            Role::Platform => "platform",
            Role::Anonymous => "anonymous",
        }
    }

    /// Practice roles (the staff dashboard), as opposed to portal roles.
    pub fn is_practice(self) -> bool {
        matches!(self, Role::Admin | Role::Staff | Role::Readonly)
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}"))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The caller of an RPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub org: Option<OrgId>,
    pub user: Option<UserId>,
    pub role: Role,
}

impl Caller {
    /// A service acting within `org` (on an event, say).
    pub fn system(org: OrgId) -> Self {
        Self {
            org: Some(org),
            user: None,
            role: Role::System,
        }
    }

    /// Operator tooling across organisations.
    pub fn platform() -> Self {
        Self {
            org: None,
            user: None,
            role: Role::Platform,
        }
    }

    pub fn anonymous() -> Self {
        Self {
            org: None,
            user: None,
            role: Role::Anonymous,
        }
    }

    /// A signed-in user.
    pub fn user(org: OrgId, user: UserId, role: Role) -> Self {
        Self {
            org: Some(org),
            user: Some(user),
            role,
        }
    }

    /// Reads the caller from request metadata.
    pub fn from_metadata(metadata: &MetadataMap) -> Result<Self, Error> {
        let text = |key: &str| metadata.get(key).and_then(|v| v.to_str().ok());
        let role = text(ROLE_HEADER)
            .ok_or_else(|| Error::Unauthenticated(format!("no {ROLE_HEADER} in request metadata")))?
            .parse::<Role>()
            .map_err(Error::Unauthenticated)?;
        let org = text(ORG_HEADER)
            .map(OrgId::parse_uuid)
            .transpose()
            .map_err(|_| Error::Unauthenticated(format!("{ORG_HEADER} is not a UUID")))?;
        let user = text(USER_HEADER)
            .map(UserId::parse_uuid)
            .transpose()
            .map_err(|_| Error::Unauthenticated(format!("{USER_HEADER} is not a UUID")))?;
        Ok(Self { org, user, role })
    }

    /// Reads the caller of a request.
    pub fn of<T>(request: &Request<T>) -> Result<Self, Error> {
        Self::from_metadata(request.metadata())
    }

    /// Writes the caller into request metadata.
    pub fn apply(&self, metadata: &mut MetadataMap) {
        metadata.insert(ROLE_HEADER, MetadataValue::from_static(self.role.as_str()));
        if let Some(org) = self.org
            && let Ok(v) = org.uuid().to_string().parse()
        {
            metadata.insert(ORG_HEADER, v);
        }
        if let Some(user) = self.user
            && let Ok(v) = user.uuid().to_string().parse()
        {
            metadata.insert(USER_HEADER, v);
        }
    }

    /// The caller's organisation; callers without one are refused.
    pub fn org(&self) -> Result<OrgId, Error> {
        self.org
            .ok_or_else(|| Error::Forbidden("this call needs an organisation".to_owned()))
    }

    /// Refuses callers whose role is not among `allowed`.
    pub fn require(&self, allowed: &[Role]) -> Result<(), Error> {
        if allowed.contains(&self.role) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!("role {} may not do this", self.role)))
        }
    }
}

/// A request carrying `caller`.
pub fn request<T>(message: T, caller: &Caller) -> Request<T> {
    let mut request = Request::new(message);
    caller.apply(request.metadata_mut());
    request
}

/// Adds an idempotency key to a mutating request.
pub fn with_idempotency_key<T>(mut request: Request<T>, key: &str) -> Result<Request<T>, Error> {
    crate::idempotency::check_key(key)?;
    let value = key
        .parse()
        .map_err(|_| Error::invalid(IDEMPOTENCY_HEADER, "is not valid metadata"))?;
    request.metadata_mut().insert(IDEMPOTENCY_HEADER, value);
    Ok(request)
}

/// The idempotency key of a request, if it has one.
pub fn idempotency_key<T>(request: &Request<T>) -> Result<Option<String>, Error> {
    match request.metadata().get(IDEMPOTENCY_HEADER) {
        None => Ok(None),
        Some(v) => {
            let key = v
                .to_str()
                .map_err(|_| Error::invalid(IDEMPOTENCY_HEADER, "is not ASCII"))?;
            crate::idempotency::check_key(key)?;
            Ok(Some(key.to_owned()))
        }
    }
}

/// Who signs a channel's calls: the fleet key, the calling service (or
/// `operator` for the CLI), and the one service called.
#[derive(Debug, Clone)]
pub struct Signer {
    pub key: FleetKey,
    pub issuer: &'static str,
    pub audience: ServiceName,
}

/// On every outgoing call: the current trace context, and the caller the
/// request names turned into a token for the callee.
#[derive(Debug, Clone)]
pub struct ClientInterceptor {
    signer: Signer,
}

impl Interceptor for ClientInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let mut headers = crate::telemetry::current_headers();
        for (k, v) in std::mem::take(&mut headers) {
            if let (Ok(key), Ok(value)) = (tonic::metadata::MetadataKey::from_bytes(k.as_bytes()), v.parse()) {
                request.metadata_mut().insert(key, value);
            }
        }
        let metadata = request.metadata_mut();
        // Calls without a caller (health checks) go without a token.
        if metadata.contains_key(ROLE_HEADER) {
            let caller = Caller::from_metadata(metadata).map_err(Status::from)?;
            for key in [ROLE_HEADER, ORG_HEADER, USER_HEADER] {
                metadata.remove(key);
            }
            let now = calltoken::now();
            let token = self.signer.key.sign(&Claims {
                iss: self.signer.issuer.to_owned(),
                aud: self.signer.audience.as_str().to_owned(),
                role: caller.role.as_str().to_owned(),
                org: caller.org.map(|o| o.uuid().to_string()),
                user: caller.user.map(|u| u.uuid().to_string()),
                iat: now,
                exp: now + calltoken::LIFETIME.as_secs() as i64,
            });
            let value = token
                .parse()
                .map_err(|_| Status::internal("an internal token is not valid metadata"))?;
            metadata.insert(TOKEN_HEADER, value);
        }
        Ok(request)
    }
}

/// On every incoming call: bare caller headers are dropped; a token, if
/// present, must be the fleet's, for this service, and current, and then
/// alone says who calls. A call without one reaches the handler callerless,
/// and [`Caller::of`] refuses it `UNAUTHENTICATED`.
#[derive(Debug, Clone)]
pub struct VerifyInterceptor {
    key: FleetKey,
    audience: ServiceName,
}

impl VerifyInterceptor {
    fn verify(&self, metadata: &mut MetadataMap) -> Result<(), calltoken::Refusal> {
        for key in [ROLE_HEADER, ORG_HEADER, USER_HEADER] {
            metadata.remove(key);
        }
        let Some(token) = metadata.remove(TOKEN_HEADER) else {
            return Ok(());
        };
        let token = token.to_str().map_err(|_| calltoken::Refusal::Malformed)?;
        let claims = self.key.verify(token, self.audience.as_str(), calltoken::now())?;
        let mut put = |key: &'static str, value: &str| -> Result<(), calltoken::Refusal> {
            let value = value.parse().map_err(|_| calltoken::Refusal::Malformed)?;
            metadata.insert(key, value);
            Ok(())
        };
        put(ROLE_HEADER, &claims.role)?;
        if let Some(org) = &claims.org {
            put(ORG_HEADER, org)?;
        }
        if let Some(user) = &claims.user {
            put(USER_HEADER, user)?;
        }
        tracing::Span::current().record("rpc.caller", claims.iss.as_str());
        Ok(())
    }
}

impl Interceptor for VerifyInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        match self.verify(request.metadata_mut()) {
            Ok(()) => Ok(request),
            Err(refusal) => {
                metrics::counter!(
                    "attend_grpc_unauthenticated_total",
                    "service" => self.audience.as_str(),
                    "reason" => refusal.label()
                )
                .increment(1);
                tracing::warn!(service = %self.audience, reason = %refusal, "refused a gRPC call");
                Err(Status::unauthenticated(refusal.to_string()))
            }
        }
    }
}

/// A channel to a peer with a client span per call, trace propagation and
/// caller tokens; every typed client wraps one.
pub type Traced = ClientSpan<tonic::service::interceptor::InterceptedService<Channel, ClientInterceptor>>;

/// A client span around every outgoing call, so the callee's server span is
/// its child and a trace shows who called whom (Tempo's service graph pairs
/// client and server spans). The interceptor runs inside it, so the context
/// the callee continues is this span's.
#[derive(Debug, Clone)]
pub struct ClientSpan<S> {
    inner: S,
    peer: ServiceName,
}

impl<S, B, R> Service<http::Request<B>> for ClientSpan<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().to_owned();
        let span = tracing::info_span!(
            "grpc.client",
            otel.kind = "client",
            otel.name = %method,
            rpc.system = "grpc",
            peer.service = self.peer.as_str(),
            grpc.code = tracing::field::Empty,
        );
        let future = span.in_scope(|| self.inner.call(request));
        Box::pin(
            async move {
                let result = future.await;
                if let Ok(response) = &result {
                    tracing::Span::current().record("grpc.code", canonical_code(status_of(response)));
                }
                result
            }
            .instrument(span),
        )
    }
}

/// The status of a gRPC answer as far as its headers tell: errors come as
/// trailers-only answers with `grpc-status` in the headers; a success
/// carries it in trailers later, so no status here means OK.
fn status_of<R>(response: &http::Response<R>) -> tonic::Code {
    let code = response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .unwrap_or(0);
    tonic::Code::from_i32(code)
}

/// A gRPC status code as the specification spells it (`NOT_FOUND`).
pub fn canonical_code(code: tonic::Code) -> &'static str {
    use tonic::Code as C;
    match code {
        C::Ok => "OK",
        C::Cancelled => "CANCELLED",
        C::Unknown => "UNKNOWN",
        C::InvalidArgument => "INVALID_ARGUMENT",
        C::DeadlineExceeded => "DEADLINE_EXCEEDED",
        C::NotFound => "NOT_FOUND",
        C::AlreadyExists => "ALREADY_EXISTS",
        C::PermissionDenied => "PERMISSION_DENIED",
        C::ResourceExhausted => "RESOURCE_EXHAUSTED",
        C::FailedPrecondition => "FAILED_PRECONDITION",
        C::Aborted => "ABORTED",
        C::OutOfRange => "OUT_OF_RANGE",
        C::Unimplemented => "UNIMPLEMENTED",
        C::Internal => "INTERNAL",
        C::Unavailable => "UNAVAILABLE",
        C::DataLoss => "DATA_LOSS",
        C::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// A lazily connected channel to `url`: the peer may start later.
pub fn channel(url: &Url, signer: Signer) -> Traced {
    #[allow(
        clippy::expect_used,
        reason = "`url` came from validated configuration: always http(s)://host:port"
    )]
    let endpoint = Endpoint::from_shared(url.to_string())
        .expect("a configured service URL is a valid endpoint")
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(10))
        .tcp_nodelay(true);
    let peer = signer.audience;
    ClientSpan {
        inner: tonic::service::interceptor::InterceptedService::new(
            endpoint.connect_lazy(),
            ClientInterceptor { signer },
        ),
        peer,
    }
}

/// How often gRPC health re-reads readiness.
const HEALTH_EVERY: Duration = Duration::from_secs(2);
const HEALTH_SERVICE: &str = "grpc.health.v1.Health";

/// A service's gRPC server: health, reflection, ops routes, then its own APIs.
pub struct Server {
    service: ServiceName,
    routes: tonic::service::RoutesBuilder,
    health: tonic_health::server::HealthReporter,
    readiness: Readiness,
    key: FleetKey,
    /// The gRPC services this port serves, as reflection lists them.
    names: Vec<&'static str>,
}

impl Server {
    /// The ops routes (`/healthz`, `/readyz` by `readiness`, `/metrics`)
    /// are served on the same port; calls are verified with `key`.
    pub fn new(service: ServiceName, readiness: Readiness, key: FleetKey) -> Self {
        let (health, health_service) = tonic_health::server::health_reporter();
        let mut routes = tonic::service::RoutesBuilder::from(crate::http::ops_router(readiness.clone()));
        routes.add_service(health_service);
        Self {
            service,
            routes,
            health,
            readiness,
            key,
            names: vec![HEALTH_SERVICE],
        }
    }

    /// Adds an API; [`Server::serve`] reports it serving in the health
    /// service, then keeps it in step with readiness.
    pub fn with_api<S>(mut self, svc: S) -> Self
    where
        S: Service<http::Request<tonic::body::Body>, Error = Infallible>
            + tonic::server::NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        self.names.push(S::NAME);
        self.routes.add_service(svc);
        self
    }

    /// Serves until `shutdown`, then finishes in-flight calls.
    pub async fn serve(mut self, listener: TcpListener, shutdown: CancellationToken) -> anyhow::Result<()> {
        for name in self.names.iter().filter(|n| **n != HEALTH_SERVICE) {
            self.health
                .set_service_status(*name, tonic_health::ServingStatus::Serving)
                .await;
        }
        // Reflection lists what this port serves, in both protocol versions
        // (grpcurl and grpcio-reflection still speak only v1alpha).
        let reflection = || {
            let mut builder = tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(attend_proto::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET)
                .include_reflection_service(false);
            for name in self.names.iter().chain(&REFLECTION_SERVICES) {
                builder = builder.with_service_name(*name);
            }
            builder
        };
        let (v1, v1alpha) = (reflection().build_v1()?, reflection().build_v1alpha()?);
        self.routes.add_service(v1).add_service(v1alpha);
        tokio::spawn(track_readiness(
            self.service,
            self.health.clone(),
            self.readiness.clone(),
            self.names.clone(),
            shutdown.clone(),
        ));

        let routes: Routes = self.routes.routes();
        // Without TCP_NODELAY, a reply's HTTP/2 frames wait on the peer's
        // delayed ACK: every call took 40 ms more.
        let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
        tonic::transport::Server::builder()
            .accept_http1(true)
            .layer(ObserveGrpcLayer { service: self.service })
            .layer(tonic::service::InterceptorLayer::new(VerifyInterceptor {
                key: self.key,
                audience: self.service,
            }))
            .add_routes(routes)
            .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
            .await?;
        Ok(())
    }
}

const REFLECTION_SERVICES: [&str; 2] = [
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

/// Keeps gRPC health in step with `/readyz`: every service on the port (and
/// the server as a whole, `""`) is NOT_SERVING while a dependency is down.
async fn track_readiness(
    service: ServiceName,
    health: tonic_health::server::HealthReporter,
    readiness: Readiness,
    names: Vec<&'static str>,
    shutdown: CancellationToken,
) {
    use tonic_health::ServingStatus;
    // None until the first look: a service still starting is not news.
    let mut serving: Option<bool> = None;
    loop {
        let (ready, report) = readiness.report().await;
        if serving != Some(ready) {
            if serving.is_some() {
                tracing::warn!(%service, ready, dependencies = %serde_json::Value::Object(report), "readiness changed; gRPC health follows");
            }
            serving = Some(ready);
            let status = if ready {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            for name in names.iter().filter(|n| **n != HEALTH_SERVICE).chain(&[""]) {
                health.set_service_status(*name, status).await;
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(HEALTH_EVERY) => {}
        }
    }
}

/// Binds a listener, naming the variable to change when the port is taken.
pub async fn bind(addr: SocketAddr, var: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("{var}: cannot listen on {addr}: {e}"))
}

/// Spans (continuing the caller's trace) and metrics for every gRPC call.
#[derive(Debug, Clone, Copy)]
pub struct ObserveGrpcLayer {
    service: ServiceName,
}

impl<S> Layer<S> for ObserveGrpcLayer {
    type Service = ObserveGrpc<S>;
    fn layer(&self, inner: S) -> Self::Service {
        ObserveGrpc {
            inner,
            service: self.service,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ObserveGrpc<S> {
    inner: S,
    service: ServiceName,
}

impl<S, B, R> Service<http::Request<B>> for ObserveGrpc<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>> + Send,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let is_grpc = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/grpc"));
        if !is_grpc {
            return Box::pin(self.inner.call(request));
        }
        let method = request.uri().path().to_owned();
        let span = tracing::info_span!(
            "grpc",
            otel.kind = "server",
            otel.name = %method,
            rpc.service = self.service.as_str(),
            rpc.caller = tracing::field::Empty,
            grpc.code = tracing::field::Empty,
        );
        crate::telemetry::set_parent_from(&span, &crate::telemetry::HeaderExtractor(request.headers()));
        let service = self.service.as_str();
        let started = Instant::now();
        // Inside the span: the caller check below it records who called.
        let future = span.in_scope(|| self.inner.call(request));
        Box::pin(
            async move {
                let result = future.await;
                let code = match &result {
                    Ok(response) => status_of(response),
                    Err(_) => tonic::Code::Unknown,
                };
                let code_name = canonical_code(code);
                tracing::Span::current().record("grpc.code", code_name);
                metrics::counter!("attend_grpc_requests_total", "service" => service, "method" => method.clone(), "code" => code_name)
                    .increment(1);
                metrics::histogram!("attend_grpc_request_duration_seconds", "service" => service, "method" => method)
                    .record(started.elapsed().as_secs_f64());
                result
            }
            .instrument(span),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_round_trips_through_metadata() {
        let caller = Caller::user(OrgId::new(), UserId::new(), Role::Staff);
        let mut metadata = MetadataMap::new();
        caller.apply(&mut metadata);
        assert_eq!(Caller::from_metadata(&metadata).unwrap(), caller);
    }

    #[test]
    fn a_request_without_a_role_is_unauthenticated() {
        let err = Caller::from_metadata(&MetadataMap::new()).unwrap_err();
        assert!(matches!(err, Error::Unauthenticated(_)), "{err:?}");
    }

    #[test]
    fn roles_outside_the_allowed_set_are_forbidden() {
        let caller = Caller::user(OrgId::new(), UserId::new(), Role::Readonly);
        assert!(caller.require(&[Role::Admin, Role::Staff]).is_err());
        assert!(caller.require(&[Role::Readonly]).is_ok());
    }

    #[test]
    fn every_role_name_parses_back() {
        for role in Role::USER_ROLES
            .into_iter()
            .chain([Role::System, Role::Platform, Role::Anonymous])
        {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
    }

    #[test]
    fn idempotency_keys_are_checked_on_the_way_in() {
        let req = with_idempotency_key(Request::new(()), "evt:1").unwrap();
        assert_eq!(idempotency_key(&req).unwrap().as_deref(), Some("evt:1"));
        assert!(with_idempotency_key(Request::new(()), "has space").is_err());
    }
}
