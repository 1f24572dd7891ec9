-- A pairing closed for a safeguarding concern is suspended at once and closed when a second
-- person confirms it. (A value added to an enum is usable once its transaction has committed:
-- the rules that use it follow in the next migration.)
ALTER TYPE pairing_status ADD VALUE 'suspended' BEFORE 'closed';
