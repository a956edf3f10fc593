-- sobatch SQLite schema, version 1.
--
-- Tables and columns mirror SuperOffice's (spec §3), spelled as SuperOffice spells them, with the
-- extension columns of spec §3.6 and sobatch's own lease columns. Times are INTEGER microseconds
-- since the Unix epoch, UTC. Ids are int32 in the domain; SQLite stores them as rowids.

-- One row: facts about this database that never change once it exists.
CREATE TABLE meta (
    meta_id        INTEGER PRIMARY KEY CHECK (meta_id = 1),
    databaseSerial TEXT NOT NULL
);

-- Users and their roles. Associate 0 is the system owner and has no row.
CREATE TABLE associate (
    associate_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    registered    INTEGER NOT NULL
);

-- Table 244: the kinds of task a name selects. Created lazily by the first task of a name.
CREATE TABLE batchtaskdefinition (
    BatchTaskDefinition_id  INTEGER PRIMARY KEY,
    name                    TEXT NOT NULL COLLATE NOCASE,
    description             TEXT NOT NULL DEFAULT '',
    isMultiPass             INTEGER NOT NULL DEFAULT 0,
    startInterval           INTEGER NOT NULL DEFAULT 0,
    minimumSleepTime        INTEGER NOT NULL DEFAULT 0,
    timeout                 INTEGER NOT NULL DEFAULT 0,
    autoRestartCount        INTEGER NOT NULL DEFAULT 0,
    assemblyVersion         TEXT NOT NULL DEFAULT '',
    cancellationBehaviour   INTEGER NOT NULL DEFAULT 0,
    registered              INTEGER NOT NULL,
    registered_associate_id INTEGER NOT NULL DEFAULT 0,
    updated                 INTEGER,
    updated_associate_id    INTEGER NOT NULL DEFAULT 0,
    updatedCount            INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX batchtaskdefinition_name ON batchtaskdefinition (name);
CREATE INDEX batchtaskdefinition_name_assemblyVersion
    ON batchtaskdefinition (name, assemblyVersion);

-- Table 243: task requests. AUTOINCREMENT so that the id of a deleted task is never handed out
-- again: clients keep ids and poll them.
CREATE TABLE batchtask (
    BatchTask_id            INTEGER PRIMARY KEY AUTOINCREMENT,
    BatchTaskDefinition_id  INTEGER REFERENCES batchtaskdefinition (BatchTaskDefinition_id),
    description             TEXT NOT NULL DEFAULT '',
    dbTag                   TEXT NOT NULL DEFAULT '',
    state                   INTEGER NOT NULL,
    detailsTable            INTEGER,
    detailsRecord           INTEGER,
    request                 TEXT,
    response                TEXT,
    startCount              INTEGER,
    lastStarted             INTEGER,
    progressPercent         INTEGER,
    progressDescription     TEXT,
    registered              INTEGER NOT NULL,
    registered_associate_id INTEGER NOT NULL,
    updated                 INTEGER,
    updated_associate_id    INTEGER NOT NULL DEFAULT 0,
    updatedCount            INTEGER NOT NULL DEFAULT 0,
    FileName                TEXT,
    -- Extension columns (spec §3.6).
    result                  TEXT,
    context                 TEXT,
    cancellationBehaviour   INTEGER NOT NULL DEFAULT 0,
    -- sobatch's lease: who runs the task, the fencing token every executor write must present,
    -- and when the rescuer may take the task back.
    lease_owner             TEXT,
    lease_token             INTEGER,
    lease_expires           INTEGER,
    stop_requested          INTEGER NOT NULL DEFAULT 0
);
-- Also serves the rescuer: only Aquired and Started tasks carry a lease, and there are only ever
-- as many of them as tasks running, so seeking states 2 and 3 here is as cheap as a partial index
-- on lease_expires would be, without a second index write on every heartbeat.
CREATE INDEX batchtask_state ON batchtask (state);
-- Serves claims (one seek per definition, already in id order) and lists by name and state.
CREATE INDEX batchtask_definition_state ON batchtask (BatchTaskDefinition_id, state);

-- Table 205: blobs; a task's parameter dictionary lives here as UTF-8 JSON.
CREATE TABLE binaryobject (
    BinaryObject_id         INTEGER PRIMARY KEY AUTOINCREMENT,
    conceptualType          TEXT NOT NULL,
    mimeType                TEXT,
    description             TEXT,
    originalSize            INTEGER NOT NULL,
    blobSize                INTEGER NOT NULL,
    isZipped                INTEGER NOT NULL DEFAULT 0,
    isEncrypted             INTEGER NOT NULL DEFAULT 0,
    extraInfo               TEXT,
    binaryData              BLOB,
    registered              INTEGER NOT NULL,
    registered_associate_id INTEGER NOT NULL DEFAULT 0,
    updated                 INTEGER,
    updated_associate_id    INTEGER NOT NULL DEFAULT 0,
    updatedCount            INTEGER NOT NULL DEFAULT 0
);

-- Table 206: who owns a blob. A task owns its parameter blob through linkType 6 (BatchTask).
CREATE TABLE binaryobjectlink (
    BinaryObjectLink_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    binaryObjectId          INTEGER NOT NULL REFERENCES binaryobject (BinaryObject_id),
    ownerTable              INTEGER NOT NULL,
    ownerRecord             INTEGER NOT NULL,
    linkComment             TEXT,
    linkType                INTEGER NOT NULL,
    rank                    INTEGER NOT NULL DEFAULT 0,
    registered              INTEGER NOT NULL,
    registered_associate_id INTEGER NOT NULL DEFAULT 0,
    updated                 INTEGER,
    updated_associate_id    INTEGER NOT NULL DEFAULT 0,
    updatedCount            INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX binaryobjectlink_owner
    ON binaryobjectlink (ownerTable, ownerRecord, linkType, rank);
-- Deleting a blob checks the foreign key from its links; without this that check scans the table.
CREATE INDEX binaryobjectlink_binaryObjectId ON binaryobjectlink (binaryObjectId);
