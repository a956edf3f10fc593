//! The event log and stored credentials: every visible change of a task is one event, in order,
//! readable from any position without gaps or repeats however writers interleave; credentials
//! are found by their hash until they expire or are revoked.

use std::collections::BTreeSet;
use std::sync::Arc;

use sobatch_core::{AssociateId, Role, TaskId, TaskState};
use sobatch_store::{
    CredentialKind, CredentialNew, EventPosition, Store, StoreError, TaskEnd, TaskEvent,
    TaskEventKind, TaskFinish, TaskProgress,
};

use super::{STOPPED, at, claim, get, insert, start, succeeded};

conformance! {
    backends: [
        on_sqlite => crate::backend::sqlite,
        on_postgres => crate::backend::postgres,
    ],
    tests: [
        every_visible_change_of_a_task_is_one_event_in_order,
        reading_after_a_position_resumes_exactly_and_batches_write_one_event_each,
        concurrent_writers_never_leave_a_reader_behind_a_late_commit,
        pruning_events_deletes_the_oldest_before_the_cut_off,
        credentials_are_found_by_hash_until_they_expire_or_are_revoked,
        applications_are_found_by_token_hash_and_named_once,
    ]
}

/// Every event after `from`, read in pages of `page` until none is left.
async fn read_all(store: &dyn Store, mut from: EventPosition, page: usize) -> Vec<TaskEvent> {
    let mut all = Vec::new();
    loop {
        let events = store.event_list_after(from, page).await.unwrap();
        let Some(last) = events.last() else {
            return all;
        };
        from = last.position;
        all.extend(events);
    }
}

/// Every event after `from` once there are `count` of them. On PostgreSQL an event becomes
/// readable only when every transaction older than its own has ended, anywhere on the server (the
/// other tests' included), so a reader may have to come back for it.
async fn read_count(
    store: &dyn Store,
    from: EventPosition,
    page: usize,
    count: usize,
) -> Vec<TaskEvent> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let all = read_all(store, from, page).await;
        if all.len() >= count || std::time::Instant::now() > deadline {
            return all;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

fn kinds(events: &[TaskEvent]) -> Vec<(TaskEventKind, TaskState)> {
    events.iter().map(|e| (e.kind, e.state)).collect()
}

async fn every_visible_change_of_a_task_is_one_event_in_order(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let head = s.event_head().await.unwrap();
    let mut task_start = start("Sleep", 7);
    task_start.description = "nightly".into();
    let id = s.task_insert(task_start, at(0)).await.unwrap();
    let (_, mut lease) = claim(s, &["Sleep"], 1, at(1)).await.remove(0);
    lease.expires = at(40);
    s.task_mark_started(id, &lease, at(2)).await.unwrap();
    let progress = |percent, text: &str| TaskProgress {
        percent: Some(percent),
        description: Some(text.into()),
    };
    s.task_heartbeat(id, &lease, progress(40, "halfway"), at(3))
        .await
        .unwrap();
    // Neither a heartbeat that repeats the progress nor one without any is an event.
    s.task_heartbeat(id, &lease, progress(40, "halfway"), at(4))
        .await
        .unwrap();
    s.task_heartbeat(id, &lease, TaskProgress::default(), at(5))
        .await
        .unwrap();
    s.task_stop(id, STOPPED, at(6)).await.unwrap();
    let finish = TaskFinish {
        state: TaskState::Failed,
        result: Some(STOPPED.into()),
        response: None,
        progress_percent: None,
        progress_description: None,
        file_name: None,
    };
    assert!(s.task_finish(id, &lease, finish, at(7)).await.unwrap());
    assert_eq!(s.task_delete(&[id]).await.unwrap(), 1);

    let expected = vec![
        (TaskEventKind::Created, TaskState::New),
        (TaskEventKind::StateChanged, TaskState::Aquired),
        (TaskEventKind::Started, TaskState::Started),
        (TaskEventKind::Progress, TaskState::Started),
        (TaskEventKind::StopRequested, TaskState::Started),
        (TaskEventKind::StateChanged, TaskState::Failed),
        (TaskEventKind::Deleted, TaskState::Failed),
    ];
    let trace = s.event_list_for_task(id, 100).await.unwrap();
    assert_eq!(kinds(&trace), expected);
    let stream = read_count(s, head, 100, expected.len()).await;
    assert_eq!(stream, trace, "the stream and the trace agree");
    assert!(
        stream.windows(2).all(|w| w[0].position < w[1].position),
        "positions ascend"
    );

    let progress = &trace[3];
    assert_eq!(progress.task, id);
    assert_eq!(progress.name.as_deref(), Some("Sleep"));
    assert_eq!(progress.owner, AssociateId(7));
    assert_eq!(progress.description, "nightly");
    assert_eq!(progress.progress_percent, Some(40));
    assert_eq!(progress.progress_description.as_deref(), Some("halfway"));
    assert_eq!(progress.at, at(3));
    assert_eq!(trace[0].at, at(0));
    assert_eq!(trace[2].at, at(2));

    // The newest `limit` events of a trace, still oldest first.
    let last_two = s.event_list_for_task(id, 2).await.unwrap();
    assert_eq!(kinds(&last_two), expected[5..].to_vec());
    assert!(
        s.event_list_for_task(TaskId(id.0 + 1000), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn reading_after_a_position_resumes_exactly_and_batches_write_one_event_each(
    store: Arc<dyn Store>,
) {
    let s = store.as_ref();
    let mut earlier = Vec::new();
    for _ in 0..3 {
        earlier.push(insert(s, "Echo", 1).await);
    }
    // Exactly after the last event read: where a reader resumes (Last-Event-ID).
    let read = read_count(s, EventPosition::default(), 1000, 3).await;
    assert_eq!(read.len(), 3);
    let head = read[2].position;
    // A new reader's start is no later than that, on PostgreSQL perhaps earlier (when another
    // test's transaction is running on the same server), but never after.
    let start = s.event_head().await.unwrap();
    let mut later = Vec::new();
    for _ in 0..4 {
        later.push(insert(s, "Echo", 1).await);
    }
    let claimed = claim(s, &["Echo"], 10, at(1)).await;
    assert_eq!(claimed.len(), 7);
    let ends = claimed
        .into_iter()
        .map(|(task, lease)| TaskEnd {
            id: task.id,
            lease,
            finish: succeeded(),
            now: at(2),
        })
        .collect();
    assert!(
        s.task_finish_many(ends)
            .await
            .unwrap()
            .into_iter()
            .all(|ended| ended)
    );

    // Page sizes that split the batches anywhere give the same events.
    let whole = read_count(s, head, 1000, 4 + 7 + 7).await;
    for page in [1, 2, 3, 5] {
        assert_eq!(
            read_count(s, head, page, whole.len()).await,
            whole,
            "page size {page}"
        );
    }
    let created: Vec<TaskId> = whole
        .iter()
        .filter(|e| e.kind == TaskEventKind::Created)
        .map(|e| e.task)
        .collect();
    assert_eq!(created, later, "only what came after the head");
    let from_start: Vec<TaskId> = read_count(s, start, 1000, whole.len())
        .await
        .iter()
        .filter(|e| e.kind == TaskEventKind::Created)
        .map(|e| e.task)
        .collect();
    assert!(
        from_start.ends_with(&later)
            && earlier.ends_with(&from_start[..from_start.len() - later.len()]),
        "a new reader misses nothing later, and what more it gets is the latest of before: {from_start:?}"
    );
    let count = |kind, state| {
        whole
            .iter()
            .filter(|e| e.kind == kind && e.state == state)
            .count()
    };
    assert_eq!(count(TaskEventKind::StateChanged, TaskState::Aquired), 7);
    assert_eq!(count(TaskEventKind::StateChanged, TaskState::Succeeded), 7);
    assert_eq!(whole.len(), 4 + 7 + 7);

    // Reading past the end gives nothing; the head has passed everything read.
    let last = whole.last().unwrap().position;
    assert!(s.event_list_after(last, 10).await.unwrap().is_empty());
    let now = s.event_head().await.unwrap();
    assert!(now >= last);
    assert!(s.event_list_after(now, 10).await.unwrap().is_empty());
}

async fn concurrent_writers_never_leave_a_reader_behind_a_late_commit(store: Arc<dyn Store>) {
    const WRITERS: usize = 8;
    const EACH: usize = 40;
    let head = store.event_head().await.unwrap();
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for _ in 0..EACH {
                    ids.push(store.task_insert(start("Echo", 1), at(0)).await.unwrap());
                }
                ids
            })
        })
        .collect();
    // A reader that keeps reading while the writers run, always from where it stopped.
    let reader = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut from = head;
            while seen.len() < WRITERS * EACH {
                let events = store.event_list_after(from, 7).await.unwrap();
                match events.last() {
                    Some(last) => from = last.position,
                    None => tokio::task::yield_now().await,
                }
                seen.extend(events.into_iter().map(|e| e.task));
            }
            seen
        })
    };
    let mut written = BTreeSet::new();
    for writer in writers {
        written.extend(writer.await.unwrap());
    }
    let seen = tokio::time::timeout(std::time::Duration::from_secs(60), reader)
        .await
        .expect("the reader sees every event")
        .unwrap();
    assert_eq!(seen.len(), WRITERS * EACH, "no event twice");
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), written);
}

async fn pruning_events_deletes_the_oldest_before_the_cut_off(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let head = s.event_head().await.unwrap();
    let mut old = Vec::new();
    for _ in 0..5 {
        old.push(s.task_insert(start("Echo", 1), at(0)).await.unwrap());
    }
    let young = s.task_insert(start("Echo", 1), at(100)).await.unwrap();
    assert_eq!(
        s.event_prune(at(50), 2).await.unwrap(),
        2,
        "at most the limit"
    );
    assert_eq!(s.event_prune(at(50), 100).await.unwrap(), 3);
    assert_eq!(s.event_prune(at(50), 100).await.unwrap(), 0);
    let left: Vec<TaskId> = read_count(s, head, 100, 1)
        .await
        .into_iter()
        .map(|e| e.task)
        .collect();
    assert_eq!(left, vec![young]);
    // The task rows themselves are not touched.
    assert_eq!(get(s, old[0]).await.state, TaskState::New);
    // The newest event stays, however old: ids go on from it.
    assert_eq!(s.event_prune(at(1_000), 100).await.unwrap(), 0);
    let next = s.task_insert(start("Echo", 1), at(2_000)).await.unwrap();
    let newest = s.event_list_for_task(next, 1).await.unwrap();
    assert!(newest[0].position > s.event_list_for_task(young, 1).await.unwrap()[0].position);
}

async fn credentials_are_found_by_hash_until_they_expire_or_are_revoked(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let kari = s
        .associate_insert("Kari", Role::User, "$argon2id$hash", at(0))
        .await
        .unwrap();
    let session = |hash: &str, associate, expires| CredentialNew {
        kind: CredentialKind::Session,
        secret_hash: hash.into(),
        associate,
        extra: Some("xsrf-1".into()),
        expires,
    };
    s.credential_insert(session("h1", kari, Some(at(100))), at(1))
        .await
        .unwrap();
    s.credential_insert(session("h2", kari, None), at(1))
        .await
        .unwrap();

    let found = s
        .credential_find(CredentialKind::Session, "h1", at(50))
        .await
        .unwrap()
        .expect("a live credential is found");
    assert_eq!(found.associate.id, kari);
    assert_eq!(found.associate.name, "Kari");
    assert_eq!(found.associate.role, Role::User);
    assert_eq!(found.extra.as_deref(), Some("xsrf-1"));
    assert_eq!((found.created, found.expires), (at(1), Some(at(100))));
    assert!(
        s.credential_find(CredentialKind::Session, "h1", at(101))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(
        s.credential_find(CredentialKind::Session, "H1", at(50))
            .await
            .unwrap()
            .is_none(),
        "hashes match exactly"
    );
    assert!(
        s.credential_find(CredentialKind::Session, "h2", at(1_000_000))
            .await
            .unwrap()
            .is_some(),
        "no expiry"
    );

    assert!(matches!(
        s.credential_insert(session("h2", kari, None), at(2)).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.credential_insert(session("h3", AssociateId(4242), None), at(2))
            .await,
        Err(StoreError::Conflict(_))
    ));

    assert!(
        s.credential_delete(CredentialKind::Session, "h2")
            .await
            .unwrap()
    );
    assert!(
        !s.credential_delete(CredentialKind::Session, "h2")
            .await
            .unwrap()
    );
    assert!(
        s.credential_find(CredentialKind::Session, "h2", at(3))
            .await
            .unwrap()
            .is_none(),
        "revoked"
    );

    // Kinds are apart: a ticket's hash is no session, and ids revoke only their own kind.
    let ticket = s
        .credential_insert(
            CredentialNew {
                kind: CredentialKind::Ticket,
                ..session("t1", kari, None)
            },
            at(3),
        )
        .await
        .unwrap();
    assert!(
        s.credential_find(CredentialKind::Session, "t1", at(3))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !s.credential_delete_by_id(CredentialKind::Token, ticket)
            .await
            .unwrap()
    );
    assert!(
        s.credential_delete_by_id(CredentialKind::Ticket, ticket)
            .await
            .unwrap()
    );
    assert!(
        s.credential_find(CredentialKind::Ticket, "t1", at(3))
            .await
            .unwrap()
            .is_none()
    );

    // Storing another credential clears the expired ones out.
    s.credential_insert(session("h4", kari, None), at(200))
        .await
        .unwrap();
    assert!(
        !s.credential_delete(CredentialKind::Session, "h1")
            .await
            .unwrap(),
        "h1 expired at 100 and was removed at 200"
    );
}

async fn applications_are_found_by_token_hash_and_named_once(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let id = s.application_insert("Reports", "a1", at(0)).await.unwrap();
    let found = s.application_find("a1").await.unwrap().unwrap();
    assert_eq!((found.id, found.name.as_str()), (id, "Reports"));

    // A task an application started names it in every one of its events.
    let mut task_start = start("Echo", 1);
    task_start.application = Some(id);
    let task = s.task_insert(task_start, at(1)).await.unwrap();
    claim(s, &["Echo"], 1, at(2)).await;
    let plain = insert(s, "Echo", 1).await;
    let trace = s.event_list_for_task(task, 10).await.unwrap();
    assert_eq!(trace.len(), 2);
    assert!(
        trace
            .iter()
            .all(|e| e.application.as_deref() == Some("Reports"))
    );
    let other = s.event_list_for_task(plain, 10).await.unwrap();
    assert_eq!(other[0].application, None);
    assert!(s.application_find("A1").await.unwrap().is_none());
    assert!(matches!(
        s.application_insert("REPORTS", "a2", at(1)).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.application_insert("Other", "a1", at(1)).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(s.application_delete("reports").await.unwrap());
    assert!(!s.application_delete("reports").await.unwrap());
    assert!(s.application_find("a1").await.unwrap().is_none());
}
