-- A rule's recent runs (the settings page's "what did this rule do"),
-- newest first, without reading every run of the organisation.
create index runs_rule_idx on automation.runs (org_id, rule_id, at desc, id desc);
