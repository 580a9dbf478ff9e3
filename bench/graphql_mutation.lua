-- (i) POST /graphql: the createTask mutation into BENCH_LIST_ID, authenticated.
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local req

function init(args)
  local body = '{"query":"mutation($list: ID!) { createTask(listId: $list, input: ' ..
    '{title: \\"Benchmark write\\", priority: HIGH, categories: [\\"bench\\"]}) ' ..
    '{ id title priority createdAt } }","variables":{"list":"' .. bench.env("BENCH_LIST_ID") .. '"}}'
  req = wrk.format("POST", "/graphql", bench.headers(true), body)
end

function request()
  return req
end

bench.count_graphql_errors()
