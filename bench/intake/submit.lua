-- wrk script: POST one prepared submission over and over, and check every answer.
--
-- Usage: wrk ... -s submit.lua URL -- <request file> <expected status> [<location prefix>]
-- The request file holds the headers ("Name: value" lines), an empty line, then the body.
-- An answer counts as a success only with the expected status (and, for a redirect, a
-- Location that starts with the prefix); anything else is counted per status and the first
-- one is kept for the report. wrk itself only counts statuses above 399 as errors.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

local expected_status
local location_prefix
-- Globals, not locals: done() reads them from each thread with thread:get().
ok = 0
bad = {}
first_bad = nil

function init(args)
   local file = assert(io.open(args[1], "rb"))
   local text = file:read("*a")
   file:close()
   local split = assert(string.find(text, "\n\n", 1, true), "no empty line in request file")
   for line in string.gmatch(string.sub(text, 1, split), "([^\n]+)\n") do
      local name, value = string.match(line, "^([^:]+):%s*(.*)$")
      wrk.headers[name] = value
   end
   wrk.method = "POST"
   wrk.body = string.sub(text, split + 2)
   expected_status = tonumber(args[2])
   location_prefix = args[3]
end

function response(status, headers, body)
   local location = headers["Location"] or headers["location"] or ""
   if status == expected_status
      and (location_prefix == nil or string.sub(location, 1, #location_prefix) == location_prefix)
   then
      ok = ok + 1
      return
   end
   local key = tostring(status)
   bad[key] = (bad[key] or 0) + 1
   if first_bad == nil then
      first_bad = key .. " " .. location .. " " .. string.sub(body or "", 1, 400)
   end
end

function done(summary, latency, requests)
   local total_ok, sample = 0, ""
   local total_bad = {}
   for _, thread in ipairs(threads) do
      total_ok = total_ok + thread:get("ok")
      for status, count in pairs(thread:get("bad")) do
         total_bad[status] = (total_bad[status] or 0) + count
      end
      sample = (sample ~= "" and sample) or thread:get("first_bad") or ""
   end
   local errors = summary.errors
   io.write(string.format("BENCH requests %d\n", summary.requests))
   io.write(string.format("BENCH duration_us %d\n", summary.duration))
   io.write(string.format("BENCH ok %d\n", total_ok))
   for status, count in pairs(total_bad) do
      io.write(string.format("BENCH status_%s %d\n", status, count))
   end
   io.write(string.format("BENCH socket_errors %d\n",
      errors.connect + errors.read + errors.write + errors.timeout))
   for _, p in ipairs({50, 95, 99}) do
      io.write(string.format("BENCH p%d_us %d\n", p, latency:percentile(p)))
   end
   io.write(string.format("BENCH max_us %d\n", latency.max))
   io.write("BENCH first_bad " .. string.gsub(sample, "%s+", " ") .. "\n")
end
