//! Request ids: taken from a sane `x-request-id` header or made fresh, echoed in the
//! response, written in every log line about the request and in every problem body. The
//! request's own log line names its route template, not its path.

use std::future::{Future, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{HeaderName, HeaderValue};

pub const HEADER: &str = "x-request-id";
/// The route logged for a request no route matched.
const UNMATCHED: &str = "unmatched";
/// The route logged for a request that failed without a response to read the route from.
const UNKNOWN_ROUTE: &str = "unknown";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served, or `-` outside a request.
pub fn current() -> String {
    REQUEST_ID.try_with(|id| id.clone()).unwrap_or_else(|_| "-".to_string())
}

fn accept_or_make(header: Option<&HeaderValue>) -> String {
    header
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .filter(|v| v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// Middleware giving each request its id and one structured log line.
pub struct RequestIdentity;

impl<S, B> Transform<S, ServiceRequest> for RequestIdentity
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = RequestIdentityMiddleware<S>;
    type InitError = ();
    type Future = std::future::Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestIdentityMiddleware { service: Rc::new(service) }))
    }
}

pub struct RequestIdentityMiddleware<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for RequestIdentityMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let id = accept_or_make(req.headers().get(HEADER));
        let method = req.method().to_string();
        let started = Instant::now();
        let service = Rc::clone(&self.service);
        let scoped_id = id.clone();
        Box::pin(REQUEST_ID.scope(scoped_id, async move {
            let result = service.call(req).await;
            // The route's template, never the path as sent: a path carries ids (an
            // invitation's, next to a time) and a query could carry anything. Only the
            // response knows the route, as this middleware runs before routing.
            let (status, route) = match &result {
                Ok(res) => (res.status().as_u16(), res.request().match_pattern().unwrap_or_else(|| UNMATCHED.into())),
                Err(e) => (e.as_response_error().status_code().as_u16(), UNKNOWN_ROUTE.into()),
            };
            tracing::info!(
                request_id = %id,
                method = %method,
                route = %route,
                status,
                duration_ms = started.elapsed().as_secs_f64() * 1000.0,
                "request"
            );
            let mut res = result?;
            if let Ok(value) = HeaderValue::from_str(&id) {
                res.headers_mut().insert(HeaderName::from_static(HEADER), value);
            }
            Ok(res)
        }))
    }
}
