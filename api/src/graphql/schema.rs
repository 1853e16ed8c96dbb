//! The GraphQL schema: one query, mutation and subscription object per feature, merged here.
use super::document_guard::DocumentGuard;
use super::query_cost::CostModel;
use super::{
    AccountMutation, AccountQuery, GroupMutation, GroupQuery, LiveSubscription, MeetingMutation,
    MeetingQuery, ModerationMutation, ModerationQuery, MoodMutation, MoodQuery, NodeQuery,
    NotificationMutation, NotificationQuery, PostMutation, PostQuery, PushMutation,
    QuestionMutation, QuestionQuery, ShareMutation, ShareQuery,
};
use crate::state::AppContext;
use anyhow::Context as _;
use async_graphql::{MergedObject, MergedSubscription, Request, Response, Schema};
use futures::stream::{self, BoxStream};
use futures::StreamExt as _;
use std::sync::Arc;

#[derive(MergedObject, Default)]
pub struct Query(
    AccountQuery,
    GroupQuery,
    PostQuery,
    ModerationQuery,
    NotificationQuery,
    MoodQuery,
    ShareQuery,
    QuestionQuery,
    MeetingQuery,
    NodeQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    AccountMutation,
    GroupMutation,
    PostMutation,
    ModerationMutation,
    NotificationMutation,
    PushMutation,
    MoodMutation,
    ShareMutation,
    QuestionMutation,
    MeetingMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(LiveSubscription);

/// The schema the server runs, behind the guard every document passes first
/// ([`DocumentGuard`]), over HTTP and WebSocket alike.
#[derive(Clone)]
pub struct HearthSchema {
    schema: Schema<Query, Mutation, Subscription>,
    guard: Arc<DocumentGuard>,
}

impl HearthSchema {
    /// Runs one operation (a query or a mutation) to its response.
    pub async fn execute(&self, mut request: Request) -> Response {
        match self.guard.admit(&mut request) {
            Ok(admitted) => {
                let execution = self.schema.execute(request);
                self.guard.around(admitted, execution).await
            }
            Err(refused) => Response::from_errors(vec![refused]),
        }
    }

    /// Runs any operation as a stream of responses: a subscription's events, or the one
    /// response of anything else (computed under the guard's [`DocumentGuard::around`]).
    pub fn execute_stream(&self, mut request: Request) -> BoxStream<'static, Response> {
        let admitted = match self.guard.admit(&mut request) {
            Ok(admitted) => admitted,
            Err(refused) => {
                return stream::once(async move { Response::from_errors(vec![refused]) }).boxed()
            }
        };
        let guard = self.guard.clone();
        let mut ran = self.schema.execute_stream(request);
        stream::once(async move {
            let first = guard.around(admitted, ran.next()).await;
            stream::iter(first).chain(ran)
        })
        .flatten()
        .boxed()
    }
}

/// Deepest selection allowed; GraphiQL's introspection query needs 13.
pub const MAX_DEPTH: usize = 15;
pub const MAX_COMPLEXITY: usize = 2_000;

/// The schema the server runs: its documents are priced and checked before they validate.
pub fn build(app: AppContext, production: bool) -> anyhow::Result<HearthSchema> {
    let cost = CostModel::from_sdl(&sdl()).context("reading the schema's own SDL")?;
    let mut guard = DocumentGuard::new(cost, heavy_at_once());
    if !app.settings.page_cache_keep.is_zero() {
        guard = guard.around_writes(Arc::new(app.after_writes.clone()));
    }
    Ok(HearthSchema {
        schema: builder(Some(app), production).finish(),
        guard: Arc::new(guard),
    })
}

fn builder(
    app: Option<AppContext>,
    production: bool,
) -> async_graphql::SchemaBuilder<Query, Mutation, Subscription> {
    let mut builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .limit_recursive_depth(32)
    .limit_directives(10)
    .override_output_type_description::<chrono::DateTime<chrono::Utc>>(DATE_TIME);
    if production {
        builder = builder.disable_introspection().disable_suggestions();
    }
    if let Some(app) = app {
        // Operations are counted and timed in the HTTP handler: a schema extension would wrap
        // every field's resolution and slow large responses and live fan-out.
        builder = builder.data(app);
    }
    builder
}

/// The instant scalar's description (the library's own says how it is implemented).
const DATE_TIME: &str = "An instant in RFC 3339, as `2026-11-30T19:00:00Z`: answers are in UTC; \
    an offset sent in an argument is honoured (`2026-11-30T20:00:00+01:00` is the same instant).";

/// Costly documents execute on all cores but one, which stays free for cheap requests and
/// health checks.
fn heavy_at_once() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    cores.saturating_sub(1).max(1)
}

/// The SDL the apps are built against (`hearth schema`; equals the committed `schema.graphql`).
pub fn sdl() -> String {
    builder(None, false).finish().sdl()
}
