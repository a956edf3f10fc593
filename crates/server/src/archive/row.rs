//! A listed task as one row of the archive, rendered for the request: dates in its time zone as
//! the task routes render them (`LastStarted` in the request's zone, the UTC columns `updatedDate`
//! and `registeredDate` as `Created` is), texts people read in its language, and associates by
//! name. The row's JSON and XML shape is `sobatch_wire::archive`'s.

use sobatch_store::query::{Column, ListedTask};
use sobatch_wire::language::LanguageRequest;
use sobatch_wire::timezone::DateRendering;
use sobatch_wire::{ArchiveRow, Cell, format_date};

use super::{ArchiveColumn, Source};

/// Renders `listed` with the `select`ed columns, in that order.
pub fn render_row(
    listed: &ListedTask,
    select: &[&'static ArchiveColumn],
    dates: &DateRendering,
    language: &LanguageRequest,
) -> ArchiveRow {
    let cells = select
        .iter()
        .filter_map(|column| match column.source {
            Source::Store(stored) => Some((column.name, cell(listed, stored, dates, language))),
            // Restrictions select rows; they have no value to show (`$select` refuses them).
            Source::AllRows | Source::NoRows => None,
        })
        .collect();
    ArchiveRow {
        primary_key: listed.task.id.0,
        cells,
    }
}

fn cell(
    listed: &ListedTask,
    column: Column,
    dates: &DateRendering,
    language: &LanguageRequest,
) -> Cell {
    let task = &listed.task;
    // A NULL text shows as empty, as SuperOffice's archive lists show missing text.
    let plain = |text: Option<&str>| Cell::Text(text.unwrap_or_default().to_string());
    let read = |text: Option<&str>| {
        Cell::Text(crate::text::localize_value(
            text.unwrap_or_default(),
            language,
        ))
    };
    match column {
        Column::Id => Cell::Int(i64::from(task.id.0)),
        Column::DefinitionId => Cell::Int(i64::from(listed.definition_id)),
        Column::DefinitionName => plain(Some(&task.name)),
        Column::DefinitionDescription => read(Some(&listed.definition_description)),
        Column::DefinitionTimeOut => Cell::Int(i64::from(listed.definition_timeout)),
        Column::Description => read(Some(&task.description)),
        Column::DbTag => plain(task.database_serial.as_deref()),
        Column::State => Cell::Int(i64::from(task.state.code())),
        Column::DetailsTable => Cell::Int(i64::from(task.details_table)),
        Column::DetailsRecord => Cell::Int(i64::from(task.details_record)),
        Column::Request => plain(task.request.as_deref()),
        Column::Response => read(task.response.as_deref()),
        Column::StartCount => Cell::Int(i64::from(task.start_count)),
        Column::LastStarted => Cell::Date(format_date(task.last_started, &dates.last_started)),
        Column::ProgressPercent => Cell::Int(i64::from(task.progress_percent)),
        Column::ProgressDescription => read(task.progress_description.as_deref()),
        Column::UpdatedBy => Cell::Associate {
            id: listed.updated_by.0,
            name: listed.updated_by_name.clone().unwrap_or_default(),
        },
        Column::UpdatedDate => Cell::Date(format_date(task.updated, &dates.created)),
        Column::RegisteredBy => Cell::Associate {
            id: task.associate_id.0,
            name: listed.registered_by_name.clone().unwrap_or_default(),
        },
        Column::RegisteredDate => Cell::Date(format_date(Some(task.created), &dates.created)),
    }
}
