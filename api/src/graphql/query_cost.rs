//! What a GraphQL document would cost to answer, computed on the parsed document before anything
//! validates or runs it: every field as it would execute, aliases and `__typename` included, each
//! fragment spread counted at every use (a fragment's cost is memoised, so the check is linear in
//! the document's size), list fields weighted by their page or their known bound.
use async_graphql::parser::types::{
    BaseType, ExecutableDocument, OperationType, Selection, SelectionSet, TypeDefinition, TypeKind,
    TypeSystemDefinition,
};
use async_graphql::{Name, Positioned, Value, Variables};
use std::collections::HashMap;

/// Most a document may cost; one point is about one resolved field or 1 KiB of text.
pub const MAX_COST: u64 = 10_000;
/// Most an introspection selection may cost: GraphiQL's own query fits with room (it cost
/// about 102 000 once meetings joined the schema; twenty copies of it cost far more).
pub const MAX_INTROSPECTION_COST: u64 = 150_000;
/// Deepest chain of fragments spreading fragments.
pub const MAX_FRAGMENT_NESTING: usize = 16;
/// Page of a connection when `first` is not given.
pub const DEFAULT_PAGE: u64 = crate::pagination::DEFAULT_PAGE as u64;
/// Largest page a connection hands out.
pub const MAX_PAGE: u64 = crate::pagination::MAX_PAGE as u64;
/// A mutation writes, checks limits and may hash a password: at most ten in one document,
/// however they are spread. This share of the budget counts mutations; it is not work to read,
/// so it does not make a document heavy.
const MUTATION_FIELD_COST: u64 = MAX_COST / 10;
/// Every operation and fragment definition of a document together, in budgets.
const VALIDATION_FACTOR: u64 = 3;
/// A connection reads the database.
const CONNECTION_COST: u64 = 10;
/// Items of a list that is neither a connection nor listed in [`LIST_BOUNDS`].
const DEFAULT_LIST_BOUND: u64 = MAX_PAGE;

/// Lists that are not connections, with the most items they hold.
const LIST_BOUNDS: &[(&str, &str, u64)] = &[
    // One bucket per day of a summary of at most 800 days.
    ("MoodSummary", "buckets", 800),
    ("MoodSummary", "topEmotions", 5),
    // A share shows at most 1 000 check-ins.
    ("SharedMood", "checkins", 1_000),
    ("Question", "tags", 5),
    (
        "Query",
        "similarQuestions",
        crate::questions::service::MAX_SIMILAR,
    ),
    (
        "Account",
        "blockedUsers",
        crate::moderation::service::MAX_BLOCKED_SHOWN,
    ),
    (
        "Account",
        "devices",
        crate::accounts::devices::MAX_DEVICES_SHOWN,
    ),
    (
        "Group",
        "moderators",
        crate::groups::memberships::MAX_MODERATORS_SHOWN,
    ),
    (
        "Group",
        "pinnedPosts",
        crate::posts::service::MAX_PINNED_SHOWN,
    ),
    (
        "MeetingSeries",
        "occurrences",
        crate::meetings::occurrences::MOST_IN_RANGE,
    ),
    (
        "Meeting",
        "attendees",
        crate::meetings::attendance::MOST_ATTENDEES_SHOWN,
    ),
];

/// Lists with one item per value of an enum (a count for each kind of reaction), bounded by the
/// number of values the schema gives that enum.
const ONE_PER_ENUM_VALUE: &[(&str, &str, &str)] = &[
    ("Post", "reactionCounts", "ReactionKind"),
    ("Reply", "reactionCounts", "ReactionKind"),
];

/// Text fields longer than a line, with their cost (1 point per KiB at 4 bytes a character).
const TEXT_WEIGHTS: &[(&str, &str, u64)] = &[
    ("Post", "body", 80),
    ("Reply", "body", 40),
    ("Question", "body", 40),
    ("Answer", "body", 40),
    ("QuestionReport", "reason", 4),
    ("Group", "rules", 20),
    ("Group", "description", 8),
    ("MoodCheckin", "note", 4),
    ("SharedCheckin", "note", 4),
    ("Report", "reason", 4),
];

/// Fields each of whose items is read on its own, with what an item costs beyond its fields:
/// an object found by id alone takes a look-up and its visibility checks, a few statements.
const ITEM_READS: &[(&str, &str, u64)] = &[
    ("Query", "node", 3 * CONNECTION_COST),
    ("Query", "nodes", 3 * CONNECTION_COST),
];

/// Fields that read their object on their own for each parent (no loader gathers them), with
/// what that costs: the object and the caller's right to it, two statements.
const OWN_READS: &[(&str, &str, u64)] = &[
    ("Reply", "post", 2 * CONNECTION_COST),
    ("Answer", "question", 2 * CONNECTION_COST),
];

/// Why a document is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Over budget: what it would cost against what is allowed.
    TooComplex { cost: u64, budget: u64 },
    /// Fragments spread each other deeper than [`MAX_FRAGMENT_NESTING`], or in a cycle.
    FragmentsTooDeep,
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::TooComplex { cost, budget } => format!(
                "the query would cost {} and the budget is {budget}; ask for fewer fields or smaller pages",
                (*cost).min(u64::from(u32::MAX))
            ),
            Refusal::FragmentsTooDeep => format!(
                "fragments may spread other fragments at most {MAX_FRAGMENT_NESTING} deep, without cycles"
            ),
        }
    }
}

struct FieldShape {
    /// The named type the field returns, lists unwrapped.
    ty: Name,
    list: bool,
    /// Takes `first`: a connection whose page multiplies its selection.
    paged: bool,
    weight: u64,
    /// What each item costs beyond its selection ([`ITEM_READS`]).
    item_weight: u64,
    bound: u64,
}

/// The schema's shape as far as cost needs it.
pub struct CostModel {
    fields: HashMap<(Name, Name), FieldShape>,
    query: Name,
    mutation: Name,
    subscription: Name,
}

impl CostModel {
    /// Reads the shape from the schema's SDL.
    pub fn from_sdl(sdl: &str) -> anyhow::Result<Self> {
        let document = async_graphql::parser::parse_schema(sdl)?;
        let enum_sizes: HashMap<&str, u64> = document
            .definitions
            .iter()
            .filter_map(|definition| match definition {
                TypeSystemDefinition::Type(definition) => match &definition.node.kind {
                    TypeKind::Enum(values) => Some((
                        definition.node.name.node.as_str(),
                        values.values.len() as u64,
                    )),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        let mut fields = HashMap::new();
        let mut type_count: u64 = 0;
        let mut member_count: u64 = 0;
        let mut argument_count: u64 = 0;
        let mut field_count: u64 = 0;
        for definition in &document.definitions {
            let TypeSystemDefinition::Type(definition) = definition else {
                continue;
            };
            let TypeDefinition { name, kind, .. } = &definition.node;
            type_count += 1;
            let defined = match kind {
                TypeKind::Object(object) => &object.fields,
                TypeKind::Interface(interface) => &interface.fields,
                TypeKind::Enum(values) => {
                    member_count += values.values.len() as u64;
                    continue;
                }
                TypeKind::InputObject(input) => {
                    member_count += input.fields.len() as u64;
                    continue;
                }
                TypeKind::Scalar | TypeKind::Union(_) => continue,
            };
            member_count += defined.len() as u64;
            for field in defined {
                let field = &field.node;
                field_count += 1;
                argument_count += field.arguments.len() as u64;
                let (ty, list) = named(&field.ty.node.base);
                let paged = field.arguments.iter().any(|a| a.node.name.node == "first");
                let key = (name.node.clone(), field.name.node.clone());
                let bound = if name.node.ends_with("Connection") {
                    // The connection field's page already counts its edges and nodes.
                    1
                } else {
                    entry(LIST_BOUNDS, &key)
                        .or_else(|| {
                            entry(ONE_PER_ENUM_VALUE, &key).and_then(|e| enum_sizes.get(e).copied())
                        })
                        .unwrap_or(DEFAULT_LIST_BOUND)
                };
                let shape = FieldShape {
                    ty: ty.clone(),
                    list,
                    paged,
                    weight: entry(TEXT_WEIGHTS, &key).unwrap_or(0)
                        + entry(OWN_READS, &key).unwrap_or(0),
                    item_weight: entry(ITEM_READS, &key).unwrap_or(0),
                    bound,
                };
                fields.insert(key, shape);
            }
        }
        let mut model = CostModel {
            fields,
            query: Name::new("Query"),
            mutation: Name::new("Mutation"),
            subscription: Name::new("Subscription"),
        };
        model.add_introspection(IntrospectionSizes {
            types: type_count + 10,
            members: member_count.div_ceil(type_count.max(1)).max(1),
            arguments: argument_count.div_ceil(field_count.max(1)).max(1),
        });
        Ok(model)
    }

    /// The introspection types are not in the SDL; their lists are bounded by what the schema
    /// holds on average, so a whole-schema query is priced at about what it returns.
    fn add_introspection(&mut self, sizes: IntrospectionSizes) {
        let shapes: [(&str, &str, &str, Option<u64>); 19] = [
            ("Query", "__schema", "__Schema", None),
            ("Query", "__type", "__Type", None),
            ("__Schema", "types", "__Type", Some(sizes.types)),
            ("__Schema", "queryType", "__Type", None),
            ("__Schema", "mutationType", "__Type", None),
            ("__Schema", "subscriptionType", "__Type", None),
            ("__Schema", "directives", "__Directive", Some(10)),
            ("__Type", "fields", "__Field", Some(sizes.members)),
            ("__Type", "inputFields", "__InputValue", Some(sizes.members)),
            ("__Type", "enumValues", "__EnumValue", Some(sizes.members)),
            ("__Type", "interfaces", "__Type", Some(4)),
            ("__Type", "possibleTypes", "__Type", Some(4)),
            ("__Type", "ofType", "__Type", None),
            ("__Field", "args", "__InputValue", Some(sizes.arguments)),
            ("__Field", "type", "__Type", None),
            ("__InputValue", "type", "__Type", None),
            ("__Directive", "args", "__InputValue", Some(sizes.arguments)),
            ("__Directive", "locations", "__DirectiveLocation", Some(20)),
            ("__Type", "specifiedByURL", "String", None),
        ];
        for (parent, field, ty, bound) in shapes {
            self.fields.insert(
                (Name::new(parent), Name::new(field)),
                FieldShape {
                    ty: Name::new(ty),
                    list: bound.is_some(),
                    paged: false,
                    weight: 0,
                    item_weight: 0,
                    bound: bound.unwrap_or(1),
                },
            );
        }
    }

    /// What the costliest operation or fragment of `document` reads, or why it is refused. The
    /// budget also counts its mutations; the cost returned leaves them out, so one mutation is
    /// as light as what it selects.
    pub fn check(
        &self,
        document: &ExecutableDocument,
        variables: &Variables,
    ) -> Result<u64, Refusal> {
        let mut walk = Walk {
            model: self,
            document,
            variables,
            fragments: HashMap::new(),
            nesting: 0,
        };
        // One operation runs, but async-graphql validates every operation and every fragment
        // definition, expanding spreads: the one that runs is bounded by the budget, all of
        // them together by a few budgets.
        let mut worst = Cost::default();
        // What the costliest operation spends of the fields' budget, its mutations included.
        let mut worst_spent: u64 = 0;
        let mut validated = Cost::default();
        for (_, operation) in document.operations.iter() {
            let operation = &operation.node;
            let root = match operation.ty {
                OperationType::Query => &self.query,
                OperationType::Mutation => &self.mutation,
                OperationType::Subscription => &self.subscription,
            };
            let cost = walk.selection_set(&operation.selection_set, Some(root))?;
            worst = worst.max(cost);
            worst_spent = worst_spent.max(cost.fields.saturating_add(cost.writes));
            validated = validated.add(cost);
        }
        for name in document.fragments.keys() {
            validated = validated.add(walk.fragment(name)?);
        }
        let over = |cost: u64, budget: u64| {
            (cost > budget).then_some(Refusal::TooComplex { cost, budget })
        };
        let refusal = over(worst_spent, MAX_COST)
            .or_else(|| over(worst.introspection, MAX_INTROSPECTION_COST))
            .or_else(|| {
                over(
                    validated.fields.saturating_add(validated.writes),
                    VALIDATION_FACTOR * MAX_COST,
                )
            })
            .or_else(|| {
                over(
                    validated.introspection,
                    VALIDATION_FACTOR * MAX_INTROSPECTION_COST,
                )
            });
        match refusal {
            Some(refusal) => Err(refusal),
            None => Ok(worst.fields + worst.introspection),
        }
    }
}

struct IntrospectionSizes {
    types: u64,
    members: u64,
    arguments: u64,
}

/// Ordinary fields and introspection are budgeted apart: a schema is large, a screen is not.
/// Mutations count against the fields' budget but are kept apart from what is read.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Cost {
    fields: u64,
    introspection: u64,
    writes: u64,
}

impl Cost {
    fn add(self, other: Cost) -> Cost {
        Cost {
            fields: self.fields.saturating_add(other.fields),
            introspection: self.introspection.saturating_add(other.introspection),
            writes: self.writes.saturating_add(other.writes),
        }
    }

    fn times(self, n: u64) -> Cost {
        Cost {
            fields: self.fields.saturating_mul(n),
            introspection: self.introspection.saturating_mul(n),
            writes: self.writes.saturating_mul(n),
        }
    }

    fn max(self, other: Cost) -> Cost {
        Cost {
            fields: self.fields.max(other.fields),
            introspection: self.introspection.max(other.introspection),
            writes: self.writes.max(other.writes),
        }
    }
}

enum Memo {
    Running,
    Done(Cost),
}

struct Walk<'a> {
    model: &'a CostModel,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    fragments: HashMap<&'a str, Memo>,
    nesting: usize,
}

impl<'a> Walk<'a> {
    fn selection_set(
        &mut self,
        set: &'a Positioned<SelectionSet>,
        parent: Option<&Name>,
    ) -> Result<Cost, Refusal> {
        let mut total = Cost::default();
        for selection in &set.node.items {
            let cost = match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = &field.name.node;
                    let shape =
                        parent.and_then(|p| self.model.fields.get(&(p.clone(), name.clone())));
                    let introspection = matches!(name.as_str(), "__schema" | "__type")
                        || parent.is_some_and(|p| p.starts_with("__"));
                    let mut own = Cost::one(introspection);
                    if parent == Some(&self.model.mutation) {
                        own.writes += MUTATION_FIELD_COST;
                    }
                    let (own, multiplier) = match shape {
                        None => (own, 1),
                        Some(shape) => {
                            let multiplier = if shape.paged {
                                self.page(field.get_argument("first"))
                            } else if shape.list {
                                shape.bound
                            } else {
                                1
                            };
                            let mut own = own;
                            own.fields +=
                                shape.weight + if shape.paged { CONNECTION_COST } else { 0 };
                            (own, multiplier)
                        }
                    };
                    let mut inner = if field.selection_set.node.items.is_empty() {
                        Cost::default()
                    } else {
                        self.selection_set(&field.selection_set, shape.map(|s| &s.ty))?
                    };
                    inner.fields += shape.map_or(0, |s| s.item_weight);
                    own.add(inner.times(multiplier))
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    let on = fragment.type_condition.as_ref().map(|c| &c.node.on.node);
                    self.selection_set(&fragment.selection_set, on.or(parent))?
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(&spread.node.fragment_name.node)?
                }
            };
            total = total.add(cost);
        }
        Ok(total)
    }

    fn fragment(&mut self, name: &'a Name) -> Result<Cost, Refusal> {
        match self.fragments.get(name.as_str()) {
            Some(Memo::Done(cost)) => return Ok(*cost),
            Some(Memo::Running) => return Err(Refusal::FragmentsTooDeep),
            None => {}
        }
        // An unknown fragment is refused by validation; it costs nothing here.
        let Some(definition) = self.document.fragments.get(name) else {
            return Ok(Cost::default());
        };
        if self.nesting >= MAX_FRAGMENT_NESTING {
            return Err(Refusal::FragmentsTooDeep);
        }
        self.fragments.insert(name.as_str(), Memo::Running);
        self.nesting += 1;
        let on = &definition.node.type_condition.node.on.node;
        let cost = self.selection_set(&definition.node.selection_set, Some(on));
        self.nesting -= 1;
        let cost = cost?;
        self.fragments.insert(name.as_str(), Memo::Done(cost));
        Ok(cost)
    }

    /// The page a `first` argument asks for, as the resolver would clamp it. A variable the
    /// request does not give may have a default in its operation; fragments are priced apart
    /// from operations, so it is priced as the largest page.
    fn page(&self, first: Option<&Positioned<async_graphql_value::Value>>) -> u64 {
        let value = match first.map(|v| &v.node) {
            None => None,
            Some(async_graphql_value::Value::Variable(name)) => match self.variables.get(name) {
                None => return MAX_PAGE,
                Some(value) => as_i64(value),
            },
            Some(literal) => literal.clone().into_const().as_ref().and_then(as_i64),
        };
        value.map_or(DEFAULT_PAGE, |n| n.clamp(1, MAX_PAGE as i64) as u64)
    }
}

impl Cost {
    fn one(introspection: bool) -> Cost {
        if introspection {
            Cost {
                introspection: 1,
                ..Cost::default()
            }
        } else {
            Cost {
                fields: 1,
                ..Cost::default()
            }
        }
    }
}

/// What one of the tables above says of a field (its type's name, its own).
fn entry<T: Copy>(table: &[(&str, &str, T)], (ty, field): &(Name, Name)) -> Option<T> {
    table
        .iter()
        .find(|(t, f, _)| *t == ty.as_str() && *f == field.as_str())
        .map(|(_, _, value)| *value)
}

fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

fn named(base: &BaseType) -> (&Name, bool) {
    match base {
        BaseType::Named(name) => (name, false),
        BaseType::List(inner) => (named(&inner.base).0, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn model() -> CostModel {
        CostModel::from_sdl(&crate::graphql::schema::sdl()).expect("the schema's SDL parses")
    }

    fn cost(query: &str) -> Result<u64, Refusal> {
        let document = parse_query(query).expect("parses");
        model().check(&document, &Variables::default())
    }

    #[test]
    fn aliases_and_typename_count() {
        assert_eq!(cost("{ __typename }"), Ok(1));
        assert_eq!(cost("{ a: __typename b: __typename me { id } }"), Ok(4));
    }

    #[test]
    fn objects_found_by_id_alone_are_priced_by_the_reads_they_take() {
        let one = cost("{ node(id: \"x\") { id } }").expect("fits");
        assert!(one > 3 * CONNECTION_COST, "{one}");
        let hundred = cost("{ nodes(ids: []) { id } }").expect("fits");
        assert!(hundred > 100 * 3 * CONNECTION_COST, "{hundred}");
        // A few hundred look-ups a document at most: four full lists are over the budget.
        let four = "{ a: nodes(ids: []) { id } b: nodes(ids: []) { id } \
                    c: nodes(ids: []) { id } d: nodes(ids: []) { id } }";
        assert!(matches!(cost(four), Err(Refusal::TooComplex { .. })));
    }

    #[test]
    fn a_parent_read_for_each_item_of_a_page_is_priced_for_each() {
        let replies = |inner: &str| {
            cost(&format!(
                "{{ post(id: \"x\") {{ replies(first: 100) {{ edges {{ node {{ id {inner} }} }} }} }} }}"
            ))
            .expect("fits")
        };
        let (alone, with_post) = (replies(""), replies("post { id }"));
        assert!(
            with_post - alone >= 100 * 2 * CONNECTION_COST,
            "{alone} vs {with_post}"
        );
    }

    #[test]
    fn pages_multiply_their_selection() {
        let twenty = cost("{ feed { edges { node { id title } } } }").expect("fits");
        let hundred = cost("{ feed(first: 100) { edges { node { id title } } } }").expect("fits");
        assert!(hundred > 4 * twenty, "{twenty} vs {hundred}");
        // `first: 0` still validates and walks its selection: it counts as one.
        assert!(cost("{ feed(first: 0) { edges { node { id } } } }").expect("fits") > 0);
    }

    #[test]
    fn nested_fragment_spreads_are_counted_at_each_use_without_blowing_up() {
        let mut query = String::from("query { ...F0 }\nfragment F0 on Query { __typename }\n");
        for level in 1..=12 {
            query.push_str(&format!("fragment F{level} on Query {{"));
            for _ in 0..10 {
                query.push_str(&format!(" ...F{}", level - 1));
            }
            query.push_str(" }\n");
        }
        query = query.replacen("...F0 }", "...F12 }", 1);
        let started = std::time::Instant::now();
        let refused = cost(&query);
        assert!(
            matches!(refused, Err(Refusal::TooComplex { .. })),
            "{refused:?}"
        );
        assert!(started.elapsed() < std::time::Duration::from_millis(500));
    }

    #[test]
    fn fragment_cycles_and_deep_chains_are_refused() {
        assert_eq!(
            cost("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"),
            Err(Refusal::FragmentsTooDeep)
        );
        let mut chain = String::from("{ ...F0 }");
        for n in 0..=MAX_FRAGMENT_NESTING {
            chain.push_str(&format!(" fragment F{n} on Query {{ ...F{} }}", n + 1));
        }
        chain.push_str(&format!(
            " fragment F{} on Query {{ __typename }}",
            MAX_FRAGMENT_NESTING + 1
        ));
        assert_eq!(cost(&chain), Err(Refusal::FragmentsTooDeep));
    }

    #[test]
    fn long_lists_and_text_weigh_more() {
        let one =
            cost("{ moodSummary(from: \"2026-01-01\", to: \"2026-12-31\") { buckets { count } } }")
                .expect("one summary fits");
        assert!(one > 800, "{one}");
        let mut many = String::from("{");
        for n in 0..100 {
            many.push_str(&format!(
                " s{n}: moodSummary(from: \"2024-01-01\", to: \"2026-03-01\") {{ buckets {{ count averageScore }} }}"
            ));
        }
        many.push('}');
        assert!(matches!(cost(&many), Err(Refusal::TooComplex { .. })));
        let titles = cost("{ feed(first: 100) { edges { node { title } } } }").expect("fits");
        let bodies = cost("{ feed(first: 100) { edges { node { body } } } }").expect("fits");
        assert!(bodies > titles * 10, "{titles} vs {bodies}");
    }

    #[test]
    fn a_count_per_kind_of_reaction_is_bounded_by_the_kinds() {
        let one = cost("{ feed(first: 1) { edges { node { id } } } }").expect("fits");
        let counted =
            cost("{ feed(first: 1) { edges { node { id reactionCounts { kind count } } } } }")
                .expect("fits");
        // The field, and a kind and a count for each of SUPPORT, RELATE and THANKS.
        assert_eq!(counted - one, 1 + 3 * 2);
    }

    #[test]
    fn a_large_query_and_a_mutation_beside_it_are_each_within_budget() {
        let query =
            "query Q { feed(first: 100) { edges { node { body group { description } } } } }";
        let read = cost(query).expect("fits");
        assert!(read + MUTATION_FIELD_COST > MAX_COST, "{read}");
        assert_eq!(cost(&format!("{query} mutation M {{ logout }}")), Ok(read));
    }

    #[test]
    fn mutations_are_few_per_document() {
        let logouts = |n: usize| (0..n).map(|i| format!(" l{i}: logout")).collect::<String>();
        assert!(cost(&format!("mutation {{{} }}", logouts(9))).is_ok());
        assert!(matches!(
            cost(&format!("mutation {{{} }}", logouts(11))),
            Err(Refusal::TooComplex { .. })
        ));
        // Spread through a fragment or an inline fragment, they count all the same.
        let spread = format!(
            "mutation {{ ...M }} fragment M on Mutation {{{} }}",
            logouts(11)
        );
        assert!(matches!(cost(&spread), Err(Refusal::TooComplex { .. })));
        let inline = format!("mutation {{ ... on Mutation {{{} }} }}", logouts(11));
        assert!(matches!(cost(&inline), Err(Refusal::TooComplex { .. })));
    }

    #[test]
    fn many_operations_cannot_share_one_budget_each() {
        // Each operation fits; async-graphql would validate all of them.
        let mut query = String::from(
            "fragment F on Query { a: __typename b: __typename c: __typename d: __typename }",
        );
        for n in 0..10_000 {
            query.push_str(&format!(" query q{n} {{ ...F }}"));
        }
        assert!(matches!(cost(&query), Err(Refusal::TooComplex { .. })));
    }

    #[test]
    fn a_page_from_a_variable_not_sent_counts_as_the_largest() {
        let query = "query($n: Int = 100) { feed(first: $n) { edges { node { id body } } } }";
        let unsent = cost(query).expect("fits");
        let document = parse_query(query).expect("parses");
        let twenty = Variables::from_json(serde_json::json!({"n": 20}));
        let sent = model().check(&document, &twenty).expect("fits");
        assert!(unsent > 4 * sent, "{unsent} vs {sent}");
    }

    /// The query GraphiQL sends when it opens (graphql-js `getIntrospectionQuery`).
    const GRAPHIQL_INTROSPECTION: &str = r#"
        query IntrospectionQuery {
          __schema {
            queryType { name } mutationType { name } subscriptionType { name }
            types { ...FullType }
            directives { name description locations args { ...InputValue } }
          }
        }
        fragment FullType on __Type {
          kind name description
          fields(includeDeprecated: true) {
            name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
          }
          inputFields { ...InputValue }
          interfaces { ...TypeRef }
          enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
          possibleTypes { ...TypeRef }
        }
        fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
        fragment TypeRef on __Type {
          kind name ofType { kind name ofType { kind name ofType { kind name ofType {
            kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
        }
    "#;

    #[test]
    fn graphiql_introspection_fits_and_many_copies_do_not() {
        let one = cost(GRAPHIQL_INTROSPECTION).expect("GraphiQL's introspection fits");
        assert!(one > 1_000, "{one}");
        let copies: String = (0..20)
            .map(|n| format!(" s{n}: __schema {{ types {{ ...FullType }} }}"))
            .collect();
        let abuse = GRAPHIQL_INTROSPECTION.replacen(
            "query IntrospectionQuery {",
            &format!("query IntrospectionQuery {{ {copies}"),
            1,
        );
        assert!(matches!(cost(&abuse), Err(Refusal::TooComplex { .. })));
    }
}
