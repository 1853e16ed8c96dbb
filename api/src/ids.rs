//! Entity ids as types (defined with the entities, in `entity::ids`).
pub use entity::ids::*;
