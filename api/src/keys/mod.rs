//! Keys for what people write about themselves (issue 33): sealing a field under a key, so that
//! a copy of the database without the key holds only ciphertext.
pub mod sealing;
