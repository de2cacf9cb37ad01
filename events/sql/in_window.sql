-- The tenants' events in [lo, hi], bounds in microseconds: a time.Time
-- would travel as a 32-bit DateTime and wrap outside 1970-2106.
tenant IN @tenants AND ts >= fromUnixTimestamp64Micro(@lo, 'UTC') AND ts <= fromUnixTimestamp64Micro(@hi, 'UTC')
