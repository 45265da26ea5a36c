"""The Celery application, configured from settings. Both sides build it: the watcher to send, a
worker to consume (the worker registers the task; the watcher sends it by name)."""
from __future__ import annotations

from celery import Celery

from archiver.config import Settings

TASK = "archiver.process_file"


def make_app(settings: Settings) -> Celery:
    c = settings.celery
    app = Celery("archiver", broker=c.broker, set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # acknowledged when done: a worker that dies does not lose the job
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a worker holds one job at a time; the others stay in Redis for other workers
        task_ignore_result=True,  # outcomes go to the database
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=c.queue_name,
        broker_transport_options={"visibility_timeout": c.visibility_timeout},
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
    )
    return app
