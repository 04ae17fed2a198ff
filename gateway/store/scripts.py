"""Lua sources of the store's atomic multi-key updates."""

# KEYS: timer, running pointer, user's timers, outbox, outbox entry times, running timers, the
#       user's unrecorded timers, and for a manual entry the key of its fingerprint (a retry of
#       the same entry finds the first)
# ARGV: id, json, status, start score, "1" when it must be the user's only running timer,
#       outbox score or "", the fingerprint's lifetime in seconds (with the eighth key)
# Returns "" when created, else the id of the timer already running, or of the same manual entry;
# its own id when it exists already (this script ran before, its answer lost: nothing is redone,
# since whoever changed the timer since, e.g. an outbox that recorded it, must not be undone).
CREATE_TIMER = """
if redis.call('EXISTS', KEYS[1]) == 1 then return ARGV[1] end
if KEYS[8] then
  local earlier = redis.call('GET', KEYS[8])
  if earlier and earlier ~= ARGV[1] then return earlier end
  redis.call('SET', KEYS[8], ARGV[1], 'EX', ARGV[7])
end
if ARGV[5] == '1' then
  local running = redis.call('GET', KEYS[2])
  if running then return running end
  redis.call('SET', KEYS[2], ARGV[1])
end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'status', ARGV[3], 'version', 1)
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
if ARGV[3] ~= 'recorded' then redis.call('ZADD', KEYS[7], ARGV[4], ARGV[1]) end
if ARGV[6] ~= '' then
  redis.call('ZADD', KEYS[4], ARGV[6], ARGV[1])
  redis.call('ZADD', KEYS[5], 'NX', ARGV[6], ARGV[1])
end
if ARGV[3] == 'running' then redis.call('SADD', KEYS[6], ARGV[1]) end
return ''
"""

# Compare-and-set on the timer's version, so that of two concurrent writers only one wins.
# KEYS: timer, running pointer, outbox, entry->timer map, outbox entry times, running timers,
#       settled timers, the user's unrecorded timers
# ARGV: expected version, json, status, id, "1" to clear the running pointer,
#       outbox: "" keep, "-" remove, else the next attempt's score (the first one, when the
#       entry enters the outbox, is its entry time); a recorded timer's member of the settled
#       timers (else ""), when it expires there (the gateway's clock) and its record's TTL in ms;
#       the start score; then Redmine entry ids
# Returns 1 when written, 0 when the timer changed (or vanished) meanwhile.
SAVE_TIMER = """
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'status', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'version', 1)
if ARGV[5] == '1' and redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
if ARGV[6] == '-' then
  redis.call('ZREM', KEYS[3], ARGV[4])
  redis.call('ZREM', KEYS[5], ARGV[4])
elseif ARGV[6] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[6], ARGV[4])
  redis.call('ZADD', KEYS[5], 'NX', ARGV[6], ARGV[4])
end
if ARGV[3] == 'running' then
  redis.call('SADD', KEYS[6], ARGV[4])
else
  redis.call('SREM', KEYS[6], ARGV[4])
end
if ARGV[3] == 'recorded' then
  redis.call('ZREM', KEYS[8], ARGV[4])
else
  redis.call('ZADD', KEYS[8], ARGV[10], ARGV[4])
end
if ARGV[7] ~= '' then
  redis.call('ZADD', KEYS[7], ARGV[8], ARGV[7])
  redis.call('PEXPIRE', KEYS[1], ARGV[9])
else
  redis.call('PERSIST', KEYS[1])
end
for i = 11, #ARGV do redis.call('HSET', KEYS[4], ARGV[i], ARGV[4]) end
return 1
"""

# KEYS: timer, running pointer, user's timers, outbox, entry->timer map, outbox entry times,
#       running timers, settled timers, the user's unrecorded timers, and for a manual entry the
#       key of its fingerprint (a new entry alike may then be made)
# ARGV: expected version, id, its member of the settled timers, then the Redmine entry ids it
#       owned
DISCARD_TIMER = """
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if KEYS[10] and redis.call('GET', KEYS[10]) == ARGV[2] then redis.call('DEL', KEYS[10]) end
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[2])
redis.call('ZREM', KEYS[6], ARGV[2])
redis.call('SREM', KEYS[7], ARGV[2])
redis.call('ZREM', KEYS[8], ARGV[3])
redis.call('ZREM', KEYS[9], ARGV[2])
for i = 4, #ARGV do
  if redis.call('HGET', KEYS[5], ARGV[i]) == ARGV[2] then redis.call('HDEL', KEYS[5], ARGV[i]) end
end
return 1
"""

# A recorded timer whose retention ended: its record, its place in its user's timers and its
# entries' mappings go together. The member names the user and the entries, so the indexes are
# pruned even when Redis expired the record first. A record that is no longer recorded (never
# expected) is kept and only leaves the settled timers.
# KEYS: settled timers, timer, user's timers, entry->timer map
# ARGV: member, now (the gateway's clock), id, then the Redmine entry ids
# Returns 1 when pruned, 0 when not due (or pruned already).
PRUNE_SETTLED = """
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due or tonumber(due) > tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
local status = redis.call('HGET', KEYS[2], 'status')
if status and status ~= 'recorded' then return 0 end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[3])
for i = 4, #ARGV do
  if redis.call('HGET', KEYS[4], ARGV[i]) == ARGV[3] then redis.call('HDEL', KEYS[4], ARGV[i]) end
end
return 1
"""

# A lease on an outbox item: only one worker (or stop request) posts it at a time.
# KEYS: outbox; ARGV: id, now, lease end. Returns 1 when claimed.
CLAIM_OUTBOX_ITEM = """
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due or tonumber(due) > tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
"""

# A user's posting lock, held until a time on the gateway's clock (not Redis's), so the lock and
# the outbox lease it sits inside end together. Its value is "<timer id>:<token>:<until>"; the
# random token makes a holder that lost it unable to end its successor's.
# KEYS: posting lock; ARGV: value, now, expiry in ms (a safety net for a holder that died).
# Returns 1 when taken.
LOCK_POSTING = """
local held = redis.call('GET', KEYS[1])
if held then
  local held_until = tonumber(string.match(held, ':([^:]*)$'))
  if held_until and held_until > tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
"""

# Ends a user's posting lock only if this very holder still has it.
# KEYS: posting lock; ARGV: the value it was taken with. Returns 1 when released.
RELEASE_POSTING = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# Moves an outbox item whose record cannot be read aside, so the worker stops retrying it.
# KEYS: outbox, unreadable set, outbox entry times; ARGV: id. Returns 1 when moved.
SET_ASIDE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
"""

# Moves one timer of the unbucketed layout (earlier versions) into its user's bucket, with its
# places in every index, and records its bucket under its id. Runs only where the old layout
# can exist (one Redis, never a cluster), before the gateway serves. A timer already moved (a
# migration cut short and run again) keeps its moved state, which the gateway may have changed
# since; only the old places are cleared.
# KEYS: old: timer, running pointer, user's timers, outbox, outbox entry times, running timers,
#            unreadable, entry->timer map, settled timers;
#       new: timer, running pointer, user's timers, outbox, outbox entry times, running timers,
#            unreadable, entry->timer map, settled timers, user's unrecorded timers;
#       the legacy id -> bucket map
# ARGV: id, bucket, its member of the settled timers, then the Redmine entry ids it owns
# Returns 1 when moved, 0 when the old record had gone (only the old places are cleared).
MIGRATE_TIMER = """
local id = ARGV[1]
local moved = 0
if redis.call('EXISTS', KEYS[10]) == 0 then
  local fields = redis.call('HGETALL', KEYS[1])
  if #fields > 0 then
    moved = 1
    redis.call('HSET', KEYS[10], unpack(fields))
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl > 0 then redis.call('PEXPIRE', KEYS[10], ttl) end
    local status = redis.call('HGET', KEYS[1], 'status')
    if redis.call('GET', KEYS[2]) == id then redis.call('SET', KEYS[11], id) end
    local start = redis.call('ZSCORE', KEYS[3], id)
    if start then
      redis.call('ZADD', KEYS[12], start, id)
      if status ~= 'recorded' then redis.call('ZADD', KEYS[19], start, id) end
    end
    local due = redis.call('ZSCORE', KEYS[4], id)
    if due then redis.call('ZADD', KEYS[13], due, id) end
    local since = redis.call('ZSCORE', KEYS[5], id)
    if since then redis.call('ZADD', KEYS[14], since, id) end
    if redis.call('SISMEMBER', KEYS[6], id) == 1 then redis.call('SADD', KEYS[15], id) end
    if redis.call('SISMEMBER', KEYS[7], id) == 1 then redis.call('SADD', KEYS[16], id) end
    for i = 4, #ARGV do
      if redis.call('HGET', KEYS[8], ARGV[i]) == id then
        redis.call('HSET', KEYS[17], ARGV[i], id)
      end
    end
    local expires = redis.call('ZSCORE', KEYS[9], ARGV[3])
    if expires then redis.call('ZADD', KEYS[18], expires, ARGV[3]) end
  end
end
if redis.call('EXISTS', KEYS[10]) == 1 then redis.call('HSET', KEYS[20], id, ARGV[2]) end
redis.call('DEL', KEYS[1])
if redis.call('GET', KEYS[2]) == id then redis.call('DEL', KEYS[2]) end
redis.call('ZREM', KEYS[3], id)
redis.call('ZREM', KEYS[4], id)
redis.call('ZREM', KEYS[5], id)
redis.call('SREM', KEYS[6], id)
redis.call('SREM', KEYS[7], id)
for i = 4, #ARGV do
  if redis.call('HGET', KEYS[8], ARGV[i]) == id then redis.call('HDEL', KEYS[8], ARGV[i]) end
end
redis.call('ZREM', KEYS[9], ARGV[3])
return moved
"""
