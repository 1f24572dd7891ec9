-- Login throttling counts failures per account and client address, and forgets them after a
-- successful login of that account from that address: one index serves both questions. The
-- per-account index is no longer asked.
CREATE INDEX login_attempt_pair ON login_attempt (username_key, ip, at DESC);
DROP INDEX login_attempt_username;
