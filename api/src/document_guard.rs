//! Refuses a GraphQL document before it is validated or run: a cost over budget, or a NUL
//! character in any text it carries.
use crate::query_cost::{CostModel, Refusal};
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Positioned, Request, ServerError, ServerResult, Value, Variables};
use std::sync::Arc;

pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";

/// The schema extension that applies the guard to every operation, over HTTP and WebSocket.
pub struct DocumentGuard(Arc<CostModel>);

impl DocumentGuard {
    pub fn new(model: CostModel) -> Self {
        DocumentGuard(Arc::new(model))
    }
}

impl ExtensionFactory for DocumentGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GuardExtension(self.0.clone()))
    }
}

struct GuardExtension(Arc<CostModel>);

#[async_trait::async_trait]
impl Extension for GuardExtension {
    /// Runs before async-graphql looks at the document: its own nesting check and validation
    /// follow every fragment spread without memoising, so an unpriced document could make them
    /// walk 10^9 selections. The parse done here is the one execution uses.
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let variables = std::mem::take(&mut request.variables);
        let checked = request.parsed_query().and_then(|document| {
            self.0.check(document, &variables).map_err(|refusal| {
                let code = match refusal {
                    Refusal::TooComplex { .. } | Refusal::FragmentsTooDeep => QUERY_TOO_COMPLEX,
                };
                error(code, refusal.message(), None)
            })?;
            check_text(document, &variables)
        });
        request.variables = variables;
        checked?;
        next.run(ctx, request).await
    }
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

    #[test]
    fn nul_is_found_in_nested_input() {
        let value = Value::from_json(serde_json::json!({"input": {"body": "a\u{0}b"}}))
            .expect("json converts");
        assert_eq!(nul_in(&value, "vars"), Some("body"));
        let clean = Value::from_json(serde_json::json!({"tags": ["a", "b"]})).expect("json");
        assert_eq!(nul_in(&clean, "vars"), None);
    }
}
