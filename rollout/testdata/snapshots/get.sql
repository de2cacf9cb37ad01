SELECT evidence FROM stage_decisions WHERE decision_id = @id ORDER BY decided_at DESC, seq DESC LIMIT 1
