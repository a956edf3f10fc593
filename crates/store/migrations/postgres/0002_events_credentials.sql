-- sobatch PostgreSQL schema, version 2 (SQLite's version 3): the task event log, stored
-- credentials and registered applications.
--
-- batchtask_event is the trace of every visible change of a task, written by statement triggers
-- in the same transaction as the change. Unlike SQLite's one writer, concurrent transactions take
-- event_ids from the sequence in one order and commit in another, so event_id alone cannot be a
-- resume position: a reader could pass an id whose transaction commits later. Each event records
-- its transaction id (xact); readers only take events of transactions older than every running
-- one (pg_snapshot_xmin), ordered by (xact, event_id). Once such a transaction is visible, nothing
-- can join it or precede it, so (xact, event_id) is a position nothing is ever inserted behind.
-- kind: 1 Created, 2 Started, 3 Progress, 4 StopRequested, 5 StateChanged, 6 Deleted.
-- The registered application (SO-AppToken) whose request started the task, if any.
ALTER TABLE batchtask ADD COLUMN application_id integer;

CREATE TABLE batchtask_event (
    event_id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xact                   bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    BatchTask_id           integer NOT NULL,
    at                     bigint NOT NULL,
    kind                   integer NOT NULL,
    state                  integer NOT NULL,
    progressPercent        integer,
    progressDescription    text,
    description            text NOT NULL DEFAULT '',
    BatchTaskDefinition_id integer,
    associate_id           integer NOT NULL,
    by_associate_id        integer NOT NULL DEFAULT 0,
    application_id         integer
);
CREATE INDEX batchtask_event_position ON batchtask_event (xact, event_id);
CREATE INDEX batchtask_event_task ON batchtask_event (BatchTask_id, event_id);

-- Statement triggers with transition tables: a claim or an end of a thousand tasks writes its
-- thousand events with one INSERT, not a thousand function calls.
CREATE FUNCTION batchtask_event_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO batchtask_event (BatchTask_id, at, kind, state, progressPercent,
        progressDescription, description, BatchTaskDefinition_id, associate_id, by_associate_id,
        application_id)
    SELECT n.BatchTask_id, n.registered, 1, n.state, n.progressPercent, n.progressDescription,
        n.description, n.BatchTaskDefinition_id, n.registered_associate_id,
        n.registered_associate_id, n.application_id
    FROM batchtask_inserted n ORDER BY n.BatchTask_id;
    RETURN NULL;
END $$;

-- A heartbeat that changes nothing a watcher sees writes no event.
CREATE FUNCTION batchtask_event_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO batchtask_event (BatchTask_id, at, kind, state, progressPercent,
        progressDescription, description, BatchTaskDefinition_id, associate_id, by_associate_id,
        application_id)
    SELECT n.BatchTask_id, COALESCE(n.updated, n.registered),
        CASE
            WHEN n.state IS DISTINCT FROM o.state THEN CASE WHEN n.state = 3 THEN 2 ELSE 5 END
            WHEN n.stop_requested > o.stop_requested THEN 4
            ELSE 3
        END,
        n.state, n.progressPercent, n.progressDescription, n.description,
        n.BatchTaskDefinition_id, n.registered_associate_id, n.updated_associate_id,
        n.application_id
    FROM batchtask_updated n JOIN batchtask_before o ON o.BatchTask_id = n.BatchTask_id
    WHERE n.state IS DISTINCT FROM o.state
       OR n.progressPercent IS DISTINCT FROM o.progressPercent
       OR n.progressDescription IS DISTINCT FROM o.progressDescription
       OR n.stop_requested > o.stop_requested
    ORDER BY n.BatchTask_id;
    RETURN NULL;
END $$;

-- A deletion carries no time of its own, so the event takes the database's clock.
CREATE FUNCTION batchtask_event_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO batchtask_event (BatchTask_id, at, kind, state, progressPercent,
        progressDescription, description, BatchTaskDefinition_id, associate_id, by_associate_id,
        application_id)
    SELECT o.BatchTask_id, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint, 6, o.state,
        o.progressPercent, o.progressDescription, o.description, o.BatchTaskDefinition_id,
        o.registered_associate_id, 0, o.application_id
    FROM batchtask_deleted o ORDER BY o.BatchTask_id;
    RETURN NULL;
END $$;

CREATE TRIGGER batchtask_event_insert AFTER INSERT ON batchtask
    REFERENCING NEW TABLE AS batchtask_inserted
    FOR EACH STATEMENT EXECUTE FUNCTION batchtask_event_on_insert();
CREATE TRIGGER batchtask_event_update AFTER UPDATE ON batchtask
    REFERENCING OLD TABLE AS batchtask_before NEW TABLE AS batchtask_updated
    FOR EACH STATEMENT EXECUTE FUNCTION batchtask_event_on_update();
CREATE TRIGGER batchtask_event_delete AFTER DELETE ON batchtask
    REFERENCING OLD TABLE AS batchtask_deleted
    FOR EACH STATEMENT EXECUTE FUNCTION batchtask_event_on_delete();

-- Secrets the server issued (dashboard sessions now; tickets and tokens share the table). Only a
-- hash of each secret is kept, so a copy of the database signs nobody in. extra: a session's
-- XSRF token. expires NULL: never.
CREATE TABLE credential (
    credential_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          text NOT NULL,
    secret_hash   text NOT NULL UNIQUE,
    associate_id  integer NOT NULL REFERENCES associate (associate_id) ON DELETE CASCADE,
    extra         text,
    created       bigint NOT NULL,
    expires       bigint
);
CREATE INDEX credential_expires ON credential (expires);

-- Partner applications that present `SO-AppToken`; the token is kept as a hash, like credentials.
CREATE TABLE application (
    application_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL,
    secret_hash    text NOT NULL UNIQUE,
    registered     bigint NOT NULL
);
CREATE UNIQUE INDEX application_name ON application (lower(name));
