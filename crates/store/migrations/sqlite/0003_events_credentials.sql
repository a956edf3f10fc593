-- sobatch SQLite schema, version 3: the task event log, stored credentials and registered
-- applications.
--
-- batchtask_event is the trace of every visible change of a task, written by triggers in the same
-- transaction as the change, so that no write path can forget it and no event exists for a change
-- that rolled back. The one writer commits in event_id order, so a reader that has seen event n has
-- seen every event before it: event_id is the position the event stream resumes from.
-- kind: 1 Created, 2 Started, 3 Progress, 4 StopRequested, 5 StateChanged, 6 Deleted.
-- Not AUTOINCREMENT: its bookkeeping row, rewritten by every insert, was most of what an event
-- cost. Ids still never repeat, because pruning always keeps the newest event, and a new rowid is
-- one more than the largest there is.
-- The registered application (SO-AppToken) whose request started the task, if any.
ALTER TABLE batchtask ADD COLUMN application_id INTEGER;

CREATE TABLE batchtask_event (
    event_id               INTEGER PRIMARY KEY,
    BatchTask_id           INTEGER NOT NULL,
    at                     INTEGER NOT NULL,
    kind                   INTEGER NOT NULL,
    state                  INTEGER NOT NULL,
    progressPercent        INTEGER,
    progressDescription    TEXT,
    description            TEXT NOT NULL DEFAULT '',
    BatchTaskDefinition_id INTEGER,
    associate_id           INTEGER NOT NULL,
    by_associate_id        INTEGER NOT NULL DEFAULT 0,
    application_id         INTEGER
);
CREATE INDEX batchtask_event_task ON batchtask_event (BatchTask_id, event_id);

CREATE TRIGGER batchtask_event_insert AFTER INSERT ON batchtask
BEGIN
    INSERT INTO batchtask_event (BatchTask_id, at, kind, state, progressPercent,
        progressDescription, description, BatchTaskDefinition_id, associate_id, by_associate_id,
        application_id)
    VALUES (NEW.BatchTask_id, NEW.registered, 1, NEW.state, NEW.progressPercent,
        NEW.progressDescription, NEW.description, NEW.BatchTaskDefinition_id,
        NEW.registered_associate_id, NEW.registered_associate_id, NEW.application_id);
END;

-- A heartbeat that changes nothing a watcher sees writes no event.
CREATE TRIGGER batchtask_event_update
AFTER UPDATE OF state, progressPercent, progressDescription, stop_requested ON batchtask
WHEN NEW.state IS NOT OLD.state
  OR NEW.progressPercent IS NOT OLD.progressPercent
  OR NEW.progressDescription IS NOT OLD.progressDescription
  OR NEW.stop_requested > OLD.stop_requested
BEGIN
    INSERT INTO batchtask_event (BatchTask_id, at, kind, state, progressPercent,
        progressDescription, description, BatchTaskDefinition_id, associate_id, by_associate_id,
        application_id)
    VALUES (NEW.BatchTask_id, COALESCE(NEW.updated, NEW.registered),
        CASE
            WHEN NEW.state IS NOT OLD.state THEN CASE WHEN NEW.state = 3 THEN 2 ELSE 5 END
            WHEN NEW.stop_requested > OLD.stop_requested THEN 4
            ELSE 3
        END,
        NEW.state, NEW.progressPercent, NEW.progressDescription, NEW.description,
        NEW.BatchTaskDefinition_id, NEW.registered_associate_id, NEW.updated_associate_id,
        NEW.application_id);
END;

-- A deletion carries no time of its own, so the event takes the database's clock.
CREATE TRIGGER batchtask_event_delete AFTER DELETE ON batchtask
BEGIN
    INSERT INTO batchtask_event (BatchTask_id, at, kind, state, progressPercent,
        progressDescription, description, BatchTaskDefinition_id, associate_id, by_associate_id,
        application_id)
    VALUES (OLD.BatchTask_id, CAST(unixepoch('subsec') * 1000000 AS INTEGER), 6, OLD.state,
        OLD.progressPercent, OLD.progressDescription, OLD.description,
        OLD.BatchTaskDefinition_id, OLD.registered_associate_id, 0, OLD.application_id);
END;

-- Secrets the server issued (dashboard sessions now; tickets and tokens share the table). Only a
-- hash of each secret is kept, so a copy of the database signs nobody in. extra: a session's
-- XSRF token. expires NULL: never.
CREATE TABLE credential (
    credential_id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL,
    secret_hash   TEXT NOT NULL UNIQUE,
    associate_id  INTEGER NOT NULL REFERENCES associate (associate_id) ON DELETE CASCADE,
    extra         TEXT,
    created       INTEGER NOT NULL,
    expires       INTEGER
);
CREATE INDEX credential_expires ON credential (expires);

-- Partner applications that present `SO-AppToken`; the token is kept as a hash, like credentials.
CREATE TABLE application (
    application_id INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL UNIQUE COLLATE NOCASE,
    secret_hash    TEXT NOT NULL UNIQUE,
    registered     INTEGER NOT NULL
);
