-- wrk script: PUT distinct bodies from a BenchPackages set, each at most once (see bodyset.py).
-- usage: wrk ... -s upload-set.lua URL -- SET_DIR CONTENT_TYPE HEADER_FILE|- START LIMIT WRAP THREADS
-- Thread t (0-based) sends bodies START+t, START+t+THREADS, ... below START+LIMIT; body i is
-- pre[i] .. shared .. suf[i].  When its share is used up the thread stops (WRAP=1: starts over instead,
-- for servers that do not care about repeats).  Only this thread's prefixes and suffixes are held in
-- memory; the request is concatenated per call (a 64 KiB string each), which costs client CPU that
-- both servers pay alike.
-- Prints one machine-readable line "WRK_RESULT key=value ..." from done().

local threads = {}
local counter = 0

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local function slurp(path)
   local f = assert(io.open(path, "rb"))
   local s = f:read("*a")
   f:close()
   return s
end

local head, shared, pres, sufs, n_own, k, wrap, first_own
issued, exhausted, exh_requests, ok, non2xx, codes = 0, 0, 0, 0, 0, {}
local exhausted_req

function init(args)
   local dir, ctype, hfile = args[1], args[2], args[3]
   local start, limit = tonumber(args[4]), tonumber(args[5])
   wrap = args[6] == "1"
   local nthreads = tonumber(args[7])
   local meta = slurp(dir .. "/meta.json")
   local function num(key) return tonumber(meta:match('"' .. key .. '": (%d+)')) end
   local size, pre_len, suf_len = num("size"), num("pre_len"), num("suf_len")
   local count = num("count")
   if start + limit > count then limit = count - start end
   local extra = ""
   if hfile ~= "-" then
      for line in io.lines(hfile) do
         if line:match("%S") then extra = extra .. line .. "\r\n" end
      end
   end
   head = "PUT " .. wrk.path .. " HTTP/1.1\r\nHost: " .. wrk.headers["Host"] .. "\r\nContent-Type: " .. ctype ..
          "\r\nContent-Length: " .. size .. "\r\nUser-Agent: bench-load/wrk\r\n" .. extra .. "\r\n"
   shared = slurp(dir .. "/shared.bin")
   pres, sufs = {}, {}
   local fp = assert(io.open(dir .. "/pre.bin", "rb"))
   local fs = assert(io.open(dir .. "/suf.bin", "rb"))
   n_own = 0
   local i = start + tid
   while i < start + limit do
      fp:seek("set", i * pre_len)
      fs:seek("set", i * suf_len)
      n_own = n_own + 1
      pres[n_own] = fp:read(pre_len)
      sufs[n_own] = fs:read(suf_len)
      i = i + nthreads
   end
   fp:close()
   fs:close()
   k = 0
   exhausted_req = "GET /__bench_set_exhausted HTTP/1.1\r\nHost: " .. wrk.headers["Host"] .. "\r\n\r\n"
   collectgarbage()
end

function request()
   if k >= n_own then
      if wrap and n_own > 0 then
         k = 0
      else
         exhausted = 1
         exh_requests = exh_requests + 1
         wrk.thread:stop()
         return exhausted_req
      end
   end
   k = k + 1
   if k > issued then issued = k end
   return head .. pres[k] .. shared .. sufs[k]
end

function response(status, headers, body)
   if status >= 200 and status <= 299 then
      ok = ok + 1
   else
      non2xx = non2xx + 1
   end
   codes[status] = (codes[status] or 0) + 1
end

function done(summary, latency, requests)
   local t_ok, t_non2xx, t_exh, t_exh_req, code_total = 0, 0, 0, 0, {}
   local max_idx = 0
   for _, t in ipairs(threads) do
      t_ok = t_ok + (t:get("ok") or 0)
      t_non2xx = t_non2xx + (t:get("non2xx") or 0)
      t_exh = math.max(t_exh, t:get("exhausted") or 0)
      t_exh_req = t_exh_req + (t:get("exh_requests") or 0)
      -- bodies handed out: thread tid used its first `issued` bodies, the last at tid + (issued-1)*threads
      local used = t:get("issued") or 0
      if used > 0 then
         local last = t:get("tid") + (used - 1) * #threads + 1
         if last > max_idx then max_idx = last end
      end
      for c, v in pairs(t:get("codes") or {}) do
         code_total[c] = (code_total[c] or 0) + v
      end
   end
   local cs = {}
   for c, v in pairs(code_total) do cs[#cs + 1] = string.format("%d:%d", c, v) end
   table.sort(cs)
   local e = summary.errors
   io.write(string.format(
      "WRK_RESULT requests=%d duration_us=%d bytes_read=%d ok=%d non2xx=%d issued=%d exhausted=%d " ..
      "exhausted_requests=%d err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d " ..
      "lat_mean_us=%.1f lat_p50_us=%d lat_p90_us=%d lat_p99_us=%d lat_max_us=%d codes=%s\n",
      summary.requests, summary.duration, summary.bytes, t_ok, t_non2xx, max_idx, t_exh, t_exh_req,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.mean, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, #cs > 0 and table.concat(cs, ",") or "-"))
end
