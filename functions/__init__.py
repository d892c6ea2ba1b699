"""MusicRemixer's HTTP function: a FastAPI app, served by uvicorn locally and by Mangum on AWS Lambda.

The package only parses requests, fetches inputs safely, calls :mod:`musicremixer` and maps its errors
to HTTP. See ``functions/README.md`` for the endpoints and the response design.
"""
