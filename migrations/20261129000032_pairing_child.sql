-- A child's pairings by child: when the last one ended is how long a child has been waiting
-- (the dashboard's alerts, and the waiting list, ask it of every waiting child).
CREATE INDEX pairing_child_ended ON pairing (child_id) INCLUDE (ended_on);
