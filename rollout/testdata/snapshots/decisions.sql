SELECT evidence FROM stage_decisions WHERE release = @release ORDER BY decided_at DESC, seq DESC LIMIT @limit
