//! What the REST handlers share, piece by piece (`State<Service>`, `State<HttpSettings>`). The
//! GraphQL face carries its own state (`graphql::GraphQl`), so neither face depends on the
//! other, nor on `app`, which builds both.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::http::HttpSettings;
use crate::service::Service;

#[derive(Clone)]
pub struct AppState {
    pub svc: Service,
    pub http: Arc<HttpSettings>,
}

impl FromRef<AppState> for Service {
    fn from_ref(state: &AppState) -> Self {
        state.svc.clone()
    }
}

impl FromRef<AppState> for HttpSettings {
    fn from_ref(state: &AppState) -> Self {
        (*state.http).clone()
    }
}
