//! Task definitions (`batchtaskdefinition`): the kinds of task a name can select.

use crate::CancellationBehaviour;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DefinitionId(pub i32);

/// A definition as stored. Names match case-insensitively, as SuperOffice's lookups do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    pub id: DefinitionId,
    pub name: String,
    pub description: String,
    pub cancellation: CancellationBehaviour,
}
