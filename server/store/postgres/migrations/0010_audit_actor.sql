-- 0010_audit_actor: GET /audit?actor= (who did what, issue 15) reads through an index of its own
-- instead of walking the whole log by time to find a rare actor's records. Additive.
CREATE INDEX audit_log_actor ON audit_log (actor, at, seq);
