//! The native clients' cache keys, made from the schema (`hearth schema type-policies`): every
//! object type with an `id: ID!` is normalized by its id, so a mutation's answer updates the
//! object wherever a screen shows it. `User` is left out on purpose: a person is shown as each
//! group shows them (their alias and role there), so one id carries different names in
//! different groups; keyed by id, one group's alias would show in another. Kept embedded in
//! what shows them, each place keeps its own. The files are committed (`docs/clients/`) and a
//! test holds them equal to what this prints.
use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{BaseType, TypeDefinition, TypeKind};

/// Which client's file to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Client {
    /// Apollo Kotlin: `extra.graphqls` beside the schema, with `@typePolicy(keyFields: "id")`.
    Kotlin,
    /// Apollo iOS: the schema module's `SchemaConfiguration.swift`, keying the same types.
    Swift,
}

/// Types shown differently in different places under one id, kept out of the cache's keys.
const NOT_KEYED: &[&str] = &["User"];

/// The object types keyed by their id, by name.
pub fn keyed_types(sdl: &str) -> anyhow::Result<Vec<String>> {
    let document = parse_schema(sdl)?;
    Ok(crate::schema_changes::types_of(&document)
        .into_iter()
        .filter(|(name, ty)| !NOT_KEYED.contains(&name.as_str()) && has_id(ty))
        .map(|(name, _)| name)
        .collect())
}

/// An object type with `id: ID!`.
fn has_id(ty: &TypeDefinition) -> bool {
    let TypeKind::Object(object) = &ty.kind else {
        return false;
    };
    object.fields.iter().any(|field| {
        let ty = &field.node.ty.node;
        field.node.name.node == "id"
            && !ty.nullable
            && matches!(&ty.base, BaseType::Named(name) if name == "ID")
    })
}

/// The file for `client`.
pub fn generate(sdl: &str, client: Client) -> anyhow::Result<String> {
    let keyed = keyed_types(sdl)?;
    let left_out = NOT_KEYED.join(", ");
    Ok(match client {
        Client::Kotlin => {
            let mut file = format!(
                "# Made by `hearth schema type-policies kotlin` from schema.graphql: do not edit.\n\
                 # Every object with an id is normalized by it. Left out: {left_out} (a person is\n\
                 # shown as each group shows them, so one id carries different names).\n"
            );
            for ty in keyed {
                file.push_str(&format!(
                    "extend type {ty} @typePolicy(keyFields: \"id\")\n"
                ));
            }
            file
        }
        Client::Swift => {
            let cases = keyed
                .iter()
                .map(|ty| format!("\"{ty}\""))
                .collect::<Vec<_>>()
                .join(",\n         ");
            format!(
                "// Made by `hearth schema type-policies swift` from schema.graphql: do not edit.\n\
                 // Every object with an id is normalized by it. Left out: {left_out} (a person is\n\
                 // shown as each group shows them, so one id carries different names).\n\
                 import ApolloAPI\n\
                 \n\
                 public enum SchemaConfiguration: ApolloAPI.SchemaConfiguration {{\n\
                 \x20 public static func cacheKeyInfo(for type: ApolloAPI.Object, object: ApolloAPI.ObjectData) -> CacheKeyInfo? {{\n\
                 \x20   switch type.typename {{\n\
                 \x20   case {cases}:\n\
                 \x20     return try? CacheKeyInfo(jsonValue: object[\"id\"])\n\
                 \x20   default:\n\
                 \x20     return nil\n\
                 \x20   }}\n\
                 \x20 }}\n\
                 }}\n"
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        type Query { post(id: ID!): Post }
        type Post { id: ID!  author: User }
        type User { id: ID! }
        type Group { id: ID }
        type Answer { id: ID!  body: String }
    "#;

    #[test]
    fn objects_with_an_id_are_keyed_but_people() {
        assert_eq!(keyed_types(SDL).unwrap(), vec!["Answer", "Post"]);
        let kotlin = generate(SDL, Client::Kotlin).unwrap();
        assert!(kotlin.contains("extend type Post @typePolicy(keyFields: \"id\")\n"));
        assert!(!kotlin.contains("extend type User"));
        let swift = generate(SDL, Client::Swift).unwrap();
        assert!(swift.contains("case \"Answer\",\n         \"Post\":\n"));
    }
}
