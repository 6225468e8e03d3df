//! SMS templates: spec 000's templates as data ([`catalog`]), and their
//! placeholders checked and rendered ([`render`]).

pub(crate) mod catalog;
pub(crate) mod render;
