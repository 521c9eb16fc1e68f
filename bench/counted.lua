-- Shared by the bench's wrk scripts (`require("counted")`, found beside them). Given a
-- limit, the run ends after that many responses: the thread stops sending and a flag file appears, on
-- which the harness interrupts wrk (SIGINT; wrk then prints its report). Both sides of a comparison so
-- answer exactly the same requests, and a case that writes leaves both stores alike. Without a limit
-- (0 or none) the run lasts wrk's -d as usual.
-- bench/count.lua applies it to the requests wrk builds itself (a GET with -H headers).
local counted = { seen = 0, limit = 0, flag = nil }

function counted.init(limit, flag)
  counted.limit = tonumber(limit) or 0
  counted.flag = flag
end

function counted.response()
  counted.seen = counted.seen + 1
  if counted.limit > 0 and counted.seen == counted.limit then
    local file = io.open(counted.flag, "w")
    if file then file:close() end
    wrk.thread:stop()
  end
end

return counted
