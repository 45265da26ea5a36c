"""Distributed processing (`queue: celery`): the watcher registers inbox files as queued jobs and
enqueues them on Celery (Redis broker); `manage.py worker` processes, on this machine or others that
share the folders and the database, take them. Exactly-once rests on the database, not the broker:
the sha256 of a stored document is unique, stores are serialised, and a job held by a live worker
(fresh heartbeat) is not begun by another. A worker that dies leaves its job running with a stale
heartbeat; the watcher queues it again and another worker finishes it."""
