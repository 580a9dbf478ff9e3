-- (j) A mixed load, authenticated, in a fixed rotation of 20 requests: 14 GET /tasks/{id} over
-- BENCH_IDS_FILE, 2 GET /lists/{BENCH_READ_LIST}/tasks?limit=20, 2 PATCH /tasks/{id} (a new
-- title each time, so every one is a real change), 1 POST /lists/{BENCH_LIST_ID}/tasks and
-- 1 POST /graphql listing the caller's first 5 lists with 5 tasks each.
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local ids, n, i, k, get, json = {}, 0, 0, 0, nil, nil
local page, create, graphql

function init(args)
  get = bench.headers(false)
  json = bench.headers(true)
  ids = bench.lines(bench.env("BENCH_IDS_FILE"))
  n = #ids
  i = (thread_index or 0) * 37 % n
  page = wrk.format("GET", "/api/v1/lists/" .. bench.env("BENCH_READ_LIST") .. "/tasks?limit=20", get)
  create = wrk.format("POST", "/api/v1/lists/" .. bench.env("BENCH_LIST_ID") .. "/tasks", json,
    '{"title":"Mixed write","priority":"low"}')
  graphql = wrk.format("POST", "/graphql", json,
    '{"query":"{ lists(limit: 5) { id title tasks(limit: 5) { id title completed } } }"}')
end

function request()
  k = k % 20 + 1
  i = i % n + 1
  if k == 5 or k == 15 then
    return page
  elseif k == 10 or k == 20 then
    return wrk.format("PATCH", "/api/v1/tasks/" .. ids[i], json,
      '{"title":"Mixed ' .. (thread_index or 0) .. "-" .. i .. "-" .. k .. '-' .. os.clock() .. '"}')
  elseif k == 12 then
    return create
  elseif k == 18 then
    return graphql
  end
  return wrk.format("GET", "/api/v1/tasks/" .. ids[i], get)
end

bench.count_graphql_errors()
