"""The API's routers: ``remix`` (POST /remix), ``analyze`` (POST /analyze), ``meta`` (health, limits)."""
