//! The community's vocabulary, below every feature: what a report is as a row (filed by a reader
//! or by crisis words as they are written).
pub mod reports;
