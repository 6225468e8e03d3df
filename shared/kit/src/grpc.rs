//! gRPC on every service: one server per service that also answers the ops
//! HTTP routes, the standard health service and server reflection; caller
//! identity and idempotency keys in metadata; trace context both ways.
//!
//! The caller is set by the gateway (from a verified access token) or by a
//! service acting on an event ([`Caller::system`]). Services trust this
//! metadata only because they are reachable solely from inside the fleet's
//! network; they still enforce what that caller may do.

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

use crate::error::Error;
use crate::ids::{OrgId, TypedId, UserId};
use crate::service::ServiceName;

pub const ORG_HEADER: &str = "x-attend-org";
pub const USER_HEADER: &str = "x-attend-user";
pub const ROLE_HEADER: &str = "x-attend-role";
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

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

/// Injects the current trace context into every outgoing call.
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceInterceptor;

impl Interceptor for TraceInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let mut headers = crate::telemetry::current_headers();
        for (k, v) in std::mem::take(&mut headers) {
            if let (Ok(key), Ok(value)) = (tonic::metadata::MetadataKey::from_bytes(k.as_bytes()), v.parse()) {
                request.metadata_mut().insert(key, value);
            }
        }
        Ok(request)
    }
}

/// A channel to a peer with trace propagation; every typed client wraps one.
pub type Traced = tonic::service::interceptor::InterceptedService<Channel, TraceInterceptor>;

/// A lazily connected channel to `url`: the peer may start later.
pub fn channel(url: &Url) -> Traced {
    #[allow(
        clippy::expect_used,
        reason = "`url` came from validated configuration: always http(s)://host:port"
    )]
    let endpoint = Endpoint::from_shared(url.to_string())
        .expect("a configured service URL is a valid endpoint")
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(10))
        .tcp_nodelay(true);
    tonic::service::interceptor::InterceptedService::new(endpoint.connect_lazy(), TraceInterceptor)
}

/// A service's gRPC server: health, reflection, ops routes, then its own APIs.
pub struct Server {
    service: ServiceName,
    routes: tonic::service::RoutesBuilder,
    health: tonic_health::server::HealthReporter,
}

impl Server {
    /// `ops` are the HTTP routes (`/healthz`, `/readyz`, `/metrics`) served on the same port.
    pub fn new(service: ServiceName, ops: axum::Router) -> anyhow::Result<Self> {
        let (health, health_service) = tonic_health::server::health_reporter();
        let reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(attend_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()?;
        let mut routes = tonic::service::RoutesBuilder::from(ops);
        routes.add_service(health_service).add_service(reflection);
        Ok(Self {
            service,
            routes,
            health,
        })
    }

    /// Adds an API and reports it serving in the health service.
    pub async fn add<S>(mut self, svc: S) -> Self
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
        self.health.set_serving::<S>().await;
        self.routes.add_service(svc);
        self
    }

    /// Serves until `shutdown`, then finishes in-flight calls.
    pub async fn serve(self, listener: TcpListener, shutdown: CancellationToken) -> anyhow::Result<()> {
        let routes: Routes = self.routes.routes();
        // Without TCP_NODELAY, a reply's HTTP/2 frames wait on the peer's
        // delayed ACK: every call took 40 ms more.
        let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
        tonic::transport::Server::builder()
            .accept_http1(true)
            .layer(ObserveGrpcLayer { service: self.service })
            .add_routes(routes)
            .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
            .await?;
        Ok(())
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
            grpc.code = tracing::field::Empty,
        );
        crate::telemetry::set_parent_from(&span, &crate::telemetry::HeaderExtractor(request.headers()));
        let service = self.service.as_str();
        let started = Instant::now();
        let future = self.inner.call(request);
        Box::pin(
            async move {
                let result = future.await;
                // Success trailers carry status 0; errors come as trailers-only
                // responses with grpc-status in the headers.
                let code = match &result {
                    Ok(response) => response
                        .headers()
                        .get("grpc-status")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<i32>().ok())
                        .unwrap_or(0),
                    Err(_) => tonic::Code::Unknown as i32,
                };
                let code_name = format!("{:?}", tonic::Code::from_i32(code));
                tracing::Span::current().record("grpc.code", code_name.as_str());
                metrics::counter!("grpc_requests_total", "service" => service, "method" => method.clone(), "code" => code_name)
                    .increment(1);
                metrics::histogram!("grpc_request_duration_seconds", "service" => service, "method" => method)
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
