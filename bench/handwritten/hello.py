"""The framework's hello-world endpoint: the throughput ceiling of one FastAPI worker."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello World"}
