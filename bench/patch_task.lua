-- (d) PATCH /api/v1/tasks/{id} {"completed": X}, authenticated, rotating over the tasks listed in
-- BENCH_STATE_FILE ("<id> true|false" a line: each task's stored value when the run starts).
-- Every request sends the opposite of the task's stored value, so each one is a real change:
-- the value is taken from the server's last answer for that task. With fewer connections than
-- tasks, the previous request for a task has always been answered before the next one is sent.
-- A 2xx answer whose `completed` is not the value sent counts as a mismatch (reported).
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

local ids, stored, sent, headers, n, i = {}, {}, {}, nil, 0, 0
bench_mismatch = 0

function init(args)
  headers = bench.headers(true)
  for _, line in ipairs(bench.lines(bench.env("BENCH_STATE_FILE"))) do
    local id, value = line:match("^(%S+)%s+(%S+)$")
    table.insert(ids, id)
    stored[id] = (value == "true")
  end
  n = #ids
  i = (thread_index or 0) * 37 % n
end

function request()
  i = i % n + 1
  local id = ids[i]
  local value = not stored[id]
  sent[id] = value
  return wrk.format("PATCH", "/api/v1/tasks/" .. id, headers,
    value and '{"completed":true}' or '{"completed":false}')
end

bench.on_response = function(status, _, body)
  if status < 200 or status > 299 then
    return
  end
  local id = body:match('"id":"([%x%-]+)"')
  local completed = body:match('"completed":(%a+)')
  if id == nil or completed == nil then
    bench_mismatch = bench_mismatch + 1
    return
  end
  local value = (completed == "true")
  if sent[id] ~= value then
    bench_mismatch = bench_mismatch + 1
  end
  stored[id] = value
end
