"""The HTTP service (``nicelogic serve``): the library's checks over a versioned JSON API.

Needs the ``serve`` extra (FastAPI and uvicorn).
"""
