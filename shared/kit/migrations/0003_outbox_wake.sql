-- The relay is woken in-process now (kit::bus::outbox): NOTIFY took a
-- cluster-wide lock through every notifying commit, serialising them.
drop trigger if exists outbox_notify on outbox;
drop function if exists notify_outbox();
