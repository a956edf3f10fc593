//! `GET /api/sobatch/v1/tasks/{id}/file` (ours): the file a task names in FileName, for download.
//! Only a file inside the task's own folder, `<http.file_dir>/<task id>/`, is served: FileName is
//! written by clients, executors and remote workers, and must become neither a way to read any
//! file the server can nor one to read the files of another user's task.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::operation;
use crate::state::AppState;

/// The file `name` stands for, if it is a regular file inside `dir` once every symbolic link is
/// followed. A relative name is taken from `dir`.
pub fn resolve_inside(dir: &Path, name: &str) -> Option<PathBuf> {
    let root = std::fs::canonicalize(dir).ok()?;
    let named = Path::new(name);
    let joined = if named.is_absolute() {
        named.to_path_buf()
    } else {
        root.join(named)
    };
    let real = std::fs::canonicalize(joined).ok()?;
    (real.starts_with(&root) && real.is_file()).then_some(real)
}

pub async fn task_file(
    State(state): State<AppState>,
    axum::Extension(caller): axum::Extension<sobatch_engine::Caller>,
    UrlPath(id): UrlPath<String>,
) -> Result<Response, ApiError> {
    let id: i32 = id.trim().parse().unwrap_or(0);
    let task = operation::get(&state, &caller, id)
        .await?
        .ok_or_else(|| ApiError::task_not_found(id))?;
    let name = task
        .file_name
        .filter(|name| !name.trim().is_empty())
        .ok_or_else(|| ApiError::NotFound(format!("task {id} has no file")))?;
    let dir = state.file_dir.join(id.to_string());
    let lookup = name.clone();
    let path = tokio::task::spawn_blocking(move || resolve_inside(&dir, &lookup))
        .await
        .map_err(|e| ApiError::Internal(format!("look up a task file: {e}")))?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "the file of task {id} is not in its folder of the file directory ({id}/)"
            ))
        })?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ApiError::NotFound(format!("the file of task {id} cannot be read: {e}")))?;
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    // A plain-ASCII fallback name, and the exact one in RFC 5987 form.
    let plain: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{plain}\"; filename*=UTF-8''{}",
        sobatch_wire::url::percent_encode(&base, b"")
    );
    let mut response = (
        StatusCode::OK,
        Body::from_stream(tokio_util::io::ReaderStream::new(file)),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_inside_the_folder_resolve() {
        let outer = tempfile::tempdir().unwrap();
        let dir = outer.path().join("files");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("report.csv"), "a,b").unwrap();
        std::fs::write(dir.join("sub/x.txt"), "x").unwrap();
        std::fs::write(outer.path().join("secret.db"), "no").unwrap();
        assert!(resolve_inside(&dir, "report.csv").is_some());
        assert!(resolve_inside(&dir, "sub/x.txt").is_some());
        let absolute = dir.join("report.csv");
        assert!(resolve_inside(&dir, absolute.to_str().unwrap()).is_some());
        for outside in [
            "../secret.db",
            "sub/../../secret.db",
            "sub",
            "missing.csv",
            "",
        ] {
            assert!(resolve_inside(&dir, outside).is_none(), "{outside}");
        }
        let secret = outer.path().join("secret.db");
        assert!(resolve_inside(&dir, secret.to_str().unwrap()).is_none());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&secret, dir.join("link.db")).unwrap();
            assert!(resolve_inside(&dir, "link.db").is_none(), "a link out");
        }
        assert!(resolve_inside(&outer.path().join("absent"), "report.csv").is_none());
    }
}
