-- (h) POST /graphql: one task with its list and the list's owner, authenticated, rotating over
-- the task ids in BENCH_IDS_FILE (a small request: the cost per request, not per row).
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local reqs, n, i = {}, 0, 0

function init(args)
  local headers = bench.headers(true)
  for _, id in ipairs(bench.lines(bench.env("BENCH_IDS_FILE"))) do
    local body = '{"query":"query($id: ID!) { task(id: $id) { id title completed dueDate ' ..
      'list { id title owner { id username } } } }","variables":{"id":"' .. id .. '"}}'
    table.insert(reqs, wrk.format("POST", "/graphql", headers, body))
  end
  n = #reqs
  i = (thread_index or 0) * 37 % n
end

function request()
  i = i % n + 1
  return reqs[i]
end

bench.count_graphql_errors()
