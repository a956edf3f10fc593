//! The sobatch domain: what a batch task is, the states it moves through, how Stop treats it, and the
//! rules that hold whatever stores or runs it. No I/O, no async runtime, no HTTP, no SQL.

pub mod associate;
pub mod definition;
pub mod parameter;
pub mod task;

pub use associate::{Associate, AssociateId, Role};
pub use definition::{Definition, DefinitionId};
pub use parameter::Parameters;
pub use task::{
    CancellationBehaviour, StateSelector, StopAction, Task, TaskId, TaskStart, TaskState,
    TaskUpdate, Visibility,
};

/// Time as the domain sees it: always UTC; rendering in other zones happens at the edge.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// Cuts `text` to at most `max` characters (not bytes), as the SuperOffice columns count them.
pub fn truncate_chars(text: &mut String, max: usize) {
    if let Some((byte_index, _)) = text.char_indices().nth(max) {
        text.truncate(byte_index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_characters_not_bytes() {
        let mut text = "æøå".repeat(100);
        truncate_chars(&mut text, 254);
        assert_eq!(text.chars().count(), 254);
        let mut short = String::from("abc");
        truncate_chars(&mut short, 254);
        assert_eq!(short, "abc");
    }
}
