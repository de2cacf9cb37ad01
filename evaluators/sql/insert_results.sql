-- One row per (run, case, rule, rule version): eval_results is a
-- ReplacingMergeTree keyed on exactly that, so re-scoring replaces.
INSERT INTO eval_results (dataset, dataset_version, release, rule_id, rule_version,
    case_id, run_id, trace_id, tenant, environment, passed, score, error, reason, run_ts)
