-- The fold at commit sorts and groups in memory (issue 5: Scripts/bench). An import's fold groups
-- one pending row per journal line into day and month balances (a 300,000-event import: 1,179,992
-- rows into 1,153,096 day and 70,006 month rows). With the default work_mem (4 MB) its grouping
-- spilled to disk in 161 batches and both its sorts were external merges: 15.0 s for that fold
-- (twice the same, rolled back each time), 13.5 s with 64 MB. Only this function gets more: the
-- setting lasts for its call.
ALTER FUNCTION ledger.fold_balances() SET work_mem = '64MB';
