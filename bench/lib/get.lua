-- wrk script: GET wrk.path (e.g. an SSQP download) on every request.
-- usage: wrk ... -s get.lua URL -- HEADER_FILE|-
-- No response() function on purpose: with one, wrk collects every response body to hand it to Lua,
-- which for 64 MiB bodies costs the client more CPU than the servers use. Without it, wrk parses and
-- drops the bodies, and counts answers >= 400 in errors.status (so ok = requests - errors.status).
-- Prints one machine-readable line "WRK_RESULT key=value ..." from done(); bytes_read is every byte
-- received (status lines, headers and bodies: for 64 MiB bodies the body to 1e-5).

function init(args)
   if args[1] and args[1] ~= "-" then
      for line in io.lines(args[1]) do
         local k, v = line:match("^([^:]+):%s*(.*)$")
         if k then wrk.headers[k] = v end
      end
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "WRK_RESULT requests=%d duration_us=%d bytes_read=%d ok=%d non2xx=%d " ..
      "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d " ..
      "lat_mean_us=%.1f lat_p50_us=%d lat_p90_us=%d lat_p99_us=%d lat_max_us=%d codes=%s\n",
      summary.requests, summary.duration, summary.bytes, summary.requests - e.status, e.status,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.mean, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, e.status > 0 and ("errors>=400:" .. e.status) or "all<400"))
end
