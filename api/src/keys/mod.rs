//! Keys for what people write about themselves (issue 33): sealing a field under a key
//! (`sealing`), the key-encryption keys given to the server (`ring`), each person's data key
//! (`vault`), sealing the rows written before (`backfill`) and rotating the KEK (`rotation`).
pub mod backfill;
pub mod fields;
pub mod ring;
pub mod rotation;
pub mod sealing;
pub mod vault;

pub use ring::{Indexed, KeyRing};
pub use vault::{Field, PersonKey, Vault};
