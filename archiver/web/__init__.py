"""`manage.py web`: upload pages, live job states, server-side search, document pages and a REST API
(/api/v1) over the same archive the daemon fills. FastAPI on uvicorn, in one process."""
