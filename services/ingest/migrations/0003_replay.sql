-- `attend events replay` reads the event log across organisations, as the
-- platform role (it is append-only: reading is all it may do).
grant select on ingest.event_log to attend_ingest_platform;
create policy platform on ingest.event_log to attend_ingest_platform using (true);
