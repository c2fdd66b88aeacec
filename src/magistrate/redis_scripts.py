"""The Lua scripts behind the Redis stores (`redis_store`): each update of a principal's
standing or of a session's history runs inside Redis as one atomic script."""

from __future__ import annotations

# Trust: a hash per principal {s: score, u: updated (unix s), x: suspended 0/1, r: reason}.
# `record(key, a)` applies one verdict to the hash `key`. a: now, decision, risk rank,
# baseline, suspend_below, half_life_s, recovery, deny penalty, escalate penalty, suspend on
# critical deny (1/0), suspend_below as Python prints it, ttl ms, the suspension the verdict was
# judged with ('0', '1', or '' for any). Mirrors trust.apply_outcome exactly (both are IEEE
# doubles). When the stored suspension differs from the one judged with (another server
# suspended or lifted meanwhile), nothing is written and the stored standing comes back as
# {'stale', score, updated, suspended, reason}.
RECORD_ARGS = 13
_RECORD_FUNCTION = """
local function record(key, a)
  local now = tonumber(a[1])
  local decision = a[2]
  local rank = tonumber(a[3])
  local baseline = tonumber(a[4])
  local suspend_below = tonumber(a[5])
  local half_life = tonumber(a[6])
  local stored = redis.call('HMGET', key, 's', 'u', 'x', 'r')
  local score, updated, suspended, reason = baseline, now, false, ''
  if stored[1] then
    score = tonumber(stored[1])
    updated = tonumber(stored[2])
    suspended = stored[3] == '1'
    reason = stored[4] or ''
  end
  if a[13] ~= '' and a[13] ~= (suspended and '1' or '0') then
    return {'stale', string.format('%.17g', score), string.format('%.17g', updated),
            suspended and '1' or '0', reason}
  end
  local before = score
  local dt = now - updated
  if dt > 0 and score ~= baseline then
    before = baseline + (score - baseline) * (0.5 ^ (dt / half_life))
  end
  local after = before
  if decision == 'deny' then
    after = after - tonumber(a[8])
    if rank == 3 and a[10] == '1' and not suspended then
      suspended = true
      reason = 'denied a CRITICAL action'
    end
  elseif decision == 'escalate' then
    after = after - tonumber(a[9])
  elseif rank <= 1 then
    after = after + tonumber(a[7])
  end
  if after > 1.0 then after = 1.0 end
  if after < 0.0 then after = 0.0 end
  if after < suspend_below and not suspended then
    suspended = true
    reason = 'trust ' .. string.format('%.2f', after) .. ' fell below ' .. a[11]
  end
  redis.call('HSET', key, 's', string.format('%.17g', after), 'u', a[1],
             'x', suspended and '1' or '0', 'r', reason)
  if suspended then
    redis.call('PERSIST', key)
  else
    redis.call('PEXPIRE', key, a[12])
  end
  return {string.format('%.17g', before), string.format('%.17g', after),
          suspended and '1' or '0', reason}
end
"""

# One verdict: KEYS[1] the hash, ARGV the 13 arguments of `record`.
RECORD = _RECORD_FUNCTION + "return record(KEYS[1], ARGV)\n"

# A batch's verdicts in one call (`trust_settlement`): KEYS the hashes, in order, ARGV their
# arguments one after another, 13 each; one reply per verdict, in order. Applied in order, as
# the same number of RECORD calls would be.
RECORD_MANY = (
    _RECORD_FUNCTION
    + """
local out = {}
for i = 1, #KEYS do
  local a = {}
  for j = 1, 13 do
    a[j] = ARGV[(i - 1) * 13 + j]
  end
  out[i] = record(KEYS[i], a)
end
return out
"""
)

# KEYS[1] the hash. ARGV: now, baseline, half_life_s, reason.
SUSPEND = """
local now = tonumber(ARGV[1])
local baseline = tonumber(ARGV[2])
local stored = redis.call('HMGET', KEYS[1], 's', 'u')
local score = baseline
if stored[1] then
  score = tonumber(stored[1])
  local dt = now - tonumber(stored[2])
  if dt > 0 and score ~= baseline then
    score = baseline + (score - baseline) * (0.5 ^ (dt / tonumber(ARGV[3])))
  end
end
redis.call('HSET', KEYS[1], 's', string.format('%.17g', score), 'u', ARGV[1], 'x', '1',
           'r', ARGV[4])
redis.call('PERSIST', KEYS[1])
return 1
"""

# KEYS[1] the hash. ARGV: now, baseline, half_life_s, floor, reason, ttl ms.
# Returns 0 when the principal is not suspended.
LIFT = """
local stored = redis.call('HMGET', KEYS[1], 's', 'u', 'x')
if not stored[1] or stored[3] ~= '1' then
  return 0
end
local now = tonumber(ARGV[1])
local baseline = tonumber(ARGV[2])
local score = tonumber(stored[1])
local dt = now - tonumber(stored[2])
if dt > 0 and score ~= baseline then
  score = baseline + (score - baseline) * (0.5 ^ (dt / tonumber(ARGV[3])))
end
local floor = tonumber(ARGV[4])
if floor > score then score = floor end
redis.call('HSET', KEYS[1], 's', string.format('%.17g', score), 'u', ARGV[1], 'x', '0',
           'r', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1
"""

# After Redis lost its data (restart without persistence, FLUSHALL): the suspensions the
# database records, put back. KEYS[1] the marker key, then one trust hash per principal.
# ARGV: baseline, now, then one reason per principal. Returns how many were restored (0 when the
# marker shows Redis kept its data: a principal lifted meanwhile must not be re-suspended).
RESTORE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
for i = 2, #KEYS do
  if redis.call('HEXISTS', KEYS[i], 's') == 0 then
    redis.call('HSET', KEYS[i], 's', ARGV[1], 'u', ARGV[2])
  end
  redis.call('HSET', KEYS[i], 'x', '1', 'r', ARGV[i + 1])
  redis.call('PERSIST', KEYS[i])
end
redis.call('SET', KEYS[1], ARGV[2])
return #KEYS - 1
"""

# Sessions: a list per session of JSON [time, [marks]]. KEYS[1] the list.
# ARGV: entry, max events, ttl ms.
SESSION_ADD = """
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""
