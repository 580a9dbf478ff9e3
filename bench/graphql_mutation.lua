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

bench.on_response = function(status, _, body)
  if status == 200 and body:find('"errors"', 1, true) then
    non2xx = non2xx + 1
  end
end
