-- sobatch SQLite schema, version 2: restart backoff.
--
-- A task the rescuer returns to New after its node stopped answering waits until not_before
-- (INTEGER microseconds, UTC) before it may be claimed again: exponential backoff with jitter, so a
-- task that crashes its nodes does not crash them in a tight loop. NULL: claimable at once.
ALTER TABLE batchtask ADD COLUMN not_before INTEGER;
