//! Refuses a GraphQL document before it is validated or run: more tokens than a person writes,
//! a cost over budget, or a NUL character in any text it carries. Documents that are accepted
//! but costly run a few at a time, so the other cores stay free for everyone else. Once a
//! document that writes has run, whoever keeps reads is told ([`AroundWrites`]).
use crate::auth::Auth;
use crate::graphql::query_cost::{CostModel, Refusal};
use crate::read_versions::AfterWrites;
use async_graphql::parser::types::OperationType;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Positioned, Request, ServerError, ServerResult, Value, Variables};
use futures::future::BoxFuture;
use std::any::TypeId;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::Semaphore;

pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";

/// Most tokens a document may have: parsing costs about a microsecond a token, and GraphiQL's
/// whole introspection query has some 250.
pub const MAX_TOKENS: usize = 5_000;

/// From this cost on, a document waits for one of the few heavy-execution permits: a quarter of
/// the budget, about twice the apps' largest screens (a post with 20 replies, a question with 20
/// answers: 1 100–1 300, their texts priced at their longest). At 1 000 those screens waited, and
/// on two cores they ran one at a time.
pub const HEAVY_COST: u64 = crate::graphql::query_cost::MAX_COST / 4;

/// Told once each document that writes (a mutation) has run, whether its writes held or
/// failed: whoever keeps reads checks what may have changed.
pub trait AroundWrites: Send + Sync {
    fn written(&self) -> BoxFuture<'_, ()>;
    /// A write whose end nobody will await (see [`OpenWrite`]); it may have committed.
    fn abandoned(&self);
}

/// A write running and not yet said to be over. Dropped before [`OpenWrite::close`] (the
/// future running the write was dropped: a socket closed, a stream reset, a client gone), it may
/// have committed all the same, so it tells [`AroundWrites::abandoned`].
pub struct OpenWrite<'a> {
    around: Option<&'a dyn AroundWrites>,
}

impl<'a> OpenWrite<'a> {
    pub fn begin(around: &'a dyn AroundWrites) -> OpenWrite<'a> {
        OpenWrite {
            around: Some(around),
        }
    }

    /// The write ran, whether it held or failed.
    pub async fn close(mut self) {
        if let Some(around) = self.around.take() {
            around.written().await;
        }
    }
}

impl Drop for OpenWrite<'_> {
    fn drop(&mut self) {
        if let Some(around) = self.around.take() {
            around.abandoned();
        }
    }
}

impl AroundWrites for AfterWrites {
    fn written(&self) -> BoxFuture<'_, ()> {
        Box::pin(AfterWrites::written(self))
    }

    /// Checked from a task of its own.
    fn abandoned(&self) {
        let this = self.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { this.written().await });
        }
    }
}

/// The guard every operation passes, over HTTP and WebSocket ([`super::schema::HearthSchema`]
/// runs it around the schema): [`DocumentGuard::admit`] before anything else looks at the
/// document, [`DocumentGuard::around`] around its execution. It is not a schema extension: with
/// any extension registered, async-graphql sends every field through a boxed hook and builds
/// its `ResolveInfo`, about a tenth of a page's time in `bench meetings`.
pub struct DocumentGuard {
    model: CostModel,
    heavy: Semaphore,
    around_writes: Option<Arc<dyn AroundWrites>>,
}

/// What the guard learnt of a document it let through.
pub struct Admitted {
    /// Its cost, as priced.
    cost: u64,
    /// Whether a signed-in caller sent a document that holds a mutation. Only such a write can
    /// change what is kept: those open to anyone else (register, verifyEmail,
    /// requestPasswordReset, resetPassword, the sessions') write nothing a kept read shows, and
    /// counting them would let anyone empty every instance's memo with a flood of mutations
    /// refused for want of a token.
    signed_write: bool,
}

impl DocumentGuard {
    /// `heavy_at_once`: how many costly documents execute at the same time (fewer than the cores).
    pub fn new(model: CostModel, heavy_at_once: usize) -> Self {
        DocumentGuard {
            model,
            heavy: Semaphore::new(heavy_at_once.max(1)),
            around_writes: None,
        }
    }

    /// Tells `around` before and after each document that writes.
    pub fn around_writes(mut self, around: Arc<dyn AroundWrites>) -> Self {
        self.around_writes = Some(around);
        self
    }

    /// Runs before async-graphql looks at the document: its own nesting check and validation
    /// follow every fragment spread without memoising, so an unpriced document could make them
    /// walk 10^9 selections. The parse done here is the one execution uses.
    pub fn admit(&self, request: &mut Request) -> ServerResult<Admitted> {
        check_tokens(&request.query)?;
        let variables = std::mem::take(&mut request.variables);
        let checked = request.parsed_query().and_then(|document| {
            let cost = self.model.check(document, &variables).map_err(|refusal| {
                let code = match refusal {
                    Refusal::TooComplex { .. } | Refusal::FragmentsTooDeep => QUERY_TOO_COMPLEX,
                };
                error(code, refusal.message(), None)
            })?;
            check_text(document, &variables)?;
            let writes = document
                .operations
                .iter()
                .any(|(_, operation)| operation.node.ty == OperationType::Mutation);
            Ok((cost, writes))
        });
        request.variables = variables;
        let (cost, writes) = checked?;
        let signed = request
            .data
            .get(&TypeId::of::<Auth>())
            .and_then(|data| data.downcast_ref::<Auth>())
            .is_some_and(|auth| matches!(auth, Auth::Signed(_)));
        Ok(Admitted {
            cost,
            signed_write: writes && signed,
        })
    }

    /// Runs `execution` of an admitted document: a costly one waits for a heavy permit, and
    /// whoever keeps reads is told when a signed-in caller's write is over.
    pub async fn around<T>(&self, admitted: Admitted, execution: impl Future<Output = T>) -> T {
        let _permit = if admitted.cost >= HEAVY_COST {
            self.heavy.acquire().await.ok()
        } else {
            None
        };
        let around = self
            .around_writes
            .as_deref()
            .filter(|_| admitted.signed_write);
        let open = around.map(OpenWrite::begin);
        let outcome = execution.await;
        if let Some(open) = open {
            open.close().await;
        }
        outcome
    }
}

/// Refuses a document of more than [`MAX_TOKENS`] tokens before anything parses it. Counting
/// is a linear scan of its bytes, much cheaper than the parser.
pub fn check_tokens(query: &str) -> ServerResult<()> {
    if count_tokens(query, MAX_TOKENS) > MAX_TOKENS {
        return Err(error(
            QUERY_TOO_COMPLEX,
            format!("a document may have at most {MAX_TOKENS} tokens; use fragments or variables"),
            None,
        ));
    }
    Ok(())
}

/// GraphQL's lexical tokens (names, numbers, strings, punctuators), counted up to one past
/// `limit`. Commas, white space and comments are not tokens.
fn count_tokens(query: &str, limit: usize) -> usize {
    let bytes = query.as_bytes();
    let mut count = 0;
    let mut i = 0;
    while i < bytes.len() && count <= limit {
        let byte = bytes[i];
        i += 1;
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => continue,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"") => {
                i += 2;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
            }
            b'"' => {
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"..") => i += 2,
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                while i < bytes.len() && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
            }
            b'-' | b'0'..=b'9' => {
                while i < bytes.len()
                    && matches!(bytes[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    i += 1;
                }
            }
            // A byte order mark is ignored like white space.
            0xEF if bytes[i..].starts_with(&[0xBB, 0xBF]) => {
                i += 2;
                continue;
            }
            _ => {}
        }
        count += 1;
    }
    count
}

/// No text may carry a NUL: PostgreSQL cannot store it and no person types it.
fn check_text(document: &ExecutableDocument, variables: &Variables) -> ServerResult<()> {
    let nul = |field: &str| {
        error(
            "BAD_USER_INPUT",
            format!("`{field}` must not contain a NUL character"),
            Some(field),
        )
    };
    for (name, value) in variables.iter() {
        if let Some(field) = nul_in(value, name.as_str()) {
            return Err(nul(field));
        }
    }
    let mut sets: Vec<&Positioned<SelectionSet>> = Vec::new();
    for (_, operation) in document.operations.iter() {
        for variable in &operation.node.variable_definitions {
            if let Some(default) = &variable.node.default_value {
                if let Some(field) = nul_in(&default.node, variable.node.name.node.as_str()) {
                    return Err(nul(field));
                }
            }
        }
        sets.push(&operation.node.selection_set);
    }
    sets.extend(document.fragments.values().map(|f| &f.node.selection_set));
    // Each selection set of the document once, spreads not followed: linear in its size.
    while let Some(set) = sets.pop() {
        for selection in &set.node.items {
            let (arguments, directives, inner) = match &selection.node {
                Selection::Field(field) => (
                    field.node.arguments.as_slice(),
                    &field.node.directives,
                    Some(&field.node.selection_set),
                ),
                Selection::InlineFragment(fragment) => (
                    &[][..],
                    &fragment.node.directives,
                    Some(&fragment.node.selection_set),
                ),
                Selection::FragmentSpread(spread) => (&[][..], &spread.node.directives, None),
            };
            let directive_arguments = directives.iter().flat_map(|d| d.node.arguments.iter());
            for (name, value) in arguments.iter().chain(directive_arguments) {
                if let Some(field) = nul_in_literal(&value.node, name.node.as_str()) {
                    return Err(nul(field));
                }
            }
            sets.extend(inner);
        }
    }
    Ok(())
}

/// The innermost named field whose text holds a NUL.
fn nul_in<'a>(value: &'a Value, name: &'a str) -> Option<&'a str> {
    match value {
        Value::String(text) => text.contains('\0').then_some(name),
        Value::List(items) => items.iter().find_map(|item| nul_in(item, name)),
        Value::Object(fields) => fields.iter().find_map(|(key, v)| nul_in(v, key.as_str())),
        _ => None,
    }
}

fn nul_in_literal<'a>(value: &'a async_graphql_value::Value, name: &'a str) -> Option<&'a str> {
    use async_graphql_value::Value as Literal;
    match value {
        Literal::String(text) => text.contains('\0').then_some(name),
        Literal::List(items) => items.iter().find_map(|item| nul_in_literal(item, name)),
        Literal::Object(fields) => fields
            .iter()
            .find_map(|(key, v)| nul_in_literal(v, key.as_str())),
        _ => None,
    }
}

fn error(code: &str, message: String, field: Option<&str>) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    if let Some(field) = field {
        extensions.set("field", field);
    }
    error.extensions = Some(extensions);
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Says what it was told, in order.
    #[derive(Default)]
    struct Told(std::sync::Mutex<Vec<String>>);

    impl Told {
        fn say(&self, word: String) {
            self.0.lock().expect("not poisoned").push(word);
        }
        fn words(&self) -> Vec<String> {
            self.0.lock().expect("not poisoned").clone()
        }
    }

    impl AroundWrites for Told {
        fn written(&self) -> BoxFuture<'_, ()> {
            self.say("written".to_owned());
            Box::pin(async {})
        }
        fn abandoned(&self) {
            self.say("abandoned".to_owned());
        }
    }

    #[tokio::test]
    async fn a_write_dropped_before_its_end_is_told_as_abandoned() {
        let told = Told::default();
        OpenWrite::begin(&told).close().await;
        drop(OpenWrite::begin(&told));
        // The way a socket's closing drops a running mutation: the future, mid-write.
        let running = async {
            let _open = OpenWrite::begin(&told);
            std::future::pending::<()>().await;
        };
        assert!(futures::FutureExt::now_or_never(running).is_none());
        assert_eq!(told.words(), ["written", "abandoned", "abandoned"]);
    }

    #[test]
    fn tokens_are_counted_as_graphql_lexes_them() {
        assert_eq!(count_tokens("{ __typename }", 100), 3);
        assert_eq!(
            count_tokens(
                "query Q($n: Int = -1.5e3) { a: f(x: $n, y: \"s, \\\" t\") }",
                100
            ),
            24
        );
        assert_eq!(count_tokens("# a comment, { } \n{ ...F }", 100), 4);
        assert_eq!(
            count_tokens("{ f(x: \"\"\" block \\\"\"\" \"quoted\" \"\"\") }", 100),
            8
        );
        // Counting stops one past the limit, however long the document.
        assert_eq!(count_tokens(&" a".repeat(100_000), 10), 11);
        assert!(check_tokens(&format!("{{{} }}", " a".repeat(MAX_TOKENS))).is_err());
        assert!(check_tokens(&format!("{{{} }}", " a".repeat(MAX_TOKENS - 2))).is_ok());
    }

    /// Every mutation counts a tenth of the budget, so that a document carries at most ten; that
    /// share is not work to read. Counted as heavy, every mutation of the instance waited for the
    /// one heavy permit of a two-core machine, and replies were written one at a time.
    #[test]
    fn a_mutation_is_as_heavy_as_what_it_selects() {
        let model =
            CostModel::from_sdl(&crate::graphql::schema::sdl()).expect("the schema's SDL parses");
        let price = |query: &str| {
            let document = async_graphql::parser::parse_query(query).expect("parses");
            model.check(&document, &Variables::default())
        };
        let reply = price("mutation { createReply(input: {postId: \"p\", body: \"b\"}) { id } }");
        assert!(matches!(reply, Ok(cost) if cost < HEAVY_COST), "{reply:?}");
        // What a mutation selects is read all the same.
        let reading =
            "replies(first: 100) { edges { node { id body author { id displayName } } } }";
        let read = price(&format!("{{ post(id: \"p\") {{ {reading} }} }}"));
        let heavy = price(&format!(
            "mutation {{ createPost(input: {{groupId: \"g\", title: \"t\", body: \"b\"}}) {{ id {reading} }} }}"
        ));
        assert!(matches!(read, Ok(cost) if cost >= HEAVY_COST), "{read:?}");
        assert!(matches!(heavy, Ok(cost) if cost >= HEAVY_COST), "{heavy:?}");
    }

    /// The apps' screens run freely: a heavy one waits for a permit, one at a time on two cores.
    /// The feed was priced at 4 311 (its reaction counts as lists of up to 100); a post with its
    /// replies, and a question with its answers, at 1 100–1 300, over the old threshold of 1 000.
    #[test]
    fn the_apps_screens_are_not_heavy() {
        let model =
            CostModel::from_sdl(&crate::graphql::schema::sdl()).expect("the schema's SDL parses");
        for screen in [
            "{ feed(first: 20) { edges { cursor node { id title replyCount lastActivityAt \
             author { id displayName } group { id name } reactionCounts { kind count } \
             myReactions } } } }",
            "query($id: ID!) { post(id: $id) { id title body replyCount author { id displayName } \
             reactionCounts { kind count } myReactions replies(first: 20) { edges { cursor node { \
             id body createdAt author { id displayName } reactionCounts { kind count } \
             myReactions } } } } }",
            "query($id: ID!) { question(id: $id) { id title body answers(first: 20) { totalCount \
             edges { node { id body helpfulCount accepted author { id displayName \
             expert { title } } } } } } }",
        ] {
            let document = async_graphql::parser::parse_query(screen).expect("parses");
            let cost = model.check(&document, &Variables::default());
            assert!(
                matches!(cost, Ok(cost) if cost < HEAVY_COST),
                "{cost:?}: {screen}"
            );
        }
    }

    #[test]
    fn nul_is_found_in_nested_input() {
        let value = Value::from_json(serde_json::json!({"input": {"body": "a\u{0}b"}}))
            .expect("json converts");
        assert_eq!(nul_in(&value, "vars"), Some("body"));
        let clean = Value::from_json(serde_json::json!({"tags": ["a", "b"]})).expect("json");
        assert_eq!(nul_in(&clean, "vars"), None);
    }
}
