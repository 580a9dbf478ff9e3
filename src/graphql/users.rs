//! `User`, `AuthPayload`, `Query.me` and the signup / login / logout mutations.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};

use super::error::GqlResult;
use super::limits::page_cost;
use super::lists::{lists_page, ListObject};
use super::scalars::{id, DateTime};
use super::{caller, client_ip, mutating, prefetch, service, set_session_cookie};
use crate::service::lists::LISTS_PAGE_DEFAULT;
use crate::service::users::{LoginInput as Login, Session, SignupInput as Signup, User};

/// A registered user. The email is only ever shown to that user.
pub struct UserObject(pub User);

#[Object(name = "User")]
impl UserObject {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn username(&self) -> &str {
        &self.0.username
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> Option<DateTime> {
        self.0.updated_at.map(DateTime)
    }
    /// The lists this user owns (a user is only reachable by themselves), paged as
    /// `Query.lists`. Costs `limit` (default 1000) times the cost of one list.
    #[graphql(complexity = "page_cost(limit, LISTS_PAGE_DEFAULT, child_complexity)")]
    async fn lists(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        offset: Option<i32>,
    ) -> async_graphql::Result<Vec<ListObject>> {
        let lists = service(ctx)?
            .lists_owned_by(caller(ctx)?, self.0.id, lists_page(limit, offset))
            .await
            .gql()?;
        prefetch::lists_children(ctx, &lists).await?;
        Ok(lists.into_iter().map(ListObject).collect())
    }
}

/// A fresh token and its user; the `access_token` cookie is set too.
#[derive(SimpleObject)]
pub struct AuthPayload {
    token: String,
    user: UserObject,
}

impl From<Session> for AuthPayload {
    fn from(s: Session) -> Self {
        Self {
            token: s.token,
            user: UserObject(s.user),
        }
    }
}

#[derive(InputObject)]
pub struct SignupInput {
    username: String,
    email: String,
    password: String,
}

#[derive(InputObject)]
pub struct LoginInput {
    /// A username or an email address.
    username: String,
    password: String,
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The caller, or null when anonymous.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<UserObject>> {
        let caller = caller(ctx)?;
        let svc = service(ctx)?;
        if caller.user_id().is_none() {
            return Ok(None);
        }
        Ok(Some(UserObject(svc.profile(caller).await.gql()?)))
    }
}

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    async fn signup(
        &self,
        ctx: &Context<'_>,
        input: SignupInput,
    ) -> async_graphql::Result<AuthPayload> {
        let input = Signup {
            username: input.username,
            email: input.email,
            password: input.password,
        };
        let session = mutating(ctx)?.signup(client_ip(ctx), input).await.gql()?;
        set_session_cookie(ctx, &session.token);
        Ok(session.into())
    }

    async fn login(
        &self,
        ctx: &Context<'_>,
        input: LoginInput,
    ) -> async_graphql::Result<AuthPayload> {
        let input = Login {
            username: input.username,
            password: input.password,
        };
        let session = mutating(ctx)?.login(client_ip(ctx), input).await.gql()?;
        set_session_cookie(ctx, &session.token);
        Ok(session.into())
    }

    /// Revokes the token that made this request.
    async fn logout(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        mutating(ctx)?.logout(caller(ctx)?).await.gql()?;
        set_session_cookie(ctx, "");
        Ok(true)
    }
}
