//! What a change to the schema does to apps already on phones, which cannot be made to update.
//! [`compare`] reads the released SDL (`schema.released.graphql`, what shipped apps were built
//! against) and the current one, and names every difference that would break a query an app
//! already sends or an answer it already parses: a type or field removed, a field's type
//! changed in a way its readers do not expect, an argument removed or newly required, an enum
//! value or union member taken away. A breaking change goes out only when the schema
//! changelog lists it with its reason ([`unlisted`]); fields are retired with
//! `@deprecated(reason:)` first. [`undocumented`] names every type, field, argument and input
//! field without a description.
use async_graphql::parser::types::{
    BaseType, FieldDefinition, InputValueDefinition, ServiceDocument, Type, TypeDefinition,
    TypeKind, TypeSystemDefinition,
};
use async_graphql::parser::{parse_schema, Positioned};
use async_graphql::Name;
use std::collections::BTreeMap;
use std::fmt;

/// One difference that breaks a shipped app, named by its schema coordinate (`Type.field`,
/// `Type.field(argument:)`, `Enum.VALUE`, `Type`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Breaking {
    pub coordinate: String,
    pub what: String,
}

impl fmt::Display for Breaking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.coordinate, self.what)
    }
}

/// Where a type is read: as an answer (output), as an argument (input), or both (enums and
/// scalars).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Output,
    Input,
}

/// The breaking changes from `released` to `current`, in schema order.
pub fn compare(released: &str, current: &str) -> anyhow::Result<Vec<Breaking>> {
    let (released, current) = (parse_schema(released)?, parse_schema(current)?);
    let (old, new) = (types_of(&released), types_of(&current));
    let mut found = Vec::new();
    let mut breaks = |coordinate: String, what: String| found.push(Breaking { coordinate, what });
    for (name, before) in &old {
        let Some(after) = new.get(name) else {
            breaks(name.clone(), "type removed".to_owned());
            continue;
        };
        match (&before.kind, &after.kind) {
            (TypeKind::Object(b), TypeKind::Object(a)) => {
                kept_interfaces(name, &b.implements, &a.implements, &mut breaks);
                output_fields(name, &b.fields, &a.fields, &mut breaks);
            }
            (TypeKind::Interface(b), TypeKind::Interface(a)) => {
                kept_interfaces(name, &b.implements, &a.implements, &mut breaks);
                output_fields(name, &b.fields, &a.fields, &mut breaks);
            }
            (TypeKind::Union(b), TypeKind::Union(a)) => {
                for member in &b.members {
                    if !a.members.iter().any(|m| m.node == member.node) {
                        breaks(name.clone(), format!("member {} removed", member.node));
                    }
                }
            }
            (TypeKind::Enum(b), TypeKind::Enum(a)) => {
                for value in &b.values {
                    if !a
                        .values
                        .iter()
                        .any(|v| v.node.value.node == value.node.value.node)
                    {
                        breaks(
                            format!("{name}.{}", value.node.value.node),
                            "enum value removed".to_owned(),
                        );
                    }
                }
            }
            (TypeKind::InputObject(b), TypeKind::InputObject(a)) => {
                inputs(&b.fields, &a.fields, &mut breaks, |field| {
                    format!("{name}.{field}")
                });
            }
            (TypeKind::Scalar, TypeKind::Scalar) => {}
            _ => breaks(name.clone(), "kind of type changed".to_owned()),
        }
    }
    Ok(found)
}

/// The types a schema defines, by name.
pub fn types_of(document: &ServiceDocument) -> BTreeMap<String, &TypeDefinition> {
    document
        .definitions
        .iter()
        .filter_map(|definition| match definition {
            TypeSystemDefinition::Type(ty) => Some((ty.node.name.node.to_string(), &ty.node)),
            _ => None,
        })
        .collect()
}

/// A type (object or interface) still implements every interface it did.
fn kept_interfaces(
    owner: &str,
    before: &[Positioned<Name>],
    after: &[Positioned<Name>],
    breaks: &mut impl FnMut(String, String),
) {
    for interface in before {
        if !after.iter().any(|i| i.node == interface.node) {
            breaks(
                owner.to_owned(),
                format!("no longer implements {}", interface.node),
            );
        }
    }
}

fn output_fields(
    owner: &str,
    before: &[Positioned<FieldDefinition>],
    after: &[Positioned<FieldDefinition>],
    breaks: &mut impl FnMut(String, String),
) {
    for old in before {
        let field = old.node.name.node.as_str();
        let coordinate = format!("{owner}.{field}");
        let Some(new) = after.iter().find(|f| f.node.name.node == field) else {
            breaks(coordinate, "field removed".to_owned());
            continue;
        };
        if !fits(&old.node.ty.node, &new.node.ty.node, Direction::Output) {
            breaks(
                coordinate.clone(),
                format!(
                    "type changed from {} to {}",
                    old.node.ty.node, new.node.ty.node
                ),
            );
        }
        inputs(
            &old.node.arguments,
            &new.node.arguments,
            breaks,
            |argument| format!("{coordinate}({argument}:)"),
        );
    }
}

/// Arguments of a field, or fields of an input object: each one sent today must still be
/// taken as it is, and nothing new may be required.
fn inputs(
    before: &[Positioned<InputValueDefinition>],
    after: &[Positioned<InputValueDefinition>],
    breaks: &mut impl FnMut(String, String),
    coordinate: impl Fn(&str) -> String,
) {
    let required =
        |value: &InputValueDefinition| !value.ty.node.nullable && value.default_value.is_none();
    let default =
        |value: &InputValueDefinition| value.default_value.as_ref().map(|d| d.node.to_string());
    for old in before {
        let name = old.node.name.node.as_str();
        let Some(new) = after.iter().find(|a| a.node.name.node == name) else {
            breaks(coordinate(name), "removed".to_owned());
            continue;
        };
        let (old, new) = (&old.node, &new.node);
        if !fits(&old.ty.node, &new.ty.node, Direction::Input) {
            breaks(
                coordinate(name),
                format!("type changed from {} to {}", old.ty.node, new.ty.node),
            );
        } else if required(new) && !required(old) {
            // An app that leaves it out, as it could, is refused.
            breaks(coordinate(name), "now required (no default)".to_owned());
        } else if default(old).is_some() && default(old) != default(new) {
            // An app that leaves it out gets another behaviour than it was built for.
            breaks(
                coordinate(name),
                format!(
                    "default changed from {} to {}",
                    default(old).unwrap_or_default(),
                    default(new).unwrap_or_else(|| "none".to_owned())
                ),
            );
        }
    }
    for new in after {
        let name = new.node.name.node.as_str();
        if required(&new.node) && !before.iter().any(|b| b.node.name.node == name) {
            breaks(coordinate(name), "new and required".to_owned());
        }
    }
}

/// Whether a value of type `after` is still what a reader of `before` expects: an answer may
/// become non-null (never null again), an argument may become nullable (still accepted);
/// the named type and the list shape stay.
fn fits(before: &Type, after: &Type, direction: Direction) -> bool {
    let nullability = match direction {
        Direction::Output => before.nullable || !after.nullable,
        Direction::Input => !before.nullable || after.nullable,
    };
    nullability
        && match (&before.base, &after.base) {
            (BaseType::Named(b), BaseType::Named(a)) => b == a,
            (BaseType::List(b), BaseType::List(a)) => fits(b, a, direction),
            _ => false,
        }
}

/// The breaking changes the changelog does not list: each needs a line naming its coordinate
/// in backquotes followed by its reason, as `` - `Type.field`: why it had to go ``.
pub fn unlisted<'a>(changes: &'a [Breaking], changelog: &str) -> Vec<&'a Breaking> {
    changes
        .iter()
        .filter(|change| {
            let named = format!("`{}`", change.coordinate);
            !changelog.lines().any(|line| {
                line.split_once(&named).is_some_and(|(_, reason)| {
                    reason.trim_start_matches([':', ' ', '-', '—']).trim().len() >= 10
                })
            })
        })
        .collect()
}

/// Every type, field, argument and input field of `sdl` without a description, by coordinate.
/// Enum values are left out, and so are connection types (their fields are described).
pub fn undocumented(sdl: &str) -> anyhow::Result<Vec<String>> {
    let document = parse_schema(sdl)?;
    let mut missing = Vec::new();
    let mut check = |described: bool, coordinate: String| {
        if !described {
            missing.push(coordinate);
        }
    };
    for (name, ty) in types_of(&document) {
        if ["Query", "Mutation", "Subscription"].contains(&name.as_str())
            || name.ends_with("Connection")
        {
            // The roots are described by their fields; a connection type is async-graphql's,
            // which gives it no description but describes its fields (edges, pageInfo).
        } else {
            check(described(&ty.description), name.clone());
        }
        let fields: &[Positioned<FieldDefinition>] = match &ty.kind {
            TypeKind::Object(object) => &object.fields,
            TypeKind::Interface(interface) => &interface.fields,
            TypeKind::InputObject(input) => {
                for field in &input.fields {
                    let coordinate = format!("{name}.{}", field.node.name.node);
                    check(described(&field.node.description), coordinate);
                }
                continue;
            }
            _ => continue,
        };
        for field in fields {
            let coordinate = format!("{name}.{}", field.node.name.node);
            check(described(&field.node.description), coordinate.clone());
            for argument in &field.node.arguments {
                check(
                    described(&argument.node.description),
                    format!("{coordinate}({}:)", argument.node.name.node),
                );
            }
        }
    }
    Ok(missing)
}

/// Described by us: not empty, and not the words a library puts on its own types ("Implement
/// the DateTime<Utc> scalar").
fn described(description: &Option<Positioned<String>>) -> bool {
    description.as_ref().is_some_and(|d| {
        let text = d.node.trim();
        !text.is_empty() && !text.starts_with("Implement the ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RELEASED: &str = r#"
        type Query { post(id: ID!): Post  posts(first: Int): [Post!]!  feed(first: Int = 20, all: Boolean! = false): [Post!]! }
        type Post { id: ID!  title: String  body: String! }
        enum Mood { LOW HIGH }
        input PostInput { title: String!  body: String }
        union Item = Post | Other
        type Other { id: ID! }
    "#;

    fn coordinates(current: &str) -> Vec<String> {
        compare(RELEASED, current)
            .unwrap()
            .into_iter()
            .map(|b| b.coordinate)
            .collect()
    }

    #[test]
    fn the_same_schema_breaks_nothing() {
        assert!(coordinates(RELEASED).is_empty());
    }

    #[test]
    fn additions_and_safe_narrowing_break_nothing() {
        let current = r#"
            type Query { post(id: ID, draft: Boolean): Post  posts(first: Int, after: String): [Post!]!  feed(first: Int = 20, all: Boolean! = false): [Post!]!  node(id: ID!): Post }
            type Post { id: ID!  title: String!  body: String!  words: Int }
            enum Mood { LOW HIGH MIDDLE }
            input PostInput { title: String!  body: String  tags: [String!] = [] }
            union Item = Post | Other
            type Other { id: ID! }
        "#;
        assert!(
            coordinates(current).is_empty(),
            "{:?}",
            coordinates(current)
        );
    }

    #[test]
    fn each_kind_of_break_is_named() {
        let current = r#"
            type Query { post(id: ID!, group: ID!): Post  feed(first: Int = 50, all: Boolean!): [Post!]! }
            type Post { id: ID!  title: String  body: String }
            enum Mood { LOW }
            input PostInput { title: String!  body: String!  topic: String! }
            union Item = Post
        "#;
        assert_eq!(
            coordinates(current),
            vec![
                "Item",
                "Mood.HIGH",
                "Other",
                "Post.body",
                "PostInput.body",
                "PostInput.topic",
                "Query.post(group:)",
                "Query.posts",
                "Query.feed(first:)",
                "Query.feed(all:)",
            ]
        );
    }

    #[test]
    fn a_listed_break_needs_its_reason() {
        let changes = compare(RELEASED, "type Query { post(id: ID!): Post feed(first: Int = 20, all: Boolean! = false): [Post!]! } type Post { id: ID! title: String body: String! } enum Mood { LOW HIGH } input PostInput { title: String! body: String } union Item = Post | Other type Other { id: ID! }").unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(unlisted(&changes, "- `Query.posts`").len(), 1);
        assert_eq!(
            unlisted(&changes, "- `Query.post`: no apps used it").len(),
            1
        );
        assert!(unlisted(&changes, "- `Query.posts`: no app ever shipped with it").is_empty());
    }

    #[test]
    fn undocumented_parts_are_named() {
        let sdl = r#"
            type Query { "One post." post("Its id." id: ID!, draft: Boolean): Post }
            "A post." type Post { id: ID!  "Implement the DateTime<Utc> scalar" at: DateTime }
        "#;
        assert_eq!(
            undocumented(sdl).unwrap(),
            vec!["Post.id", "Post.at", "Query.post(draft:)"]
        );
    }
}
