"""Redis-backed state: key names, Lua scripts and the RedisStore over them."""
