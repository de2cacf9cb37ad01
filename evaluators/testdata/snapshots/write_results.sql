INSERT INTO eval_results (dataset, dataset_version, release, rule_id, rule_version,
    case_id, run_id, trace_id, tenant, environment, passed, score, error, reason, run_ts)
