// The plan's own SQL, verbatim, for the tests that run it unchanged against a database the engine keeps.

// Verbatim from the plan (task-dispatcher.py, get_next_task).
export const PLAN_GET_NEXT_TASK = `
SELECT t.* FROM v2_tasks t
WHERE t.status = 'pending'
AND NOT EXISTS (
SELECT 1 FROM task_dependencies d
JOIN v2_tasks dt ON d.dependency_task_id = dt.task_id
WHERE d.task_id = t.task_id
AND dt.status != 'completed'
)
ORDER BY
CASE t.priority
WHEN 'P0' THEN 0
WHEN 'P1' THEN 1
WHEN 'P2' THEN 2
ELSE 3
END,
t.created_at ASC
LIMIT 1
`;
