-- The highest version number a dataset has used in either table, 0 for
-- none. Items are written before their version row, so a number whose write
-- failed half-way is never reused.
SELECT greatest(
    (SELECT max(version) FROM datasets WHERE name = ?),
    (SELECT max(version) FROM dataset_items WHERE dataset = ?)
)
