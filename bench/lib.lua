-- Shared by every wrk script of scripts/bench.sh: counts non-2xx answers in a `response` hook
-- and prints one JSON line (prefixed "BENCH_JSON ") with throughput and latency in `done`.
--
-- A scenario script starts with
--   local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")
-- and may set `bench.on_response = function(status, headers, body) ... end`.
-- Inputs come from the environment: BENCH_TOKEN (a bearer token), BENCH_IDS_FILE (one id a line)...

local bench = {}

local threads = {}

-- Runs in the main Lua state, once per wrk thread.
function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

-- Per-thread counters (each wrk thread loads this file in its own Lua state).
non2xx = 0
responses = 0

function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if non2xx <= 3 then
      io.stderr:write(string.format("non-2xx %d: %s\n", status, tostring(body):sub(1, 300)))
    end
  end
  if bench.on_response then
    bench.on_response(status, headers, body)
  end
end

function bench.env(name)
  local value = os.getenv(name)
  if value == nil or value == "" then
    error("environment variable " .. name .. " is required")
  end
  return value
end

function bench.lines(path)
  local out = {}
  for line in io.lines(path) do
    if line ~= "" then
      table.insert(out, line)
    end
  end
  if #out == 0 then
    error(path .. " is empty")
  end
  return out
end

-- For scripts that send GraphQL: a 200 answer carrying `errors` counts as a failure too.
function bench.count_graphql_errors()
  bench.on_response = function(status, _, body)
    if status == 200 and body:find('"errors"', 1, true) then
      non2xx = non2xx + 1
    end
  end
end

-- Headers for an authenticated JSON request (no Authorization when BENCH_TOKEN is unset).
function bench.headers(with_body)
  local h = {}
  local token = os.getenv("BENCH_TOKEN")
  if token ~= nil and token ~= "" then
    h["Authorization"] = "Bearer " .. token
  end
  if with_body then
    h["Content-Type"] = "application/json"
  end
  return h
end

function done(summary, latency, requests)
  local non2xx_total, responses_total, extra = 0, 0, 0
  for _, t in ipairs(threads) do
    non2xx_total = non2xx_total + (t:get("non2xx") or 0)
    responses_total = responses_total + (t:get("responses") or 0)
    extra = extra + (t:get("bench_mismatch") or 0)
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local ok = summary.requests - non2xx_total
  local p = function(q) return latency:percentile(q) / 1000.0 end
  io.write(string.format(
    'BENCH_JSON {"duration_s": %.3f, "requests": %d, "responses_seen": %d, "non2xx": %d, ' ..
    '"ok_rps": %.1f, "all_rps": %.1f, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status_over_399": %d}, ' ..
    '"latency_ms": {"min": %.3f, "mean": %.3f, "stdev": %.3f, "max": %.3f, ' ..
    '"p50": %.3f, "p75": %.3f, "p90": %.3f, "p99": %.3f, "p99_9": %.3f}, "mismatch": %d}\n',
    seconds, summary.requests, responses_total, non2xx_total,
    ok / seconds, summary.requests / seconds, summary.bytes,
    e.connect, e.read, e.write, e.timeout, e.status,
    latency.min / 1000.0, latency.mean / 1000.0, latency.stdev / 1000.0, latency.max / 1000.0,
    p(50), p(75), p(90), p(99), p(99.9), extra))
end

return bench
