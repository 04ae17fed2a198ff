"""Every bound the front holds a client connection to, in one place."""

# How long a client may keep the gateway waiting: idle between requests, mid-body, or not
# reading its answer (aiohttp's keep-alive default, which Redmine's clients have met so far).
CLIENT_IDLE_TIMEOUT_S = 75.0

# The largest request head (request line and fields) the front reads.
MAX_HEAD_BYTES = 64 * 1024

# Beyond these, the socket is not read until the backlog clears: a client that pipelines
# requests or uploads faster than Redmine takes them never fills the gateway's memory.
MAX_QUEUED_REQUESTS = 8
BODY_HIGH_WATER_BYTES = 256 * 1024
BODY_LOW_WATER_BYTES = 64 * 1024

# A connection closed while its client may still be sending (an early answer, a refusal with
# body bytes unread) shuts its write side and reads and drops what comes for at most
# LINGERING_TIME_S in all, until LINGERING_TIMEOUT_S pass without a byte, or until
# LINGERING_MAX_BYTES arrived: closing over unread bytes would send a reset that can destroy
# the answer before the client reads it. nginx's lingering_time and lingering_timeout defaults;
# the byte bound keeps a fast uploader from holding the connection for the whole time.
LINGERING_TIME_S = 30.0
LINGERING_TIMEOUT_S = 5.0
LINGERING_MAX_BYTES = 64 * 1024 * 1024
