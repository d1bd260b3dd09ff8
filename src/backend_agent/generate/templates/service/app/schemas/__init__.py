"""Request bodies (pydantic v2), exactly as the OpenAPI contract declares them."""
